//! Not yet written: sessions.

use crate::PostgresStore;
#[allow(unused_imports)]
use idp_core::store::*;
#[allow(unused_imports)]
use idp_core::{EmailAddress, clock::UnixTime, crypto::secret::SecretHash, ids::*};

fn not_yet() -> StoreError {
    StoreError::Backend("not written yet".to_owned())
}

impl SessionStore for PostgresStore {
    async fn create_session(
        &self,
        _tenant: &TenantId,
        _session: &SessionRecord,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn session_by_secret(
        &self,
        _tenant: &TenantId,
        _secret: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        Err(not_yet())
    }

    async fn session(
        &self,
        _tenant: &TenantId,
        _id: &SessionId,
        _now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        Err(not_yet())
    }

    async fn touch_session_auth(
        &self,
        _tenant: &TenantId,
        _id: &SessionId,
        _auth_time: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn user_sessions(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
        _now: UnixTime,
    ) -> StoreResult<Vec<SessionRecord>> {
        Err(not_yet())
    }

    async fn end_session(
        &self,
        _tenant: &TenantId,
        _id: &SessionId,
        _now: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn revoke_session(
        &self,
        _tenant: &TenantId,
        _id: &SessionId,
        _now: UnixTime,
    ) -> StoreResult<bool> {
        Err(not_yet())
    }

    async fn create_interaction(
        &self,
        _tenant: &TenantId,
        _interaction: &InteractionRecord,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn interaction(
        &self,
        _tenant: &TenantId,
        _id: &SecretHash,
        _now: UnixTime,
    ) -> StoreResult<Option<InteractionRecord>> {
        Err(not_yet())
    }

    async fn set_interaction_session(
        &self,
        _tenant: &TenantId,
        _id: &SecretHash,
        _session: &SessionId,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn extend_interaction(
        &self,
        _tenant: &TenantId,
        _id: &SecretHash,
        _expires_at: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn delete_interaction(&self, _tenant: &TenantId, _id: &SecretHash) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn consent(
        &self,
        _tenant: &TenantId,
        _user: &UserId,
        _client: &ClientId,
    ) -> StoreResult<Option<ConsentRecord>> {
        Err(not_yet())
    }

    async fn save_consent(&self, _tenant: &TenantId, _consent: &ConsentRecord) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn add_session_client(
        &self,
        _tenant: &TenantId,
        _session: &SessionId,
        _client: &ClientId,
        _now: UnixTime,
    ) -> StoreResult<()> {
        Err(not_yet())
    }

    async fn take_session_clients(
        &self,
        _tenant: &TenantId,
        _session: &SessionId,
    ) -> StoreResult<Vec<ClientRecord>> {
        Err(not_yet())
    }
}
