//! The admin API's JSON bodies as schema types for the OpenAPI document
//! ([`super::openapi`]). They describe, never carry: each response type
//! mirrors one function of [`super::representation`] (or a handler's own
//! `json!`), each request type the fields its handler's reader
//! ([`super::body::Fields`]) takes: required fields are plain, optional
//! ones `Option` (the reader treats `null` as absent, or as "remove" in a
//! merge patch, RFC 7396), and an unknown field is a 422, hence
//! `deny_unknown_fields` (`additionalProperties: false`). Times are RFC
//! 3339 UTC (`format: date-time`).
#![allow(dead_code)] // Described to utoipa, never constructed.

use utoipa::ToSchema;

/// An OAuth grant type a client may use (RFC 6749, RFC 8628).
#[derive(ToSchema)]
pub enum GrantType {
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    #[serde(rename = "refresh_token")]
    RefreshToken,
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

/// How a client authenticates at the token endpoint (OpenID Connect
/// Core §9); `none` is a public client.
#[derive(ToSchema)]
pub enum TokenEndpointAuthMethod {
    #[serde(rename = "client_secret_basic")]
    ClientSecretBasic,
    #[serde(rename = "client_secret_post")]
    ClientSecretPost,
    #[serde(rename = "private_key_jwt")]
    PrivateKeyJwt,
    #[serde(rename = "none")]
    None,
}

/// A JOSE signing algorithm (RFC 7518, RFC 8037).
#[derive(ToSchema)]
pub enum SigningAlg {
    #[serde(rename = "RS256")]
    Rs256,
    #[serde(rename = "ES256")]
    Es256,
    #[serde(rename = "EdDSA")]
    EdDsa,
}

/// The `sub` a client sees (OpenID Connect Core §8).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SubjectType {
    Public,
    Pairwise,
}

/// A signing key's state: published before it signs, signing, or
/// published after it signed until its tokens expire.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum KeyState {
    Pending,
    Active,
    Retired,
}

/// An RFC 9457 problem.
#[derive(ToSchema)]
pub struct Problem {
    /// `urn:idp:problem:{class}`.
    #[schema(rename = "type", format = "uri")]
    kind: String,
    title: String,
    status: u16,
    detail: String,
    /// Each invalid field (422 only).
    #[schema(nullable = false)]
    errors: Option<Vec<FieldError>>,
    /// `limit-exceeded` (409) only: which limit of the tenant's tier:
    /// `users`, `clients`, `upstreams` or `api_keys`.
    #[schema(nullable = false)]
    limit: Option<String>,
    /// `limit-exceeded` only: what the tier allows.
    #[schema(nullable = false)]
    allowed: Option<u64>,
    /// `limit-exceeded` only: how many the tenant has now.
    #[schema(nullable = false)]
    usage: Option<u64>,
}

/// One invalid field or parameter.
#[derive(ToSchema)]
pub struct FieldError {
    field: String,
    reason: String,
}

/// A tenant.
#[derive(ToSchema)]
pub struct Tenant {
    id: String,
    slug: String,
    name: String,
    #[schema(format = "uri")]
    issuer: String,
    dynamic_registration: bool,
    /// Whether users may sign in with a password on the login page; false:
    /// upstream-only (only "Continue with" an upstream).
    password_login: bool,
    #[schema(format = DateTime)]
    created_at: String,
    state: TenantState,
    /// The operator's reason while rejected or suspended, else null.
    #[schema(required = true)]
    state_reason: Option<String>,
    /// When the state last changed; null if it never did.
    #[schema(required = true, format = DateTime)]
    state_changed_at: Option<String>,
}

/// Where an organisation is in its lifecycle: `pending` (signed up,
/// waiting for approval), `active`, `rejected` (final) or `suspended`.
/// Only an active tenant's users sign in and get tokens.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TenantState {
    Active,
    Pending,
    Rejected,
    Suspended,
}

/// `POST /tenants/{slug}/reject` and `.../suspend`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateReason {
    /// Why, shown to operators (1 to 500 characters, no control characters).
    reason: String,
}

/// `POST /tenants`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTenant {
    /// 1 to 63 lowercase letters, digits and dashes, not starting or
    /// ending with a dash (a URL segment and a DNS label).
    #[schema(pattern = "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")]
    slug: String,
    name: Option<String>,
    dynamic_registration: Option<bool>,
    /// Defaults to true; false is refused (422): a new tenant has no
    /// upstream to sign in with yet.
    password_login: Option<bool>,
}

/// `PATCH /tenants/{slug}` (merge patch: `name: null` resets it).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TenantPatch {
    name: Option<String>,
    dynamic_registration: Option<bool>,
    /// Allow or refuse password login; false (upstream-only) is refused
    /// (422) while the tenant has no upstream.
    password_login: Option<bool>,
    /// Assigns this tier (`null`: none, unlimited). A platform operation:
    /// refused (403) to a key limited to tenants.
    tier: Option<String>,
}

/// A tier: named limits assigned to tenants. A `null` limit is unlimited.
#[derive(ToSchema)]
pub struct Tier {
    name: String,
    #[schema(required = true)]
    users: Option<u64>,
    #[schema(required = true)]
    clients: Option<u64>,
    /// Upstream identity providers (stored; not counted yet).
    #[schema(required = true)]
    upstreams: Option<u64>,
    /// Admin API keys limited to the tenant, live (neither revoked nor expired).
    #[schema(required = true)]
    api_keys: Option<u64>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST /tiers`: an absent or `null` limit is unlimited.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTier {
    /// 1 to 64 of `a-z`, `0-9`, `-`, `_`, starting with a letter or digit.
    #[schema(pattern = "^[a-z0-9][a-z0-9_-]{0,63}$")]
    name: String,
    users: Option<u64>,
    clients: Option<u64>,
    upstreams: Option<u64>,
    api_keys: Option<u64>,
}

/// `PATCH /tiers/{tier}` (merge patch: a limit set to `null` is unlimited).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TierPatch {
    users: Option<u64>,
    clients: Option<u64>,
    upstreams: Option<u64>,
    api_keys: Option<u64>,
}

/// Limits by name; `null` is unlimited.
#[derive(ToSchema)]
pub struct Limits {
    #[schema(required = true)]
    users: Option<u64>,
    #[schema(required = true)]
    clients: Option<u64>,
    #[schema(required = true)]
    upstreams: Option<u64>,
    #[schema(required = true)]
    api_keys: Option<u64>,
}

/// How many of each limited object a tenant has now.
#[derive(ToSchema)]
pub struct Usage {
    users: u64,
    clients: u64,
    /// Always 0 until upstream providers exist.
    upstreams: u64,
    api_keys: u64,
}

/// `GET /tenants/{slug}/usage`: the tenant's tier (`null`: none,
/// unlimited), the limits that apply and its usage.
#[derive(ToSchema)]
pub struct TenantUsage {
    tenant: String,
    #[schema(required = true)]
    tier: Option<String>,
    limits: Limits,
    usage: Usage,
}

/// Who may sign an organisation up at `/signup`: nobody (`closed`),
/// anyone with an operator's approval (`approval`, the default: the
/// tenant waits `pending`), or anyone at once (`open`).
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SignupMode {
    Closed,
    Approval,
    Open,
}

/// The platform's settings.
#[derive(ToSchema)]
pub struct PlatformSettings {
    signup: SignupMode,
    /// When they last changed; null while they are the defaults.
    #[schema(required = true, format = DateTime)]
    updated_at: Option<String>,
}

/// `PATCH /platform/settings` (merge patch).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlatformSettingsPatch {
    signup: Option<SignupMode>,
}

/// A client's registration.
#[derive(ToSchema)]
pub struct Client {
    id: String,
    client_id: String,
    name: String,
    public: bool,
    token_endpoint_auth_method: TokenEndpointAuthMethod,
    redirect_uris: Vec<String>,
    grant_types: Vec<GrantType>,
    require_pkce: bool,
    id_token_signed_response_alg: SigningAlg,
    allowed_scopes: Vec<String>,
    audiences: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
    #[schema(required = true)]
    frontchannel_logout_uri: Option<String>,
    #[schema(required = true)]
    backchannel_logout_uri: Option<String>,
    require_pushed_authorization_requests: bool,
    allowed_origins: Vec<String>,
    subject_type: SubjectType,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = "uri")]
    issuer: String,
    #[schema(format = "uri")]
    discovery_url: String,
    /// Only in the response that creates a confidential client: the one copy.
    #[schema(nullable = false)]
    client_secret: Option<String>,
}

/// `POST /tenants/{slug}/clients`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewClient {
    name: String,
    redirect_uris: Option<Vec<String>>,
    public: Option<bool>,
    grant_types: Option<Vec<GrantType>>,
    require_pkce: Option<bool>,
    id_token_signed_response_alg: Option<SigningAlg>,
    token_endpoint_auth_method: Option<TokenEndpointAuthMethod>,
    allowed_scopes: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    /// A JWK Set (RFC 7517 §5), for `private_key_jwt`.
    #[schema(value_type = Option<Object>)]
    jwks: Option<String>,
    jwks_uri: Option<String>,
    post_logout_redirect_uris: Option<Vec<String>>,
    frontchannel_logout_uri: Option<String>,
    backchannel_logout_uri: Option<String>,
    require_pushed_authorization_requests: Option<bool>,
    subject_type: Option<SubjectType>,
    sector_identifier_uri: Option<String>,
    allowed_origins: Option<Vec<String>>,
}

/// `PATCH .../clients/{client_id}` (merge patch: a logout URI `null` removes it).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientPatch {
    name: Option<String>,
    redirect_uris: Option<Vec<String>>,
    grant_types: Option<Vec<GrantType>>,
    post_logout_redirect_uris: Option<Vec<String>>,
    frontchannel_logout_uri: Option<String>,
    backchannel_logout_uri: Option<String>,
    allowed_scopes: Option<Vec<String>>,
    audiences: Option<Vec<String>>,
    require_pushed_authorization_requests: Option<bool>,
    allowed_origins: Option<Vec<String>>,
}

/// `POST .../clients/{client_id}/secret`: the new secret, shown once.
#[derive(ToSchema)]
pub struct ClientSecret {
    client_id: String,
    client_secret: String,
    /// When the previous secret stops working (`null`: it already has).
    #[schema(required = true, format = DateTime)]
    previous_secret_expires_at: Option<String>,
}

/// A user, without any credential.
#[derive(ToSchema)]
pub struct User {
    id: String,
    email: String,
    email_verified: bool,
    #[schema(required = true)]
    name: Option<String>,
    disabled: bool,
    has_password: bool,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST .../users`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    email: String,
    name: Option<String>,
    #[schema(write_only)]
    password: Option<String>,
    email_verified: Option<bool>,
}

/// `PATCH .../users/{id}` (merge patch: `name: null` removes it).
/// `disabled: true` revokes every session and grant.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    name: Option<String>,
    email: Option<String>,
    email_verified: Option<bool>,
    disabled: Option<bool>,
    #[schema(write_only)]
    password: Option<String>,
}

/// A live login session.
#[derive(ToSchema)]
pub struct Session {
    id: String,
    user_id: String,
    #[schema(format = DateTime)]
    auth_time: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    expires_at: String,
}

/// `DELETE .../users/{id}/sessions`.
#[derive(ToSchema)]
pub struct RevokedSessions {
    /// How many sessions were live.
    revoked_sessions: u64,
}

/// An application role (`id` is its name).
#[derive(ToSchema)]
pub struct Role {
    id: String,
    name: String,
    description: String,
    #[schema(format = DateTime)]
    created_at: String,
}

/// `POST .../roles`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRole {
    /// As it appears in tokens.
    #[schema(pattern = "^[A-Za-z0-9_.:-]{1,64}$")]
    name: String,
    #[schema(max_length = 256)]
    description: Option<String>,
}

/// `PATCH .../roles/{role}` (merge patch: `null` empties the description).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RolePatch {
    #[schema(max_length = 256)]
    description: Option<String>,
}

/// `PUT .../users/{id}/roles/{role}`.
#[derive(ToSchema)]
pub struct RoleAssignment {
    user_id: String,
    role: String,
}

/// A signing key's public facts.
#[derive(ToSchema)]
pub struct SigningKey {
    kid: String,
    alg: SigningAlg,
    state: KeyState,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    activates_at: String,
    #[schema(required = true, format = DateTime)]
    retired_at: Option<String>,
}

/// `POST .../keys/rotate`: the new keys' ids and when they sign.
#[derive(ToSchema)]
pub struct RotatedKeys {
    kids: Vec<String>,
    #[schema(format = DateTime)]
    activates_at: String,
}

/// Who made a change.
#[derive(ToSchema)]
pub struct AuditActor {
    /// `api_key`, `cli`, `user`, ….
    kind: String,
    id: String,
    name: String,
}

/// What a change was made to.
#[derive(ToSchema)]
pub struct AuditTarget {
    kind: String,
    id: String,
}

/// One audited change.
#[derive(ToSchema)]
pub struct AuditEvent {
    id: String,
    #[schema(format = DateTime)]
    time: String,
    actor: AuditActor,
    /// `tenant.create`, `client.update`, ….
    action: String,
    /// The tenant's slug (`null`: a platform change, such as an API key's).
    #[schema(required = true)]
    tenant: Option<String>,
    target: AuditTarget,
    #[schema(required = true)]
    address: Option<String>,
    #[schema(required = true)]
    request_id: Option<String>,
    /// The changed fields (secrets never appear).
    #[schema(value_type = Object)]
    changes: String,
}

/// Declares one page type: `{items: [T], next_cursor}`.
macro_rules! page {
    ($name:ident, $item:ty, $doc:literal) => {
        #[doc = $doc]
        #[derive(ToSchema)]
        pub struct $name {
            items: Vec<$item>,
            /// Give it as `cursor` for the next page; `null` on the last.
            #[schema(required = true)]
            next_cursor: Option<String>,
        }
    };
}

page!(TenantPage, Tenant, "A page of tenants.");
page!(ClientPage, Client, "A page of clients.");
page!(UserPage, User, "A page of users.");
page!(SessionPage, Session, "A user's live sessions (one page).");
page!(RolePage, Role, "A page of roles.");
page!(
    RoleNamePage,
    String,
    "The names of a user's roles (one page)."
);
page!(
    SigningKeyPage,
    SigningKey,
    "A tenant's signing keys (one page)."
);
page!(AuditEventPage, AuditEvent, "A page of audit events.");

/// One day of the analytics series (UTC).
#[derive(ToSchema)]
pub struct AnalyticsDay {
    #[schema(format = Date, example = "2026-12-05")]
    date: String,
    /// Successful sign-ins.
    logins: u64,
    /// Users created that day.
    signups: u64,
    /// Distinct users who signed in that day.
    active_users: u64,
    /// Failed sign-ins by reason (`unknown_user`, `no_password`,
    /// `wrong_password`, `disabled`, `rate_limited`); reasons that did not
    /// occur are left out.
    failures: std::collections::BTreeMap<String, u64>,
}

/// Distinct users who signed in during a whole calendar month (UTC).
#[derive(ToSchema)]
pub struct AnalyticsMonth {
    /// `YYYY-MM`.
    #[schema(example = "2026-12")]
    month: String,
    active_users: u64,
}

/// A client and its successful sign-ins over the range.
#[derive(ToSchema)]
pub struct AnalyticsClient {
    /// The client's tenant (slug).
    tenant: String,
    client_id: String,
    logins: u64,
}

/// Sign-in analytics over a range of days, as of the last roll-up.
#[derive(ToSchema)]
pub struct Analytics {
    #[schema(format = Date)]
    from: String,
    #[schema(format = Date)]
    to: String,
    /// Every day of the range, in order.
    days: Vec<AnalyticsDay>,
    /// Every month the range touches, in order.
    months: Vec<AnalyticsMonth>,
    /// The ten clients most signed in to, most first.
    top_clients: Vec<AnalyticsClient>,
}
page!(TierPage, Tier, "A page of tiers.");

/// What kind of upstream identity provider.
#[derive(ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UpstreamKind {
    Oidc,
    Github,
    Google,
    Microsoft,
}

/// An upstream identity provider of a tenant (its client secret is never
/// returned).
#[derive(ToSchema)]
pub struct Upstream {
    id: String,
    kind: UpstreamKind,
    /// Shown on the login page as "Continue with {name}".
    name: String,
    /// The issuer (`oidc`), or GitHub Enterprise Server's base URL;
    /// null: the kind's default.
    #[schema(required = true, format = "uri")]
    issuer: Option<String>,
    client_id: String,
    /// Whether a first sign-in creates a user.
    signup: bool,
    /// Whether a first sign-in with a verified email links to the user
    /// with that email.
    auto_link: bool,
    /// The redirect URI to register at the upstream.
    #[schema(format = "uri")]
    callback_url: String,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    updated_at: String,
}

/// `POST .../upstreams`.
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUpstream {
    kind: UpstreamKind,
    #[schema(min_length = 1, max_length = 64)]
    name: String,
    /// Required for `oidc`: an https URL with no query or fragment (http
    /// only where the server allows outbound http). For `github`, GitHub
    /// Enterprise Server's base URL.
    #[schema(format = "uri")]
    issuer: Option<String>,
    #[schema(min_length = 1, max_length = 1024)]
    client_id: String,
    /// Stored encrypted; never returned.
    #[schema(min_length = 1, max_length = 1024, write_only)]
    client_secret: String,
    /// Default true.
    signup: Option<bool>,
    /// Default false.
    auto_link: Option<bool>,
}

/// `PATCH .../upstreams/{upstream_id}` (merge patch; `issuer: null`
/// returns to the kind's default; the kind never changes).
#[derive(ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamPatch {
    #[schema(min_length = 1, max_length = 64)]
    name: Option<String>,
    #[schema(format = "uri")]
    issuer: Option<String>,
    #[schema(min_length = 1, max_length = 1024)]
    client_id: Option<String>,
    #[schema(min_length = 1, max_length = 1024, write_only)]
    client_secret: Option<String>,
    signup: Option<bool>,
    auto_link: Option<bool>,
}

/// An upstream identity linked to a user.
#[derive(ToSchema)]
pub struct LinkedIdentity {
    upstream_id: String,
    upstream_name: String,
    kind: UpstreamKind,
    /// The upstream's key for the person.
    subject: String,
    /// The email the upstream reported at the last sign-in.
    #[schema(required = true)]
    email: Option<String>,
    #[schema(format = DateTime)]
    created_at: String,
    #[schema(format = DateTime)]
    last_used_at: String,
}

page!(UpstreamPage, Upstream, "A page of upstreams.");
page!(
    LinkedIdentityPage,
    LinkedIdentity,
    "The identities linked to a user (one page)."
);
