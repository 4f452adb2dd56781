//! Who may read `/metrics`: `METRICS_ADDR` (a listener of its own) and
//! `METRICS_TOKEN` (a bearer token, RFC 6750 §2.1).
//!
//! The figures are not secrets, but they describe the deployment (traffic,
//! failed sign-ins, pool sizes) to whoever reads them, so a production
//! server puts them where only its scraper can reach: on an internal
//! address, behind a token, or both (README, "Metrics"). By default they
//! stay on the main listener without a token, as before.
//!
//! Only the token's SHA-256 is kept, and the presented token is compared
//! by its hash in constant time, so neither the comparison's timing nor a
//! `Debug` print of the configuration reveals it; it is never logged.

use crate::config::ConfigError;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Response, StatusCode};
use idp_core::crypto::secret::SecretHash;
use std::net::SocketAddr;

/// Shortest accepted `METRICS_TOKEN`: guessing it must be hopeless.
const MIN_TOKEN_LEN: usize = 16;

/// `METRICS_ADDR` and `METRICS_TOKEN`, resolved.
#[derive(Clone, Debug, Default)]
pub struct MetricsSettings {
    /// Serve `/metrics` only on this address (its own plain-HTTP listener);
    /// the main listener then answers 404 for it. `None`: the main listener.
    pub addr: Option<SocketAddr>,
    /// Require `Authorization: Bearer <token>` with the token hashing to this.
    pub token: Option<SecretHash>,
}

impl MetricsSettings {
    /// Parses the settings; errors name the setting and never echo the token.
    pub fn resolve(addr: Option<String>, token: Option<String>) -> Result<Self, ConfigError> {
        let addr = addr
            .map(|a| {
                a.trim().parse::<SocketAddr>().map_err(|_| {
                    ConfigError::new(
                        "METRICS_ADDR",
                        format!("'{a}' is not an address and port (127.0.0.1:9100, [::1]:9100)"),
                    )
                })
            })
            .transpose()?;
        let token = token
            .map(|t| {
                let t = t.trim();
                // RFC 6750 §2.1 b64token, so that it travels in the header as is.
                let b64token = t.trim_end_matches('=');
                let valid = t.len() >= MIN_TOKEN_LEN
                    && !b64token.is_empty()
                    && b64token
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b"-._~+/".contains(&b));
                if valid {
                    Ok(SecretHash::of(t))
                } else {
                    Err(ConfigError::new(
                        "METRICS_TOKEN",
                        "must be at least 16 characters of A-Z a-z 0-9 - . _ ~ + / \
                         (for example the output of `openssl rand -hex 32`)",
                    ))
                }
            })
            .transpose()?;
        Ok(Self { addr, token })
    }

    /// Whether the main listener serves `/metrics`.
    pub(crate) fn on_main_listener(&self) -> bool {
        self.addr.is_none()
    }

    /// `None` when no token is required or the request carries it;
    /// otherwise the 401 to send (RFC 6750 §3), the same whatever was
    /// presented.
    pub(crate) fn refusal(&self, headers: &HeaderMap) -> Option<Response<Bytes>> {
        let expected = self.token.as_ref()?;
        match idp_core::wire::bearer_token(headers) {
            Some(token) if expected.matches(token) => None,
            _ => Some(unauthorized()),
        }
    }
}

fn unauthorized() -> Response<Bytes> {
    let mut res = idp_core::wire::text_no_store(
        StatusCode::UNAUTHORIZED,
        "text/plain; charset=utf-8",
        Bytes::from_static(b"a bearer token is required\n"),
    );
    res.headers_mut().insert(
        http::header::WWW_AUTHENTICATE,
        HeaderValue::from_static("Bearer realm=\"metrics\""),
    );
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    const TOKEN: &str = "0123456789abcdef0123";

    fn with_auth(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(value) {
            h.insert(http::header::AUTHORIZATION, v);
        }
        h
    }

    #[test]
    fn settings_are_checked_without_echoing_the_token() {
        let s = MetricsSettings::resolve(Some("127.0.0.1:9100".into()), Some(TOKEN.into()));
        assert!(
            s.as_ref()
                .is_ok_and(|s| s.addr.is_some() && s.token.is_some())
        );
        let bad_addr = MetricsSettings::resolve(Some("localhost".into()), None);
        assert_eq!(bad_addr.err().map(|e| e.setting), Some("METRICS_ADDR"));
        for bad in [
            "short",
            "has a space in it somewhere",
            "ÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄÄ",
            "================",
        ] {
            let err = MetricsSettings::resolve(None, Some(bad.into())).err();
            assert_eq!(
                err.as_ref().map(|e| e.setting),
                Some("METRICS_TOKEN"),
                "{bad}"
            );
            assert!(!err.map(|e| e.to_string()).unwrap_or_default().contains(bad));
        }
        let s = MetricsSettings::resolve(None, Some(TOKEN.into())).unwrap_or_default();
        assert!(!format!("{s:?}").contains(TOKEN));
    }

    #[test]
    fn only_the_exact_bearer_token_is_let_through() {
        let open = MetricsSettings::default();
        assert!(open.refusal(&HeaderMap::new()).is_none());
        let closed = MetricsSettings::resolve(None, Some(TOKEN.into())).unwrap_or_default();
        assert!(
            closed
                .refusal(&with_auth(&format!("Bearer {TOKEN}")))
                .is_none()
        );
        assert!(
            closed
                .refusal(&with_auth(&format!("bearer {TOKEN}")))
                .is_none()
        );
        for wrong in [
            String::new(),
            format!("Basic {TOKEN}"),
            format!("Bearer {TOKEN}x"),
            format!("Bearer {}", &TOKEN[1..]),
            "Bearer".into(),
        ] {
            let res = closed.refusal(&with_auth(&wrong));
            assert_eq!(
                res.map(|r| r.status()),
                Some(StatusCode::UNAUTHORIZED),
                "{wrong}"
            );
        }
    }
}
