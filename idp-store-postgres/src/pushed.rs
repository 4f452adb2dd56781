//! Not yet written: pushed.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl PushedRequestStore for PostgresStore {
    async fn create_pushed_request(
        &self,
        _tenant: &TenantId,
        _request: &PushedRequestRecord,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn take_pushed_request(
        &self,
        _tenant: &TenantId,
        _hash: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        Err(not_yet())
    }
}
