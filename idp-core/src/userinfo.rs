//! The UserInfo endpoint (OIDC Core §5.3): GET or POST, bearer token in the
//! `Authorization` header or, on POST, the form body (RFC 6750 §2.1, §2.2).

use crate::error::{ErrorCode, OAuthError};
use crate::jwks::SigningAlg;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::Store;
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{HeaderValue, Method, Request, Response, StatusCode};
use serde_json::Value;

/// Finds the bearer token; RFC 6750 §2: exactly one method. The URI query
/// method (§2.3) is not offered (tokens in URLs end up in logs and
/// `Referer`), so a token there is refused with a message saying where it
/// belongs rather than answered as if no token had been sent.
fn bearer(req: &Request<Bytes>) -> Result<Option<String>, OAuthError> {
    let in_query = req.uri().query().is_some_and(|q| {
        Params::parse(q.as_bytes())
            .pairs()
            .iter()
            .any(|(k, _)| k == "access_token")
    });
    if in_query {
        return Err(OAuthError::invalid_request(
            "send the access token in the Authorization header (Authorization: Bearer <token>, RFC 6750 section 2.1), not in the query string",
        ));
    }
    let header = crate::wire::bearer_token(req.headers()).map(str::to_owned);
    let is_form = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    let form = if req.method() == Method::POST && is_form {
        Params::parse(req.body())
            .single("access_token")?
            .map(str::to_owned)
    } else {
        None
    };
    match (header, form) {
        (Some(_), Some(_)) => Err(OAuthError::invalid_request(
            "the access token was sent in more than one way",
        )),
        (h, f) => Ok(h.or(f)),
    }
}

/// RFC 6750 §3: `error_description` in the challenge holds only
/// %x20-21 / %x23-5B / %x5D-7E; anything else (a quote, a backslash, a
/// non-ASCII character such as `§`) becomes a space.
fn header_safe(description: &str) -> String {
    description
        .chars()
        .map(|c| match c {
            '\x20'..='\x21' | '\x23'..='\x5b' | '\x5d'..='\x7e' => c,
            _ => ' ',
        })
        .collect()
}

/// RFC 6750 §3: the challenge, with the error code when there is one.
pub(crate) fn challenge(tenant: &TenantContext, error: Option<&OAuthError>) -> Response<Bytes> {
    let mut value = format!("Bearer realm=\"{}\"", tenant.issuer);
    let (status, body) = match error {
        Some(e) => {
            value.push_str(&format!(
                ", error=\"{}\", error_description=\"{}\"",
                e.code.as_str(),
                header_safe(&e.description)
            ));
            (e.code.status(), wire::error_body(e))
        }
        None => (StatusCode::UNAUTHORIZED, Vec::new()),
    };
    let mut res = wire::json_no_store(status, body);
    if let Ok(v) = HeaderValue::from_str(&value) {
        res.headers_mut().insert(http::header::WWW_AUTHENTICATE, v);
    }
    res
}

impl<S: Store> Provider<S> {
    pub(crate) async fn userinfo(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let token = match bearer(&req) {
            Ok(Some(t)) => t,
            Ok(None) => return challenge(tenant, None),
            Err(e) => return challenge(tenant, Some(&e)),
        };
        let claims = match self.active_access_token(tenant, &token).await {
            Ok(c) => c,
            Err(e) => return challenge(tenant, Some(&e)),
        };
        let browser = crate::cors::request_origin(req.headers()).is_some();
        let mut res = self.userinfo_of(tenant, &claims).await;
        // CORS: the answer concerns the token's client (`crate::cors`); a
        // cache hit (the token's check just read the client).
        if browser
            && let Ok(Some(client)) = self
                .cached_client(&tenant.record.id, &claims.client_id)
                .await
        {
            res.extensions_mut()
                .insert(crate::cors::Concerned(client.web_origins));
        }
        res
    }

    /// The UserInfo answer for a valid access token.
    async fn userinfo_of(
        &self,
        tenant: &TenantContext,
        claims: &crate::access_token::AccessTokenClaims,
    ) -> Response<Bytes> {
        let scopes = Scopes::from_stored(&claims.scope);
        if !scopes.contains("openid") {
            return challenge(
                tenant,
                Some(&OAuthError::new(
                    ErrorCode::InsufficientScope,
                    "the token was not granted the openid scope",
                )),
            );
        }
        // A pairwise subject (OIDC Core §8.1) carries the user sealed.
        let Some(user_id) = claims.user(tenant) else {
            return challenge(
                tenant,
                Some(&OAuthError::new(
                    ErrorCode::InvalidToken,
                    "the access token is invalid",
                )),
            );
        };
        let user = match self.store.user(&tenant.record.id, &user_id).await {
            Ok(Some(u)) => u,
            Ok(None) => {
                return challenge(
                    tenant,
                    Some(&OAuthError::new(
                        ErrorCode::InvalidToken,
                        "the user no longer exists",
                    )),
                );
            }
            Err(e) => return wire::json_error(&OAuthError::from(e)),
        };
        let mut body = crate::user::claims_for(&user, &scopes);
        body.extend(crate::claims::values_of(&user, &claims.userinfo_claims));
        // The user's roles now, not those the token carries (crate::roles_claim).
        match crate::roles_claim::granted(&*self.store, &tenant.record.id, &user.id, &scopes).await
        {
            Ok(Some(roles)) => {
                body.insert(crate::roles_claim::CLAIM.into(), Value::from(roles));
            }
            Ok(None) => {}
            Err(e) => return wire::json_error(&OAuthError::from(e)),
        }
        // The subject the client sees, as in its ID token.
        body.insert("sub".into(), Value::String(claims.sub.clone()));
        match self.userinfo_signing_alg(tenant, &claims.client_id).await {
            Ok(Some(alg)) => self.signed_userinfo(tenant, &claims.client_id, alg, body),
            Ok(None) => match serde_json::to_vec(&body) {
                Ok(b) => wire::json_no_store(StatusCode::OK, b),
                Err(e) => wire::json_error(&OAuthError::server(e)),
            },
            Err(e) => wire::json_error(&e),
        }
    }

    /// The client's `userinfo_signed_response_alg` (OIDC Registration §2), if
    /// any: parsed once when the client is loaded into the cache (ADR 0018),
    /// so a cached client costs no store read and no JSON parse here.
    async fn userinfo_signing_alg(
        &self,
        tenant: &TenantContext,
        client_id: &str,
    ) -> Result<Option<SigningAlg>, OAuthError> {
        let client = self.cached_client(&tenant.record.id, client_id).await?;
        Ok(client.and_then(|c| c.userinfo_alg))
    }

    /// OIDC Core §5.3.2: the claims as a JWT signed for the client, with
    /// `iss` and `aud`, served as `application/jwt`.
    fn signed_userinfo(
        &self,
        tenant: &TenantContext,
        client_id: &str,
        alg: SigningAlg,
        mut body: serde_json::Map<String, Value>,
    ) -> Response<Bytes> {
        let now = self.clock.now();
        let Some(key) = tenant.keys.signing(alg, now) else {
            return wire::json_error(&OAuthError::server(format!(
                "tenant has no {} key",
                alg.as_str()
            )));
        };
        body.insert("iss".into(), Value::String(tenant.issuer.clone()));
        body.insert("aud".into(), Value::String(client_id.to_owned()));
        body.insert("iat".into(), Value::from(now));
        match crate::jose::sign(key, "JWT", &body) {
            Ok(jwt) => {
                let mut res = wire::json_no_store(StatusCode::OK, jwt.into_bytes());
                res.headers_mut().insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/jwt"),
                );
                res
            }
            Err(e) => wire::json_error(&OAuthError::server(e)),
        }
    }
}

#[cfg(test)]
mod header_tests {
    #[test]
    fn challenge_descriptions_keep_only_the_rfc_6750_characters() {
        assert_eq!(
            super::header_safe(r#"say "hi" \ in RFC 6750 §2.1"#),
            "say  hi    in RFC 6750  2.1"
        );
    }
}
