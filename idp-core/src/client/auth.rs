//! Client authentication at the token, revocation, introspection and device
//! authorization endpoints (RFC 6749 §2.3): `client_secret_basic`,
//! `client_secret_post`, `private_key_jwt` (RFC 7523), and `none` for
//! public clients.

use super::assertion::{self, JWT_BEARER};
use crate::abuse::{Attempt, AttemptResult, ClientAddr, Subject};
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::store::{ClientRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use bytes::Bytes;
use http::{HeaderMap, Request};
use std::sync::Arc;

const INVALID_CLIENT: OAuthError =
    OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");

/// The credentials a request carries.
#[derive(Debug)]
enum Credentials {
    /// A client id with a secret (Basic or body), or without one (public client).
    Secret {
        client_id: String,
        secret: Option<String>,
    },
    /// A signed JWT (`client_assertion`).
    Assertion {
        client_id: String,
        assertion: String,
    },
}

/// RFC 6749 §2.3.1: the Basic user name and password are the
/// form-urlencoded client id and secret.
fn basic_credentials(value: &str) -> Result<(String, String), OAuthError> {
    let encoded = value
        .strip_prefix("Basic ")
        .or_else(|| value.strip_prefix("basic "))
        .ok_or(INVALID_CLIENT)?;
    let decoded = STANDARD
        .decode(encoded.trim())
        .map_err(|_| INVALID_CLIENT)?;
    let text = String::from_utf8(decoded).map_err(|_| INVALID_CLIENT)?;
    let (id, secret) = text.split_once(':').ok_or(INVALID_CLIENT)?;
    let decode = |s: &str| -> String {
        form_urlencoded::parse(format!("x={s}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default()
    };
    Ok((decode(id), decode(secret)))
}

impl Credentials {
    /// The client id they claim.
    fn client_id(&self) -> &str {
        match self {
            Self::Secret { client_id, .. } | Self::Assertion { client_id, .. } => client_id,
        }
    }
}

fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, OAuthError> {
    let body_id = params.single("client_id")?;
    let body_secret = params.single("client_secret")?;
    let assertion = params.single("client_assertion")?;
    let assertion_type = params.single("client_assertion_type")?;
    let basic = match headers.get(http::header::AUTHORIZATION) {
        Some(h) => {
            let h = h.to_str().map_err(|_| INVALID_CLIENT)?;
            (h.len() > 6 && h[..6].eq_ignore_ascii_case("basic ")).then_some(h)
        }
        None => None,
    };
    // RFC 6749 §2.3: a client MUST NOT use more than one method.
    let methods = usize::from(basic.is_some())
        + usize::from(body_secret.is_some())
        + usize::from(assertion.is_some());
    if methods > 1 {
        return Err(OAuthError::invalid_request(
            "client used more than one authentication method",
        ));
    }
    if let Some(assertion) = assertion {
        if assertion_type != Some(JWT_BEARER) {
            return Err(OAuthError::invalid_request(
                "client_assertion_type must be urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            ));
        }
        let client_id = assertion::claimed_client_id(assertion)?;
        if body_id.is_some_and(|id| id != client_id) {
            return Err(INVALID_CLIENT);
        }
        return Ok(Credentials::Assertion {
            client_id,
            assertion: assertion.to_owned(),
        });
    }
    if let Some(header) = basic {
        let (client_id, secret) = basic_credentials(header)?;
        if body_id.is_some_and(|id| id != client_id) {
            return Err(INVALID_CLIENT);
        }
        return Ok(Credentials::Secret {
            client_id,
            secret: Some(secret),
        });
    }
    match body_id {
        Some(id) => Ok(Credentials::Secret {
            client_id: id.to_owned(),
            secret: body_secret.map(str::to_owned),
        }),
        None => Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "client authentication is required",
        )),
    }
}

/// The client id a request to a client-authenticating endpoint claims (the
/// Basic user name, `client_id`, or a `client_assertion`'s issuer), before
/// any credential is checked; `None` if the request names none or is
/// malformed. For keying rate limits on the client: never an authentication.
pub fn claimed_client_id(headers: &HeaderMap, body: &[u8]) -> Option<String> {
    credentials(headers, &Params::parse(body))
        .ok()
        .map(|c| c.client_id().to_owned())
}

impl<S: Store> Provider<S> {
    /// Authenticates the client of `req` to `endpoint` (its full URL, an
    /// acceptable `aud` of an assertion). Unknown clients, wrong secrets or
    /// assertions, a confidential client without credentials or a public
    /// client with some all give 401 `invalid_client` (RFC 6749 §5.2).
    ///
    /// Guarded by the abuse limits ([`crate::abuse`]): a locked (claimed
    /// client, address) or address is refused with 429 before any
    /// credential is checked, and each `invalid_client` or success is
    /// reported to them.
    pub(crate) async fn authenticate_client(
        &self,
        tenant: &TenantContext,
        req: &Request<Bytes>,
        params: &Params,
        endpoint: &str,
    ) -> Result<Arc<ClientRecord>, OAuthError> {
        let creds = credentials(req.headers(), params);
        let attempt = Attempt {
            tenant: &tenant.record.id,
            subject: Subject::Client(creds.as_ref().ok().map(Credentials::client_id)),
            address: req.extensions().get::<ClientAddr>().map(|a| a.0),
        };
        self.admit(&attempt)
            .await
            .map_err(OAuthError::too_many_attempts)?;
        let result = match &creds {
            Ok(creds) => self.check_credentials(tenant, creds, endpoint).await,
            Err(e) => Err(e.clone()),
        };
        match &result {
            Ok(_) => self.settle(&attempt, AttemptResult::Succeeded).await,
            Err(e) if e.code == ErrorCode::InvalidClient => {
                self.settle(&attempt, AttemptResult::Failed).await;
            }
            Err(_) => {}
        }
        result
    }

    async fn check_credentials(
        &self,
        tenant: &TenantContext,
        creds: &Credentials,
        endpoint: &str,
    ) -> Result<Arc<ClientRecord>, OAuthError> {
        let now = self.clock.now();
        // From the cache (ADR 0018): the record holds the secret's hash only.
        let client = self
            .cached_client(&tenant.record.id, creds.client_id())
            .await?
            .ok_or(INVALID_CLIENT)?
            .record;
        match creds {
            Credentials::Assertion { assertion, .. } => {
                self.verify_client_assertion(tenant, &client, assertion, endpoint)
                    .await?;
                Ok(client)
            }
            Credentials::Secret { secret, .. } => match (&client.secret_hash, secret.as_deref()) {
                (Some(hash), Some(secret)) if secret_matches(&client, hash, secret, now) => {
                    Ok(client)
                }
                (None, None)
                    if client.auth_method == crate::store::TokenEndpointAuthMethod::None =>
                {
                    Ok(client)
                }
                _ => Err(INVALID_CLIENT),
            },
        }
    }
}

/// Whether `secret` is the client's secret (`hash`) or, during the grace
/// period after a rotation (ADR 0022), the one it replaced. Both hashes are
/// always compared, in constant time, so the timing tells neither which
/// one matched nor whether a previous secret exists.
fn secret_matches(
    client: &crate::store::ClientRecord,
    hash: &crate::crypto::secret::SecretHash,
    secret: &str,
    now: crate::clock::UnixTime,
) -> bool {
    let previous = client
        .previous_secret
        .filter(|p| now < p.expires_at)
        .map_or(*hash, |p| p.hash);
    hash.matches(secret) | previous.matches(secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() -> Result<(), OAuthError> {
        // "my%3Aclient:s%2Bcr%20t" -> id "my:client", secret "s+cr t"
        let value = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcr%20t"));
        let (id, secret) = basic_credentials(&value)?;
        assert_eq!(id, "my:client");
        assert_eq!(secret, "s+cr t");
        assert!(basic_credentials("Basic !!!").is_err());
        assert!(basic_credentials(&format!("Basic {}", STANDARD.encode("nocolon"))).is_err());
        Ok(())
    }

    #[test]
    fn claimed_client_id_reads_basic_and_body() {
        let mut headers = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode("web%3Aapp:wrong"));
        headers.insert(
            http::header::AUTHORIZATION,
            v.parse().unwrap_or_else(|_| unreachable!()),
        );
        assert_eq!(claimed_client_id(&headers, b"").as_deref(), Some("web:app"));
        let none = HeaderMap::new();
        assert_eq!(
            claimed_client_id(&none, b"client_id=svc&client_secret=x").as_deref(),
            Some("svc")
        );
        assert_eq!(claimed_client_id(&none, b"grant_type=x"), None);
    }

    #[test]
    fn two_methods_at_once_are_refused() {
        let mut headers = HeaderMap::new();
        let v = format!("Basic {}", STANDARD.encode("a:b"));
        headers.insert(
            http::header::AUTHORIZATION,
            v.parse().unwrap_or_else(|_| unreachable!()),
        );
        let params = Params::parse(b"client_secret=b");
        assert_eq!(
            credentials(&headers, &params).err().map(|e| e.code),
            Some(ErrorCode::InvalidRequest)
        );
    }
}
