//! What the [`Admin`](crate::admin::Admin) service needs from storage
//! besides the protocol's methods: keyset-paginated lists, updates, and
//! deletions that end everything depending on the deleted object.
//!
//! Lists take the key to start after and a limit, and return rows in key
//! order (`WHERE key > ? ORDER BY key LIMIT ?` on an index), so a page
//! never costs a scan of the table. The core asks for one row more than it
//! shows, to know whether a next page exists.
//!
//! Ending a user's or a client's grants has one shape: every refresh token
//! is revoked, every unredeemed code goes and every unredeemed device code
//! is denied, and every grant they belonged to
//! is recorded as revoked until `keep_until` (when the last access token it
//! could have issued has expired), so those access tokens introspect as
//! inactive at once, on every process sharing the store.

use super::{ClientRecord, StoreResult, TenantRecord, UserRecord};
use crate::clock::UnixTime;
use crate::ids::{ClientId, TenantId, UserId};
use std::future::Future;

/// Storage for administration; see the module documentation.
pub trait AdminStore: Send + Sync {
    /// Tenants with a slug after `after` (all if `None`), by slug, at most `limit`.
    fn tenants_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<TenantRecord>>> + Send;
    /// Stores the tenant's `name` and `dynamic_registration` (the id finds
    /// it; slug, key and creation time never change); `false` if there is
    /// no such tenant.
    fn update_tenant(
        &self,
        tenant: &TenantRecord,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes a tenant and every row of it (keys, clients, users, sessions,
    /// codes, tokens, consents, device codes), atomically; `false` if there
    /// was none.
    fn delete_tenant(&self, tenant: &TenantId) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The tenant's clients with an id after `after`, by id, at most `limit`.
    fn clients_page(
        &self,
        tenant: &TenantId,
        after: Option<&ClientId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<ClientRecord>>> + Send;
    /// Replaces the stored registration of `client.id` (every field but
    /// `id` and `created_at`); `false` if there is no such client.
    fn update_client(
        &self,
        tenant: &TenantId,
        client: &ClientRecord,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes a client and ends its grants (see the module documentation),
    /// its consents and its session memberships, atomically; `false` if
    /// there was none. Sessions stay: they belong to users.
    fn remove_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// The tenant's users with an id after `after`, by id, at most `limit`.
    fn users_page(
        &self,
        tenant: &TenantId,
        after: Option<&UserId>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<UserRecord>>> + Send;
    /// Stores `user` (email, which the core made canonical and which is
    /// re-indexed, verification, name, password hash, disabled flag,
    /// `updated_at`); `Conflict` if another user of the tenant has the
    /// email; `false` if there is no such user.
    fn update_user(
        &self,
        tenant: &TenantId,
        user: &UserRecord,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Revokes, atomically, every live session of the user (as
    /// [`SessionStore::revoke_session`](super::SessionStore::revoke_session) does) and
    /// ends every grant of the user (module documentation), `offline_access`
    /// ones included. Returns how many sessions were revoked.
    fn revoke_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
    /// [`AdminStore::revoke_user`], then deletes the user and their
    /// consents, atomically; `false` (and nothing changed) if there was none.
    /// The revoked sessions stay, revoked, until purged at their expiry, so
    /// that access tokens naming them stay inactive.
    fn delete_user(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
