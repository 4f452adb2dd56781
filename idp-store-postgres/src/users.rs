//! Not yet written: users.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl UserStore for PostgresStore {
    async fn create_user(&self, _tenant: &TenantId, _user: &UserRecord) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn create_users(&self, _tenant: &TenantId, _users: &[UserRecord]) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn user(&self, _tenant: &TenantId, _id: &UserId) -> StoreResult<Option<UserRecord>> {
        Err(not_yet())
    }

    async fn user_by_email(
        &self,
        _tenant: &TenantId,
        _email: &EmailAddress,
    ) -> StoreResult<Option<UserRecord>> {
        Err(not_yet())
    }

    async fn unindexed_emails(&self) -> StoreResult<Vec<UnindexedEmail>> {
        Err(not_yet())
    }

    async fn index_email(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
        _email: &EmailAddress,
    ) -> StoreResult<()> {
        Err(not_yet())
    }
}
