//! The rows the core reads and writes through the [`Store`](super::Store) port.
//! Secrets appear only as [`SecretHash`]es; sealed secrets only as ciphertext.

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use crate::jwks::SigningAlg;
use crate::tenant::state::TenantState;

/// A tenant: one OpenID Provider with its own issuer `{base}/t/{slug}`.
#[derive(Clone, Debug)]
pub struct TenantRecord {
    /// Internal id, never shown in URLs.
    pub id: TenantId,
    /// URL name: lowercase letters, digits and dashes.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The tenant's data key, wrapped by the master key.
    pub wrapped_data_key: Vec<u8>,
    /// Whether anyone may register clients at `{issuer}/register` (RFC 7591).
    pub dynamic_registration: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Where it is in its lifecycle ([`crate::tenant::state`]).
    pub state: TenantState,
    /// Why it is rejected or suspended (the operator's words); `None` in
    /// the other states (the audit log keeps every past reason).
    pub state_reason: Option<String>,
    /// When its state last changed; `None` if it never did (created so).
    pub state_changed_at: Option<UnixTime>,
    /// Whether users may sign in with a password on the login page (and the
    /// device verification page); off, the tenant is upstream-only: its users
    /// sign in only through "Continue with" an upstream (issue 19).
    pub password_login: bool,
}

impl ClientRecord {
    /// A client with no secret, no redirect URI and no grant, PKCE required,
    /// RS256 ID tokens and nothing else registered: the base that imports,
    /// fixtures and benchmarks fill in with struct update syntax.
    pub fn new(id: ClientId, name: impl Into<String>, created_at: UnixTime) -> Self {
        Self {
            id,
            name: name.into(),
            secret_hash: None,
            auth_method: TokenEndpointAuthMethod::None,
            redirect_uris: Vec::new(),
            grant_types: Vec::new(),
            require_pkce: true,
            id_token_alg: SigningAlg::Rs256,
            allowed_scopes: Vec::new(),
            audiences: Vec::new(),
            jwks: None,
            jwks_uri: None,
            post_logout_redirect_uris: Vec::new(),
            frontchannel_logout_uri: None,
            frontchannel_logout_session_required: false,
            backchannel_logout_uri: None,
            backchannel_logout_session_required: false,
            registration_token_hash: None,
            metadata: "{}".to_owned(),
            previous_secret: None,
            created_at,
            require_pushed_authorization_requests: false,
            subject_type: SubjectType::Public,
            sector_identifier_uri: None,
            allowed_origins: Vec::new(),
        }
    }
}

/// A signing key pair, private half sealed under the tenant's data key.
#[derive(Clone, Debug)]
pub struct SigningKeyRecord {
    /// RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// Algorithm.
    pub alg: SigningAlg,
    /// PKCS#8 private key sealed with location `signing_keys/{kid}`.
    pub sealed_private_key: Vec<u8>,
    /// Creation time, which orders keys: the newest key of an algorithm
    /// whose activation time has passed is the one that signs.
    pub created_at: UnixTime,
    /// When the key starts signing: its creation for a tenant's first keys
    /// and an immediate rotation, later for a scheduled one, so that it is
    /// published before it signs (ADR 0024).
    pub activates_at: UnixTime,
    /// When the key stops (or stopped) signing: the activation time of the
    /// keys that superseded it, possibly still ahead. It is still published
    /// until its tokens expire.
    pub retired_at: Option<UnixTime>,
}

/// How a client authenticates at the token endpoint (OIDC Registration §2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenEndpointAuthMethod {
    /// HTTP Basic with form-encoded id and secret (RFC 6749 §2.3.1).
    ClientSecretBasic,
    /// `client_id` and `client_secret` in the form body (RFC 6749 §2.3.1).
    ClientSecretPost,
    /// A JWT signed with a key the client registered (RFC 7523 §2.2, OIDC Core §9).
    PrivateKeyJwt,
    /// A public client: no secret (RFC 6749 §2.1).
    None,
}

impl TokenEndpointAuthMethod {
    /// The registration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    /// Parses a registration name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "client_secret_basic" => Some(Self::ClientSecretBasic),
            "client_secret_post" => Some(Self::ClientSecretPost),
            "private_key_jwt" => Some(Self::PrivateKeyJwt),
            "none" => Some(Self::None),
            _ => None,
        }
    }
}

/// An OAuth grant type a client may use (RFC 6749 §4, RFC 8628).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum GrantType {
    /// RFC 6749 §4.1.
    AuthorizationCode,
    /// RFC 6749 §6.
    RefreshToken,
    /// RFC 6749 §4.4.
    ClientCredentials,
    /// RFC 8628.
    DeviceCode,
}

impl GrantType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "authorization_code" => Some(Self::AuthorizationCode),
            "refresh_token" => Some(Self::RefreshToken),
            "client_credentials" => Some(Self::ClientCredentials),
            "urn:ietf:params:oauth:grant-type:device_code" => Some(Self::DeviceCode),
            _ => None,
        }
    }
}

/// A registered client.
#[derive(Clone, Debug)]
pub struct ClientRecord {
    /// `client_id`.
    pub id: ClientId,
    /// Display name shown on the consent page.
    pub name: String,
    /// Hash of the client secret; `None` for a public client.
    pub secret_hash: Option<SecretHash>,
    /// Registered authentication method.
    pub auth_method: TokenEndpointAuthMethod,
    /// Redirect URIs, matched exactly (RFC 9700 §2.1), but any port on a loopback IP literal (RFC 8252 §7.3).
    pub redirect_uris: Vec<String>,
    /// Allowed grant types.
    pub grant_types: Vec<GrantType>,
    /// Whether PKCE is required (always true for public clients).
    pub require_pkce: bool,
    /// ID-token signing algorithm (`id_token_signed_response_alg`).
    pub id_token_alg: SigningAlg,
    /// API scopes the client may request: with `client_credentials` (RFC 6749
    /// §4.4.2), and at authorization beside the OpenID Connect scopes.
    pub allowed_scopes: Vec<String>,
    /// Audiences (resource servers) the client's access tokens may name,
    /// in every grant (RFC 8707, `crate::resource`); the first is the default.
    pub audiences: Vec<String>,
    /// The client's public keys as a JWK Set document, for `private_key_jwt`.
    pub jwks: Option<String>,
    /// Where the client publishes its JWK Set, for `private_key_jwt`.
    pub jwks_uri: Option<String>,
    /// Where the client may send the browser after logout (RP-Initiated Logout §3).
    pub post_logout_redirect_uris: Vec<String>,
    /// Loaded in an iframe when a session it took part in ends
    /// (Front-Channel Logout 1.0 §2).
    pub frontchannel_logout_uri: Option<String>,
    /// Whether the client requires `iss` and `sid` on its front-channel URI
    /// (they are always sent).
    pub frontchannel_logout_session_required: bool,
    /// Where Logout Tokens are POSTed (Back-Channel Logout 1.0 §2.2).
    pub backchannel_logout_uri: Option<String>,
    /// Whether the client requires `sid` in Logout Tokens (always sent).
    pub backchannel_logout_session_required: bool,
    /// Hash of the RFC 7592 registration access token, for clients that
    /// registered themselves.
    pub registration_token_hash: Option<SecretHash>,
    /// Other registered metadata, echoed at registration reads (a JSON
    /// object: `client_uri`, `logo_uri`, `contacts`, …; opaque to the store).
    pub metadata: String,
    /// The secret replaced by the last rotation, still accepted until its
    /// expiry (ADR 0022); `None` when there is none.
    pub previous_secret: Option<PreviousSecret>,
    /// Creation time.
    pub created_at: UnixTime,
    /// RFC 9126 §6 `require_pushed_authorization_requests`: its
    /// authorization requests are accepted only by reference to a pushed
    /// request.
    pub require_pushed_authorization_requests: bool,
    /// What its users' `sub` is (OIDC Core §8): their id, or a pairwise
    /// identifier of the client's sector ([`crate::subject`]).
    pub subject_type: SubjectType,
    /// OIDC Registration §2 `sector_identifier_uri`: a JSON array listing
    /// the client's redirect URIs, checked at registration; its host is the
    /// client's sector for pairwise subjects.
    pub sector_identifier_uri: Option<String>,
    /// Web origins a browser app of this client may call the token,
    /// UserInfo, revocation, introspection and device authorization
    /// endpoints from (CORS, [`crate::cors`]), besides those of its http(s)
    /// redirect URIs: each `scheme://host[:port]`, as browsers send it.
    pub allowed_origins: Vec<String>,
}

/// OIDC Core §8 subject identifier types (Registration §2 `subject_type`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SubjectType {
    /// The same `sub` for every client: the user's id.
    #[default]
    Public,
    /// A different `sub` per sector (OIDC Core §8.1).
    Pairwise,
}

impl SubjectType {
    /// The registration name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }

    /// Parses a registration name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "public" => Some(Self::Public),
            "pairwise" => Some(Self::Pairwise),
            _ => None,
        }
    }
}

/// A client secret replaced by a rotation and accepted until `expires_at`,
/// so that the client's deployments can switch without an outage.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PreviousSecret {
    /// Hash of the old secret.
    pub hash: SecretHash,
    /// The first instant it is refused.
    pub expires_at: UnixTime,
}

/// A user of one tenant.
#[derive(Clone, Debug)]
pub struct UserRecord {
    /// `sub`.
    pub id: UserId,
    /// Login name and `email` claim: the canonical form
    /// ([`crate::email::EmailAddress`]), unique per tenant. Rows written
    /// before emails were normalized keep the text they were stored with.
    pub email: String,
    /// `email_verified` claim.
    pub email_verified: bool,
    /// `name` claim.
    pub name: Option<String>,
    /// argon2id PHC string; `None` if the user cannot log in with a password.
    pub password_hash: Option<String>,
    /// Disabled by an administrator: cannot sign in or get tokens.
    pub disabled: bool,
    /// Creation time.
    pub created_at: UnixTime,
    /// Last change, the `updated_at` claim.
    pub updated_at: UnixTime,
}

/// A user whose email is not (yet) indexed under its canonical form
/// ([`crate::store::UserStore::unindexed_emails`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnindexedEmail {
    /// The user's tenant.
    pub tenant: TenantId,
    /// The user.
    pub user: UserId,
    /// The email as stored.
    pub email: String,
}

/// A server-side login session, found by the hash of its cookie.
#[derive(Clone, Debug)]
pub struct SessionRecord {
    /// Public id, the `sid` claim.
    pub id: SessionId,
    /// Hash of the cookie value.
    pub secret_hash: SecretHash,
    /// Who is logged in.
    pub user_id: UserId,
    /// When the user last authenticated (the `auth_time` claim).
    pub auth_time: UnixTime,
    /// How: the `amr` values (RFC 8176), space-separated: `pwd`, or
    /// `fed github` after a sign-in through an upstream ([`crate::acr`]).
    pub amr: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// Absolute expiry.
    pub expires_at: UnixTime,
}

/// An authorization request waiting for the user (login or consent).
#[derive(Clone, Debug)]
pub struct InteractionRecord {
    /// Hash of the interaction id carried in the page URL.
    pub id_hash: SecretHash,
    /// The validated request, serialized by the core (opaque to the store).
    pub request_json: String,
    /// Set once the user has logged in during this interaction.
    pub session_id: Option<SessionId>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// A pushed authorization request (RFC 9126 §2): the parameters a client
/// sent to the PAR endpoint, waiting for the browser to bring its
/// `request_uri` to the authorization endpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PushedRequestRecord {
    /// Hash of the `request_uri` (the store never sees the URI itself).
    pub request_uri_hash: SecretHash,
    /// The client that pushed it, which alone may use it (§4).
    pub client_id: ClientId,
    /// The authorization request's parameters, serialized by the core
    /// (opaque to the store).
    pub params: String,
    /// The first instant it is refused (§2.2 `expires_in`).
    pub expires_at: UnixTime,
}

/// Scopes a user has granted a client (OIDC Core §3.1.2.4).
#[derive(Clone, Debug)]
pub struct ConsentRecord {
    /// The user.
    pub user_id: UserId,
    /// The client.
    pub client_id: ClientId,
    /// Granted scopes, space-separated.
    pub scope: String,
    /// Last update.
    pub updated_at: UnixTime,
}

/// An authorization code (RFC 6749 §4.1.2), found by its hash.
#[derive(Clone, Debug)]
pub struct CodeRecord {
    /// Hash of the code.
    pub code_hash: SecretHash,
    /// The grant this code starts.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user.
    pub user_id: UserId,
    /// The session it was issued in.
    pub session_id: SessionId,
    /// The redirect URI of the request, compared at the token endpoint (§4.1.3).
    pub redirect_uri: String,
    /// Granted scope, space-separated.
    pub scope: String,
    /// `nonce` of the request.
    pub nonce: Option<String>,
    /// PKCE S256 challenge (RFC 7636 §4.3).
    pub code_challenge: Option<String>,
    /// The `claims` request, serialized by the core (opaque to the store).
    pub claims: Option<String>,
    /// Time of the authentication.
    pub auth_time: UnixTime,
    /// How the user authenticated: the session's `amr`, space-separated.
    pub amr: String,
    /// Expiry (short: 60 s).
    pub expires_at: UnixTime,
    /// The resource indicators (RFC 8707) of the request, space-separated
    /// absolute URIs (opaque to the store); `None` when none was asked for.
    pub resource: Option<String>,
}

/// What [`GrantStore::take_code`](super::GrantStore::take_code) found.
#[derive(Clone, Debug)]
pub enum TakenCode {
    /// First use: the code is now consumed.
    Fresh(CodeRecord),
    /// The code had already been used (RFC 6749 §4.1.2: revoke its grant).
    AlreadyUsed(CodeRecord),
    /// No such code.
    Unknown,
}

/// A refresh token (RFC 6749 §6), found by its hash.
#[derive(Clone, Debug)]
pub struct RefreshTokenRecord {
    /// Hash of the token.
    pub token_hash: SecretHash,
    /// The grant (family) this token belongs to.
    pub grant_id: GrantId,
    /// The client it was issued to.
    pub client_id: ClientId,
    /// The user.
    pub user_id: UserId,
    /// The session of the original authentication.
    pub session_id: SessionId,
    /// Granted scope, space-separated.
    pub scope: String,
    /// The `claims` request of the original authorization (opaque to the store).
    pub claims: Option<String>,
    /// Time of the original authentication.
    pub auth_time: UnixTime,
    /// How the user authenticated then: the session's `amr`, space-separated.
    pub amr: String,
    /// Issue time.
    pub issued_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
    /// When it was exchanged for a new token; a second exchange is a reuse.
    pub consumed_at: Option<UnixTime>,
    /// Whether its family was revoked.
    pub revoked: bool,
    /// The resource indicators (RFC 8707) of the original authorization,
    /// space-separated (opaque to the store); `None` when none was asked for.
    pub resource: Option<String>,
}

/// What [`GrantStore::rotate_refresh_token`](super::GrantStore::rotate_refresh_token) did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Rotation {
    /// The old token was live: it is now consumed and the new one stored.
    Rotated,
    /// The old token had already been consumed or revoked: nothing stored.
    /// The caller revokes the family (RFC 9700 §4.14.2).
    Reused,
}

/// Where a device authorization stands (RFC 8628 §3.4-§3.5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DeviceStatus {
    /// Waiting for the user.
    Pending,
    /// The user approved on the verification page.
    Approved,
    /// The user denied.
    Denied,
}

impl DeviceStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Approved => "approved",
            Self::Denied => "denied",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(Self::Pending),
            "approved" => Some(Self::Approved),
            "denied" => Some(Self::Denied),
            _ => None,
        }
    }
}

/// A device authorization (RFC 8628 §3.2): found by the hash of its device
/// code when the device polls, by its user code when the user types it.
#[derive(Clone, Debug)]
pub struct DeviceCodeRecord {
    /// Hash of the device code.
    pub device_code_hash: SecretHash,
    /// The user code, normalized (uppercase, no dash).
    pub user_code: String,
    /// The grant the tokens will belong to.
    pub grant_id: GrantId,
    /// The device's client.
    pub client_id: ClientId,
    /// Requested scope, space-separated.
    pub scope: String,
    /// Where it stands.
    pub status: DeviceStatus,
    /// Who approved, once approved.
    pub user_id: Option<UserId>,
    /// The session the approval was made in.
    pub session_id: Option<SessionId>,
    /// Time of the approving user's authentication.
    pub auth_time: Option<UnixTime>,
    /// Minimum seconds between polls (raised by `slow_down`, RFC 8628 §3.5).
    pub interval: i64,
    /// When the device last polled.
    pub last_poll_at: Option<UnixTime>,
    /// When the device redeemed it; a device code is redeemable once.
    pub consumed_at: Option<UnixTime>,
    /// Creation time.
    pub created_at: UnixTime,
    /// Expiry.
    pub expires_at: UnixTime,
}

/// The user's answer on the verification page.
#[derive(Clone, Debug)]
pub enum DeviceDecision {
    /// Approved by this user, in this session.
    Approve {
        /// The user.
        user_id: UserId,
        /// The session.
        session_id: SessionId,
        /// When the user authenticated.
        auth_time: UnixTime,
    },
    /// Denied.
    Deny,
}

/// What identifies an access token for revocation checks: its own `jti`,
/// the grant it came from and the session it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct AccessTokenRef<'a> {
    /// The token's `jti`.
    pub jti: &'a str,
    /// Its grant, absent for client credentials.
    pub grant_id: Option<&'a GrantId>,
    /// Its session, absent for client credentials.
    pub session_id: Option<&'a SessionId>,
}
