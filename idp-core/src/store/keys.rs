//! A tenant's signing keys. There is one way to change the active set: a
//! compare-and-swap ([`KeyStore::replace_signing_keys`]) used by the CLI's
//! rotation and by the scheduled job alike, so that two processes rotating
//! at once store exactly one new set.

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

    /// Compare-and-swap key rotation, atomically: if the tenant's active
    /// (unretired) keys are exactly `expected_active` (kids, any order), retire
    /// them at `now`, insert `keys` and return `true`; otherwise change
    /// nothing and return `false` (another process rotated first).
    fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_active: &[String],
        keys: &[SigningKeyRecord],
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    /// Deletes the tenant's keys retired before `retired_before` (never an
    /// active key) and returns how many.
    fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
