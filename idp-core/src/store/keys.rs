//! A tenant's signing keys. There is one way to change the current set: a
//! compare-and-swap ([`KeyStore::replace_signing_keys`]) used by the CLI's
//! rotation and by the scheduled job alike, so that two processes rotating
//! at once store exactly one new set. Which key signs and when is the
//! core's (`crate::key_rotation`): a store keeps the times it is given.

use crate::clock::UnixTime;
use crate::ids::TenantId;
use crate::store::{SigningKeyRecord, StoreResult};
use std::future::Future;

/// Signing keys: part of [`Store`](super::Store).
pub trait KeyStore: Send + Sync {
    /// A tenant's signing keys, newest first.
    fn signing_keys(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<SigningKeyRecord>>> + Send;

    /// Compare-and-swap key rotation, atomically: if the tenant's current
    /// keys (those no rotation superseded yet: `retired_at` unset) are
    /// exactly `expected_current` (kids, any order), set `retired_at` to
    /// `retire_at` on every key whose `retired_at` is unset or later, insert
    /// `keys` and return `true`; otherwise change nothing and return `false`
    /// (another process rotated first). `retire_at` is the new keys'
    /// activation time, possibly ahead: the old keys sign until then (ADR
    /// 0024). A tenant without keys expects `[]`.
    fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_current: &[String],
        keys: &[SigningKeyRecord],
        retire_at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Deletes the tenant's keys whose `retired_at` is before
    /// `retired_before` (never a key without one, nor one retiring later)
    /// and returns how many.
    fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
