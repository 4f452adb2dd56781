//! [`Provider`]: the entry point an embedding service holds. It routes the
//! per-tenant protocol endpoints. The tenants it serves come from a
//! [`TenantRegistry`] and its clients from a [`ClientDirectory`], both
//! shared with the [`Admin`] service ([`Provider::admin`]), so that an
//! administrative write is seen by the protocol at once.

use crate::abuse::memory::InMemoryLimits;
use crate::abuse::{AbuseLimits, LockoutPolicy, Sleep};
use crate::admin::{Admin, AdminError};
use crate::client::directory::ClientDirectory;
use crate::clock::{Clock, SystemClock};
use crate::cors::{self, Policy};
use crate::crypto::envelope::MasterKey;
use crate::device::guard::AttemptGuard;
use crate::endpoint::{Endpoint, EndpointSet, Located, Server};
use crate::error::OAuthError;
use crate::store::{Store, StoreResult};
use crate::tenant::TenantContext;
use crate::tenant::registry::TenantRegistry;
use crate::wire;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

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
    /// A pushed authorization request's `request_uri` (RFC 9126 §2.2
    /// `expires_in`): long enough for the browser to be sent to the
    /// authorization endpoint, short enough that a leaked one is useless.
    pub pushed_request: i64,
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
            pushed_request: 60,
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
    /// The pages the host serves ([`crate::endpoint`]). Discovery names
    /// only these: without [`EndpointSet::LOGOUT`] there is no
    /// `end_session_endpoint` (nor front-channel logout, which needs that
    /// page); without [`EndpointSet::DEVICE`] no device authorization
    /// endpoint, whose answer would point at a missing verification page,
    /// and `handle` answers it 404. Default: the interaction pages only.
    pub host_endpoints: EndpointSet,
    /// Lockouts and slowdowns on guessed passwords and client credentials
    /// ([`crate::abuse`]), for the default in-memory limits; a provider
    /// given its own [`AbuseLimits`] ignores it.
    pub abuse: LockoutPolicy,
    /// How failed back-channel logout deliveries are retried
    /// ([`crate::logout_retry`]): `None` (the default) gives up at once;
    /// set it only when something calls
    /// [`Provider::retry_logout_deliveries`] (idp-server's job does).
    pub logout_retry: Option<crate::logout_retry::RetryPolicy>,
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
            host_endpoints: EndpointSet::default(),
            abuse: LockoutPolicy::default(),
            logout_retry: None,
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
    /// Shared with the [`Admin`] service.
    pub(crate) store: Arc<S>,
    pub(crate) config: ProviderConfig,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) offload: Offload,
    pub(crate) fetch: Option<Fetch>,
    pub(crate) deliver: Option<Deliver>,
    pub(crate) device_guard: AttemptGuard,
    /// Clients' `jwks_uri` documents, parsed (see [`crate::client::jwks_cache`]).
    pub(crate) jwks_cache: crate::client::jwks_cache::JwksCache,
    /// Tenants by slug, parsed and cached (shared with [`Admin`]).
    tenants: Arc<TenantRegistry>,
    /// Client records, read-mostly (ADR 0018; shared with [`Admin`]).
    pub(crate) clients: Arc<ClientDirectory>,
    /// Pending interactions per requester.
    pub(crate) pending: crate::authorize::pending::PendingInteractions,
    /// The lockout policy (ADR 0025).
    pub(crate) abuse: Arc<dyn AbuseLimits>,
    /// The host's timer, for slowdowns.
    pub(crate) sleep: Option<Sleep>,
    /// Sign-in events not yet written ([`crate::analytics::buffer`]).
    pub(crate) sign_ins: crate::analytics::buffer::SignInBuffer,
    /// The relying party towards tenants' upstreams ([`crate::upstream`]).
    pub(crate) upstreams: Arc<crate::upstream::relying_party::RelyingParty>,
}

impl<S: Store> Provider<S> {
    /// A provider over `store`.
    pub fn new(store: S, config: ProviderConfig) -> Self {
        let pending = crate::authorize::pending::PendingInteractions::new(
            config.pending_interactions_per_requester,
        );
        let abuse = Arc::new(InMemoryLimits::new(&config.abuse));
        Self {
            store: Arc::new(store),
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
            tenants: Arc::new(TenantRegistry::default()),
            clients: Arc::new(ClientDirectory::new(crate::client::cache::DEFAULT_CAPACITY)),
            pending,
            abuse,
            sleep: None,
            sign_ins: Default::default(),
            upstreams: Arc::new(crate::upstream::relying_party::RelyingParty::new(None)),
        }
    }

    /// Replaces the default in-memory lockout policy (e.g. by one shared
    /// by several processes).
    pub fn with_abuse_limits(mut self, limits: Arc<dyn AbuseLimits>) -> Self {
        self.abuse = limits;
        self
    }

    /// Lets the provider wait slowdowns through `sleep` (e.g. tokio's
    /// `sleep`); without it, slowdowns are skipped and lockouts still apply.
    pub fn with_sleep(mut self, sleep: Sleep) -> Self {
        self.sleep = Some(sleep);
        self
    }

    /// Lets the provider fetch clients' `jwks_uri` documents through `fetch`.
    pub fn with_fetch(mut self, fetch: Fetch) -> Self {
        self.fetch = Some(fetch);
        self
    }

    /// Lets the provider reach tenants' upstream identity providers through
    /// `http` ([`crate::upstream`]); without it, upstream sign-ins fail as
    /// unreachable.
    pub fn with_upstream_http(mut self, http: crate::upstream::UpstreamHttp) -> Self {
        self.upstreams = Arc::new(crate::upstream::relying_party::RelyingParty::new(Some(
            http,
        )));
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

    /// The administration service over the same store, tenant registry and
    /// client directory: what it writes, this provider serves at once.
    /// Cheap; take one per command or request.
    pub fn admin(&self) -> Admin<S> {
        Admin::from_parts(crate::admin::Parts {
            store: Arc::clone(&self.store),
            config: self.config.clone(),
            clock: Arc::clone(&self.clock),
            offload: Arc::clone(&self.offload),
            deliver: self.deliver.clone(),
            fetch: self.fetch.clone(),
            tenants: Arc::clone(&self.tenants),
            clients: Arc::clone(&self.clients),
        })
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
        run_offloaded(&self.offload, f)
            .await
            .ok_or_else(|| OAuthError::server("offloaded job did not complete"))
    }

    /// The tenant with `slug`, with its keys parsed; cached after first use.
    pub async fn tenant(&self, slug: &str) -> Result<Option<Arc<TenantContext>>, OAuthError> {
        self.tenants
            .get(&*self.store, &self.config, slug, self.clock.now())
            .await
            .map_err(|e| match e {
                AdminError::Unavailable(cause) => {
                    crate::store::StoreError::Unavailable(cause).into()
                }
                other => OAuthError::server(other),
            })
    }

    /// Forgets what a change made elsewhere (another instance, the CLI)
    /// made stale, so the next request reads the store
    /// ([`Operations::watch_changes`](crate::store::Operations::watch_changes)).
    pub fn apply_change(&self, change: &crate::store::StoreChange) {
        use crate::store::StoreChange;
        match change {
            StoreChange::Tenant(id) => {
                self.tenants.forget_id(id);
                self.clients.forget_all(Some(id));
            }
            StoreChange::Client { tenant, client } => self.clients.forget(tenant, client),
            StoreChange::Unknown => {
                self.tenants.forget_all();
                self.clients.forget_all(None);
            }
        }
    }

    /// Drops the cached tenant, so the next request reloads it.
    pub(crate) fn forget_tenant(&self, slug: &str) {
        self.tenants.forget(slug);
    }

    /// The client `id` of `tenant`, from the directory's cache if it was
    /// read less than [`Lifetimes::client_cache`] seconds ago, else from
    /// the store. `None` (never cached) if there is no such client.
    pub(crate) async fn cached_client(
        &self,
        tenant: &crate::ids::TenantId,
        id: &str,
    ) -> StoreResult<Option<crate::client::cache::CachedClient>> {
        let ttl = self.config.lifetimes.client_cache;
        self.clients
            .get(&*self.store, tenant, id, self.clock.now(), ttl)
            .await
    }

    /// Drops a client from the cache after a write to it in this process.
    pub(crate) fn forget_client(&self, tenant: &crate::ids::TenantId, id: &crate::ids::ClientId) {
        self.clients.forget(tenant, id);
    }

    /// Handles a request to a protocol endpoint: every endpoint of the
    /// table ([`crate::endpoint`]) that is the provider's, under
    /// `{base path}/t/{slug}/…` and the RFC 8414 metadata URL. A known
    /// endpoint asked with another method gets 405; anything else, the
    /// host's pages included, a 404 JSON error. CORS ([`crate::cors`]):
    /// the answers carry the headers their endpoint's policy allows the
    /// request's `Origin`, and a preflight (`OPTIONS`) of an endpoint that
    /// answers origins gets 204.
    pub async fn handle(&self, req: Request<Bytes>) -> Response<Bytes> {
        let Some(Located { slug, endpoint, id }) =
            Located::parse(self.config.base_path(), req.uri().path())
        else {
            return not_found();
        };
        if endpoint.server() != Server::Provider
            // RFC 8628 §3.2: the verification URI must be served.
            || (endpoint == Endpoint::DeviceAuthorization
                && !self.config.host_endpoints.contains(Endpoint::Device))
        {
            return not_found();
        }
        let id = id.map(str::to_owned);
        let tenant = match self.tenant(slug).await {
            Ok(Some(t)) => t,
            Ok(None) => return not_found(),
            Err(e) => return wire::json_error(&e),
        };
        let registration = matches!(
            endpoint,
            Endpoint::Register | Endpoint::RegistrationManagement
        );
        if registration && !tenant.record.dynamic_registration {
            return not_found();
        }
        let policy = Policy::of(endpoint);
        // Cheap when there is no `Origin` (every non-browser request): a
        // header look-up; nothing else of CORS runs.
        let origin = match policy {
            Policy::Never => None,
            _ => cors::request_origin(req.headers()).cloned(),
        };
        if req.method() == Method::OPTIONS && policy != Policy::Never {
            return self.preflight(&tenant, endpoint, origin.as_ref()).await;
        }
        if !endpoint.accepts(req.method()) {
            return method_not_allowed();
        }
        // The client a token, revocation, introspection or device request
        // names, for its CORS answer (read before the request moves on).
        let named = match (&origin, endpoint) {
            (
                Some(_),
                Endpoint::Token
                | Endpoint::Revoke
                | Endpoint::Introspect
                | Endpoint::DeviceAuthorization,
            ) => crate::client::auth::claimed_client_id(req.headers(), req.body()),
            _ => None,
        };
        // Issue 17: a tenant that is not active serves only what
        // `tenant::state::gate` allows; its refusals carry CORS headers
        // like any answer, so a browser app can read them.
        let mut res = match crate::tenant::state::answer(&tenant, endpoint) {
            Some(refused) => refused,
            None => self.dispatch(&tenant, endpoint, id, req).await,
        };
        if policy == Policy::AnyOrigin {
            cors::allow_any_origin(res.headers_mut());
        } else if let (Policy::ClientOrigins, Some(origin)) = (policy, origin)
            && self.client_allows(&tenant, &mut res, named, &origin).await
        {
            cors::allow_origin(res.headers_mut(), endpoint, &origin);
        }
        res
    }

    /// Answers a request to an endpoint of the provider that it accepts.
    async fn dispatch(
        &self,
        tenant: &TenantContext,
        endpoint: Endpoint,
        id: Option<String>,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        match endpoint {
            Endpoint::Discovery | Endpoint::AuthorizationServerMetadata => {
                tenant.discovery_response()
            }
            Endpoint::Jwks => tenant.jwks_response(),
            Endpoint::Authorize => self.authorize(tenant, req).await,
            Endpoint::Token => self.token(tenant, req).await,
            Endpoint::Userinfo => self.userinfo(tenant, req).await,
            Endpoint::Revoke => self.revoke(tenant, req).await,
            Endpoint::Introspect => self.introspect(tenant, req).await,
            Endpoint::DeviceAuthorization => self.device_authorization(tenant, req).await,
            Endpoint::Register => self.register(tenant, req).await,
            Endpoint::PushedAuthorizationRequest => {
                self.push_authorization_request(tenant, req).await
            }
            Endpoint::RegistrationManagement => {
                let client_id = id.unwrap_or_default();
                self.manage_registration(tenant, &client_id, req).await
            }
            _ => not_found(),
        }
    }

    /// Whether `origin` may read `res`, an answer of an endpoint that
    /// answers client origins ([`crate::cors`]): an origin of the client the
    /// endpoint says it concerned (UserInfo), else of the client the request
    /// `named`; an answer concerning no client, for the origins some client
    /// of the tenant registered. A store error refuses (no CORS header; the
    /// answer itself stands).
    async fn client_allows(
        &self,
        tenant: &TenantContext,
        res: &mut Response<Bytes>,
        named: Option<String>,
        origin: &http::HeaderValue,
    ) -> bool {
        if let Some(cors::Concerned(origins)) = res.extensions_mut().remove() {
            return origins.contains(origin);
        }
        match named {
            Some(id) => match self.cached_client(&tenant.record.id, &id).await {
                Ok(Some(client)) => client.web_origins.contains(origin),
                Ok(None) | Err(_) => false,
            },
            None => self.tenant_origins_allow(tenant, origin).await,
        }
    }

    /// Whether some client of the tenant registered `origin`.
    async fn tenant_origins_allow(
        &self,
        tenant: &TenantContext,
        origin: &http::HeaderValue,
    ) -> bool {
        let ttl = self.config.lifetimes.client_cache;
        match self
            .clients
            .tenant_origins(&*self.store, &tenant.record.id, self.clock.now(), ttl)
            .await
        {
            Ok(origins) => origins.contains(origin),
            Err(e) => {
                tracing::warn!(error = %e, "cannot read the tenant's web origins for CORS");
                false
            }
        }
    }

    /// A CORS preflight of `endpoint` ([`cors::preflight`]): a public
    /// document's for any origin, a client endpoint's for an origin some
    /// client of the tenant registered.
    async fn preflight(
        &self,
        tenant: &TenantContext,
        endpoint: Endpoint,
        origin: Option<&http::HeaderValue>,
    ) -> Response<Bytes> {
        let allowed = match (Policy::of(endpoint), origin) {
            (Policy::AnyOrigin, Some(o)) => Some(o),
            (Policy::ClientOrigins, Some(o)) if self.tenant_origins_allow(tenant, o).await => {
                Some(o)
            }
            _ => None,
        };
        cors::preflight(endpoint, allowed)
    }
}

/// Runs `f` through `hook` and returns its result (`None` if the hook
/// dropped it).
pub(crate) async fn run_offloaded<R: Send + 'static>(
    hook: &Offload,
    f: impl FnOnce() -> R + Send + 'static,
) -> Option<R> {
    let slot = Arc::new(Mutex::new(None));
    let out = Arc::clone(&slot);
    hook(Box::new(move || {
        let r = f();
        if let Ok(mut guard) = out.lock() {
            *guard = Some(r);
        }
    }))
    .await;
    slot.lock().ok().and_then(|mut g| g.take())
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
