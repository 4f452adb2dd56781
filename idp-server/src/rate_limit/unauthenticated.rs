//! Limits on the endpoints anyone may call without credentials and whose
//! requests the provider stores: authorization requests (RFC 6749 §3.1; a
//! request that reaches the login page is kept as an interaction), pushed
//! authorization requests (RFC 9126 §2; public clients push without a
//! secret, and each push is kept until it is used or expires) and dynamic
//! client registration (RFC 7591 §3; a registration is kept as a client).
//! Each has a request rate per address (pushes count against the same
//! allowance as authorization requests: they are the same requests, sent
//! another way), and authorization requests and pushes also carry the
//! address to idp-core, which caps the interactions and pushed requests
//! one address leaves pending (`idp_core::authorize::pending`).
//!
//! The keys are addresses across all tenants, unlike the credential
//! lockouts: what these limits protect is the one database every tenant
//! shares, so an address gets one allowance, not one per tenant it names.
//! Exempt addresses (`RATE_LIMIT_EXEMPT`, loopback by default) skip all
//! three, as they skip every per-address limit.

use super::{KeyKind, Limits, RateLimitSettings, set_retry_after, too_many_requests};
use crate::forwarded::ClientAddr;
use bytes::Bytes;
use http::{Method, Request, Response, StatusCode};
use idp_core::authorize::pending::Requester;
use idp_core::endpoint::{Endpoint, Located};
use idp_core::wire;
use idp_core::{ErrorCode, OAuthError};
use std::time::Duration;

use super::volume::RateGate;

/// The gates, as configured.
pub(super) struct OpenLimits {
    authorize: Option<RateGate>,
    register: Option<RateGate>,
    /// Organisation sign-ups (`/signup` form posts).
    signup: Option<RateGate>,
    /// Whether idp-core is told who sent an authorization request, so that
    /// it applies the pending-interaction cap.
    pending_cap: bool,
}

impl OpenLimits {
    pub(super) fn new(settings: &RateLimitSettings) -> Self {
        let on = settings.enabled;
        Self {
            authorize: on
                .then(|| RateGate::new(settings.authorize_per_ip))
                .flatten(),
            register: on
                .then(|| RateGate::per_minute(settings.register_per_ip))
                .flatten(),
            signup: on
                .then(|| RateGate::per_minute(settings.signup_per_ip))
                .flatten(),
            pending_cap: on && settings.pending_interactions_per_ip > 0,
        }
    }
}

/// `{base}/t/{slug}/authorize` (GET or POST), `{base}/t/{slug}/par` or
/// `{base}/t/{slug}/register` (POST).
fn open_endpoint(base_path: &str, method: &Method, path: &str) -> Option<Endpoint> {
    let endpoint = Located::parse(base_path, path)?.endpoint;
    match endpoint {
        Endpoint::Authorize | Endpoint::PushedAuthorizationRequest | Endpoint::Register
            if endpoint.accepts(method) =>
        {
            Some(endpoint)
        }
        _ => None,
    }
}

/// 429 for an authorization request: a page, since a browser sent it and
/// no client or redirect URI has been validated yet (RFC 6749 §4.1.2.1
/// forbids redirecting before that).
fn authorize_refused(wait: Duration) -> Response<Bytes> {
    let mut res = wire::error_page(&OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "too many sign-in requests from this network; try again in a moment",
    ));
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    set_retry_after(&mut res, wait);
    res
}

impl Limits {
    /// `Err(wait)` when the address `ip` is over `RATE_LIMIT_SIGNUP` (every
    /// sign-up form post counts, taken or not); exempt addresses pass.
    pub fn signup(&self, ip: Option<std::net::IpAddr>) -> Result<(), Duration> {
        let Some(gate) = &self.unauthenticated.signup else {
            return Ok(());
        };
        match ip.filter(|ip| !self.exempt.contains(*ip)) {
            Some(ip) => gate.check(self.key(KeyKind::Address, "", super::AddressKey::from(ip))),
            None => Ok(()),
        }
    }

    /// The 429 (with `Retry-After`) for `req` if its address is over a
    /// limit; else `None`, and an authorization request is marked with its
    /// requester for idp-core's pending-interaction cap.
    pub fn refuse_unauthenticated(
        &self,
        base_path: &str,
        req: &mut Request<Bytes>,
    ) -> Option<Response<Bytes>> {
        let endpoint = open_endpoint(base_path, req.method(), req.uri().path())?;
        let ip = req.extensions().get::<ClientAddr>().map(|c| c.0);
        let ip = ip.filter(|ip| !self.exempt.contains(*ip))?;
        let key = self.key(KeyKind::Address, "", super::AddressKey::from(ip));
        let open = &self.unauthenticated;
        match endpoint {
            Endpoint::Authorize => {
                if let Some(Err(wait)) = open.authorize.as_ref().map(|g| g.check(key)) {
                    return Some(authorize_refused(wait));
                }
                if open.pending_cap {
                    req.extensions_mut().insert(Requester(key));
                }
            }
            // A JSON answer: the client, not a browser, pushes. What it
            // pushes is stored too, under the same cap.
            Endpoint::PushedAuthorizationRequest => {
                if let Some(Err(wait)) = open.authorize.as_ref().map(|g| g.check(key)) {
                    return Some(too_many_requests(wait));
                }
                if open.pending_cap {
                    req.extensions_mut().insert(Requester(key));
                }
            }
            _ => {
                if let Some(Err(wait)) = open.register.as_ref().map(|g| g.check(key)) {
                    return Some(too_many_requests(wait));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_authorization_and_registration_endpoints() {
        assert_eq!(
            open_endpoint("", &Method::GET, "/t/acme/authorize"),
            Some(Endpoint::Authorize)
        );
        assert_eq!(
            open_endpoint("/idp", &Method::POST, "/idp/t/acme/authorize"),
            Some(Endpoint::Authorize)
        );
        assert_eq!(
            open_endpoint("", &Method::POST, "/t/acme/register"),
            Some(Endpoint::Register)
        );
        assert_eq!(
            open_endpoint("", &Method::POST, "/t/acme/par"),
            Some(Endpoint::PushedAuthorizationRequest)
        );
        assert_eq!(open_endpoint("", &Method::GET, "/t/acme/par"), None);
        assert_eq!(open_endpoint("", &Method::GET, "/t/acme/register"), None);
        assert_eq!(open_endpoint("", &Method::POST, "/t/acme/token"), None);
        assert_eq!(open_endpoint("", &Method::GET, "/t/acme/authorize/x"), None);
    }
}
