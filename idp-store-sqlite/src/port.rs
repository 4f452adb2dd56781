//! The parts of [`Store`](idp_core::store::Store) for [`SqliteStore`], one
//! impl block per part (the `Maintenance` part is in `purge`): each method
//! copies its arguments and runs the SQL of its area module on a blocking
//! thread.

use crate::{
    SqliteStore, clients, deliveries, devices, grants, pushed, session_clients, sessions, tenants,
    users,
};
use idp_core::EmailAddress;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{
    AccessTokenRef, ClientRecord, ClientStore, CodeRecord, ConsentRecord, DeliveryStore,
    DeviceCodeRecord, DeviceDecision, DeviceStore, GrantStore, InteractionRecord, KeyStore,
    PendingDelivery, PushedRequestRecord, PushedRequestStore, RefreshTokenRecord, RevocationStore,
    Rotation, SessionRecord, SessionStore, SigningKeyRecord, StoreResult, TakenCode, TenantRecord,
    TenantStore, UnindexedEmail, UserRecord, UserStore,
};

impl TenantStore for SqliteStore {
    async fn create_tenant(
        &self,
        tenant: &TenantRecord,
        keys: &[SigningKeyRecord],
    ) -> StoreResult<()> {
        let (tenant, keys) = (tenant.clone(), keys.to_vec());
        self.run(move |c| tenants::create(c, &tenant, &keys)).await
    }

    async fn tenant_by_slug(&self, slug: &str) -> StoreResult<Option<TenantRecord>> {
        let slug = slug.to_owned();
        self.run(move |c| tenants::by_slug(c, &slug)).await
    }

    async fn list_tenants(&self) -> StoreResult<Vec<TenantRecord>> {
        self.run(|c| tenants::list(c)).await
    }
}

impl KeyStore for SqliteStore {
    async fn signing_keys(&self, tenant: &TenantId) -> StoreResult<Vec<SigningKeyRecord>> {
        let tenant = tenant.clone();
        self.run(move |c| tenants::signing_keys(c, &tenant)).await
    }

    async fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_active: &[String],
        keys: &[SigningKeyRecord],
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, expected, keys) = (tenant.clone(), expected_active.to_vec(), keys.to_vec());
        self.run(move |c| tenants::replace_signing_keys(c, &tenant, &expected, &keys, now))
            .await
    }

    async fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| tenants::delete_retired_keys(c, &tenant, retired_before))
            .await
    }
}

impl ClientStore for SqliteStore {
    async fn create_client(&self, tenant: &TenantId, client: &ClientRecord) -> StoreResult<()> {
        let (tenant, client) = (tenant.clone(), client.clone());
        self.run(move |c| clients::create(c, &tenant, &client))
            .await
    }

    async fn create_clients(&self, tenant: &TenantId, clients: &[ClientRecord]) -> StoreResult<()> {
        let (tenant, clients) = (tenant.clone(), clients.to_vec());
        self.run(move |c| {
            let tx = c.transaction()?;
            for client in &clients {
                clients::create(&tx, &tenant, client)?;
            }
            tx.commit()
        })
        .await
    }

    async fn client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<Option<ClientRecord>> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| clients::get(c, &tenant, &id)).await
    }

    async fn web_origin_sources(&self, tenant: &TenantId) -> StoreResult<Vec<String>> {
        let tenant = tenant.clone();
        self.run(move |c| clients::web_origin_sources(c, &tenant))
            .await
    }

    async fn delete_client(&self, tenant: &TenantId, id: &ClientId) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| clients::delete(c, &tenant, &id)).await
    }
}

impl UserStore for SqliteStore {
    async fn create_user(&self, tenant: &TenantId, user: &UserRecord) -> StoreResult<()> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| users::create(c, &tenant, &user)).await
    }

    async fn create_users(&self, tenant: &TenantId, users: &[UserRecord]) -> StoreResult<()> {
        let (tenant, users) = (tenant.clone(), users.to_vec());
        self.run(move |c| {
            let tx = c.transaction()?;
            for user in &users {
                users::create(&tx, &tenant, user)?;
            }
            tx.commit()
        })
        .await
    }

    async fn user(&self, tenant: &TenantId, id: &UserId) -> StoreResult<Option<UserRecord>> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| users::by_id(c, &tenant, &id)).await
    }

    async fn user_by_email(
        &self,
        tenant: &TenantId,
        email: &EmailAddress,
    ) -> StoreResult<Option<UserRecord>> {
        let (tenant, email) = (tenant.clone(), email.clone());
        self.run(move |c| users::by_email(c, &tenant, &email)).await
    }

    async fn unindexed_emails(&self) -> StoreResult<Vec<UnindexedEmail>> {
        self.run(|c| users::unindexed(c)).await
    }

    async fn index_email(
        &self,
        tenant: &TenantId,
        user: &UserId,
        email: &EmailAddress,
    ) -> StoreResult<()> {
        let (tenant, user, email) = (tenant.clone(), user.clone(), email.clone());
        self.run(move |c| users::index(c, &tenant, &user, &email))
            .await
    }
}

impl SessionStore for SqliteStore {
    async fn create_session(&self, tenant: &TenantId, session: &SessionRecord) -> StoreResult<()> {
        let (tenant, session) = (tenant.clone(), session.clone());
        self.run(move |c| sessions::create_session(c, &tenant, &session))
            .await
    }

    async fn session_by_secret(
        &self,
        tenant: &TenantId,
        secret: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let (tenant, secret) = (tenant.clone(), *secret);
        self.run(move |c| sessions::session_by_secret(c, &tenant, &secret, now))
            .await
    }

    async fn session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<Option<SessionRecord>> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| sessions::session(c, &tenant, &id, now))
            .await
    }

    async fn touch_session_auth(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        auth_time: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| sessions::touch_auth(c, &tenant, &id, auth_time))
            .await
    }

    async fn user_sessions(
        &self,
        tenant: &TenantId,
        user: &UserId,
        now: UnixTime,
    ) -> StoreResult<Vec<SessionRecord>> {
        let (tenant, user) = (tenant.clone(), user.clone());
        self.run(move |c| sessions::user_sessions(c, &tenant, &user, now))
            .await
    }

    async fn end_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| sessions::end_session(c, &tenant, &id, now))
            .await
    }

    async fn revoke_session(
        &self,
        tenant: &TenantId,
        id: &SessionId,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.clone());
        self.run(move |c| sessions::revoke_session(c, &tenant, &id, now))
            .await
    }

    async fn create_interaction(
        &self,
        tenant: &TenantId,
        interaction: &InteractionRecord,
    ) -> StoreResult<()> {
        let (tenant, interaction) = (tenant.clone(), interaction.clone());
        self.run(move |c| sessions::create_interaction(c, &tenant, &interaction))
            .await
    }

    async fn interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<InteractionRecord>> {
        let (tenant, id) = (tenant.clone(), *id);
        self.run(move |c| sessions::interaction(c, &tenant, &id, now))
            .await
    }

    async fn set_interaction_session(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        session: &SessionId,
    ) -> StoreResult<()> {
        let (tenant, id, session) = (tenant.clone(), *id, session.clone());
        self.run(move |c| sessions::set_interaction_session(c, &tenant, &id, &session))
            .await
    }

    async fn extend_interaction(
        &self,
        tenant: &TenantId,
        id: &SecretHash,
        expires_at: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, id) = (tenant.clone(), *id);
        self.run(move |c| sessions::extend_interaction(c, &tenant, &id, expires_at))
            .await
    }

    async fn delete_interaction(&self, tenant: &TenantId, id: &SecretHash) -> StoreResult<()> {
        let (tenant, id) = (tenant.clone(), *id);
        self.run(move |c| sessions::delete_interaction(c, &tenant, &id))
            .await
    }

    async fn consent(
        &self,
        tenant: &TenantId,
        user: &UserId,
        client: &ClientId,
    ) -> StoreResult<Option<ConsentRecord>> {
        let (tenant, user, client) = (tenant.clone(), user.clone(), client.clone());
        self.run(move |c| sessions::consent(c, &tenant, &user, &client))
            .await
    }

    async fn save_consent(&self, tenant: &TenantId, consent: &ConsentRecord) -> StoreResult<()> {
        let (tenant, consent) = (tenant.clone(), consent.clone());
        self.run(move |c| sessions::save_consent(c, &tenant, &consent))
            .await
    }

    async fn add_session_client(
        &self,
        tenant: &TenantId,
        session: &SessionId,
        client: &ClientId,
        now: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, session, client) = (tenant.clone(), session.clone(), client.clone());
        self.run(move |c| session_clients::add(c, &tenant, &session, &client, now))
            .await
    }

    async fn take_session_clients(
        &self,
        tenant: &TenantId,
        session: &SessionId,
    ) -> StoreResult<Vec<ClientRecord>> {
        let (tenant, session) = (tenant.clone(), session.clone());
        self.run(move |c| session_clients::take(c, &tenant, &session))
            .await
    }
}

impl GrantStore for SqliteStore {
    async fn create_code(
        &self,
        tenant: &TenantId,
        code: &CodeRecord,
        now: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, code) = (tenant.clone(), code.clone());
        self.run(move |c| {
            let tx = c.transaction()?;
            grants::create_code(&tx, &tenant, &code)?;
            session_clients::add(&tx, &tenant, &code.session_id, &code.client_id, now)?;
            tx.commit()
        })
        .await
    }

    async fn take_code(
        &self,
        tenant: &TenantId,
        code: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<TakenCode> {
        let (tenant, code) = (tenant.clone(), *code);
        self.run(move |c| grants::take_code(c, &tenant, &code, now))
            .await
    }

    async fn create_refresh_token(
        &self,
        tenant: &TenantId,
        token: &RefreshTokenRecord,
    ) -> StoreResult<()> {
        let (tenant, token) = (tenant.clone(), token.clone());
        self.run(move |c| grants::create_refresh_token(c, &tenant, &token))
            .await
    }

    async fn refresh_token(
        &self,
        tenant: &TenantId,
        token: &SecretHash,
    ) -> StoreResult<Option<RefreshTokenRecord>> {
        let (tenant, token) = (tenant.clone(), *token);
        self.run(move |c| grants::refresh_token(c, &tenant, &token))
            .await
    }

    async fn rotate_refresh_token(
        &self,
        tenant: &TenantId,
        old: &SecretHash,
        new: &RefreshTokenRecord,
        now: UnixTime,
    ) -> StoreResult<Rotation> {
        let (tenant, old, new) = (tenant.clone(), *old, new.clone());
        self.run(move |c| grants::rotate_refresh_token(c, &tenant, &old, &new, now))
            .await
    }
}

impl PushedRequestStore for SqliteStore {
    async fn create_pushed_request(
        &self,
        tenant: &TenantId,
        request: &PushedRequestRecord,
    ) -> StoreResult<()> {
        let (tenant, request) = (tenant.clone(), request.clone());
        self.run(move |c| pushed::create(c, &tenant, &request))
            .await
    }

    async fn take_pushed_request(
        &self,
        tenant: &TenantId,
        hash: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<PushedRequestRecord>> {
        let (tenant, hash) = (tenant.clone(), *hash);
        self.run(move |c| pushed::take(c, &tenant, &hash, now))
            .await
    }
}

impl RevocationStore for SqliteStore {
    async fn revoke_grant(
        &self,
        tenant: &TenantId,
        grant: &GrantId,
        keep_until: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, grant) = (tenant.clone(), grant.clone());
        self.run(move |c| grants::revoke_grant(c, &tenant, &grant, keep_until))
            .await
    }

    async fn revoke_access_token(
        &self,
        tenant: &TenantId,
        jti: &str,
        keep_until: UnixTime,
    ) -> StoreResult<()> {
        let (tenant, jti) = (tenant.clone(), jti.to_owned());
        self.run(move |c| grants::revoke_access_token(c, &tenant, &jti, keep_until))
            .await
    }

    async fn access_token_revoked(
        &self,
        tenant: &TenantId,
        token: AccessTokenRef<'_>,
    ) -> StoreResult<bool> {
        let tenant = tenant.clone();
        let jti = token.jti.to_owned();
        let grant = token.grant_id.map(|g| g.as_str().to_owned());
        let session = token.session_id.map(|s| s.as_str().to_owned());
        self.run(move |c| {
            grants::access_token_revoked(c, &tenant, &jti, grant.as_deref(), session.as_deref())
        })
        .await
    }

    async fn use_client_assertion(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        jti: &str,
        expires_at: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, client, jti) = (tenant.clone(), client.clone(), jti.to_owned());
        self.run(move |c| grants::use_client_assertion(c, &tenant, &client, &jti, expires_at))
            .await
    }
}

impl DeviceStore for SqliteStore {
    async fn create_device_code(
        &self,
        tenant: &TenantId,
        record: &DeviceCodeRecord,
    ) -> StoreResult<()> {
        let (tenant, record) = (tenant.clone(), record.clone());
        self.run(move |c| devices::create(c, &tenant, &record))
            .await
    }

    async fn device_code_by_user_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        let (tenant, code) = (tenant.clone(), user_code.to_owned());
        self.run(move |c| devices::by_user_code(c, &tenant, &code, now))
            .await
    }

    async fn decide_device_code(
        &self,
        tenant: &TenantId,
        user_code: &str,
        decision: &DeviceDecision,
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, code, decision) = (tenant.clone(), user_code.to_owned(), decision.clone());
        self.run(move |c| devices::decide(c, &tenant, &code, &decision, now))
            .await
    }

    async fn poll_device_code(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        device_code: &SecretHash,
        now: UnixTime,
    ) -> StoreResult<Option<DeviceCodeRecord>> {
        let (tenant, client, hash) = (tenant.clone(), client.clone(), *device_code);
        self.run(move |c| devices::poll(c, &tenant, &client, &hash, now))
            .await
    }

    async fn set_device_interval(
        &self,
        tenant: &TenantId,
        device_code: &SecretHash,
        interval: i64,
    ) -> StoreResult<()> {
        let (tenant, hash) = (tenant.clone(), *device_code);
        self.run(move |c| devices::set_interval(c, &tenant, &hash, interval))
            .await
    }
}

impl DeliveryStore for SqliteStore {
    async fn enqueue_delivery(
        &self,
        tenant: &TenantId,
        delivery: &PendingDelivery,
        limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        let (tenant, delivery) = (tenant.clone(), delivery.clone());
        self.run(move |c| deliveries::enqueue(c, &tenant, &delivery, limit))
            .await
    }

    async fn claim_deliveries(
        &self,
        tenant: &TenantId,
        now: UnixTime,
        lease_until: UnixTime,
        limit: u32,
    ) -> StoreResult<Vec<PendingDelivery>> {
        let tenant = tenant.clone();
        self.run(move |c| deliveries::claim(c, &tenant, now, lease_until, limit))
            .await
    }

    async fn reschedule_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
        next_attempt_at: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.run(move |c| deliveries::reschedule(c, &tenant, &id, attempts, next_attempt_at))
            .await
    }

    async fn remove_delivery(
        &self,
        tenant: &TenantId,
        id: &str,
        attempts: u32,
    ) -> StoreResult<bool> {
        let (tenant, id) = (tenant.clone(), id.to_owned());
        self.run(move |c| deliveries::remove(c, &tenant, &id, attempts))
            .await
    }
}
