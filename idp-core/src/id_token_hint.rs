//! `id_token_hint`: an ID token this tenant issued, sent back as a hint
//! about the user's session, at the authorization endpoint (OIDC Core
//! §3.1.2.1) and at the end-session endpoint (RP-Initiated Logout 1.0 §2).
//! Both paths accept a hint only through [`verify`].
//!
//! The tenant signs other JWTs with the same keys: access tokens (RFC 9068,
//! `typ: at+jwt`), logout tokens (`typ: logout+jwt`) and signed userinfo
//! responses. Anyone holding a user's access token must not be able to pass
//! it off as an ID token and end that user's session without the
//! confirmation page (issue 12, defect 4), so a hint must be:
//! - signed by one of the tenant's keys, with `iss` the tenant's issuer;
//! - typed as an ID token: header `typ` `JWT` or absent (RFC 7519 §5.1;
//!   RFC 9068 §2.1 and OIDC Back-Channel Logout §2.4 give the others their
//!   own types), without the access-token claims `client_id` and `scope`
//!   (RFC 9068 §2.2), and with the claims an ID token must have (`sub`,
//!   `aud`, `exp`, `iat`: OIDC Core §2), which a signed userinfo response
//!   lacks;
//! - issued to a client of this tenant: its `azp`, or its only `aud`, names
//!   a registered client, and when the request names a client, `aud`
//!   contains it.
//!
//! Expiry is not checked: both specifications allow an expired ID token as a
//! hint (Core §3.1.2.1 "MAY be expired", RP-Initiated Logout §2).

use crate::error::OAuthError;
use crate::ids::{ClientId, UserId};
use crate::jose;
use crate::jose::Audience;
use crate::store::Store;
use crate::tenant::TenantContext;
use serde::Deserialize;

/// What a refused hint is told, whatever the reason: the reason would only
/// help someone probing which of the tenant's tokens pass.
pub const NOT_AN_ID_TOKEN: &str = "id_token_hint is not an ID token of this issuer";

/// What a hint issued to another client is told.
pub const OTHER_CLIENT: &str = "id_token_hint was not issued to this client_id";

/// An `id_token_hint` that checked out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdTokenHint {
    /// The user.
    pub sub: String,
    /// The session it was issued in, if it says.
    pub sid: Option<String>,
    /// The client it was issued to (`azp`, else its only `aud`).
    pub client_id: String,
    /// The sector of the client it was checked against, if that client has
    /// pairwise subjects: `sub` is then that sector's pairwise identifier.
    pub sector: Option<String>,
}

impl IdTokenHint {
    /// Whether the hint's `sub` is `user`: equal to the user id for a public
    /// client, or to the user's pairwise subject recomputed for the
    /// client's sector (OIDC Core §8.1; the pairwise value is one-way).
    pub fn names(&self, tenant: &TenantContext, user: &UserId) -> bool {
        tenant
            .subjects
            .names(&self.sub, self.sector.as_deref(), user)
    }
}

/// The claims read from a hint. `exp` and `iat` only need to be there.
#[derive(Deserialize)]
struct Claims {
    iss: String,
    sub: String,
    aud: Audience,
    #[serde(rename = "exp")]
    _exp: i64,
    #[serde(rename = "iat")]
    _iat: i64,
    #[serde(default)]
    azp: Option<String>,
    #[serde(default)]
    sid: Option<String>,
    /// RFC 9068 §2.2: an access token's.
    #[serde(default)]
    client_id: Option<serde_json::Value>,
    /// RFC 9068 §2.2: an access token's.
    #[serde(default)]
    scope: Option<serde_json::Value>,
}

/// The hint's claims, if `token` is an ID token of `tenant` (signature,
/// issuer, type and shape; see the module docs). No store access.
fn id_token_claims(tenant: &TenantContext, token: &str) -> Option<Claims> {
    let verified = jose::verify(token, &tenant.keys).ok()?;
    let typ_ok = verified
        .header
        .typ
        .as_deref()
        .is_none_or(|t| t.eq_ignore_ascii_case("JWT"));
    if !typ_ok {
        return None;
    }
    let claims: Claims = serde_json::from_slice(&verified.payload).ok()?;
    (claims.iss == tenant.issuer && claims.client_id.is_none() && claims.scope.is_none())
        .then_some(claims)
}

/// Accepts `token` as an `id_token_hint` of `tenant`, for the request's
/// client if it names one (`client_id`), or else for the client the token
/// was issued to; either must be a registered client of the tenant.
/// Errors are `invalid_request` ([`NOT_AN_ID_TOKEN`], [`OTHER_CLIENT`]).
pub async fn verify<S: Store>(
    store: &S,
    tenant: &TenantContext,
    token: &str,
    client_id: Option<&str>,
) -> Result<IdTokenHint, OAuthError> {
    let not_an_id_token = || OAuthError::invalid_request(NOT_AN_ID_TOKEN);
    let claims = id_token_claims(tenant, token).ok_or_else(not_an_id_token)?;
    // OIDC Core §2: `azp` names the party the token was issued to; without
    // it, a single audience does.
    let issued_to = match (&claims.azp, &claims.aud) {
        (Some(azp), aud) if aud.contains(azp) => azp.clone(),
        (None, Audience::One(a)) => a.clone(),
        (None, Audience::Many(list)) => match list.as_slice() {
            [only] => only.clone(),
            _ => return Err(not_an_id_token()),
        },
        _ => return Err(not_an_id_token()),
    };
    if client_id.is_some_and(|c| !claims.aud.contains(c)) {
        return Err(OAuthError::invalid_request(OTHER_CLIENT));
    }
    let client = ClientId::new(client_id.unwrap_or(&issued_to));
    let Some(client) = store.client(&tenant.record.id, &client).await? else {
        return Err(not_an_id_token());
    };
    Ok(IdTokenHint {
        sub: claims.sub,
        sid: claims.sid,
        client_id: issued_to,
        sector: crate::subject::sector_of(&client),
    })
}
