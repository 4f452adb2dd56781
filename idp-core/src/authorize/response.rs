//! Authorization responses to the client's redirect URI (RFC 6749 §4.1.2),
//! with `iss` (RFC 9207) so a client can tell which issuer answered, in the
//! query or, with `response_mode=form_post`, as an auto-submitted form
//! (OAuth 2.0 Form Post Response Mode).

use crate::client::uri_policy::{is_followable, is_private_use_scheme};
use crate::error::OAuthError;
use crate::wire;
use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use serde::{Deserialize, Serialize};

/// How the response reaches the client.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum ResponseMode {
    /// In the redirect URI's query (the default for `code`, RFC 6749 §4.1.2).
    #[default]
    Query,
    /// POSTed by the browser from an HTML form (Form Post Response Mode §2).
    FormPost,
}

/// The script that submits the form; allowed by its hash in the page's CSP,
/// so no other script can run there.
const SUBMIT_SCRIPT: &str = "document.forms[0].submit();";
/// `'sha256-…'` of [`SUBMIT_SCRIPT`].
fn script_hash() -> String {
    let d = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, SUBMIT_SCRIPT.as_bytes());
    use base64::Engine;
    format!(
        "'sha256-{}'",
        base64::engine::general_purpose::STANDARD.encode(d.as_ref())
    )
}

/// Form Post Response Mode §2: an HTML page whose form POSTs `params` to
/// `redirect_uri` at once (a button remains for browsers without script).
/// A URI that [`is_followable`] refuses (a client stored before the
/// redirect-URI policy) gets an error page instead.
pub fn form_post(redirect_uri: &str, params: &[(&str, &str)]) -> Response<Bytes> {
    if !is_followable(redirect_uri) {
        return refused_redirect_uri();
    }
    let esc = wire::html_escape;
    let mut inputs = String::new();
    for (k, v) in params {
        inputs.push_str(&format!(
            "<input type=\"hidden\" name=\"{}\" value=\"{}\">",
            esc(k),
            esc(v)
        ));
    }
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Submit</title></head>\
         <body><form method=\"post\" action=\"{}\">{inputs}\
         <noscript><button type=\"submit\">Continue</button></noscript></form>\
         <script>{SUBMIT_SCRIPT}</script></body></html>",
        esc(redirect_uri)
    );
    let csp = format!(
        "default-src 'none'; script-src {}; form-action {}; base-uri 'none'; frame-ancestors 'none'",
        script_hash(),
        csp_source(redirect_uri)
    );
    // The source is an ASCII origin or a scheme, so the policy is a valid
    // header value; were it not, the page gets the policy of responses
    // that set none.
    let csp = HeaderValue::from_str(&csp).unwrap_or(HeaderValue::from_static(wire::CSP_NONE));
    wire::html(StatusCode::OK, Bytes::from(body), csp)
}

/// The one place the form may post to, as a CSP source: the origin of an
/// http(s) `uri` (`https://rp.example`), the scheme of a private-use one
/// (`com.example.app:`, RFC 8252 §7.1), else `'none'`; never `*`.
fn csp_source(uri: &str) -> String {
    let Ok(url) = url::Url::parse(uri) else {
        return "'none'".to_owned();
    };
    let origin = url.origin();
    if origin.is_tuple() {
        origin.ascii_serialization()
    } else if is_private_use_scheme(url.scheme()) {
        format!("{}:", url.scheme())
    } else {
        "'none'".to_owned()
    }
}

/// The page shown instead of sending the browser to a stored redirect URI
/// whose scheme the provider no longer follows.
fn refused_redirect_uri() -> Response<Bytes> {
    wire::error_page(&OAuthError::invalid_request(
        "the client's redirect_uri uses a scheme this provider does not send browsers to",
    ))
}

/// Sends `params` to the client in `mode`.
pub fn deliver(
    redirect_uri: &str,
    params: &[(&str, &str)],
    mode: ResponseMode,
    status: StatusCode,
) -> Response<Bytes> {
    match mode {
        ResponseMode::Query => redirect_with(redirect_uri, params, status),
        ResponseMode::FormPost => form_post(redirect_uri, params),
    }
}

/// Redirects to `redirect_uri` with `params` appended to its query.
pub fn redirect_with(
    redirect_uri: &str,
    params: &[(&str, &str)],
    status: StatusCode,
) -> Response<Bytes> {
    if !is_followable(redirect_uri) {
        return refused_redirect_uri();
    }
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
    mode: ResponseMode,
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
    deliver(redirect_uri, &params, mode, status)
}

/// The success response (RFC 6749 §4.1.2).
pub fn code_redirect(
    redirect_uri: &str,
    code: &str,
    state: Option<&str>,
    issuer: &str,
    mode: ResponseMode,
    status: StatusCode,
) -> Response<Bytes> {
    let mut params = vec![("code", code)];
    if let Some(s) = state {
        params.push(("state", s));
    }
    params.push(("iss", issuer));
    deliver(redirect_uri, &params, mode, status)
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
            ResponseMode::Query,
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

    #[test]
    fn form_post_escapes_and_allows_only_its_own_script() {
        let res = form_post(
            "https://rp.example/cb",
            &[("code", "c0de"), ("state", "\"><x")],
        );
        let body = String::from_utf8_lossy(res.body()).into_owned();
        assert!(body.contains(r#"action="https://rp.example/cb""#), "{body}");
        assert!(
            body.contains(r#"name="state" value="&quot;&gt;&lt;x""#),
            "{body}"
        );
        let csp = res
            .headers()
            .get("content-security-policy")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("");
        assert!(csp.contains("script-src 'sha256-"), "{csp}");
        assert!(csp.contains("form-action https://rp.example;"), "{csp}");
    }

    #[test]
    fn form_post_names_only_the_redirect_target() {
        let csp = |uri: &str| {
            form_post(uri, &[("code", "c")])
                .headers()
                .get("content-security-policy")
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        assert!(csp("com.example.app:/cb").contains("form-action com.example.app:;"));
        let refused = form_post("javascript:alert(1)", &[("code", "c")]);
        assert_eq!(refused.status(), StatusCode::BAD_REQUEST);
        assert!(!String::from_utf8_lossy(refused.body()).contains("javascript"));
    }
}
