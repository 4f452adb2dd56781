//! Not yet written: admin.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl AdminStore for PostgresStore {
    async fn tenants_page(
        &self,
        _after: Option<&str>,
        _limit: usize,
    ) -> StoreResult<Vec<TenantRecord>> {
        Err(not_yet())
    }

    async fn update_tenant(&self, _tenant: &TenantRecord) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn delete_tenant(&self, _tenant: &TenantId) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn clients_page(
        &self,
        _tenant: &TenantId,
        _after: Option<&ClientId>,
        _limit: usize,
    ) -> StoreResult<Vec<ClientRecord>> {
        Err(not_yet())
    }

    async fn update_client(&self, _tenant: &TenantId, _client: &ClientRecord) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn remove_client(
        &self,
        _tenant: &TenantId,
        _id: &ClientId,
        _keep_until: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn users_page(
        &self,
        _tenant: &TenantId,
        _after: Option<&UserId>,
        _limit: usize,
    ) -> StoreResult<Vec<UserRecord>> {
        Err(not_yet())
    }

    async fn update_user(&self, _tenant: &TenantId, _user: &UserRecord) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn revoke_user(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
        _now: UnixTime,
        _keep_until: UnixTime,
    ) -> StoreResult<u64> {
        Err(not_yet())
    }

    async fn delete_user(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
        _now: UnixTime,
        _keep_until: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }
}
