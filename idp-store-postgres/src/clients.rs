//! Not yet written: clients.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl ClientStore for PostgresStore {
    async fn create_client(&self, _tenant: &TenantId, _client: &ClientRecord) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn create_clients(
        &self,
        _tenant: &TenantId,
        _clients: &[ClientRecord],
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn client(
        &self,
        _tenant: &TenantId,
        _id: &ClientId,
    ) -> StoreResult<Option<ClientRecord>> {
        Err(not_yet())
    }

    async fn web_origin_sources(&self, _tenant: &TenantId) -> StoreResult<Vec<String>> {
        Err(not_yet())
    }

    async fn delete_client(&self, _tenant: &TenantId, _id: &ClientId) -> StoreResult<bool> {
        Err(not_yet())
    }
}
