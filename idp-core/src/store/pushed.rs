//! Pushed authorization requests (RFC 9126): stored by the PAR endpoint,
//! taken once by the authorization endpoint. Kept in the store, not in a
//! process's memory, so that the push and the browser's visit may reach
//! different instances.

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::TenantId;
use crate::store::{PushedRequestRecord, StoreResult};
use std::future::Future;

/// Pushed authorization requests: part of [`Store`](super::Store).
pub trait PushedRequestStore: Send + Sync {
    /// Stores a pushed request; `Conflict` if its hash is taken.
    fn create_pushed_request(
        &self,
        tenant: &TenantId,
        request: &PushedRequestRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Atomically removes and returns the pushed request whose `request_uri`
    /// hashes to `hash`, if it has not expired at `now` (`now <
    /// expires_at`). Of racing calls at most one gets it (RFC 9126 §4: a
    /// `request_uri` is used once); an expired one is left for the purge and
    /// never returned.
    fn take_pushed_request(
        &self,
        tenant: &TenantId,
        hash: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<PushedRequestRecord>>> + Send;
}
