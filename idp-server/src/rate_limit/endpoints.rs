//! Limits around the protocol endpoints that authenticate clients: token,
//! introspection, revocation and device authorization. Failed client
//! authentication (`invalid_client`, RFC 6749 §5.2) is counted per (claimed
//! client, address) and per address, with lockouts, and per claimed client,
//! with a slowdown; the token endpoint has a request rate per address and
//! introspection one per client.
//!
//! The cost when nothing has failed recently and the peer is exempt (the
//! benchmark's case) is a path match and three atomic loads.

use super::{KeyKind, Limits, too_many_requests};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, StatusCode};
use std::net::IpAddr;
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

/// The keys of the client a request claims to be.
#[derive(Clone, Copy)]
struct ClientKeys {
    /// The client, from every address: the slowdown.
    client: u64,
    /// The client from this address: the lockout.
    pair: u64,
}

impl Limits {
    fn client_keys(
        &self,
        slug: &str,
        ip: Option<IpAddr>,
        headers: &HeaderMap,
        body: &[u8],
    ) -> Option<ClientKeys> {
        let id = idp_core::client::auth::claimed_client_id(headers, body)?;
        Some(ClientKeys {
            client: self.key(KeyKind::Client, slug, id.as_str()),
            pair: self.pair_key(KeyKind::ClientAddress, slug, &id, ip),
        })
    }

    /// Whether any client has failures to look up.
    fn tracking_clients(&self) -> bool {
        self.client_pair.as_ref().is_some_and(|t| !t.is_empty())
            || self.client.as_ref().is_some_and(|s| !s.is_empty())
    }

    /// Whether failures are counted per client at all.
    fn counting_clients(&self) -> bool {
        self.client_pair.is_some() || self.client.is_some()
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
pub async fn protocol<S: Backend>(app: &App<S>, req: Request<Bytes>) -> Response<Bytes> {
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
    let rating_client =
        endpoint == Endpoint::Introspection && address.is_some() && limits.introspection.is_some();
    let client = if limits.tracking_clients() || rating_client {
        limits.client_keys(slug, ip, req.headers(), req.body())
    } else {
        None
    };
    let now = Instant::now();
    if let (Some(t), Some(k)) = (&limits.client_ip, address)
        && let Err(wait) = t.check(k, now)
    {
        return too_many_requests(wait);
    }
    if let (Some(t), Some(k)) = (&limits.client_pair, client)
        && let Err(wait) = t.check(k.pair, now)
    {
        return too_many_requests(wait);
    }
    if let (true, Some(gate), Some(k)) = (rating_client, &limits.introspection, client)
        && let Err(wait) = gate.check(k.client)
    {
        return too_many_requests(wait);
    }
    if let (Some(s), Some(k)) = (&limits.client, client) {
        s.wait(k.client).await;
    }
    // Kept (reference-counted, no copy) to name the client if it fails.
    let kept = (limits.counting_clients() && client.is_none()).then(|| {
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
        let keys = client.or_else(|| {
            let (uri, authorization, body) = kept?;
            let (slug, _) = guarded(&app.base_path, uri.path())?;
            let mut headers = HeaderMap::new();
            if let Some(v) = authorization {
                headers.insert(http::header::AUTHORIZATION, v);
            }
            limits.client_keys(slug, ip, &headers, &body)
        });
        if let Some(k) = keys {
            if let Some(t) = &limits.client_pair {
                t.fail(k.pair, now);
            }
            if let Some(s) = &limits.client {
                s.fail(k.client, now);
            }
        }
    } else if res.status().is_success()
        && let (Some(t), Some(k)) = (&limits.client_pair, client)
    {
        t.reset(k.pair);
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
