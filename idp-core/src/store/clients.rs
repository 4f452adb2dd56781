//! Relying parties registered in a tenant.

use crate::ids::{ClientId, TenantId};
use crate::store::{ClientRecord, StoreResult};
use std::future::Future;

/// Clients: part of [`Store`](super::Store).
pub trait ClientStore: Send + Sync {
    /// Registers a client; `Conflict` if the id exists in the tenant.
    fn create_client(
        &self,
        tenant: &TenantId,
        client: &ClientRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Registers many clients at once, atomically (bulk import); see
    /// [`UserStore::create_users`](super::UserStore::create_users).
    fn create_clients(
        &self,
        tenant: &TenantId,
        clients: &[ClientRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A client by id.
    fn client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
    ) -> impl Future<Output = StoreResult<Option<ClientRecord>>> + Send;
    /// Every redirect URI and `allowed_origins` value of the tenant's
    /// clients, in any order, duplicates kept: what the web origins some
    /// client of the tenant registered derive from (CORS preflights name no
    /// client, [`crate::cors`]). The core derives and caches the origins.
    fn web_origin_sources(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// Deletes a client; `false` if there was none. Its tokens die with it:
    /// they name a client that no longer authenticates.
    fn delete_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
