//! The platform's own settings (not a tenant's): today, who may sign up
//! ([`SignupMode`]). One row; absent until an operator first changes a
//! setting, when the core's defaults apply. Written only through
//! [`AuditStore::apply_audited`](super::AuditStore::apply_audited)
//! ([`AdminChange::UpdatePlatformSettings`](super::AdminChange::UpdatePlatformSettings)).

use super::StoreResult;
use crate::clock::UnixTime;
use crate::signup::SignupMode;
use std::future::Future;

/// The platform's settings, as stored.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PlatformSettings {
    /// Who may sign up at `/signup`.
    pub signup: SignupMode,
    /// When they last changed; `None` while nobody ever changed them.
    pub updated_at: Option<UnixTime>,
}

/// Reading the platform's settings: part of [`Store`](super::Store).
pub trait PlatformSettingsStore: Send + Sync {
    /// The stored settings, or `None` if they were never changed.
    fn platform_settings(
        &self,
    ) -> impl Future<Output = StoreResult<Option<PlatformSettings>>> + Send;
}
