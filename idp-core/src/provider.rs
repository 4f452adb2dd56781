//! [`Provider`]: the entry point an embedding service holds. It routes the
//! per-tenant protocol endpoints and caches each tenant's parsed keys and,
//! briefly, client records (`crate::client::cache`).

use crate::clock::{Clock, SystemClock, UnixTime};
use crate::crypto::envelope::MasterKey;
use crate::device::guard::AttemptGuard;
use crate::error::{AdminError, OAuthError};
use crate::store::Store;
use crate::tenant::TenantContext;
use crate::wire;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};

/// Lifetimes of what the provider issues, in seconds.
#[derive(Clone, Debug)]
pub struct Lifetimes {
    /// Authorization codes (RFC 6749 §4.1.2 recommends at most 10 minutes).
    pub code: i64,
    /// Access tokens.
    pub access_token: i64,
    /// ID tokens.
    pub id_token: i64,
    /// Refresh tokens, from their issue.
    pub refresh_token: i64,
    /// Login sessions, absolute.
    pub session: i64,
    /// A pending login or consent page, once its page has been shown.
    pub interaction: i64,
    /// A pending login or consent page nobody has opened yet: most
    /// authorization requests that go unanswered this long were never
    /// meant for a person (the first showing of the page extends the
    /// interaction to `interaction`, counted from its start). Capped at
    /// `interaction`.
    pub pending_interaction: i64,
    /// Device codes (RFC 8628 §3.2 `expires_in`).
    pub device_code: i64,
    /// Minimum seconds between device polls (RFC 8628 §3.2 `interval`).
    pub device_poll_interval: i64,
    /// How long a tenant's settings and keys are cached before being read
    /// again (how soon a server sees keys rotated by another process).
    pub tenant_cache: i64,
    /// How long a rotation's new signing keys are published (in the JWKS)
    /// before they sign, so that other processes (within `tenant_cache`)
    /// and relying parties that cache the JWKS learn them first (ADR 0024).
    /// 0 activates new keys at once. A tenant's first keys are always
    /// active at once.
    pub key_publication: i64,
    /// How long a client record is cached before being read again (how
    /// soon a server sees a client deleted or changed by another process,
    /// e.g. the CLI); 0 reads the store on every request. Writes through
    /// this provider take effect at once (ADR 0018).
    pub client_cache: i64,
}

impl Default for Lifetimes {
    fn default() -> Self {
        Self {
            code: 60,
            access_token: 3600,
            id_token: 3600,
            refresh_token: 30 * 24 * 3600,
            session: 14 * 24 * 3600,
            interaction: 30 * 60,
            pending_interaction: 5 * 60,
            device_code: 10 * 60,
            device_poll_interval: 5,
            tenant_cache: 60,
            key_publication: DEFAULT_KEY_PUBLICATION,
            client_cache: 5,
        }
    }
}

/// The default of [`Lifetimes::key_publication`], one hour: more than the
/// JWKS's own `max-age` (300 s) plus the tenant cache (60 s), and more than
/// the common relying-party JWKS caches (5 to 10 minutes), with room to
/// spare (ADR 0024).
pub const DEFAULT_KEY_PUBLICATION: i64 = 3600;

/// Runs blocking work (password hashing) somewhere other than the async
/// executor. The server passes tokio's `spawn_blocking`; the default runs inline.
pub type Offload =
    Arc<dyn Fn(Box<dyn FnOnce() + Send>) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync>;

/// Fetches a URL the provider must read (a client's `jwks_uri`): given the
/// URL, the response body of a 200. The embedding application supplies it
/// (the core has no HTTP client); without one, `jwks_uri` is refused. It
/// must enforce [`ProviderConfig::outbound`] on every address it connects
/// to (ADR 0019; idp-server's `OutboundClient` does), and its error text is
/// only logged, so it may name the cause but not the URL's query.
pub type Fetch = Arc<
    dyn Fn(String) -> Pin<Box<dyn Future<Output = Result<Bytes, String>> + Send>> + Send + Sync,
>;

/// POSTs a form to a URL (a client's `backchannel_logout_uri`): given the
/// URL and the form's name/value pairs, the response status. The embedding
/// application supplies it, bounds its time and enforces
/// [`ProviderConfig::outbound`] like [`Fetch`] (the core has no HTTP client
/// and no timer); without one, back-channel logout notices are skipped.
pub type Deliver = Arc<
    dyn Fn(
            String,
            Vec<(String, String)>,
        ) -> Pin<Box<dyn Future<Output = Result<u16, String>> + Send>>
        + Send
        + Sync,
>;

/// The default of [`ProviderConfig::pending_interactions_per_requester`]:
/// more sign-ins than one address (a household, an office behind one NAT)
/// leaves open at once, and small enough that one address can occupy at
/// most 50 × 16 KiB of storage.
pub const DEFAULT_PENDING_INTERACTIONS: u32 = 50;

/// How the provider is set up. The embedding application builds it (the
/// core never reads the environment).
#[derive(Clone)]
pub struct ProviderConfig {
    /// Public base URL, e.g. `https://login.example.com`; issuers are
    /// `{base_url}/t/{slug}`. No trailing slash.
    pub base_url: String,
    /// Master key wrapping the tenants' data keys.
    pub master_key: MasterKey,
    /// Lifetimes.
    pub lifetimes: Lifetimes,
    /// Where requests the provider makes itself may go ([`crate::outbound`]);
    /// checked on clients' URIs at registration. Default: https only, no
    /// internal address.
    pub outbound: crate::outbound::OutboundPolicy,
    /// Which redirect URIs clients may register (`crate::client::uri_policy`).
    pub uri_policy: crate::client::uri_policy::UriPolicy,
    /// Pending interactions one requester may hold at once (see
    /// [`crate::authorize::pending`]); 0 for no cap.
    pub pending_interactions_per_requester: u32,
}

impl ProviderConfig {
    /// A configuration with default lifetimes.
    pub fn new(base_url: &str, master_key: MasterKey) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            master_key,
            lifetimes: Lifetimes::default(),
            outbound: Default::default(),
            uri_policy: Default::default(),
            pending_interactions_per_requester: DEFAULT_PENDING_INTERACTIONS,
        }
    }

    /// Whether cookies must be `Secure` (the base URL is https).
    pub fn secure_cookies(&self) -> bool {
        self.base_url.starts_with("https://")
    }

    /// The path part of the base URL ("" at the root).
    pub fn base_path(&self) -> &str {
        let after_scheme = self.base_url.split_once("://").map_or("", |(_, rest)| rest);
        after_scheme.find('/').map_or("", |i| &after_scheme[i..])
    }
}

/// The OpenID Provider: all tenants, one store.
pub struct Provider<S: Store> {
    pub(crate) store: S,
    pub(crate) config: ProviderConfig,
    pub(crate) clock: Arc<dyn Clock>,
    offload: Offload,
    pub(crate) fetch: Option<Fetch>,
    pub(crate) deliver: Option<Deliver>,
    pub(crate) device_guard: AttemptGuard,
    /// Clients' `jwks_uri` documents, parsed (see [`crate::client::jwks_cache`]).
    pub(crate) jwks_cache: crate::client::jwks_cache::JwksCache,
    /// Tenants by slug, with when they were loaded.
    tenants: RwLock<HashMap<String, (UnixTime, Arc<TenantContext>)>>,
    /// Client records, read-mostly (ADR 0018).
    pub(crate) clients: crate::client::cache::ClientCache,
    /// Pending interactions per requester.
    pub(crate) pending: crate::authorize::pending::PendingInteractions,
}

impl<S: Store> Provider<S> {
    /// A provider over `store`.
    pub fn new(store: S, config: ProviderConfig) -> Self {
        let pending = crate::authorize::pending::PendingInteractions::new(
            config.pending_interactions_per_requester,
        );
        Self {
            store,
            config,
            clock: Arc::new(SystemClock),
            offload: Arc::new(|job| {
                job();
                Box::pin(async {})
            }),
            fetch: None,
            deliver: None,
            device_guard: AttemptGuard::default(),
            jwks_cache: Default::default(),
            tenants: RwLock::new(HashMap::new()),
            clients: crate::client::cache::ClientCache::new(crate::client::cache::DEFAULT_CAPACITY),
            pending,
        }
    }

    /// Lets the provider fetch clients' `jwks_uri` documents through `fetch`.
    pub fn with_fetch(mut self, fetch: Fetch) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Lets the provider POST Logout Tokens to clients' `backchannel_logout_uri`
    /// through `deliver` (Back-Channel Logout 1.0 §2.5).
    pub fn with_deliver(mut self, deliver: Deliver) -> Self {
        self.deliver = Some(deliver);
        self
    }

    /// Replaces the clock (tests pass a fixed one).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Runs password hashing through `offload` (e.g. tokio's `spawn_blocking`).
    pub fn with_offload(mut self, offload: Offload) -> Self {
        self.offload = offload;
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The configuration.
    pub fn config(&self) -> &ProviderConfig {
        &self.config
    }

    /// Runs `f` through the offload hook and returns its result.
    pub(crate) async fn offload<R: Send + 'static>(
        &self,
        f: impl FnOnce() -> R + Send + 'static,
    ) -> Result<R, OAuthError> {
        let slot = Arc::new(Mutex::new(None));
        let out = Arc::clone(&slot);
        (self.offload)(Box::new(move || {
            let r = f();
            if let Ok(mut guard) = out.lock() {
                *guard = Some(r);
            }
        }))
        .await;
        let taken = slot.lock().ok().and_then(|mut g| g.take());
        taken.ok_or_else(|| OAuthError::server("offloaded job did not complete"))
    }

    /// The tenant with `slug`, with its keys parsed; cached after first use.
    pub async fn tenant(&self, slug: &str) -> Result<Option<Arc<TenantContext>>, OAuthError> {
        let now = self.clock.now();
        let ttl = self.config.lifetimes.tenant_cache;
        if let Some((loaded, ctx)) = self.tenants.read().ok().and_then(|m| m.get(slug).cloned())
            && now - loaded < ttl
        {
            return Ok(Some(ctx));
        }
        let Some(record) = self.store.tenant_by_slug(slug).await? else {
            return Ok(None);
        };
        let keys = self.store.signing_keys(&record.id).await?;
        let ctx =
            Arc::new(TenantContext::load(&self.config, record, &keys).map_err(OAuthError::server)?);
        if let Ok(mut map) = self.tenants.write() {
            map.insert(slug.to_owned(), (now, Arc::clone(&ctx)));
        }
        Ok(Some(ctx))
    }

    /// Drops the cached tenant, so the next request reloads it.
    pub(crate) fn forget_tenant(&self, slug: &str) {
        if let Ok(mut map) = self.tenants.write() {
            map.remove(slug);
        }
    }

    pub(crate) async fn require_tenant(
        &self,
        slug: &str,
    ) -> Result<Arc<TenantContext>, AdminError> {
        self.tenant(slug)
            .await
            .map_err(|e| AdminError::Internal(e.description.into_owned()))?
            .ok_or_else(|| AdminError::UnknownTenant(slug.to_owned()))
    }

    /// Handles a request to a protocol endpoint: discovery, JWKS, authorize,
    /// token, userinfo, revocation, introspection, device authorization, under `{base path}/t/{slug}/…` and the RFC 8414
    /// metadata URL. Anything else gets a 404 JSON error.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let path = req.uri().path();
        let Some(rest) = path.strip_prefix(self.config.base_path()) else {
            return not_found();
        };
        // RFC 8414 §3.1: the well-known segment is inserted before the issuer path.
        let (slug, endpoint) =
            if let Some(slug) = rest.strip_prefix("/.well-known/oauth-authorization-server/t/") {
                (slug, "/.well-known/openid-configuration")
            } else if let Some(tail) = rest.strip_prefix("/t/") {
                match tail.find('/') {
                    Some(i) => (&tail[..i], &tail[i..]),
                    None => return not_found(),
                }
            } else {
                return not_found();
            };
        let tenant = match self.tenant(slug).await {
            Ok(Some(t)) => t,
            Ok(None) => return not_found(),
            Err(e) => return wire::json_error(&e),
        };
        let method = req.method().clone();
        match (endpoint, method) {
            ("/.well-known/openid-configuration", Method::GET) => tenant.discovery_response(),
            ("/jwks", Method::GET) => tenant.jwks_response(),
            ("/authorize", Method::GET | Method::POST) => self.authorize(&tenant, req).await,
            ("/token", Method::POST) => self.token(&tenant, req).await,
            ("/userinfo", Method::GET | Method::POST) => self.userinfo(&tenant, req).await,
            ("/revoke", Method::POST) => self.revoke(&tenant, req).await,
            ("/introspect", Method::POST) => self.introspect(&tenant, req).await,
            ("/device_authorization", Method::POST) => {
                self.device_authorization(&tenant, req).await
            }
            ("/register", Method::POST) if tenant.record.dynamic_registration => {
                self.register(&tenant, req).await
            }
            (path, _) if tenant.record.dynamic_registration && path.starts_with("/register/") => {
                let client_id = path["/register/".len()..].to_owned();
                self.manage_registration(&tenant, &client_id, req).await
            }
            (
                "/.well-known/openid-configuration"
                | "/jwks"
                | "/authorize"
                | "/token"
                | "/userinfo"
                | "/revoke"
                | "/introspect"
                | "/device_authorization",
                _,
            ) => method_not_allowed(),
            _ => not_found(),
        }
    }
}

fn not_found() -> Response<Bytes> {
    wire::json(
        StatusCode::NOT_FOUND,
        Bytes::from_static(br#"{"error":"not_found","error_description":"no such endpoint"}"#),
    )
}

fn method_not_allowed() -> Response<Bytes> {
    wire::json(
        StatusCode::METHOD_NOT_ALLOWED,
        Bytes::from_static(
            br#"{"error":"invalid_request","error_description":"method not allowed on this endpoint"}"#,
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_path_is_the_url_path() -> Result<(), crate::crypto::envelope::EnvelopeError> {
        let key = MasterKey::from_hex(&"ab".repeat(32))?;
        assert_eq!(
            ProviderConfig::new("http://localhost:3000", key.clone()).base_path(),
            ""
        );
        assert_eq!(
            ProviderConfig::new("https://app.example/idp/", key).base_path(),
            "/idp"
        );
        Ok(())
    }
}
