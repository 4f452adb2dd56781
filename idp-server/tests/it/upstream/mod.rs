//! Upstream login (issue 19): the provider as the relying party of a
//! tenant's upstreams (GitHub, Google, Microsoft, any OpenID Provider), the
//! sign-in round trip and account linking.

mod browser;
mod failures;
mod flow;
mod flow_failures;
mod kinds;
mod linking;
mod relying_party;
mod upstream_only;

use crate::support::*;
use idp_core::audit::AuditAction;
use idp_core::crypto::envelope::MasterKey;
use idp_core::ids::UpstreamId;
use idp_core::store::{AdminChange, AuditEvent, AuditStore, TenantStore, UpstreamRecord};
use idp_core::upstream::UpstreamKind;
pub use openidconnect::core::CoreJwsSigningAlgorithm;
pub use reqwest::StatusCode;

/// Tenants sign ID tokens with RS256 by default.
pub const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

/// How an upstream of tenant A is made in these tests.
pub struct UpstreamSpec {
    pub id: &'static str,
    pub name: &'static str,
    pub issuer: String,
    pub client_id: String,
    pub client_secret: String,
    pub signup: bool,
    pub auto_link: bool,
}

/// Stores an `oidc` upstream of tenant `slug` through the store (sealed
/// secret, audited change), as the admin service will.
pub async fn create_upstream(server: &TestServer, slug: &str, spec: &UpstreamSpec) {
    create_upstream_of(&server.database_url, slug, UpstreamKind::Oidc, spec).await;
}

/// Stores an upstream of `kind` of tenant `slug` in the SQLite database
/// `database_url` (a [`TestServer`]'s or a [`ServerProcess`]'s) through the
/// store: sealed secret, audited change.
pub async fn create_upstream_of(
    database_url: &str,
    slug: &str,
    kind: UpstreamKind,
    spec: &UpstreamSpec,
) {
    let store = idp_store_sqlite::SqliteStore::open(database_url).expect("open the store");
    let tenant = store
        .tenant_by_slug(slug)
        .await
        .expect("read the tenant")
        .expect("the tenant exists");
    let key = MasterKey::from_hex(KEY_HEX)
        .expect("key")
        .unwrap(&tenant.wrapped_data_key, tenant.id.as_str())
        .expect("data key");
    let id = UpstreamId::new(spec.id);
    let sealed =
        idp_core::upstream::secret::seal(&key, &tenant.id, &id, &spec.client_secret).expect("seal");
    let record = UpstreamRecord {
        id,
        kind,
        name: spec.name.to_owned(),
        issuer: Some(spec.issuer.clone()),
        client_id: spec.client_id.clone(),
        sealed_client_secret: sealed,
        signup: spec.signup,
        auto_link: spec.auto_link,
        created_at: 1,
        updated_at: 1,
    };
    let event = AuditEvent {
        id: 0,
        time: 1,
        actor_kind: "cli".into(),
        actor_id: "test".into(),
        actor_name: String::new(),
        action: AuditAction::UpstreamCreate.as_str().into(),
        tenant: Some(slug.to_owned()),
        tenant_id: Some(tenant.id.clone()),
        target_kind: "upstream".into(),
        target_id: spec.id.into(),
        address: None,
        request_id: None,
        changes: "{}".into(),
    };
    store
        .apply_audited(
            AdminChange::CreateUpstream {
                tenant: &tenant.id,
                upstream: &record,
            },
            &event,
        )
        .await
        .expect("the upstream is stored");
}

/// Tenant A (`acme`, the relying party's provider, with alice) and tenant
/// B (`beta`, a real OpenID Provider acting as A's `oidc` upstream, with a
/// client whose redirect URI is A's callback).
pub struct World {
    pub env: Env,
    pub beta: Tenant,
    pub beta_client: RegisteredClient,
    pub rp: Rp,
}

pub const UPSTREAM: &str = "beta-oidc";

impl World {
    pub async fn new(signup: bool, auto_link: bool) -> Self {
        let env = Env::new().await;
        let beta = env.server.create_tenant("beta");
        let callback = format!("{}/upstream/{UPSTREAM}/callback", env.tenant.issuer);
        let beta_client = env.server.create_client(
            "beta",
            &ClientSpec {
                redirect_uris: vec![callback],
                ..ClientSpec::confidential("acme login")
            },
        );
        create_upstream(
            &env.server,
            "acme",
            &UpstreamSpec {
                id: UPSTREAM,
                name: "Beta",
                issuer: beta.issuer.clone(),
                client_id: beta_client.client_id.clone(),
                client_secret: beta_client.client_secret.clone().expect("a secret"),
                signup,
                auto_link,
            },
        )
        .await;
        let rp = env.rp(&env.client).await;
        Self {
            env,
            beta,
            beta_client,
            rp,
        }
    }

    /// A user of tenant B (the identity the upstream asserts).
    pub fn beta_user(&self, email: &str) -> User {
        self.env
            .server
            .create_user("beta", email, "Bea Upstream", PASSWORD)
    }

    /// From tenant A's login page `page`, "Continue with Beta": signs in at
    /// B as `at_beta` and returns A's answer to the callback.
    pub async fn continue_with_beta(&self, browser: &Browser, page: &Resp, at_beta: &User) -> Resp {
        let form = page
            .form_with(&format!("value=\"{UPSTREAM}\""))
            .unwrap_or_else(|| panic!("no Continue with Beta: {}", page.body));
        assert!(page.body.contains("Continue with Beta"), "{}", page.body);
        let to_beta = browser.submit(&form, &[]).await;
        assert_eq!(to_beta.status, StatusCode::SEE_OTHER, "{}", to_beta.body);
        let at_b = to_beta.redirect();
        assert!(at_b.as_str().starts_with(&self.beta.issuer), "{at_b}");
        let callback = self.walk_beta(browser, at_b.as_str(), at_beta).await;
        browser.get(&callback).await
    }

    /// Walks tenant B's pages (login, consent) from `url` until B sends
    /// the browser back to A's callback: that URL.
    pub async fn walk_beta(&self, browser: &Browser, url: &str, at_beta: &User) -> String {
        let callback = format!("{}/upstream/{UPSTREAM}/callback", self.env.tenant.issuer);
        let (cb, _) = browser.authorize(url, &callback, at_beta).await;
        cb.url.to_string()
    }
}
