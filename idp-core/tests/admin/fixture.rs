//! A provider and its admin service on a fresh SQLite file, with a clock
//! the test moves.

use bytes::Bytes;
use idp_core::admin::{Admin, NewTenant};
use idp_core::clock::{Clock, UnixTime};
use idp_core::crypto::envelope::MasterKey;
use idp_core::{Provider, ProviderConfig};
use idp_store_sqlite::SqliteStore;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

pub const BASE: &str = "https://idp.test";

/// A clock that stands still until moved.
#[derive(Default)]
pub struct TestClock(AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> UnixTime {
        self.0.load(Ordering::SeqCst)
    }
}

impl TestClock {
    pub fn now_for_test(&self) -> UnixTime {
        self.now()
    }

    pub fn advance(&self, seconds: i64) {
        self.0.fetch_add(seconds, Ordering::SeqCst);
    }
}

pub struct Fixture {
    pub provider: Provider<SqliteStore>,
    pub admin: Admin<SqliteStore>,
    pub clock: Arc<TestClock>,
    _dir: tempfile::TempDir,
}

impl Fixture {
    /// A provider with tenant `acme`.
    pub async fn new() -> Result<Self, Box<dyn std::error::Error>> {
        let f = Self::empty().await?;
        f.admin
            .create_tenant(
                &idp_core::AuditContext::cli("test"),
                NewTenant::new("acme", "Acme"),
            )
            .await?;
        Ok(f)
    }

    /// A provider without tenants.
    pub async fn empty() -> Result<Self, Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("admin.db").to_string_lossy())?;
        let clock = Arc::new(TestClock(AtomicI64::new(1_800_000_000)));
        let key = MasterKey::from_hex(&"42".repeat(32))?;
        let provider =
            Provider::new(store, ProviderConfig::new(BASE, key)).with_clock(clock.clone());
        let admin = provider.admin();
        Ok(Self {
            provider,
            admin,
            clock,
            _dir: dir,
        })
    }

    /// POSTs a form to `{issuer of slug}{path}` with optional Basic credentials.
    pub async fn post(
        &self,
        slug: &str,
        path: &str,
        basic: Option<(&str, &str)>,
        form: &str,
    ) -> (u16, serde_json::Value) {
        let mut req = http::Request::builder()
            .method("POST")
            .uri(format!("{BASE}/t/{slug}{path}"))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            use base64::Engine;
            let creds = base64::engine::general_purpose::STANDARD.encode(format!("{id}:{secret}"));
            req = req.header("authorization", format!("Basic {creds}"));
        }
        let req = req
            .body(Bytes::from(form.to_owned()))
            .unwrap_or_else(|e| panic!("{e}"));
        let res = self.provider.handle(req).await;
        let status = res.status().as_u16();
        let body = serde_json::from_slice(res.body()).unwrap_or(serde_json::Value::Null);
        (status, body)
    }

    /// GETs `{issuer of slug}{path}`; the status.
    pub async fn get_status(&self, slug: &str, path: &str) -> u16 {
        let req = http::Request::builder()
            .uri(format!("{BASE}/t/{slug}{path}"))
            .body(Bytes::new())
            .unwrap_or_else(|e| panic!("{e}"));
        self.provider.handle(req).await.status().as_u16()
    }
}

use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{GrantId, SessionId, TenantId, UserId};
use idp_core::store::{
    AccessTokenRef, GrantStore, RefreshTokenRecord, RevocationStore, SessionRecord, SessionStore,
};

/// What a sign-in left in the store: a session (its cookie is `cookie`)
/// and a refresh token of one grant issued in it.
pub struct SignedIn {
    pub tenant: TenantId,
    pub session: SessionRecord,
    pub cookie: String,
    pub refresh: SecretHash,
    pub grant: GrantId,
}

impl Fixture {
    /// Stores a session of `user` and a refresh token issued in it that
    /// outlives it (as `offline_access` does); `expires_in` is the session's.
    pub async fn sign_in(
        &self,
        user: &UserId,
        cookie: &str,
        expires_in: i64,
    ) -> Result<SignedIn, Box<dyn std::error::Error>> {
        let tenant = self.admin.get_tenant("acme").await?.id;
        let now = self.clock.now();
        let session = SessionRecord {
            id: SessionId::generate(),
            secret_hash: SecretHash::of(cookie),
            user_id: user.clone(),
            auth_time: now,
            amr: "pwd".into(),
            created_at: now,
            expires_at: now + expires_in,
        };
        let store = self.provider.store();
        store.create_session(&tenant, &session).await?;
        let grant = GrantId::generate();
        let refresh = SecretHash::of(&format!("rt-{cookie}"));
        store
            .create_refresh_token(
                &tenant,
                &RefreshTokenRecord {
                    token_hash: refresh,
                    grant_id: grant.clone(),
                    client_id: idp_core::ids::ClientId::new("c"),
                    user_id: user.clone(),
                    session_id: session.id.clone(),
                    scope: "openid offline_access".into(),
                    claims: None,
                    auth_time: now,
                    amr: "pwd".into(),
                    issued_at: now,
                    expires_at: now + 30 * 24 * 3600,
                    consumed_at: None,
                    revoked: false,
                    resource: None,
                },
            )
            .await?;
        Ok(SignedIn {
            tenant,
            session,
            cookie: cookie.to_owned(),
            refresh,
            grant,
        })
    }

    /// Whether the session's cookie still finds it.
    pub async fn cookie_works(&self, s: &SignedIn) -> Result<bool, Box<dyn std::error::Error>> {
        let store = self.provider.store();
        Ok(store
            .session_by_secret(&s.tenant, &SecretHash::of(&s.cookie), self.clock.now())
            .await?
            .is_some())
    }

    /// Whether the refresh token is stored, unrevoked.
    pub async fn refresh_works(&self, s: &SignedIn) -> Result<bool, Box<dyn std::error::Error>> {
        let store = self.provider.store();
        Ok(store
            .refresh_token(&s.tenant, &s.refresh)
            .await?
            .is_some_and(|r| !r.revoked))
    }

    /// Whether an access token of the session's grant counts as revoked.
    pub async fn access_revoked(&self, s: &SignedIn) -> Result<bool, Box<dyn std::error::Error>> {
        let store = self.provider.store();
        Ok(store
            .access_token_revoked(
                &s.tenant,
                AccessTokenRef {
                    jti: "jti",
                    grant_id: Some(&s.grant),
                    session_id: Some(&s.session.id),
                },
            )
            .await?)
    }
}
