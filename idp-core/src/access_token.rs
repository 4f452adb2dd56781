//! Access tokens: JWTs per RFC 9068 (`typ: at+jwt`), signed ES256 because
//! they are minted on every token request and ES256 signs about 18x faster
//! than RS256. A resource server verifies them with the tenant's JWKS.
//! The audience is the resource server asked for with a resource indicator
//! (RFC 8707, `crate::resource`), else the client's default audience, else
//! the client itself.

use crate::clock::UnixTime;
use crate::crypto::random;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::{GrantId, SessionId};
use crate::jose;
use crate::jwks::SigningAlg;
use crate::provider::Provider;
use crate::store::{AccessTokenRef, Store};
use crate::tenant::TenantContext;
use serde::{Deserialize, Serialize};

/// RFC 9068 §2.2 claims.
#[derive(Debug, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    /// Issuer.
    pub iss: String,
    /// The user (or the client, for client credentials).
    pub sub: String,
    /// Audience: the resource server the token is for (RFC 9068 §3).
    pub aud: String,
    /// The client the token was issued to.
    pub client_id: String,
    /// Granted scopes (RFC 9068 §2.2.3), left out when none was granted.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
    /// Expiry.
    pub exp: UnixTime,
    /// Issue time.
    pub iat: UnixTime,
    /// Unique id.
    pub jti: String,
    /// Time of the user's authentication.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth_time: Option<UnixTime>,
    /// Session id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// The grant it was issued from (opaque), so that revoking the grant
    /// (a refresh token, a reused code) deactivates it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gid: Option<String>,
    /// Claims asked for at userinfo with the `claims` parameter (OIDC Core
    /// §5.5), released there beside those of the scopes.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo_claims: Vec<String>,
    /// For a client with pairwise subjects (OIDC Core §8.1), whose `sub`
    /// cannot be mapped back: the user id sealed under the tenant
    /// ([`crate::subject::SubjectKeys::seal_user`]), opaque to the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usr: Option<String>,
    /// The user's application roles when the `roles` scope was granted
    /// (RFC 9068 §2.2.3.1, [`crate::roles_claim`]): read at issuance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub roles: Option<Vec<String>>,
}

impl AccessTokenClaims {
    /// The user the token was issued for: the sealed `usr` if there is one,
    /// else `sub` (a public subject is the user id). `None` if `usr` does
    /// not open under this tenant.
    pub fn user(&self, tenant: &TenantContext) -> Option<crate::ids::UserId> {
        match &self.usr {
            Some(sealed) => tenant.subjects.open_user(sealed),
            None => Some(crate::ids::UserId::new(self.sub.clone())),
        }
    }
}

/// The media type of RFC 9068 tokens, in the `typ` header.
pub const TYP: &str = "at+jwt";

/// Signs an access token.
pub fn sign(tenant: &TenantContext, claims: &AccessTokenClaims) -> Result<String, OAuthError> {
    let key = tenant
        .keys
        .signing(SigningAlg::Es256, claims.iat)
        .ok_or_else(|| OAuthError::server("tenant has no ES256 key"))?;
    jose::sign(key, TYP, claims).map_err(OAuthError::server)
}

/// A fresh `jti`.
pub fn new_jti() -> String {
    random::token(16)
}

/// Verifies an access token of this tenant: signature by one of its keys,
/// `typ` at+jwt (so an ID token is never accepted as an access token), its
/// issuer, and expiry (RFC 9068 §4).
pub fn verify(
    tenant: &TenantContext,
    token: &str,
    now: UnixTime,
) -> Result<AccessTokenClaims, OAuthError> {
    let invalid = |d| OAuthError::new(ErrorCode::InvalidToken, d);
    let verified =
        jose::verify(token, &tenant.keys).map_err(|_| invalid("the access token is invalid"))?;
    if !verified
        .header
        .typ
        .as_deref()
        .is_some_and(|t| t.eq_ignore_ascii_case(TYP))
    {
        return Err(invalid("the token is not an access token"));
    }
    let claims: AccessTokenClaims = serde_json::from_slice(&verified.payload)
        .map_err(|_| invalid("the access token is invalid"))?;
    if claims.iss != tenant.issuer {
        return Err(invalid("the access token is invalid"));
    }
    if claims.exp <= now {
        return Err(invalid("the access token has expired"));
    }
    Ok(claims)
}

impl<S: Store> Provider<S> {
    /// An access token of this tenant that is valid now and was not revoked,
    /// directly or through its grant or session (RFC 7009 §2, RFC 7662 §2.2).
    pub(crate) async fn active_access_token(
        &self,
        tenant: &TenantContext,
        token: &str,
    ) -> Result<AccessTokenClaims, OAuthError> {
        let claims = verify(tenant, token, self.clock.now())?;
        let grant = claims.gid.clone().map(GrantId::new);
        let session = claims.sid.clone().map(SessionId::new);
        let revoked = self
            .store
            .access_token_revoked(
                &tenant.record.id,
                AccessTokenRef {
                    jti: &claims.jti,
                    grant_id: grant.as_ref(),
                    session_id: session.as_ref(),
                },
            )
            .await?;
        // A deleted client's tokens die with it (ADR 0022): its grants are
        // revoked at deletion, and client-credentials tokens, which name
        // none, are refused here once the client is gone (a cache hit
        // costs no store read).
        if revoked
            || self
                .cached_client(&tenant.record.id, &claims.client_id)
                .await?
                .is_none()
        {
            return Err(OAuthError::new(
                ErrorCode::InvalidToken,
                "the access token was revoked",
            ));
        }
        Ok(claims)
    }
}
