//! Client authentication at the token endpoint (RFC 6749 §2.3):
//! `client_secret_basic`, `client_secret_post`, and `none` for public clients.

use crate::error::{ErrorCode, OAuthError};
use crate::ids::ClientId;
use crate::store::{ClientRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::Params;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use http::HeaderMap;

const INVALID_CLIENT: OAuthError =
    OAuthError::new(ErrorCode::InvalidClient, "client authentication failed");

/// The credentials a request carries.
struct Credentials {
    client_id: String,
    secret: Option<String>,
}

/// RFC 6749 §2.3.1: the Basic user name and password are the
/// form-urlencoded client id and secret.
fn basic_credentials(value: &str) -> Result<Credentials, OAuthError> {
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
    Ok(Credentials {
        client_id: decode(id),
        secret: Some(decode(secret)),
    })
}

fn credentials(headers: &HeaderMap, params: &Params) -> Result<Credentials, OAuthError> {
    let body_id = params.single("client_id")?;
    let body_secret = params.single("client_secret")?;
    if let Some(header) = headers.get(http::header::AUTHORIZATION) {
        let header = header.to_str().map_err(|_| INVALID_CLIENT)?;
        if header.len() > 6 && header[..6].eq_ignore_ascii_case("basic ") {
            if body_secret.is_some() {
                // RFC 6749 §2.3: a client MUST NOT use more than one method.
                return Err(OAuthError::invalid_request(
                    "client used more than one authentication method",
                ));
            }
            let creds = basic_credentials(header)?;
            if body_id.is_some_and(|id| id != creds.client_id) {
                return Err(INVALID_CLIENT);
            }
            return Ok(creds);
        }
    }
    match body_id {
        Some(id) => Ok(Credentials {
            client_id: id.to_owned(),
            secret: body_secret.map(str::to_owned),
        }),
        None => Err(OAuthError::new(
            ErrorCode::InvalidClient,
            "client authentication is required",
        )),
    }
}

/// Authenticates the client of a token-endpoint request. Unknown clients,
/// wrong secrets, a confidential client without a secret or a public client
/// with one all give 401 `invalid_client` (RFC 6749 §5.2).
pub async fn authenticate<S: Store>(
    store: &S,
    tenant: &TenantContext,
    headers: &HeaderMap,
    params: &Params,
) -> Result<ClientRecord, OAuthError> {
    let creds = credentials(headers, params)?;
    let client = store
        .client(&tenant.record.id, &ClientId::new(creds.client_id))
        .await?
        .ok_or(INVALID_CLIENT)?;
    match (&client.secret_hash, creds.secret.as_deref()) {
        (Some(hash), Some(secret)) if hash.matches(secret) => Ok(client),
        (None, None) => Ok(client),
        _ => Err(INVALID_CLIENT),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() -> Result<(), OAuthError> {
        // "my%3Aclient:s%2Bcr%20t" -> id "my:client", secret "s+cr t"
        let value = format!("Basic {}", STANDARD.encode("my%3Aclient:s%2Bcr%20t"));
        let c = basic_credentials(&value)?;
        assert_eq!(c.client_id, "my:client");
        assert_eq!(c.secret.as_deref(), Some("s+cr t"));
        assert!(basic_credentials("Basic !!!").is_err());
        assert!(basic_credentials(&format!("Basic {}", STANDARD.encode("nocolon"))).is_err());
        Ok(())
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
