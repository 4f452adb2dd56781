//! The token endpoint (RFC 6749 §3.2): authenticates the client, dispatches
//! on `grant_type`, and answers JSON with `Cache-Control: no-store`.
//!
//! Grants served: `authorization_code`, `refresh_token`. Client credentials
//! and the device grant come next (`unsupported_grant_type` until then).

mod authorization_code;
mod issue;
mod refresh_token;

use crate::client::auth;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::store::{GrantType, Store};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{HeaderValue, Request, Response, StatusCode};

impl<S: Store> Provider<S> {
    pub(crate) async fn token(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let params = Params::parse(req.body());
        let result = async {
            let client = auth::authenticate(&self.store, tenant, req.headers(), &params).await?;
            let grant = params.required("grant_type")?;
            let grant = GrantType::parse(grant)
                .filter(|g| matches!(g, GrantType::AuthorizationCode | GrantType::RefreshToken))
                .ok_or(OAuthError::new(
                    ErrorCode::UnsupportedGrantType,
                    "grant_type is not supported",
                ))?;
            if !client.grant_types.contains(&grant) {
                return Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "client is not allowed this grant type",
                ));
            }
            match grant {
                GrantType::AuthorizationCode => self.exchange_code(tenant, &client, &params).await,
                _ => self.exchange_refresh_token(tenant, &client, &params).await,
            }
        }
        .await;
        match result {
            Ok(body) => wire::json_no_store(StatusCode::OK, body),
            Err(e) => {
                let mut res = wire::json_error(&e);
                if e.code == ErrorCode::InvalidClient {
                    // RFC 6749 §5.2: a 401 carries the scheme the client may use.
                    res.headers_mut().insert(
                        http::header::WWW_AUTHENTICATE,
                        HeaderValue::from_static("Basic realm=\"token\""),
                    );
                }
                res
            }
        }
    }
}
