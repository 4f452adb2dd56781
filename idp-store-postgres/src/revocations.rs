//! Not yet written: revocations.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl RevocationStore for PostgresStore {
    async fn revoke_grant(
        &self,
        _tenant: &TenantId,
        _grant: &GrantId,
        _keep_until: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn revoke_access_token(
        &self,
        _tenant: &TenantId,
        _jti: &str,
        _keep_until: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn access_token_revoked(
        &self,
        _tenant: &TenantId,
        _token: AccessTokenRef<'_>,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn use_client_assertion(
        &self,
        _tenant: &TenantId,
        _client: &ClientId,
        _jti: &str,
        _expires_at: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }
}
