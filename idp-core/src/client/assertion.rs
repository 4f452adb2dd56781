//! `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2 and §3): the client signs a
//! short-lived JWT with a key it registered, instead of sending a secret.

use crate::clock::UnixTime;
use crate::error::{ErrorCode, OAuthError};
use crate::jose;
use crate::jwks::PublicKeySet;
use crate::provider::Provider;
use crate::store::{ClientRecord, Store, TokenEndpointAuthMethod};
use crate::tenant::TenantContext;
use bytes::Bytes;
use serde::Deserialize;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An assertion may live at most this long (its `exp` at most this far ahead),
/// which also bounds how long its `jti` must be remembered.
const MAX_LIFETIME: i64 = 3600;
/// Clock skew tolerated on `nbf` and `iat`.
const LEEWAY: i64 = 60;

fn rejected(why: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, why)
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Audience {
    One(String),
    Many(Vec<String>),
}

impl Audience {
    fn contains(&self, value: &str) -> bool {
        match self {
            Audience::One(a) => a == value,
            Audience::Many(list) => list.iter().any(|a| a == value),
        }
    }
}

#[derive(Deserialize)]
struct AssertionClaims {
    iss: String,
    sub: String,
    aud: Audience,
    exp: UnixTime,
    #[serde(default)]
    nbf: Option<UnixTime>,
    #[serde(default)]
    iat: Option<UnixTime>,
    jti: String,
}

/// The client id an assertion claims to come from (its `sub`), read before
/// the signature is checked so that the client's keys can be found.
pub(crate) fn claimed_client_id(assertion: &str) -> Result<String, OAuthError> {
    #[derive(Deserialize)]
    struct Sub {
        sub: String,
    }
    let payload = jose::unverified_payload(assertion)
        .map_err(|_| rejected("client_assertion is not a JWT"))?;
    let sub: Sub = serde_json::from_slice(&payload)
        .map_err(|_| rejected("client_assertion has no sub claim"))?;
    Ok(sub.sub)
}

impl<S: Store> Provider<S> {
    /// The client's registered keys: inline, or fetched from its `jwks_uri`.
    pub(crate) async fn client_keys(
        &self,
        client: &ClientRecord,
    ) -> Result<PublicKeySet, OAuthError> {
        let document: Bytes = match (&client.jwks, &client.jwks_uri) {
            (Some(inline), _) => Bytes::from(inline.clone().into_bytes()),
            (None, Some(uri)) => {
                let Some(fetch) = &self.fetch else {
                    return Err(rejected("this provider cannot fetch the client's jwks_uri"));
                };
                fetch(uri.clone()).await.map_err(|e| {
                    tracing::warn!(client = %client.id, error = %e, "fetching the client's jwks_uri failed");
                    rejected("the client's jwks_uri could not be fetched")
                })?
            }
            (None, None) => return Err(rejected("the client has registered no keys")),
        };
        PublicKeySet::parse(&document).map_err(|_| rejected("the client's JWK Set is unusable"))
    }

    /// Verifies a `private_key_jwt` assertion from `client` (RFC 7523 §3):
    /// signature by one of its keys, `iss` = `sub` = client id, `aud` naming
    /// this issuer or `endpoint`, `exp` in the near future, `nbf`/`iat` not in
    /// the future, and a `jti` never seen before from this client.
    pub(crate) async fn verify_client_assertion(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        assertion: &str,
        endpoint: &str,
    ) -> Result<(), OAuthError> {
        if client.auth_method != TokenEndpointAuthMethod::PrivateKeyJwt {
            return Err(rejected("the client is not registered for private_key_jwt"));
        }
        let keys = self.client_keys(client).await?;
        let verified = jose::verify_with_set(assertion, &keys)
            .map_err(|_| rejected("client_assertion signature does not verify"))?;
        let claims: AssertionClaims = serde_json::from_slice(&verified.payload)
            .map_err(|_| rejected("client_assertion lacks iss, sub, aud, exp or jti"))?;
        let id = client.id.as_str();
        if claims.iss != id || claims.sub != id {
            return Err(rejected(
                "client_assertion iss and sub must be the client id",
            ));
        }
        let token_endpoint = tenant.endpoint("/token");
        if ![tenant.issuer.as_str(), token_endpoint.as_str(), endpoint]
            .iter()
            .any(|a| claims.aud.contains(a))
        {
            return Err(rejected(
                "client_assertion aud must be the issuer or the endpoint",
            ));
        }
        let now = self.clock.now();
        if claims.exp <= now {
            return Err(rejected("client_assertion has expired"));
        }
        if claims.exp > now + MAX_LIFETIME {
            return Err(rejected(
                "client_assertion lives too long (exp at most 1 hour ahead)",
            ));
        }
        if claims.nbf.is_some_and(|t| t > now + LEEWAY)
            || claims.iat.is_some_and(|t| t > now + LEEWAY)
        {
            return Err(rejected("client_assertion is not valid yet"));
        }
        if claims.jti.is_empty() {
            return Err(rejected("client_assertion needs a jti"));
        }
        let first_use = self
            .store
            .use_client_assertion(&tenant.record.id, &client.id, &claims.jti, claims.exp)
            .await?;
        if !first_use {
            return Err(rejected("client_assertion was used before (jti replay)"));
        }
        Ok(())
    }
}
