//! `private_key_jwt` (OIDC Core §9, RFC 7523 §2.2 and §3): the client signs a
//! short-lived JWT with a key it registered, instead of sending a secret.

use crate::clock::UnixTime;
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::jose::Audience;
use crate::jose::{self, JoseError, Verified};
use crate::jwks::PublicKeySet;
use crate::provider::Provider;
use crate::store::{ClientRecord, Store, TokenEndpointAuthMethod};
use crate::tenant::TenantContext;
use serde::Deserialize;
use std::sync::Arc;

/// `client_assertion_type` for a JWT (RFC 7523 §2.2).
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// An assertion may live at most this long (its `exp` at most this far ahead),
/// which also bounds how long its `jti` must be remembered.
const MAX_LIFETIME: i64 = 3600;
/// Clock skew tolerated on `nbf` and `iat`.
const LEEWAY: i64 = 60;

/// The one description of a `jwks_uri` that gave no usable JWK Set.
pub const UNUSABLE_JWKS_URI: &str = "the client's jwks_uri did not yield a usable JWK Set";

fn rejected(why: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidClient, why)
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

/// Why a JWS could not be verified with a client's registered keys.
#[derive(Debug)]
pub(crate) enum ClientKeysError {
    /// The keys could not be had: none registered, no way to fetch them, the
    /// fetch failed, or the set is unusable.
    Unavailable(&'static str),
    /// The JWS does not verify with them (after one re-fetch if its `kid`
    /// was unknown and the cooldown allowed it).
    Rejected,
}

impl<S: Store> Provider<S> {
    /// Verifies `jwt` with the client's registered keys: inline, or from its
    /// `jwks_uri` through the [`JwksCache`](super::jwks_cache::JwksCache),
    /// fetched again when the token names a `kid` the cached set lacks (a
    /// rotated key, OIDC Core §10.1.1).
    pub(crate) async fn verify_with_client_keys(
        &self,
        client: &ClientRecord,
        jwt: &str,
    ) -> Result<Verified, ClientKeysError> {
        let uri = match (&client.jwks, &client.jwks_uri) {
            (Some(inline), _) => {
                let keys = PublicKeySet::parse(inline.as_bytes()).map_err(|_| {
                    ClientKeysError::Unavailable("the client's JWK Set is unusable")
                })?;
                return jose::verify_with_set(jwt, &keys).map_err(|_| ClientKeysError::Rejected);
            }
            (None, Some(uri)) => uri,
            (None, None) => {
                return Err(ClientKeysError::Unavailable(
                    "the client has registered no keys",
                ));
            }
        };
        let now = self.clock.now();
        let (keys, just_fetched) = match self.jwks_cache.fresh(uri, now) {
            Some(keys) => (keys, false),
            None => (self.fetch_client_keys(client, uri, now).await?, true),
        };
        match jose::verify_with_set(jwt, &keys) {
            Err(JoseError::UnknownKey)
                if !just_fetched && self.jwks_cache.claim_refetch(uri, now) =>
            {
                let keys = self.fetch_client_keys(client, uri, now).await?;
                jose::verify_with_set(jwt, &keys).map_err(|_| ClientKeysError::Rejected)
            }
            verified => verified.map_err(|_| ClientKeysError::Rejected),
        }
    }

    /// Fetches and parses the document at the client's `jwks_uri`, and caches it.
    async fn fetch_client_keys(
        &self,
        client: &ClientRecord,
        uri: &str,
        now: UnixTime,
    ) -> Result<Arc<PublicKeySet>, ClientKeysError> {
        let Some(fetch) = &self.fetch else {
            return Err(ClientKeysError::Unavailable(
                "this provider cannot fetch the client's jwks_uri",
            ));
        };
        // One description for every failure (refused destination, no
        // answer, status, size, not a JWK Set), so that it does not tell
        // what listens at the address (ADR 0019); the cause is logged.
        let unusable = |cause: &dyn std::fmt::Display| {
            tracing::warn!(client = %client.id, %cause, "the client's jwks_uri is unusable");
            ClientKeysError::Unavailable(UNUSABLE_JWKS_URI)
        };
        let document = fetch(uri.to_owned()).await.map_err(|e| unusable(&e))?;
        let keys = Arc::new(PublicKeySet::parse(&document).map_err(|e| unusable(&e))?);
        self.jwks_cache.put(uri, Arc::clone(&keys), now);
        Ok(keys)
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
        let verified = self
            .verify_with_client_keys(client, assertion)
            .await
            .map_err(|e| match e {
                ClientKeysError::Unavailable(why) => rejected(why),
                ClientKeysError::Rejected => rejected("client_assertion signature does not verify"),
            })?;
        let claims: AssertionClaims = serde_json::from_slice(&verified.payload)
            .map_err(|_| rejected("client_assertion lacks iss, sub, aud, exp or jti"))?;
        let id = client.id.as_str();
        if claims.iss != id || claims.sub != id {
            return Err(rejected(
                "client_assertion iss and sub must be the client id",
            ));
        }
        let token_endpoint = tenant.url(Endpoint::Token);
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
