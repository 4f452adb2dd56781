//! `Idempotency-Key` records of the admin API: a create sent twice with
//! the same key within the record's lifetime returns the first response
//! instead of making a second object. A record is claimed before the
//! request runs (so a concurrent duplicate sees it in progress), completed
//! with the response, or released if the request failed.

use super::StoreResult;
use crate::clock::UnixTime;
use std::future::Future;

/// One idempotency key's record.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdempotencyRecord {
    /// Who sent it, what and the key, hashed (the core's `scope`): unique.
    pub scope: String,
    /// A hash of the request body: the same key with another body is a
    /// client error, not a replay.
    pub fingerprint: String,
    /// The response's status, once completed; `None` while in progress.
    pub status: Option<u16>,
    /// The response body, sealed (it may hold a secret shown once); empty
    /// while in progress.
    pub body: Vec<u8>,
    /// When it was claimed.
    pub created_at: UnixTime,
    /// When it stops counting and may be purged.
    pub expires_at: UnixTime,
}

/// Idempotency keys: part of [`Store`](super::Store).
pub trait IdempotencyStore: Send + Sync {
    /// Inserts `record` unless a record of its scope that expires after
    /// `now` exists (an expired one is replaced): `None` if inserted, else
    /// the existing record, completed or in progress.
    fn claim_idempotency_key(
        &self,
        record: &IdempotencyRecord,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<IdempotencyRecord>>> + Send;
    /// Stores the response of a claimed, uncompleted record; `false` if
    /// there is none.
    fn complete_idempotency_key(
        &self,
        scope: &str,
        status: u16,
        body: &[u8],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Deletes an uncompleted record (its request failed), so a retry runs.
    fn release_idempotency_key(&self, scope: &str) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes at most `limit` records that expired before `before`;
    /// returns how many.
    fn purge_idempotency_keys(
        &self,
        before: UnixTime,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
