//! The token endpoint (RFC 6749 §3.2): authenticates the client, dispatches
//! on `grant_type` to one file per grant, and answers JSON with
//! `Cache-Control: no-store`.

mod authorization_code;
mod client_credentials;
mod device_code;
mod issue;
mod refresh_token;

use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::store::{GrantType, Store};
use crate::telemetry;
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Request, Response, StatusCode};

/// RFC 6749 §3.2: the token request is `application/x-www-form-urlencoded`.
/// A JSON body, a common mistake of hand-written clients, would otherwise be
/// parsed as an empty form and answered with a misleading "grant_type is
/// required" or "invalid_client"; say what is wrong instead.
fn check_form_body(req: &Request<Bytes>) -> Result<(), OAuthError> {
    let is_json = req
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(str::trim)
        .is_some_and(|m| {
            let m = m.to_ascii_lowercase();
            m == "application/json" || (m.starts_with("application/") && m.ends_with("+json"))
        });
    if is_json {
        return Err(OAuthError::invalid_request(
            "the token request body must be application/x-www-form-urlencoded (RFC 6749 §3.2), not JSON",
        ));
    }
    Ok(())
}

impl<S: Store> Provider<S> {
    pub(crate) async fn token(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let params = Params::parse(req.body());
        let endpoint = tenant.url(Endpoint::Token);
        let result = async {
            check_form_body(&req)?;
            let client = self
                .authenticate_client(tenant, &req, &params, &endpoint)
                .await?;
            let grant = params.required("grant_type")?;
            let grant = GrantType::parse(grant).ok_or(OAuthError::new(
                ErrorCode::UnsupportedGrantType,
                "grant_type is not supported",
            ))?;
            if !client.grant_types.contains(&grant) {
                return Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "client is not allowed this grant type",
                ));
            }
            let body = match grant {
                GrantType::AuthorizationCode => self.exchange_code(tenant, &client, &params).await,
                GrantType::RefreshToken => {
                    self.exchange_refresh_token(tenant, &client, &params).await
                }
                GrantType::ClientCredentials => {
                    self.client_credentials(tenant, &client, &params).await
                }
                GrantType::DeviceCode => self.exchange_device_code(tenant, &client, &params).await,
            }?;
            Ok((grant, body))
        }
        .await;
        match result {
            Ok((grant, body)) => {
                telemetry::token_issued(grant);
                wire::json_no_store(StatusCode::OK, body)
            }
            Err(e) => wire::client_error(&e),
        }
    }
}
