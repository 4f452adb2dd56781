//! On-the-wire plumbing: decoding form and query parameters, and building the
//! JSON, HTML, text, redirect and error responses every endpoint shares. Each
//! kind of response has one function here that sets its headers, so that the
//! provider, the server's pages and metrics, and embedders all send the same.

use crate::error::OAuthError;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA};
use http::{HeaderMap, HeaderValue, Response, StatusCode};

/// Decoded `application/x-www-form-urlencoded` parameters (a query string or a body).
#[derive(Debug, Default, Clone)]
pub struct Params(Vec<(String, String)>);

impl Params {
    /// Decodes a query string or form body.
    pub fn parse(input: &[u8]) -> Self {
        Self(form_urlencoded::parse(input).into_owned().collect())
    }

    /// A parameter that may appear at most once (RFC 6749 §3.1). An empty
    /// value counts as absent (RFC 6749 §3.1: "sent without a value MUST be
    /// treated as if they were omitted").
    pub fn single(&self, name: &'static str) -> Result<Option<&str>, OAuthError> {
        let mut found = None;
        for (k, v) in &self.0 {
            if k == name && !v.is_empty() {
                if found.is_some() {
                    return Err(OAuthError::with(
                        crate::error::ErrorCode::InvalidRequest,
                        format!("parameter '{name}' is repeated"),
                    ));
                }
                found = Some(v.as_str());
            }
        }
        Ok(found)
    }

    /// Parameters from name/value pairs.
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        Self(pairs)
    }

    /// Every pair, in order.
    pub fn pairs(&self) -> &[(String, String)] {
        &self.0
    }

    /// A parameter that must be present exactly once.
    pub fn required(&self, name: &'static str) -> Result<&str, OAuthError> {
        self.single(name)?.ok_or_else(|| {
            OAuthError::with(
                crate::error::ErrorCode::InvalidRequest,
                format!("parameter '{name}' is required"),
            )
        })
    }
}

/// The token of an `Authorization: Bearer …` header (RFC 6750 §2.1; the
/// scheme is case-insensitive), trimmed; `None` without one.
pub fn bearer_token(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .filter(|v| v.len() > 7 && v.is_char_boundary(7) && v[..7].eq_ignore_ascii_case("bearer "))
        .map(|v| v[7..].trim())
}

/// A JSON response that no cache may keep (RFC 6749 §5.1).
pub fn json_no_store(status: StatusCode, body: Vec<u8>) -> Response<Bytes> {
    let mut res = json(status, Bytes::from(body));
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(PRAGMA, HeaderValue::from_static("no-cache"));
    res
}

/// A JSON response.
pub fn json(status: StatusCode, body: Bytes) -> Response<Bytes> {
    typed(status, "application/json", body)
}

/// A response with a body of `content_type`.
fn typed(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<Bytes> {
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    res
}

/// A text response of `content_type` (`text/plain; …`) that no cache may
/// keep: the metrics document and its refusals.
pub fn text_no_store(
    status: StatusCode,
    content_type: &'static str,
    body: Bytes,
) -> Response<Bytes> {
    let mut res = typed(status, content_type, body);
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// The Content-Security-Policy of a page that needs nothing: no script, no
/// style, no framing (also the default for responses that set none).
pub const CSP_NONE: &str = "default-src 'none'; base-uri 'none'; frame-ancestors 'none'";

/// An HTML page: UTF-8, never cached (pages carry CSRF tokens, codes and
/// personal data), under `csp`, and never framed (`X-Frame-Options` for
/// browsers that predate CSP `frame-ancestors`).
pub fn html(status: StatusCode, body: Bytes, csp: HeaderValue) -> Response<Bytes> {
    let mut res = typed(status, "text/html; charset=utf-8", body);
    let h = res.headers_mut();
    h.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert("content-security-policy", csp);
    h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    res
}

/// The headers every response of a host carries, whatever its kind: no
/// MIME sniffing, no `Referer` (page URLs carry interaction ids and codes:
/// never leak them to other sites), and, for responses that set none of
/// their own (JSON, plain text), [`CSP_NONE`] and no framing.
pub fn security_headers(h: &mut HeaderMap) {
    h.insert(
        "x-content-type-options",
        HeaderValue::from_static("nosniff"),
    );
    h.insert("referrer-policy", HeaderValue::from_static("no-referrer"));
    if !h.contains_key("content-security-policy") {
        h.insert(
            "content-security-policy",
            HeaderValue::from_static(CSP_NONE),
        );
    }
    if !h.contains_key("x-frame-options") {
        h.insert("x-frame-options", HeaderValue::from_static("DENY"));
    }
}

/// The RFC 6749 §5.2 JSON error body.
pub fn error_body(error: &OAuthError) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "error": error.code.as_str(),
        "error_description": error.description,
    }))
    .unwrap_or_default()
}

/// A direct JSON error response with the code's status.
pub fn json_error(error: &OAuthError) -> Response<Bytes> {
    let mut res = json_no_store(error.status(), error_body(error));
    if let Some(secs) = error.retry_after {
        res.headers_mut()
            .insert(http::header::RETRY_AFTER, HeaderValue::from(secs));
    }
    res
}

/// An error answer of an endpoint where the client authenticates: a 401
/// carries the scheme the client may use (RFC 6749 §5.2).
pub fn client_error(error: &OAuthError) -> Response<Bytes> {
    let mut res = json_error(error);
    if error.code == crate::error::ErrorCode::InvalidClient {
        res.headers_mut().insert(
            http::header::WWW_AUTHENTICATE,
            http::HeaderValue::from_static("Basic realm=\"idp\""),
        );
    }
    res
}

/// A redirect to `location` (302 after GET, 303 after POST).
pub fn redirect(location: &str, status: StatusCode) -> Response<Bytes> {
    let mut res = Response::new(Bytes::new());
    *res.status_mut() = status;
    if let Ok(v) = HeaderValue::from_str(location) {
        res.headers_mut().insert(LOCATION, v);
    }
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Escapes text for HTML element content and attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#x27;"),
            _ => out.push(c),
        }
    }
    out
}

/// A minimal HTML error page, for authorization errors that must not be
/// redirected (RFC 6749 §4.1.2.1: unknown client or unregistered redirect URI).
pub fn error_page(error: &OAuthError) -> Response<Bytes> {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Sign-in error</title></head>\
         <body><main><h1>This sign-in request cannot be processed</h1>\
         <p id=\"error\">{}</p><p id=\"error_description\">{}</p>\
         <p>Return to the application and try again.</p></main></body></html>",
        error.code.as_str(),
        html_escape(&error.description)
    );
    let status = if error.code.status().is_server_error() {
        error.code.status()
    } else {
        StatusCode::BAD_REQUEST
    };
    html(
        status,
        Bytes::from(body),
        HeaderValue::from_static(CSP_NONE),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_parameters_are_rejected_and_empty_ones_ignored() {
        let p = Params::parse(b"a=1&a=2&b=&c=x%20y");
        assert!(p.single("a").is_err());
        assert_eq!(p.single("b"), Ok(None));
        assert_eq!(p.single("c"), Ok(Some("x y")));
        assert!(p.required("b").is_err());
    }

    #[test]
    fn pages_are_never_cached_nor_framed_and_keep_their_own_policy() {
        let csp = "default-src 'none'; style-src 'unsafe-inline'";
        let mut res = html(
            StatusCode::OK,
            Bytes::from_static(b"<p>hi</p>"),
            HeaderValue::from_static(csp),
        );
        security_headers(res.headers_mut());
        let h = res.headers();
        assert_eq!(h[CONTENT_TYPE], "text/html; charset=utf-8");
        assert_eq!(h[CACHE_CONTROL], "no-store");
        assert_eq!(h["content-security-policy"], csp);
        assert_eq!(h["x-frame-options"], "DENY");
        assert_eq!(h["x-content-type-options"], "nosniff");
        assert_eq!(h["referrer-policy"], "no-referrer");
    }

    #[test]
    fn responses_without_a_policy_get_the_strictest() {
        let mut res = json(StatusCode::OK, Bytes::from_static(b"{}"));
        security_headers(res.headers_mut());
        assert_eq!(res.headers()["content-security-policy"], CSP_NONE);
        assert_eq!(res.headers()["x-frame-options"], "DENY");
        let res = text_no_store(StatusCode::OK, "text/plain; charset=utf-8", Bytes::new());
        assert_eq!(res.headers()[CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(res.headers()[CACHE_CONTROL], "no-store");
    }

    #[test]
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
