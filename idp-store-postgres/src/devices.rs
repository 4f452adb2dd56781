//! Not yet written: devices.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl DeviceStore for PostgresStore {
    async fn create_device_code(
        &self,
        _tenant: &TenantId,
        _record: &DeviceCodeRecord,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn device_code_by_user_code(
        &self,
        _tenant: &TenantId,
        _user_code: &str,
        _now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        Err(not_yet())
    }

    async fn decide_device_code(
        &self,
        _tenant: &TenantId,
        _user_code: &str,
        _decision: &DeviceDecision,
        _now: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn poll_device_code(
        &self,
        _tenant: &TenantId,
        _client: &ClientId,
        _device_code: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        Err(not_yet())
    }

    async fn set_device_interval(
        &self,
        _tenant: &TenantId,
        _device_code: &SecretHash,
        _interval: i64,
    ) -> StoreResult<()> {
        Err(not_yet())
    }
}
