//! Device Authorization Grant (RFC 8628): a device without a browser (a TV,
//! a CLI) gets a device code to poll with and a short user code that the
//! user types on another device's browser, at the verification page.
//!
//! - `Provider::device_authorization` (here): `POST {issuer}/device_authorization`, §3.1-3.2.
//! - [`verification`]: what the verification page calls (§3.3).
//! - the polling grant lives with the other grants in `token::device_code` (§3.4-3.5).
//! - [`guard`]: the limit on wrong user-code entries (§5.1).

pub mod guard;
pub mod user_code;
pub mod verification;

use crate::crypto::{random, secret::SecretHash};
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::ids::GrantId;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::store::{DeviceCodeRecord, DeviceStatus, GrantType, Store, StoreError};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde::Serialize;

/// RFC 8628 §3.2.
#[derive(Serialize)]
struct DeviceAuthorizationResponse<'a> {
    device_code: &'a str,
    user_code: &'a str,
    verification_uri: &'a str,
    verification_uri_complete: &'a str,
    expires_in: i64,
    interval: i64,
}

impl<S: Store> Provider<S> {
    /// `POST {issuer}/device_authorization`.
    pub(crate) async fn device_authorization(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        let params = Params::parse(req.body());
        let endpoint = tenant.url(Endpoint::DeviceAuthorization);
        let result = async {
            let client = self
                .authenticate_client(tenant, &req, &params, &endpoint)
                .await?;
            if !client.grant_types.contains(&GrantType::DeviceCode) {
                return Err(OAuthError::new(
                    ErrorCode::UnauthorizedClient,
                    "client is not allowed the device_code grant",
                ));
            }
            // Unknown scopes are ignored, as at the authorization endpoint.
            let scope = Scopes::parse_supported(params.single("scope")?.unwrap_or(""));
            let now = self.clock.now();
            let lifetimes = &self.config.lifetimes;
            let device_code = random::secret();
            let mut record = DeviceCodeRecord {
                device_code_hash: SecretHash::of(&device_code),
                user_code: user_code::generate(),
                grant_id: GrantId::generate(),
                client_id: client.id.clone(),
                scope: scope.to_param(),
                status: DeviceStatus::Pending,
                user_id: None,
                session_id: None,
                auth_time: None,
                interval: lifetimes.device_poll_interval,
                last_poll_at: None,
                consumed_at: None,
                created_at: now,
                expires_at: now + lifetimes.device_code,
            };
            // A user code can collide with a live one: draw again (rarely).
            let mut tries = 0;
            loop {
                match self
                    .store
                    .create_device_code(&tenant.record.id, &record)
                    .await
                {
                    Ok(()) => break,
                    Err(StoreError::Conflict(_)) if tries < 5 => {
                        tries += 1;
                        record.user_code = user_code::generate();
                    }
                    Err(e) => return Err(e.into()),
                }
            }
            let shown = user_code::display(&record.user_code);
            let verification_uri = tenant.url(Endpoint::Device);
            let complete = format!("{verification_uri}?user_code={shown}");
            serde_json::to_vec(&DeviceAuthorizationResponse {
                device_code: &device_code,
                user_code: &shown,
                verification_uri: &verification_uri,
                verification_uri_complete: &complete,
                expires_in: lifetimes.device_code,
                interval: lifetimes.device_poll_interval,
            })
            .map_err(OAuthError::server)
        }
        .await;
        match result {
            Ok(body) => wire::json_no_store(StatusCode::OK, body),
            Err(e) => wire::client_error(&e),
        }
    }
}
