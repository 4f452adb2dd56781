//! Device authorizations (RFC 8628).

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, TenantId};
use crate::store::{DeviceCodeRecord, DeviceDecision, StoreResult};
use std::future::Future;

/// Device authorizations: part of [`Store`](super::Store).
pub trait DeviceStore: Send + Sync {
    /// Stores a device authorization; `Conflict` if the user code is taken.
    fn create_device_code(
        &self,
        tenant: &TenantId,
        record: &DeviceCodeRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A pending, unexpired device authorization by its normalized user code.
    fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<DeviceCodeRecord>>> + Send;
    /// Records the user's decision if the authorization is still pending and
    /// unexpired; `false` otherwise. An approval also records, as
    /// [`SessionStore::add_session_client`](super::SessionStore::add_session_client)
    /// does, that the device's client took part in the approving session, at
    /// `now`, in the same write (so that the device is told when that
    /// session ends, as a code's client is); if that session was revoked
    /// meanwhile, nothing is recorded and the answer is `false`.
    fn decide_device_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// A device poll by `client`, atomically: returns the record as it was,
    /// sets its `last_poll_at` to `now`, and if it was approved, unconsumed
    /// and unexpired, marks it consumed at `now` (so only one poll redeems
    /// it). A code of another client is `None` and left untouched.
    fn poll_device_code(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        device_code: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<DeviceCodeRecord>>> + Send;
    /// Sets a new polling interval after a `slow_down`.
    fn set_device_interval(
        &self,
        tenant: &TenantId,
        device_code: &SecretHash,
        interval: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}
