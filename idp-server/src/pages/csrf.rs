//! CSRF protection for every form: a double-submit cookie. The page sets a
//! random `idp_csrf` cookie (HttpOnly, SameSite=Lax, tenant path) and embeds the
//! same value in a hidden field; a POST must carry both, equal. Another site
//! can neither read the cookie nor make the browser send it on a cross-site
//! POST, so it cannot forge the pair.

use http::HeaderMap;
use idp_core::crypto::{random, secret::SecretHash};
use idp_core::session::{cookie, set_cookie};
use idp_core::wire::Params;

/// Name of the CSRF cookie.
pub const CSRF_COOKIE: &str = "idp_csrf";

/// The token to embed in a form, and the cookie to set if it is new.
pub struct CsrfToken {
    /// Hidden field value.
    pub value: String,
    /// `Set-Cookie` value when a new token was made.
    pub set_cookie: Option<String>,
}

/// Reuses the browser's token or makes a new one.
pub fn token(headers: &HeaderMap, path: &str, secure: bool) -> CsrfToken {
    match cookie(headers, CSRF_COOKIE).filter(|v| v.len() >= 32) {
        Some(v) => CsrfToken {
            value: v.to_owned(),
            set_cookie: None,
        },
        None => {
            let value = random::secret();
            let set_cookie = Some(set_cookie(CSRF_COOKIE, &value, path, 24 * 3600, secure));
            CsrfToken { value, set_cookie }
        }
    }
}

/// Adds the token's cookie to a page response when the token is new.
pub fn attach(
    mut res: http::Response<bytes::Bytes>,
    token: &CsrfToken,
) -> http::Response<bytes::Bytes> {
    if let Some(c) = &token.set_cookie
        && let Ok(v) = http::HeaderValue::from_str(c)
    {
        res.headers_mut().append(http::header::SET_COOKIE, v);
    }
    res
}

/// Whether the form's `csrf` field equals the cookie, compared in constant time.
pub fn verify(headers: &HeaderMap, form: &Params) -> bool {
    match (
        cookie(headers, CSRF_COOKIE),
        form.single("csrf").ok().flatten(),
    ) {
        (Some(c), Some(f)) if c.len() >= 32 => SecretHash::of(c).matches(f),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_must_echo_the_cookie() {
        let mut h = HeaderMap::new();
        let v = "a".repeat(43);
        h.insert(
            http::header::COOKIE,
            format!("idp_csrf={v}")
                .parse()
                .unwrap_or_else(|_| unreachable!()),
        );
        assert!(verify(&h, &Params::parse(format!("csrf={v}").as_bytes())));
        assert!(!verify(&h, &Params::parse(b"csrf=bbbb")));
        assert!(!verify(&h, &Params::parse(b"")));
        assert!(!verify(
            &HeaderMap::new(),
            &Params::parse(format!("csrf={v}").as_bytes())
        ));
    }
}
