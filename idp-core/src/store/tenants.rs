//! Tenants: the root of every other row.

use crate::store::{SigningKeyRecord, StoreResult, TenantRecord};
use std::future::Future;

/// Tenants: part of [`Store`](super::Store).
pub trait TenantStore: Send + Sync {
    /// Creates a tenant with its first signing keys, atomically.
    fn create_tenant(
        &self,
        tenant: &TenantRecord,
        keys: &[SigningKeyRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A tenant by slug.
    fn tenant_by_slug(
        &self,
        slug: &str,
    ) -> impl Future<Output = StoreResult<Option<TenantRecord>>> + Send;
    /// Every tenant, ordered by slug.
    fn list_tenants(&self) -> impl Future<Output = StoreResult<Vec<TenantRecord>>> + Send;
}
