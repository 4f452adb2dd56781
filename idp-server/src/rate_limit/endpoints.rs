//! Request rates around the protocol endpoints that authenticate clients:
//! token requests per address, introspection requests per claimed client.
//! The cost when the peer is exempt (the benchmark's case) is a path match.

use super::{KeyKind, Limits, too_many_requests};
use crate::app::App;
use crate::backend::Backend;
use crate::forwarded::ClientAddr;
use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response};
use idp_core::endpoint::{Endpoint, Located};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Guarded {
    Token,
    Introspection,
}

/// `{base}/t/{slug}/token` or `…/introspect`.
fn guarded<'a>(base_path: &str, path: &'a str) -> Option<(&'a str, Guarded)> {
    let located = Located::parse(base_path, path)?;
    let guarded = match located.endpoint {
        Endpoint::Token => Guarded::Token,
        Endpoint::Introspect => Guarded::Introspection,
        _ => return None,
    };
    Some((located.slug, guarded))
}

impl Limits {
    /// The key of the client a request claims to be, for its request rate.
    fn client_key(&self, slug: &str, headers: &HeaderMap, body: &[u8]) -> Option<u64> {
        let id = idp_core::client::auth::claimed_client_id(headers, body)?;
        Some(self.key(KeyKind::Client, slug, id.as_str()))
    }
}

/// Serves a protocol request through idp-core, within the request rates.
/// The failure lockouts and slowdowns of client authentication are
/// idp-core's own (`idp_core::abuse`), decided where the outcome is known.
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
    if let (Guarded::Token, Some(gate), Some(k)) = (endpoint, &limits.token_ip, address)
        && let Err(wait) = gate.check(k)
    {
        return too_many_requests(wait);
    }
    if let (Guarded::Introspection, Some(gate), Some(_)) =
        (endpoint, &limits.introspection, address)
        && let Some(k) = limits.client_key(slug, req.headers(), req.body())
        && let Err(wait) = gate.check(k)
    {
        return too_many_requests(wait);
    }
    app.provider.handle(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_the_token_and_introspection_endpoints() {
        assert!(matches!(
            guarded("", "/t/acme/token"),
            Some(("acme", Guarded::Token))
        ));
        assert!(matches!(
            guarded("/idp", "/idp/t/acme/introspect"),
            Some(("acme", Guarded::Introspection))
        ));
        assert!(guarded("", "/t/acme/revoke").is_none());
        assert!(guarded("", "/t/acme/authorize").is_none());
        assert!(guarded("", "/t/acme/token/x").is_none());
    }
}
