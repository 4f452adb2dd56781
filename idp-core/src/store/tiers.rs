//! Tiers and what their limits count. Writes go through
//! [`AuditStore::apply_audited`](super::AuditStore::apply_audited)
//! ([`AdminChange::CreateTier`](super::AdminChange::CreateTier) and the
//! rest, and [`AdminChange::WithinLimit`](super::AdminChange::WithinLimit),
//! the atomic count-then-create); this port reads.
//!
//! Tiers are the platform's, not a tenant's; a tenant names at most one.

use super::StoreResult;
use crate::clock::UnixTime;
use crate::ids::TenantId;
use crate::tier::Limits;
use std::future::Future;

/// A tier as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TierRecord {
    /// Its name, unique ([`crate::tier::check_name`]); never changes.
    pub name: String,
    /// Its limits.
    pub limits: Limits,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change of its limits.
    pub updated_at: UnixTime,
}

/// What a limit counts, as the store counts it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Counted<'a> {
    /// The tenant's users.
    Users(&'a TenantId),
    /// The tenant's clients.
    Clients(&'a TenantId),
    /// The tenant's upstreams.
    Upstreams(&'a TenantId),
    /// API keys limited to the tenant with this slug, not revoked and not
    /// expired at `now`.
    ApiKeys {
        /// The tenant's slug (what a key names).
        tenant: &'a str,
        /// Now.
        now: UnixTime,
    },
}

/// Reading tiers: part of [`Store`](super::Store).
pub trait TierStore: Send + Sync {
    /// Tiers with a name after `after`, by name, at most `limit`.
    fn tiers_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<TierRecord>>> + Send;
    /// The tier `name`.
    fn tier(&self, name: &str) -> impl Future<Output = StoreResult<Option<TierRecord>>> + Send;
    /// The tier assigned to the tenant, read now (not from any cache);
    /// `None` if it has none (or there is no such tenant).
    fn tenant_tier(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Option<TierRecord>>> + Send;
    /// How many of `counted` there are now.
    fn count(&self, counted: Counted<'_>) -> impl Future<Output = StoreResult<u64>> + Send;
}
