//! Browser sessions, the login/consent interactions that lead to them, the
//! consents users gave, and the relying parties a session took part in
//! (front- and back-channel logout).

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, SessionId, TenantId, UserId};
use crate::store::{ClientRecord, ConsentRecord, InteractionRecord, SessionRecord, StoreResult};
use std::future::Future;

/// Sessions, interactions, consent and session clients: part of [`Store`](super::Store).
pub trait SessionStore: Send + Sync {
    /// Stores a new session.
    fn create_session(
        &self,
        tenant: &TenantId,
        session: &SessionRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A session by the hash of its cookie, if not expired at `now`.
    fn session_by_secret(
        &self,
        tenant: &TenantId,
        secret: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<SessionRecord>>> + Send;
    /// A session by its public id, if not expired at `now`.
    fn session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<SessionRecord>>> + Send;
    /// Records a fresh authentication in an existing session.
    fn touch_session_auth(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        auth_time: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A user's live sessions at `now`, newest first.
    fn user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Vec<SessionRecord>>> + Send;
    /// Ends a session (logout): its cookie stops working; tokens stay as they are.
    fn end_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Revokes a session, atomically: it ends, its refresh tokens are revoked,
    /// its access tokens count as revoked, and what it authorized but was not
    /// yet redeemed (codes, approved device codes) can no longer be. `false` if there was no such
    /// live session.
    fn revoke_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Stores a pending interaction.
    fn create_interaction(
        &self,
        tenant: &TenantId,
        interaction: &InteractionRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A pending interaction by the hash of its id, if not expired at `now`.
    fn interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<InteractionRecord>>> + Send;
    /// Binds a session to an interaction after login.
    fn set_interaction_session(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        session: &SessionId,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Moves a pending interaction's expiry to `expires_at` (the page was
    /// shown: it gets the full interaction lifetime); a missing one is left alone.
    fn extend_interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        expires_at: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Deletes an interaction once it is finished.
    fn delete_interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// The consent a user gave a client.
    fn consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> impl Future<Output = StoreResult<Option<ConsentRecord>>> + Send;
    /// Creates or replaces a consent.
    fn save_consent(
        &self,
        tenant: &TenantId,
        consent: &ConsentRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records that `client` was issued a code in `session` (idempotent),
    /// so that it is told when the session ends.
    fn add_session_client(
        &self,
        tenant: &TenantId,
        session: &SessionId,
        client: &ClientId,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Atomically returns the clients recorded for `session` (those that
    /// still exist, first recorded first) and forgets them, so that each is
    /// told of the session's end once even if two ends race.
    fn take_session_clients(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> impl Future<Output = StoreResult<Vec<ClientRecord>>> + Send;
}
