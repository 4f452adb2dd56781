//! Which URIs a client may register, and which stored URIs the provider
//! will still send a browser to.
//!
//! One policy for the CLI and for dynamic registration (RFC 7591):
//!
//! - `redirect_uris` and `post_logout_redirect_uris`: `https`; `http` on a
//!   loopback host (`localhost`, 127.0.0.0/8, `[::1]`; RFC 8252 §7.3, §8.3),
//!   on any other host only when [`UriPolicy::allow_insecure_redirect_uris`]
//!   is set (development); a private-use scheme in reverse-domain form
//!   (`com.example.app:/cb`, RFC 8252 §7.1) for public (native) clients
//!   only. Never a fragment (RFC 6749 §3.1.2) or userinfo. Everything else
//!   (`javascript:`, `data:`, `vbscript:`, `file:`, `blob:`, `about:`, `urn:`
//!   …) is refused: the provider's own origin would render it as a form
//!   action or a link (RFC 9700 §4.1).
//! - `logo_uri`, `policy_uri`, `tos_uri`, `client_uri`: `https`, or `http`
//!   on a loopback host ([`web_page_uri`]).
//!
//! Clients stored before this policy may still hold other URIs: where a URI
//! is used, [`is_followable`] decides whether the browser may be sent there
//! (defence in depth). Not covered here: the URIs the server itself fetches
//! (`jwks_uri`, `request_uris`, `backchannel_logout_uri`), which belong to
//! the outbound-request guard.

use std::net::IpAddr;

/// The deployment's choice of what a redirect URI may be.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UriPolicy {
    /// Accept `http` redirect and post-logout URIs on any host, not only on
    /// loopback (development only; the server's
    /// `ALLOW_INSECURE_REDIRECT_URIS`). Off by default.
    pub allow_insecure_redirect_uris: bool,
}

/// Whether `host` is a loopback host: `localhost`, 127.0.0.0/8 or `::1`.
pub fn is_loopback_host(host: Option<url::Host<&str>>) -> bool {
    match host {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

/// RFC 8252 §7.1: a private-use URI scheme in reverse-domain form, such as
/// `com.example.app`: at least two non-empty dot-separated labels of
/// letters, digits, `+` and `-`, starting with a letter. No scheme a
/// browser interprets itself (`javascript`, `data`, …) contains a dot.
pub fn is_private_use_scheme(scheme: &str) -> bool {
    scheme.starts_with(|c: char| c.is_ascii_alphabetic())
        && scheme.contains('.')
        && scheme.split('.').all(|label| {
            !label.is_empty()
                && label
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '+' || c == '-')
        })
}

fn parse(field: &str, uri: &str) -> Result<url::Url, String> {
    let parsed =
        url::Url::parse(uri).map_err(|e| format!("{field} '{uri}' is not an absolute URI: {e}"))?;
    if parsed.fragment().is_some() {
        return Err(format!(
            "{field} '{uri}' must not contain a fragment (RFC 6749 §3.1.2)"
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(format!("{field} '{uri}' must not contain userinfo"));
    }
    Ok(parsed)
}

impl UriPolicy {
    /// Checks one of a client's `redirect_uris` or
    /// `post_logout_redirect_uris` (named `field` in the message).
    pub fn redirect_uri(&self, field: &str, uri: &str, public: bool) -> Result<(), String> {
        let parsed = parse(field, uri)?;
        match parsed.scheme() {
            "https" if parsed.host().is_some() => Ok(()),
            "http" if is_loopback_host(parsed.host()) => Ok(()),
            "http" if parsed.host().is_some() && self.allow_insecure_redirect_uris => Ok(()),
            "http" => Err(format!(
                "{field} '{uri}' must use https (http only on a loopback host, RFC 8252 §8.3)"
            )),
            scheme if is_private_use_scheme(scheme) => {
                if public {
                    Ok(())
                } else {
                    Err(format!(
                        "{field} '{uri}': a private-use scheme (RFC 8252 §7.1) is for public (native) clients only"
                    ))
                }
            }
            scheme => Err(format!(
                "{field} '{uri}' uses the scheme '{scheme}', which is not allowed: use https, http on a loopback host, or a reverse-domain private-use scheme (RFC 8252 §7.1)"
            )),
        }
    }

    /// Checks all of `new`'s redirect and post-logout redirect URIs.
    pub fn client_uris(&self, new: &super::NewClient) -> Result<(), String> {
        for uri in &new.redirect_uris {
            self.redirect_uri("redirect_uri", uri, new.public)?;
        }
        for uri in &new.post_logout_redirect_uris {
            self.redirect_uri("post_logout_redirect_uri", uri, new.public)?;
        }
        Ok(())
    }
}

/// `logo_uri`, `policy_uri`, `tos_uri`, `client_uri` (OpenID Connect
/// Dynamic Client Registration §2): web pages and images a person may be
/// shown, so `https`, or `http` on a loopback host; no fragment, no userinfo.
pub fn web_page_uri(field: &str, uri: &str) -> Result<(), String> {
    let parsed = parse(field, uri)?;
    match parsed.scheme() {
        "https" if parsed.host().is_some() => Ok(()),
        "http" if is_loopback_host(parsed.host()) => Ok(()),
        _ => Err(format!(
            "{field} '{uri}' must use https (http only on a loopback host)"
        )),
    }
}

/// Whether the provider may send a browser to `uri`, a URI it holds for a
/// client (possibly stored before [`UriPolicy`] existed): an http(s) URL
/// with a host, or a reverse-domain private-use scheme; no userinfo.
pub fn is_followable(uri: &str) -> bool {
    let Ok(parsed) = url::Url::parse(uri) else {
        return false;
    };
    let scheme_ok = match parsed.scheme() {
        "https" | "http" => parsed.host().is_some(),
        scheme => is_private_use_scheme(scheme),
    };
    scheme_ok && parsed.username().is_empty() && parsed.password().is_none()
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: UriPolicy = UriPolicy {
        allow_insecure_redirect_uris: false,
    };

    #[test]
    fn accepts_https_loopback_http_and_native_schemes() {
        for uri in [
            "https://app.example/cb?x=1",
            "http://127.0.0.1:8080/cb",
            "http://127.8.9.10/cb",
            "http://[::1]:9000/cb",
            "http://localhost/cb",
        ] {
            assert_eq!(
                STRICT.redirect_uri("redirect_uri", uri, false),
                Ok(()),
                "{uri}"
            );
        }
        assert!(
            STRICT
                .redirect_uri("r", "com.example.app:/oauth2redirect", true)
                .is_ok()
        );
        assert!(
            STRICT
                .redirect_uri("r", "com.example.app:/oauth2redirect", false)
                .is_err()
        );
    }

    #[test]
    fn refuses_dangerous_schemes_fragments_and_userinfo() {
        for uri in [
            "javascript:alert(1)",
            "JavaScript://x/%0aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "vbscript:msgbox(1)",
            "file:///etc/passwd",
            "blob:https://app.example/1",
            "about:blank",
            "urn:ietf:wg:oauth:2.0:oob",
            "myapp:/cb",
            "http://app.example/cb",
            "http://10.0.0.1/cb",
            "https://app.example/cb#frag",
            "https://user:pw@app.example/cb",
            "/relative",
            "com..example:/cb",
        ] {
            assert!(STRICT.redirect_uri("r", uri, true).is_err(), "{uri}");
        }
    }

    #[test]
    fn the_development_setting_allows_http_on_any_host() {
        let dev = UriPolicy {
            allow_insecure_redirect_uris: true,
        };
        assert!(
            dev.redirect_uri("r", "http://app.example/cb", false)
                .is_ok()
        );
        assert!(dev.redirect_uri("r", "javascript:alert(1)", true).is_err());
    }

    #[test]
    fn web_pages_are_https_or_loopback_http() {
        assert!(web_page_uri("logo_uri", "https://app.example/l.png").is_ok());
        assert!(web_page_uri("logo_uri", "http://localhost:8080/l.png").is_ok());
        assert!(web_page_uri("logo_uri", "http://app.example/l.png").is_err());
        assert!(web_page_uri("policy_uri", "javascript:alert(1)").is_err());
        assert!(web_page_uri("tos_uri", "data:text/html,x").is_err());
    }

    #[test]
    fn only_web_and_native_uris_are_followed() {
        assert!(is_followable("https://app.example/cb"));
        assert!(is_followable("http://app.example/cb"));
        assert!(is_followable("com.example.app:/cb"));
        assert!(!is_followable("javascript:alert(1)"));
        assert!(!is_followable("data:text/html,x"));
        assert!(!is_followable("https://u:p@app.example/"));
        assert!(!is_followable("not a uri"));
    }
}
