//! The storage port. The core decides; a store only persists.
//!
//! Every method that touches tenant data takes the tenant's id first, and a
//! store must never return another tenant's rows. Race-sensitive rules are
//! single atomic methods ([`Store::take_code`], [`Store::rotate_refresh_token`])
//! so that two concurrent requests cannot both win.

mod admin;
mod maintenance;
mod records;

pub use admin::AdminStore;
pub use maintenance::{Expiring, Maintenance};
pub use records::*;

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::email::EmailAddress;
use crate::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use std::future::Future;

/// Why a store call failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A uniqueness rule was violated (slug, email, client id).
    #[error("already exists: {0}")]
    Conflict(String),
    /// The backend failed (I/O, corruption).
    #[error("storage failure: {0}")]
    Backend(String),
    /// The backend cannot be reached for now (its file is gone, no
    /// connection came free in time): the request may succeed if retried.
    #[error("storage unavailable: {0}")]
    Unavailable(String),
}

/// Result of a store call.
pub type StoreResult<T> = Result<T, StoreError>;

/// Persistence for everything the provider keeps.
pub trait Store: AdminStore + Send + Sync + 'static {
    // Tenants and keys.

    /// Creates a tenant with its first signing keys, atomically.
    fn create_tenant(
        &self,
        tenant: &TenantRecord,
        keys: &[SigningKeyRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A tenant by slug.
    fn tenant_by_slug(
        &self,
        slug: &str,
    ) -> impl Future<Output = StoreResult<Option<TenantRecord>>> + Send;
    /// Every tenant, ordered by slug.
    fn list_tenants(&self) -> impl Future<Output = StoreResult<Vec<TenantRecord>>> + Send;
    /// Adds signing keys and retires, at `retired_at`, every key that was
    /// active, atomically (key rotation).
    fn add_signing_keys(
        &self,
        tenant: &TenantId,
        keys: &[SigningKeyRecord],
        retired_at: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A tenant's signing keys, newest first.
    fn signing_keys(
        &self,
        tenant: &TenantId,
    ) -> impl Future<Output = StoreResult<Vec<SigningKeyRecord>>> + Send;

    // Clients and users.

    /// Registers a client; `Conflict` if the id exists in the tenant.
    fn create_client(
        &self,
        tenant: &TenantId,
        client: &ClientRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A client by id.
    fn client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
    ) -> impl Future<Output = StoreResult<Option<ClientRecord>>> + Send;
    /// Deletes a client; `false` if there was none. Its tokens die with it:
    /// they name a client that no longer authenticates.
    fn delete_client(
        &self,
        tenant: &TenantId,
        id: &ClientId,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Creates a user; `Conflict` if the email exists in the tenant.
    /// `user.email` is canonical ([`EmailAddress`]) and is indexed as such.
    fn create_user(
        &self,
        tenant: &TenantId,
        user: &UserRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Creates many users at once (bulk import, e.g. migrating from another
    /// provider with their argon2id PHC hashes), atomically: `Conflict` and
    /// nothing written if any id or email exists. The default calls
    /// [`Store::create_user`] per user (not atomic); a store should override
    /// it with one transaction, which is what makes a million rows cheap.
    fn create_users(
        &self,
        tenant: &TenantId,
        users: &[UserRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            for user in users {
                self.create_user(tenant, user).await?;
            }
            Ok(())
        }
    }
    /// Registers many clients at once, atomically (bulk import); see
    /// [`Store::create_users`].
    fn create_clients(
        &self,
        tenant: &TenantId,
        clients: &[ClientRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            for client in clients {
                self.create_client(tenant, client).await?;
            }
            Ok(())
        }
    }
    /// A user by id.
    fn user(
        &self,
        tenant: &TenantId,
        id: &UserId,
    ) -> impl Future<Output = StoreResult<Option<UserRecord>>> + Send;
    /// A user by the canonical form of their email: the one whose stored
    /// canonical email ([`Store::create_user`] stores `user.email`, which the
    /// core has made canonical; [`Store::index_email`] for older rows) is
    /// `email`. A row left unindexed (a collision) is never found.
    fn user_by_email(
        &self,
        tenant: &TenantId,
        email: &EmailAddress,
    ) -> impl Future<Output = StoreResult<Option<UserRecord>>> + Send;
    /// Users, in every tenant, whose email has no canonical index entry
    /// yet: rows written before emails were normalized, and rows left out
    /// because their canonical form collided with another user's. Oldest
    /// first. Empty once every row is indexed, and cheap to ask then.
    fn unindexed_emails(&self) -> impl Future<Output = StoreResult<Vec<UnindexedEmail>>> + Send;
    /// Indexes one such user under `email` (its canonical form);
    /// `Conflict` if another user of the tenant already holds it, in which
    /// case nothing changes.
    fn index_email(
        &self,
        tenant: &TenantId,
        user: &UserId,
        email: &EmailAddress,
    ) -> impl Future<Output = StoreResult<()>> + Send;

    // Sessions, interactions, consent.

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

    // Codes and tokens.

    /// Stores an authorization code.
    fn create_code(
        &self,
        tenant: &TenantId,
        code: &CodeRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Stores an authorization code and records, as [`Store::add_session_client`]
    /// does, that its client took part in its session, at `now`: what
    /// issuing a code writes, in one transaction, so a code costs one write
    /// (issue 5). The default makes the two calls; a store should override it.
    fn create_code_in_session(
        &self,
        tenant: &TenantId,
        code: &CodeRecord,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send {
        async move {
            self.create_code(tenant, code).await?;
            self.add_session_client(tenant, &code.session_id, &code.client_id, now)
                .await
        }
    }
    /// Atomically marks a code consumed at `now` and returns it, or reports
    /// that it was used before.
    fn take_code(
        &self,
        tenant: &TenantId,
        code: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<TakenCode>> + Send;
    /// Stores the first refresh token of a grant.
    fn create_refresh_token(
        &self,
        tenant: &TenantId,
        token: &RefreshTokenRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A refresh token by hash (consumed or not).
    fn refresh_token(
        &self,
        tenant: &TenantId,
        token: &SecretHash,
    ) -> impl Future<Output = StoreResult<Option<RefreshTokenRecord>>> + Send;
    /// Atomically: if `old` is neither consumed nor revoked, mark it consumed at
    /// `now` and store `new` (`Rotated`); otherwise change nothing (`Reused`).
    fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &SecretHash,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Rotation>> + Send;
    /// Revokes a grant: every refresh token of it, and (through a record kept
    /// until `keep_until`, when its last access token has expired) every
    /// access token issued from it.
    fn revoke_grant(
        &self,
        tenant: &TenantId,
        grant: &GrantId,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Records one access token as revoked until its expiry.
    fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        keep_until: UnixTime,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Whether the access token, its grant or its session was revoked.
    fn access_token_revoked(
        &self,
        tenant: &TenantId,
        token: AccessTokenRef<'_>,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// Records a client assertion's `jti` until `expires_at`; `false` if the
    /// client used it before (RFC 7523 §3 replay protection).
    fn use_client_assertion(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        jti: &str,
        expires_at: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;

    // Session control.

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

    // Front- and back-channel logout.

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

    // Device authorization (RFC 8628).

    /// Stores a device authorization; `Conflict` if the user code is taken.
    fn create_device_code(
        &self,
        tenant: &TenantId,
        record: &DeviceCodeRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A pending, unexpired device authorization by its normalized user code.
    fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<DeviceCodeRecord>>> + Send;
    /// Records the user's decision if the authorization is still pending and
    /// unexpired; `false` otherwise.
    fn decide_device_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<bool>> + Send;
    /// A device poll by `client`, atomically: returns the record as it was,
    /// sets its `last_poll_at` to `now`, and if it was approved, unconsumed
    /// and unexpired, marks it consumed at `now` (so only one poll redeems
    /// it). A code of another client is `None` and left untouched.
    fn poll_device_code(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        device_code: &SecretHash,
        now: UnixTime,
    ) -> impl Future<Output = StoreResult<Option<DeviceCodeRecord>>> + Send;
    /// Sets a new polling interval after a `slow_down`.
    fn set_device_interval(
        &self,
        tenant: &TenantId,
        device_code: &SecretHash,
        interval: i64,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}
