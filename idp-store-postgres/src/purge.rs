//! Not yet written: purge.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl Maintenance for PostgresStore {
    async fn purge_expired(
        &self,
        _tenant: &TenantId,
        _kind: Expiring,
        _before: UnixTime,
        _limit: u32,
    ) -> StoreResult<u64> {
        Err(not_yet())
    }
}
