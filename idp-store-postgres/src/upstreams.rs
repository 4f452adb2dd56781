//! [`UpstreamStore`]: upstreams, linked identities and flights (issue 19).
//! Placeholder until the tables land: every call fails.

use crate::PostgresStore;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{TenantId, UpstreamId, UserId};
use idp_core::store::{
    LinkedIdentityRecord, StoreError, StoreResult, UpstreamFlightRecord, UpstreamRecord,
    UpstreamStore,
};

fn not_yet<T>() -> StoreResult<T> {
    Err(StoreError::Backend("upstreams are not stored yet".into()))
}

impl UpstreamStore for PostgresStore {
    async fn upstreams_page(
        &self,
        _tenant: &TenantId,
        _after: Option<&UpstreamId>,
        _limit: usize,
    ) -> StoreResult<Vec<UpstreamRecord>> {
        not_yet()
    }

    async fn upstream(
        &self,
        _tenant: &TenantId,
        _id: &UpstreamId,
    ) -> StoreResult<Option<UpstreamRecord>> {
        not_yet()
    }

    async fn linked_identity(
        &self,
        _tenant: &TenantId,
        _upstream: &UpstreamId,
        _subject: &str,
    ) -> StoreResult<Option<LinkedIdentityRecord>> {
        not_yet()
    }

    async fn identities_of_user(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
    ) -> StoreResult<Vec<LinkedIdentityRecord>> {
        not_yet()
    }

    async fn touch_identity(
        &self,
        _tenant: &TenantId,
        _upstream: &UpstreamId,
        _subject: &str,
        _email: Option<&str>,
        _at: UnixTime,
    ) -> StoreResult<bool> {
        not_yet()
    }

    async fn put_flight(
        &self,
        _tenant: &TenantId,
        _flight: &UpstreamFlightRecord,
    ) -> StoreResult<()> {
        not_yet()
    }

    async fn take_flight(
        &self,
        _tenant: &TenantId,
        _state_hash: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<Option<UpstreamFlightRecord>> {
        not_yet()
    }
}
