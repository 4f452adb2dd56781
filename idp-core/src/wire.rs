//! On-the-wire plumbing: decoding form and query parameters, and building the
//! JSON, redirect and error responses every endpoint shares.

use crate::error::OAuthError;
use bytes::Bytes;
use http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, PRAGMA};
use http::{HeaderValue, Response, StatusCode};

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
    let mut res = Response::new(body);
    *res.status_mut() = status;
    res.headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
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
    let mut res = Response::new(Bytes::from(body));
    *res.status_mut() = if error.code.status().is_server_error() {
        error.code.status()
    } else {
        StatusCode::BAD_REQUEST
    };
    res.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    res.headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
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
    fn escapes_html() {
        assert_eq!(
            html_escape("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#x27;"
        );
    }
}
