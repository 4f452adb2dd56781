//! Request objects (OIDC Core §6): the authorization request as a JWT, by
//! value (`request`) or by reference (`request_uri`).
//!
//! The object is signed with one of the client's registered keys (RS256,
//! ES256, EdDSA), or unsigned (`alg: none`) when the client has not asked for
//! a signing algorithm. A `request_uri` must be one the client registered
//! (`request_uris`, compared without its fragment), so a request cannot aim
//! the fetch anywhere; registration and the application's outbound guard
//! keep what clients register off internal addresses (ADR 0019).
//! Parameters in the object take precedence over those in the query
//! (§6.3.3); `client_id` and `response_type` may appear in both only with
//! the same value.

use crate::client::assertion::ClientKeysError;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::ClientId;
use crate::provider::Provider;
use crate::store::{ClientRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;
use serde_json::Value;

fn invalid(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestObject, description)
}

fn invalid_uri(description: &'static str) -> OAuthError {
    OAuthError::new(ErrorCode::InvalidRequestUri, description)
}

/// The one answer to every failure of a registered `request_uri`: refused
/// destination, connection refused, timeout, status, size, not a JWT, bad
/// signature. Telling them apart would let anyone who can register a
/// client map what listens on the provider's network (ADR 0019); the real
/// cause is logged.
pub const UNUSABLE_REQUEST_URI: &str =
    "request_uri did not yield a valid request object for this client";

/// The `request_uris` a client registered (kept with its other metadata).
fn registered_request_uris(client: &ClientRecord) -> Vec<String> {
    serde_json::from_str::<Value>(&client.metadata)
        .ok()
        .and_then(|m| {
            m["request_uris"].as_array().map(|a| {
                a.iter()
                    .filter_map(|v| v.as_str().map(str::to_owned))
                    .collect()
            })
        })
        .unwrap_or_default()
}

/// A request object's claims as parameter values: strings as they are,
/// anything else (`max_age`, `claims`) as its JSON text.
fn to_pairs(claims: &serde_json::Map<String, Value>) -> Vec<(String, String)> {
    claims
        .iter()
        .filter(|(k, _)| !matches!(k.as_str(), "iss" | "aud" | "exp" | "iat" | "nbf" | "jti"))
        .map(|(k, v)| {
            let text = match v {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            (k.clone(), text)
        })
        .collect()
}

impl<S: Store> Provider<S> {
    /// check_request_object: replaces `params` by the request it carries in
    /// `request` or `request_uri`, if any.
    pub(crate) async fn resolve_request_object(
        &self,
        tenant: &TenantContext,
        params: Params,
    ) -> Result<Params, OAuthError> {
        let by_value = params.single("request")?.map(str::to_owned);
        let by_reference = params.single("request_uri")?.map(str::to_owned);
        if by_value.is_none() && by_reference.is_none() {
            return Ok(params);
        }
        if by_value.is_some() && by_reference.is_some() {
            return Err(OAuthError::invalid_request(
                "send either request or request_uri, not both",
            ));
        }
        let client_id = params.required("client_id")?;
        let client = self
            .store
            .client(&tenant.record.id, &ClientId::new(client_id))
            .await?
            .ok_or(OAuthError::invalid_request("unknown client_id"))?;
        let claims = match (by_value, by_reference) {
            (Some(jwt), _) => {
                self.verify_request_object(tenant, &client, jwt.trim())
                    .await?
            }
            (None, Some(uri)) => {
                self.request_object_by_reference(tenant, &client, &uri)
                    .await?
            }
            (None, None) => return Ok(params),
        };
        for name in ["client_id", "response_type"] {
            if let (Some(outer), Some(inner)) = (params.single(name)?, claims.get(name))
                && inner.as_str() != Some(outer)
            {
                return Err(invalid(
                    "client_id and response_type must match the request object",
                ));
            }
        }
        if claims.contains_key("request") || claims.contains_key("request_uri") {
            return Err(invalid("a request object cannot contain another"));
        }
        // §6.3.3: the object's values win; query parameters fill the rest.
        let mut merged = to_pairs(&claims);
        for (k, v) in params.pairs() {
            if k != "request" && k != "request_uri" && !claims.contains_key(k) {
                merged.push((k.clone(), v.clone()));
            }
        }
        Ok(Params::from_pairs(merged))
    }

    /// The request object at a registered `request_uri` (OIDC Core §6.2),
    /// fetched through the application's guarded client and verified. Any
    /// failure after the registration check is [`UNUSABLE_REQUEST_URI`].
    async fn request_object_by_reference(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        uri: &str,
    ) -> Result<serde_json::Map<String, Value>, OAuthError> {
        let without_fragment = uri.split('#').next().unwrap_or(uri);
        let registered = registered_request_uris(client)
            .iter()
            .any(|r| r.split('#').next() == Some(without_fragment));
        if !registered {
            return Err(invalid_uri("request_uri is not registered for this client"));
        }
        let fetch = self
            .fetch
            .as_ref()
            .ok_or(invalid_uri("this provider cannot fetch request_uri"))?;
        let unusable = |cause: &dyn std::fmt::Display| {
            tracing::warn!(client = %client.id, %cause, "request_uri unusable");
            invalid_uri(UNUSABLE_REQUEST_URI)
        };
        let body = fetch(without_fragment.to_owned())
            .await
            .map_err(|e| unusable(&e))?;
        let jwt = std::str::from_utf8(&body).map_err(|_| unusable(&"the document is not text"))?;
        self.verify_request_object(tenant, client, jwt.trim())
            .await
            .map_err(|e| unusable(&e.description))
    }

    async fn verify_request_object(
        &self,
        tenant: &TenantContext,
        client: &ClientRecord,
        jwt: &str,
    ) -> Result<serde_json::Map<String, Value>, OAuthError> {
        let registered_alg = serde_json::from_str::<Value>(&client.metadata)
            .ok()
            .and_then(|m| m["request_object_signing_alg"].as_str().map(str::to_owned));
        let mut parts = jwt.split('.');
        let header: Value = parts
            .next()
            .and_then(crate::jose::b64_decode)
            .and_then(|h| serde_json::from_slice(&h).ok())
            .ok_or(invalid("the request object is not a JWT"))?;
        let alg = header["alg"].as_str().unwrap_or("");
        if registered_alg.as_deref().is_some_and(|r| r != alg) {
            return Err(invalid(
                "the request object is not signed with the registered algorithm",
            ));
        }
        let payload = if alg == "none" {
            // Unsigned: allowed unless the client registered an algorithm
            // (checked above); the signature part must be empty.
            let (Some(p), Some(sig), None) = (parts.next(), parts.next(), parts.next()) else {
                return Err(invalid("the request object is not a JWT"));
            };
            if !sig.is_empty() {
                return Err(invalid("an unsigned request object has no signature"));
            }
            crate::jose::b64_decode(p).ok_or(invalid("the request object is not a JWT"))?
        } else {
            self.verify_with_client_keys(client, jwt)
                .await
                .map_err(|e| match e {
                    ClientKeysError::Unavailable(_) => {
                        invalid("the client has no keys to verify the request object")
                    }
                    ClientKeysError::Rejected => {
                        invalid("the request object's signature does not verify")
                    }
                })?
                .payload
        };
        let claims: serde_json::Map<String, Value> = serde_json::from_slice(&payload)
            .map_err(|_| invalid("the request object's payload is not a JSON object"))?;
        if alg != "none" {
            // A signed object says who made it and for whom (RFC 9101 §4).
            if claims
                .get("iss")
                .and_then(Value::as_str)
                .is_some_and(|i| i != client.id.as_str())
            {
                return Err(invalid("the request object's iss is not the client"));
            }
            let aud_ok = match claims.get("aud") {
                None => true,
                Some(Value::String(a)) => a == &tenant.issuer,
                Some(Value::Array(list)) => list.iter().any(|a| a.as_str() == Some(&tenant.issuer)),
                Some(_) => false,
            };
            if !aud_ok {
                return Err(invalid("the request object's aud is not this issuer"));
            }
        }
        let now = self.clock.now();
        if claims
            .get("exp")
            .and_then(Value::as_i64)
            .is_some_and(|e| e <= now)
        {
            return Err(invalid("the request object has expired"));
        }
        Ok(claims)
    }
}
