//! Cross-origin requests from browser-based apps (the Fetch Standard's
//! CORS protocol, §3.2; draft-ietf-oauth-browser-based-apps §6.3): which
//! endpoints a single-page app on another origin may call, from which
//! origins, and the headers that tell the browser so.
//!
//! Per endpoint of the table ([`crate::endpoint`]):
//! - Discovery, RFC 8414 metadata and the JWK Set are public documents:
//!   `Access-Control-Allow-Origin: *` for every origin, always.
//! - Token, UserInfo, revocation, introspection and device authorization
//!   answer an origin only if it is a web origin of the client the request
//!   concerns ([`WebOrigins`]): the origins of its http(s) redirect URIs and
//!   its `allowed_origins`. The client is the one the request names (its
//!   `client_id`, Basic user name or assertion issuer; authenticated or
//!   not, since CORS only lets that client's own pages read the answer), or
//!   for UserInfo the access token's client. An answer that concerns no
//!   client (a UserInfo request without a valid token, a token request
//!   naming none: errors that say nothing about any client) is answered
//!   for the origins some client of the tenant registered, as preflights are.
//! - Every other endpoint, the authorization endpoint and the pages a
//!   person sees above all, never sends CORS headers: they are navigated
//!   to, never fetched.
//!
//! A preflight (`OPTIONS`) names no client, so it is answered 204 with the
//! endpoint's methods and request headers for any origin that some client
//! of the tenant registered (the tenant's set is read from the store and
//! kept [`crate::Lifetimes::client_cache`] seconds, see
//! [`crate::client::directory`]); the actual request is still checked
//! against its own client. An origin that is not allowed gets no CORS
//! header at all and the request is handled as it would be without one.
//!
//! Not supported, deliberately: credentialed requests
//! (`Access-Control-Allow-Credentials` is never sent: tokens travel in
//! bodies and the `Authorization` header, never in cookies), wildcard or
//! pattern origins, and the `DPoP` request header (no DPoP support).

use crate::endpoint::Endpoint;
use bytes::Bytes;
use http::header::{
    ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS, ACCESS_CONTROL_ALLOW_ORIGIN,
    ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_MAX_AGE, ALLOW, ORIGIN, VARY,
};
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use std::sync::Arc;

/// How long a browser may cache a preflight answer (Fetch §3.2.3
/// `Access-Control-Max-Age`), in seconds: an hour (Chromium caps it at two).
/// Caching it grants nothing by itself: every actual request is checked
/// against its own client.
pub const MAX_AGE_SECONDS: u32 = 3600;

/// The request headers a browser app may send to an endpoint that answers
/// client origins: `Authorization` (a bearer token at UserInfo, Basic
/// client credentials) and `Content-Type` (a form body).
const CLIENT_REQUEST_HEADERS: &str = "Authorization, Content-Type";

/// Which origins an endpoint answers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// None: no CORS header, ever (the authorization endpoint, the pages,
    /// registration).
    Never,
    /// Every origin (`*`): public documents.
    AnyOrigin,
    /// The web origins of the client the request concerns.
    ClientOrigins,
}

impl Policy {
    /// The policy of `endpoint`.
    pub const fn of(endpoint: Endpoint) -> Self {
        match endpoint {
            Endpoint::Discovery | Endpoint::AuthorizationServerMetadata | Endpoint::Jwks => {
                Self::AnyOrigin
            }
            Endpoint::Token
            | Endpoint::Userinfo
            | Endpoint::Revoke
            | Endpoint::Introspect
            | Endpoint::DeviceAuthorization => Self::ClientOrigins,
            _ => Self::Never,
        }
    }
}

/// The request headers `endpoint` accepts from a browser app, for
/// `Access-Control-Allow-Headers`; `None` where only CORS-safelisted
/// headers are needed (a GET of a public document).
pub const fn allowed_headers(endpoint: Endpoint) -> Option<&'static str> {
    match Policy::of(endpoint) {
        Policy::ClientOrigins => Some(CLIENT_REQUEST_HEADERS),
        Policy::AnyOrigin | Policy::Never => None,
    }
}

/// The response headers a browser app may read beyond the safelisted ones:
/// UserInfo's `WWW-Authenticate`, which carries its bearer errors (RFC 6750
/// §3), so that an app can tell an expired token from a missing scope.
pub const fn exposed_headers(endpoint: Endpoint) -> Option<&'static str> {
    match endpoint {
        Endpoint::Userinfo => Some("WWW-Authenticate"),
        _ => None,
    }
}

/// The request's `Origin` (Fetch §3.1), if it names one: an opaque origin
/// (`null`) is never allowed, so it counts as none.
pub fn request_origin(headers: &HeaderMap) -> Option<&HeaderValue> {
    headers.get(ORIGIN).filter(|o| o.as_bytes() != b"null")
}

/// The web origin (`scheme://host[:port]`, the ASCII serialization of
/// RFC 6454 §6.2, default ports left out) of an http(s) URI; `None` for
/// anything else (a private-use scheme of a native app, a relative URI).
pub fn web_origin(uri: &str) -> Option<String> {
    let url = url::Url::parse(uri).ok()?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return None;
    }
    match url.origin() {
        origin @ url::Origin::Tuple(..) => Some(origin.ascii_serialization()),
        url::Origin::Opaque(_) => None,
    }
}

/// Checks one registered `allowed_origins` value and returns it in the
/// form browsers send (lowercase host, no default port): an origin and
/// nothing else (no path, not even `/`, no query, fragment or userinfo),
/// https, or http on a loopback host for development, as redirect URIs.
pub fn parse_allowed_origin(value: &str) -> Result<String, String> {
    let wrong = |why: &str| {
        format!(
            "allowed origin '{value}' {why}; an origin is scheme://host[:port], e.g. https://app.example"
        )
    };
    let url = url::Url::parse(value).map_err(|_| wrong("is not an absolute URL"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(wrong("must be an http(s) origin"));
    }
    if url.scheme() == "http" && !crate::client::uri_policy::is_loopback_host(url.host()) {
        return Err(wrong("must use https (http only on a loopback host)"));
    }
    let after_scheme = value.split_once("://").map_or("", |(_, rest)| rest);
    if after_scheme.contains(['/', '?', '#', '@']) {
        return Err(wrong("must have no path, query, fragment or userinfo"));
    }
    web_origin(value).ok_or_else(|| wrong("must be an http(s) origin"))
}

/// A set of web origins: a client's (parsed once, when the client is loaded
/// into the cache) or a tenant's. Cheap to clone; sorted, so a look-up is a
/// binary search over byte strings and allocates nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WebOrigins(Arc<[Box<str>]>);

impl WebOrigins {
    /// The web origins of a client: those of its http(s) redirect URIs and
    /// its `allowed_origins` (already in serialized form).
    pub fn of_client(redirect_uris: &[String], allowed_origins: &[String]) -> Self {
        Self::from_uris(
            redirect_uris
                .iter()
                .chain(allowed_origins)
                .map(String::as_str),
        )
    }

    /// The web origins of http(s) URIs (redirect URIs, origins); others are
    /// left out.
    pub fn from_uris<'a>(uris: impl IntoIterator<Item = &'a str>) -> Self {
        let mut origins: Vec<Box<str>> = uris
            .into_iter()
            .filter_map(web_origin)
            .map(String::into_boxed_str)
            .collect();
        origins.sort_unstable();
        origins.dedup();
        Self(origins.into())
    }

    /// Whether `origin` (a request's `Origin` header) is one of them.
    pub fn contains(&self, origin: &HeaderValue) -> bool {
        let origin = origin.as_bytes();
        self.0
            .binary_search_by(|o| o.as_bytes().cmp(origin))
            .is_ok()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The origins, sorted.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|o| &**o)
    }
}

/// Set by an endpoint on its answer when it, not the request, knows the
/// client the request concerns (UserInfo: the access token's client): the
/// client's web origins, read by [`Provider::handle`](crate::Provider::handle).
#[derive(Clone, Debug)]
pub(crate) struct Concerned(pub WebOrigins);

/// Marks an actual answer of `endpoint` as readable by `origin` (allowed by
/// the caller): `Access-Control-Allow-Origin`, `Vary: Origin` (the answer
/// differs by origin) and the exposed headers.
pub fn allow_origin(headers: &mut HeaderMap, endpoint: Endpoint, origin: &HeaderValue) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
    headers.append(VARY, HeaderValue::from_static("Origin"));
    if let Some(exposed) = exposed_headers(endpoint) {
        headers.insert(
            ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static(exposed),
        );
    }
}

/// Marks a public document as readable by every origin.
pub fn allow_any_origin(headers: &mut HeaderMap) {
    headers.insert(ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
}

/// The answer to a preflight (`OPTIONS`) of `endpoint`: 204 with `Allow`
/// and, when `allowed` (the origin passed the endpoint's policy), the CORS
/// headers: the origin (or `*` for a public document), the methods and
/// request headers the endpoint accepts, and how long to cache it (Fetch
/// §3.2.3). Without `allowed`, no CORS header: the browser refuses the
/// actual request.
pub fn preflight(endpoint: Endpoint, allowed: Option<&HeaderValue>) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = StatusCode::NO_CONTENT;
    let methods = endpoint
        .methods()
        .iter()
        .map(http::Method::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("{methods}, OPTIONS")) {
        h.insert(ALLOW, v);
    }
    let Some(origin) = allowed else {
        return res;
    };
    match Policy::of(endpoint) {
        Policy::AnyOrigin => allow_any_origin(h),
        Policy::ClientOrigins => {
            h.insert(ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
            h.append(VARY, HeaderValue::from_static("Origin"));
        }
        Policy::Never => return res,
    }
    if let Ok(v) = HeaderValue::from_str(&methods) {
        h.insert(ACCESS_CONTROL_ALLOW_METHODS, v);
    }
    if let Some(headers) = allowed_headers(endpoint) {
        h.insert(
            ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static(headers),
        );
    }
    h.insert(ACCESS_CONTROL_MAX_AGE, HeaderValue::from(MAX_AGE_SECONDS));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_documents_and_the_fetched_endpoints_answer_origins() {
        for e in Endpoint::ALL {
            let expected = match e {
                Endpoint::Discovery | Endpoint::AuthorizationServerMetadata | Endpoint::Jwks => {
                    Policy::AnyOrigin
                }
                Endpoint::Token
                | Endpoint::Userinfo
                | Endpoint::Revoke
                | Endpoint::Introspect
                | Endpoint::DeviceAuthorization => Policy::ClientOrigins,
                _ => Policy::Never,
            };
            assert_eq!(Policy::of(e), expected, "{e:?}");
            // Pages and the authorization endpoint are navigated to, never fetched.
            if e.server() == crate::endpoint::Server::Host || e == Endpoint::Authorize {
                assert_eq!(Policy::of(e), Policy::Never, "{e:?}");
            }
        }
    }

    #[test]
    fn web_origins_of_redirect_uris() {
        assert_eq!(
            web_origin("https://App.Example:443/cb?x=1").as_deref(),
            Some("https://app.example")
        );
        assert_eq!(
            web_origin("http://127.0.0.1:8080/cb").as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(web_origin("com.example.app:/cb"), None);
        assert_eq!(web_origin("/cb"), None);
        let set = WebOrigins::of_client(
            &[
                "https://app.example/cb".into(),
                "https://app.example/other".into(),
                "com.example.app:/cb".into(),
            ],
            &["http://localhost:5173".into()],
        );
        assert_eq!(
            set.iter().collect::<Vec<_>>(),
            ["http://localhost:5173", "https://app.example"]
        );
        assert!(set.contains(&HeaderValue::from_static("https://app.example")));
        assert!(!set.contains(&HeaderValue::from_static("https://app.example:8443")));
        assert!(!set.contains(&HeaderValue::from_static("http://app.example")));
        assert!(WebOrigins::default().is_empty());
    }

    #[test]
    fn allowed_origins_are_bare_origins() {
        assert_eq!(
            parse_allowed_origin("https://SPA.example:443").as_deref(),
            Ok("https://spa.example")
        );
        assert_eq!(
            parse_allowed_origin("http://127.0.0.1:5173").as_deref(),
            Ok("http://127.0.0.1:5173")
        );
        assert!(parse_allowed_origin("http://localhost:3000").is_ok());
        for bad in [
            "https://spa.example/",
            "https://spa.example/app",
            "https://spa.example?x",
            "https://spa.example#x",
            "https://user@spa.example",
            "http://spa.example",
            "*",
            "null",
            "spa.example",
            "ftp://spa.example",
            "com.example.app:/cb",
        ] {
            assert!(parse_allowed_origin(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn preflights_name_methods_and_headers_only_when_allowed() {
        let origin = HeaderValue::from_static("https://spa.example");
        let res = preflight(Endpoint::Userinfo, Some(&origin));
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        let h = res.headers();
        assert_eq!(h[ACCESS_CONTROL_ALLOW_ORIGIN], "https://spa.example");
        assert_eq!(h[ACCESS_CONTROL_ALLOW_METHODS], "GET, POST");
        assert_eq!(
            h[ACCESS_CONTROL_ALLOW_HEADERS],
            "Authorization, Content-Type"
        );
        assert_eq!(h[ACCESS_CONTROL_MAX_AGE], "3600");
        assert_eq!(h[VARY], "Origin");
        assert!(!h.contains_key("access-control-allow-credentials"));
        let res = preflight(Endpoint::Token, None);
        assert_eq!(res.status(), StatusCode::NO_CONTENT);
        assert!(!res.headers().contains_key(ACCESS_CONTROL_ALLOW_ORIGIN));
        assert_eq!(res.headers()[ALLOW], "POST, OPTIONS");
        let res = preflight(Endpoint::Jwks, Some(&origin));
        assert_eq!(res.headers()[ACCESS_CONTROL_ALLOW_ORIGIN], "*");
        assert!(!res.headers().contains_key(ACCESS_CONTROL_ALLOW_HEADERS));
    }
}
