//! Not yet written: deliveries.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl DeliveryStore for PostgresStore {
    async fn enqueue_delivery(
        &self,
        _tenant: &TenantId,
        _delivery: &PendingDelivery,
        _limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        Err(not_yet())
    }

    async fn claim_deliveries(
        &self,
        _tenant: &TenantId,
        _now: UnixTime,
        _lease_until: UnixTime,
        _limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        Err(not_yet())
    }

    async fn reschedule_delivery(
        &self,
        _tenant: &TenantId,
        _id: &str,
        _attempts: u32,
        _next_attempt_at: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn remove_delivery(
        &self,
        _tenant: &TenantId,
        _id: &str,
        _attempts: u32,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }
}
