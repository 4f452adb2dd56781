//! Authorization codes and refresh tokens: the single-use credentials of a
//! grant, each redeemed by one atomic method so two racing requests cannot
//! both win.

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::TenantId;
use crate::store::{CodeRecord, RefreshTokenRecord, Rotation, StoreResult, TakenCode};
use std::future::Future;

/// Codes and refresh tokens: part of [`Store`](super::Store).
pub trait GrantStore: Send + Sync {
    /// Stores an authorization code and records, as
    /// [`SessionStore::add_session_client`](super::SessionStore::add_session_client)
    /// does, that its client took part in its session, at `now`: what issuing
    /// a code writes, atomically (one transaction), so a code costs one write
    /// and a relying party that holds a code is always told when the session
    /// ends. If the session was revoked meanwhile (the revocation raced the
    /// authorization request), the code is not stored: redeeming it finds
    /// nothing.
    fn create_code(
        &self,
        tenant: &TenantId,
        code: &CodeRecord,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Atomically marks a code consumed at `now` and returns it, or reports
    /// that it was used before.
    fn take_code(
        &self,
        tenant: &TenantId,
        code: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<TakenCode>> + Send;
    /// Stores the first refresh token of a grant. If its grant or its
    /// session was revoked meanwhile (the revocation raced the request that
    /// issued it), it is stored revoked, atomically with that check, so no
    /// revocation is undone by a write already under way.
    fn create_refresh_token(
        &self,
        tenant: &TenantId,
        token: &RefreshTokenRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A refresh token by hash (consumed or not).
    fn refresh_token(
        &self,
        tenant: &TenantId,
        token: &SecretHash,
    ) -> impl Future<Output = StoreResult<Option<RefreshTokenRecord>>> + Send;
    /// Atomically: if `old` is neither consumed nor revoked, mark it consumed at
    /// `now` and store `new` (`Rotated`); otherwise change nothing (`Reused`).
    fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &SecretHash,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Rotation>> + Send;
}
