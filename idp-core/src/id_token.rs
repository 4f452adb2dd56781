//! ID tokens (OIDC Core §2, §3.1.3.6): signed with the client's registered
//! algorithm (RS256 by default), carrying `at_hash` for the access token
//! issued beside it, `sid` for logout, `azp`, and the authentication
//! context `acr` and `amr` ([`crate::acr`]). `sub` is the one the client
//! sees ([`crate::subject`]: public or pairwise).

use crate::clock::UnixTime;
use crate::error::OAuthError;
use crate::jose;
use crate::store::{ClientRecord, UserRecord};
use crate::tenant::TenantContext;
use serde::Serialize;

#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: &'a str,
    sub: &'a str,
    aud: &'a str,
    exp: UnixTime,
    iat: UnixTime,
    auth_time: UnixTime,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    at_hash: String,
    sid: &'a str,
    azp: &'a str,
    acr: &'static str,
    amr: Vec<&'a str>,
    /// With the `roles` scope ([`crate::roles_claim`]).
    #[serde(skip_serializing_if = "Option::is_none")]
    roles: Option<&'a [String]>,
    /// Claims asked for in the ID token with the `claims` parameter.
    #[serde(flatten)]
    requested: serde_json::Map<String, serde_json::Value>,
}

/// What goes into one ID token.
pub struct IdTokenInput<'a> {
    /// The user's subject as the client sees it ([`crate::subject`]).
    pub sub: &'a str,
    /// The user.
    pub user: &'a UserRecord,
    /// The client (audience and algorithm).
    pub client: &'a ClientRecord,
    /// Time of the authentication.
    pub auth_time: UnixTime,
    /// How the user authenticated: the session's stored `amr` ([`crate::acr`]).
    pub amr: &'a str,
    /// The request's nonce (absent on refresh).
    pub nonce: Option<&'a str>,
    /// The session id.
    pub sid: &'a str,
    /// The access token issued with it.
    pub access_token: &'a str,
    /// Now.
    pub now: UnixTime,
    /// Lifetime in seconds.
    pub lifetime: i64,
    /// Claims asked for in the ID token (`claims` parameter, OIDC Core §5.5).
    pub requested: &'a [String],
    /// The user's roles, when the `roles` scope was granted.
    pub roles: Option<&'a [String]>,
}

/// Signs an ID token.
pub fn sign(tenant: &TenantContext, input: IdTokenInput<'_>) -> Result<String, OAuthError> {
    let alg = input.client.id_token_alg;
    let key = tenant
        .keys
        .signing(alg, input.now)
        .ok_or_else(|| OAuthError::server(format!("tenant has no {} key", alg.as_str())))?;
    let claims = IdTokenClaims {
        iss: &tenant.issuer,
        sub: input.sub,
        aud: input.client.id.as_str(),
        exp: input.now + input.lifetime,
        iat: input.now,
        auth_time: input.auth_time,
        nonce: input.nonce,
        at_hash: jose::half_hash(alg, input.access_token),
        sid: input.sid,
        azp: input.client.id.as_str(),
        acr: crate::acr::acr_of(input.amr),
        amr: crate::acr::amr_values(input.amr),
        roles: input.roles,
        requested: crate::claims::values_of(input.user, input.requested),
    };
    jose::sign(key, "JWT", &claims).map_err(OAuthError::server)
}
