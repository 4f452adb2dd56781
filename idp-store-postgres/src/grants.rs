//! Not yet written: grants.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl GrantStore for PostgresStore {
    async fn create_code(
        &self,
        _tenant: &TenantId,
        _code: &CodeRecord,
        _now: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn take_code(
        &self,
        _tenant: &TenantId,
        _code: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<TakenCode> {
        Err(not_yet())
    }

    async fn create_refresh_token(
        &self,
        _tenant: &TenantId,
        _token: &RefreshTokenRecord,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn refresh_token(
        &self,
        _tenant: &TenantId,
        _token: &SecretHash,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        Err(not_yet())
    }

    async fn rotate_refresh_token(
        &self,
        _tenant: &TenantId,
        _old: &SecretHash,
        _new: &RefreshTokenRecord,
        _now: UnixTime,
    ) -> StoreResult<Rotation> {
        Err(not_yet())
    }
}
