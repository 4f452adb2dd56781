//! One-time set-up links (issue 17): the platform owner created without a
//! password chooses one through `{BASE_URL}/t/platform/setup?token=…`.
//! Only the token's hash is stored. Writes go through
//! [`AuditStore::apply_audited`](super::AuditStore::apply_audited)
//! ([`AdminChange::CreateSetupLink`](super::AdminChange::CreateSetupLink),
//! [`AdminChange::RedeemSetupLink`](super::AdminChange::RedeemSetupLink));
//! this port reads.

use super::StoreResult;
use crate::clock::UnixTime;
use crate::ids::{TenantId, UserId};
use std::future::Future;

/// A set-up link, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetupLinkRecord {
    /// SHA-256 of the token, hex (`crate::crypto::secret::SecretHash`).
    pub token_hash: String,
    /// The user who sets a password with it.
    pub user_id: UserId,
    /// When it was issued.
    pub created_at: UnixTime,
    /// When it stops working.
    pub expires_at: UnixTime,
    /// When it was used (it works once), if it was.
    pub used_at: Option<UnixTime>,
}

/// Reading set-up links: part of [`Store`](super::Store).
pub trait SetupLinkStore: Send + Sync {
    /// The link whose token hashes to `token_hash`.
    fn setup_link(
        &self,
        tenant: &TenantId,
        token_hash: &str,
    ) -> impl Future<Output = StoreResult<Option<SetupLinkRecord>>> + Send;
    /// Whether the user has a link that is unused and unexpired at `now`.
    fn has_live_setup_link(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
