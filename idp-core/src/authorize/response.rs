//! Authorization responses to the client's redirect URI (RFC 6749 §4.1.2),
//! with `iss` (RFC 9207) so a client can tell which issuer answered.

use crate::error::OAuthError;
use crate::wire;
use bytes::Bytes;
use http::{Response, StatusCode};

/// Redirects to `redirect_uri` with `params` appended to its query.
pub fn redirect_with(
    redirect_uri: &str,
    params: &[(&str, &str)],
    status: StatusCode,
) -> Response<Bytes> {
    let Ok(mut url) = url::Url::parse(redirect_uri) else {
        // Registered URIs are validated as absolute; this is unreachable in
        // practice, but never redirect somewhere unparsable.
        return wire::error_page(&OAuthError::invalid_request(
            "redirect_uri is not a valid URI",
        ));
    };
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in params {
            q.append_pair(k, v);
        }
    }
    wire::redirect(url.as_str(), status)
}

/// The error response (RFC 6749 §4.1.2.1).
pub fn error_redirect(
    redirect_uri: &str,
    state: Option<&str>,
    issuer: &str,
    error: &OAuthError,
    status: StatusCode,
) -> Response<Bytes> {
    let mut params = vec![
        ("error", error.code.as_str()),
        ("error_description", error.description.as_ref()),
    ];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    redirect_with(redirect_uri, &params, status)
}

/// The success response (RFC 6749 §4.1.2).
pub fn code_redirect(
    redirect_uri: &str,
    code: &str,
    state: Option<&str>,
    issuer: &str,
    status: StatusCode,
) -> Response<Bytes> {
    let mut params = vec![("code", code)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    redirect_with(redirect_uri, &params, status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_registered_query_and_encodes_state() {
        let res = code_redirect(
            "https://rp.example/cb?a=1",
            "c0de",
            Some("s &=x"),
            "https://op/t/a",
            StatusCode::FOUND,
        );
        let loc = res
            .headers()
            .get(http::header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert_eq!(
            loc,
            "https://rp.example/cb?a=1&code=c0de&state=s+%26%3Dx&iss=https%3A%2F%2Fop%2Ft%2Fa"
        );
    }
}
