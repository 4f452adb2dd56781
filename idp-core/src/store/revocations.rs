//! What was revoked (grants, single access tokens) and which client
//! assertions were used (RFC 7523 §3 replay protection).

use crate::clock::UnixTime;
use crate::ids::{ClientId, GrantId, TenantId};
use crate::store::{AccessTokenRef, StoreResult};
use std::future::Future;

/// Revocations and used client assertions: part of [`Store`](super::Store).
pub trait RevocationStore: Send + Sync {
    /// Revokes a grant: every refresh token of it, and (through a record kept
    /// until `keep_until`, when its last access token has expired) every
    /// access token issued from it.
    fn revoke_grant(
        &self,
        tenant: &TenantId,
        grant: &GrantId,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records one access token as revoked until its expiry.
    fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether the access token, its grant or its session was revoked.
    fn access_token_revoked(
        &self,
        tenant: &TenantId,
        token: AccessTokenRef<'_>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Records a client assertion's `jti` until `expires_at`; `false` if the
    /// client used it before (RFC 7523 §3 replay protection).
    fn use_client_assertion(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        jti: &str,
        expires_at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
