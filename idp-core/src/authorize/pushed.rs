//! Pushed Authorization Requests (RFC 9126): a client sends its
//! authorization request's parameters straight to `POST {issuer}/par`,
//! authenticated as at the token endpoint, and gets a short-lived
//! `request_uri` to send the browser to the authorization endpoint with.
//!
//! The pushed parameters go through the same checks as at the
//! authorization endpoint ([`request::validate`], request objects included),
//! so errors come back as JSON to the client (§2.3) instead of to a
//! browser. The authorization endpoint takes the pushed request once, by
//! its `request_uri` (kept only as a hash, in the store, so the push and
//! the browser may reach different instances), refuses it after its
//! lifetime or for another client than the one that pushed it, and then
//! validates its parameters again, exactly as if they had been sent there
//! (§4): outer parameters other than `client_id` and `request_uri` are
//! ignored.
//!
//! A client registered with `require_pushed_authorization_requests`
//! (§6) gets its other authorization requests refused.
//!
//! A public client pushes without a secret, so anyone can push for it:
//! a pushed request holds a slot of its sender's pending-interaction cap
//! ([`super::pending`]) until it is used or expires, so that the pushes
//! and interactions one address keeps stored at once stay under one bound.
//!
//! Not supported: redirect URIs that are not registered (§2.4 allows
//! them for authenticated clients; this provider matches exactly, always),
//! and `request_uri` in the pushed request (§2.1 forbids it).

use super::bounds;
use super::pending::Requester;
use super::request::{self, Rejection};
use crate::crypto::{random, secret::SecretHash};
use crate::endpoint::Endpoint;
use crate::error::{ErrorCode, OAuthError};
use crate::provider::Provider;
use crate::store::{PushedRequestRecord, Store};
use crate::tenant::TenantContext;
use crate::wire::{self, Params};
use bytes::Bytes;
use http::{Request, Response, StatusCode};
use serde::Serialize;

/// RFC 9126 §2.2: the prefix of the `request_uri`s this provider issues.
pub const REQUEST_URI_PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// What the client authenticates with: not part of the authorization
/// request (RFC 9126 §2.1).
const CLIENT_AUTHENTICATION: [&str; 3] =
    ["client_secret", "client_assertion", "client_assertion_type"];

/// RFC 9126 §2.2.
#[derive(Serialize)]
struct PushedResponse<'a> {
    request_uri: &'a str,
    expires_in: i64,
}

/// `request_uri` is one of this provider's pushed requests.
pub fn is_pushed_request_uri(uri: &str) -> bool {
    uri.starts_with(REQUEST_URI_PREFIX)
}

impl<S: Store> Provider<S> {
    /// `POST {issuer}/par` (RFC 9126 §2).
    pub(crate) async fn push_authorization_request(
        &self,
        tenant: &TenantContext,
        req: Request<Bytes>,
    ) -> Response<Bytes> {
        if let Err(e) = bounds::check_request_size(req.body()) {
            return wire::json_error(&e);
        }
        let params = Params::parse(req.body());
        let endpoint = tenant.url(Endpoint::PushedAuthorizationRequest);
        let result = async {
            let client = self
                .authenticate_client(tenant, &req, &params, &endpoint)
                .await?;
            if params.single("request_uri")?.is_some() {
                return Err(OAuthError::invalid_request(
                    "request_uri must not be pushed (RFC 9126 §2.1)",
                ));
            }
            let mut pairs: Vec<(String, String)> = params
                .pairs()
                .iter()
                .filter(|(k, _)| !CLIENT_AUTHENTICATION.contains(&k.as_str()))
                .cloned()
                .collect();
            // A client authenticating with Basic may leave client_id out of
            // the body; the request is its own.
            if params.single("client_id")?.is_none() {
                pairs.push(("client_id".to_owned(), client.id.as_str().to_owned()));
            }
            let pushed = Params::from_pairs(pairs);
            bounds::check_parameter_sizes(&pushed)?;
            let pushed = self.resolve_request_object(tenant, pushed).await?;
            if pushed.single("client_id")? != Some(client.id.as_str()) {
                return Err(OAuthError::invalid_request(
                    "client_id must be the authenticated client's",
                ));
            }
            bounds::check_parameter_sizes(&pushed)?;
            match request::validate(&*self.store, tenant, &pushed).await {
                Ok(_) => {}
                Err(Rejection::Page(error) | Rejection::Redirect { error, .. }) => {
                    return Err(error);
                }
            }
            let serialized = serde_json::to_string(pushed.pairs()).map_err(OAuthError::server)?;
            bounds::check_stored_size(&serialized)?;
            let request_uri = format!("{REQUEST_URI_PREFIX}{}", random::secret());
            let lifetime = self.config.lifetimes.pushed_request;
            let now = self.clock.now();
            let record = PushedRequestRecord {
                request_uri_hash: SecretHash::of(&request_uri),
                client_id: client.id.clone(),
                params: serialized,
                expires_at: now + lifetime,
            };
            if let Some(requester) = req.extensions().get::<Requester>().copied()
                && let Err(wait) =
                    self.pending
                        .admit(requester, &record.request_uri_hash, record.expires_at, now)
            {
                return Err(OAuthError::too_many_attempts(
                    std::time::Duration::from_secs(wait.max(1).unsigned_abs()),
                ));
            }
            if let Err(e) = self
                .store
                .create_pushed_request(&tenant.record.id, &record)
                .await
            {
                self.pending.release(&record.request_uri_hash);
                return Err(e.into());
            }
            let body = PushedResponse {
                request_uri: &request_uri,
                expires_in: lifetime,
            };
            serde_json::to_vec(&body).map_err(OAuthError::server)
        }
        .await;
        match result {
            Ok(body) => wire::json_no_store(StatusCode::CREATED, body),
            Err(e) => wire::client_error(&e),
        }
    }

    /// check_pushed_request: when `request_uri` is one of this provider's
    /// (RFC 9126 §4), the parameters pushed with it, taken once, in place
    /// of the request's; `None` for any other request. Its errors are for
    /// a page: no redirect URI has been validated yet.
    ///
    /// The pushed request is taken before its client is compared, so a
    /// `request_uri` presented by the wrong client is spent: a
    /// `request_uri` that leaked is not retried.
    pub(crate) async fn pushed_request_params(
        &self,
        tenant: &TenantContext,
        params: &Params,
    ) -> Result<Option<Params>, OAuthError> {
        let Some(uri) = params.single("request_uri")? else {
            return Ok(None);
        };
        if !is_pushed_request_uri(uri) {
            return Ok(None);
        }
        if params.single("request")?.is_some() {
            return Err(OAuthError::invalid_request(
                "send either request or request_uri, not both",
            ));
        }
        // §4: client_id is required beside request_uri.
        let client_id = params.required("client_id")?;
        let hash = SecretHash::of(uri);
        let taken = self
            .store
            .take_pushed_request(&tenant.record.id, &hash, self.clock.now())
            .await?;
        // Used (or expired): its slot of the sender's cap is free again.
        self.pending.release(&hash);
        let taken = taken.ok_or(OAuthError::new(
            ErrorCode::InvalidRequestUri,
            "request_uri is unknown, expired or already used",
        ))?;
        if taken.client_id.as_str() != client_id {
            return Err(OAuthError::new(
                ErrorCode::InvalidRequestUri,
                "request_uri was not pushed by this client",
            ));
        }
        let pairs: Vec<(String, String)> =
            serde_json::from_str(&taken.params).map_err(OAuthError::server)?;
        Ok(Some(Params::from_pairs(pairs)))
    }
}
