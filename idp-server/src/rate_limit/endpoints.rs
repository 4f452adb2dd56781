//! Limits around the protocol endpoints that authenticate clients: token,
//! introspection, revocation and device authorization. Failed client
//! authentication (`invalid_client`, RFC 6749 §5.2) is counted per claimed
//! client and per address, with lockouts; the token endpoint has a request
//! rate per address and introspection one per client.
//!
//! The cost when nothing has failed recently and the peer is exempt (the
//! benchmark's case) is a path match and two atomic loads.

use super::{KeyKind, Limits, too_many_requests};
use crate::app::App;
use crate::forwarded::ClientAddr;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use std::time::Instant;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Endpoint {
    Token,
    Introspection,
    /// Revocation and device authorization: failure lockouts only.
    OtherClientAuth,
}

/// `{base}/t/{slug}/{endpoint}` for a guarded endpoint.
fn guarded<'a>(base_path: &str, path: &'a str) -> Option<(&'a str, Endpoint)> {
    let rest = path.strip_prefix(base_path)?.strip_prefix("/t/")?;
    let (slug, endpoint) = rest.split_once('/')?;
    let endpoint = match endpoint {
        "token" => Endpoint::Token,
        "introspect" => Endpoint::Introspection,
        "revoke" | "device_authorization" => Endpoint::OtherClientAuth,
        _ => return None,
    };
    Some((slug, endpoint))
}

impl Limits {
    fn client_key(&self, slug: &str, headers: &HeaderMap, body: &[u8]) -> Option<u64> {
        let id = idp_core::client::auth::claimed_client_id(headers, body)?;
        Some(self.key(KeyKind::Client, slug, id.as_str()))
    }
}

/// Whether a response is RFC 6749 §5.2's `invalid_client`.
fn is_invalid_client(res: &Response<Bytes>) -> bool {
    res.status() == StatusCode::UNAUTHORIZED
        && res
            .body()
            .windows(b"\"invalid_client\"".len())
            .any(|w| w == b"\"invalid_client\"")
}

/// Serves a protocol request through idp-core, within the limits.
pub async fn protocol(app: &App, req: Request<Bytes>) -> Response<Bytes> {
    let limits = &app.limits;
    let Some((slug, endpoint)) = (req.method() == Method::POST)
        .then(|| guarded(&app.base_path, req.uri().path()))
        .flatten()
    else {
        return app.provider.handle(req).await;
    };
    let ip = req.extensions().get::<ClientAddr>().map(|c| c.0);
    let address = limits.address_key(slug, ip);
    if let (Endpoint::Token, Some(gate), Some(k)) = (endpoint, &limits.token_ip, address)
        && let Err(wait) = gate.check(k)
    {
        return too_many_requests(wait);
    }
    let tracking_clients = limits.client.as_ref().is_some_and(|t| !t.is_empty());
    let rating_client =
        endpoint == Endpoint::Introspection && address.is_some() && limits.introspection.is_some();
    let client = if tracking_clients || rating_client {
        limits.client_key(slug, req.headers(), req.body())
    } else {
        None
    };
    let now = Instant::now();
    if let (Some(t), Some(k)) = (&limits.client_ip, address)
        && let Err(wait) = t.check(k, now)
    {
        return too_many_requests(wait);
    }
    if let (Some(t), Some(k)) = (&limits.client, client)
        && let Err(wait) = t.check(k, now)
    {
        return too_many_requests(wait);
    }
    if let (true, Some(gate), Some(k)) = (rating_client, &limits.introspection, client)
        && let Err(wait) = gate.check(k)
    {
        return too_many_requests(wait);
    }
    // Kept (reference-counted, no copy) to name the client if it fails.
    let kept = (limits.client.is_some() && client.is_none()).then(|| {
        (
            req.uri().clone(),
            req.headers().get(http::header::AUTHORIZATION).cloned(),
            req.body().clone(),
        )
    });
    let res = app.provider.handle(req).await;
    if is_invalid_client(&res) {
        let now = Instant::now();
        if let (Some(t), Some(k)) = (&limits.client_ip, address) {
            t.fail(k, now);
        }
        if let Some(t) = &limits.client {
            let key = client.or_else(|| {
                let (uri, authorization, body) = kept?;
                let (slug, _) = guarded(&app.base_path, uri.path())?;
                let mut headers = HeaderMap::new();
                if let Some(v) = authorization {
                    headers.insert(http::header::AUTHORIZATION, v);
                }
                limits.client_key(slug, &headers, &body)
            });
            if let Some(k) = key {
                t.fail(k, now);
            }
        }
    } else if res.status().is_success()
        && let (Some(t), Some(k)) = (&limits.client, client)
    {
        t.reset(k);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guards_the_client_authenticating_endpoints() {
        assert!(matches!(
            guarded("", "/t/acme/token"),
            Some(("acme", Endpoint::Token))
        ));
        assert!(matches!(
            guarded("/idp", "/idp/t/acme/introspect"),
            Some(("acme", Endpoint::Introspection))
        ));
        assert!(matches!(
            guarded("", "/t/acme/revoke"),
            Some((_, Endpoint::OtherClientAuth))
        ));
        assert!(guarded("", "/t/acme/authorize").is_none());
        assert!(guarded("", "/t/acme/token/x").is_none());
    }
}
