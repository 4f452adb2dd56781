//! What `DATABASE_URL` says about the connection, beyond what
//! `tokio-postgres` itself reads: the TLS mode (libpq's `sslmode`, of which
//! `tokio-postgres` knows only disable/prefer/require) and a root
//! certificate file (`sslrootcert`), plus the pool's bounds.

use std::path::PathBuf;
use std::time::Duration;

/// How the connection to the database is protected (libpq's `sslmode`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TlsMode {
    /// No TLS (`disable`; also `allow` and `prefer`, which libpq would try
    /// both ways: a URL that wants TLS says `require` or stronger).
    Disable,
    /// TLS, without checking the server's certificate (`require`): protects
    /// against eavesdropping, not against an active attacker.
    Require,
    /// TLS with the server's certificate checked against the roots
    /// (`sslrootcert`, else the Mozilla roots) and its name against the host
    /// (`verify-full`; `verify-ca` is treated as `verify-full`, the stricter).
    VerifyFull {
        /// A PEM file of trusted roots (`sslrootcert`).
        root_cert: Option<PathBuf>,
    },
}

/// The pool's bounds; each has a default and a setting (idp-server's
/// `DATABASE_POOL_SIZE`, `DATABASE_POOL_TIMEOUT_MS`,
/// `DATABASE_STATEMENT_TIMEOUT_MS`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// The most connections this process opens.
    pub max_connections: usize,
    /// How long a call waits for a free connection (and for a new one to
    /// connect) before it fails as unavailable.
    pub wait: Duration,
    /// The longest any statement may run (PostgreSQL's `statement_timeout`).
    pub statement_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 16,
            wait: Duration::from_secs(2),
            statement_timeout: Duration::from_secs(5),
        }
    }
}

/// A `DATABASE_URL` split into what `tokio-postgres` parses and what this
/// crate handles itself.
#[derive(Clone, Debug)]
pub(crate) struct ConnectionUrl {
    /// The URL without `sslmode` and `sslrootcert`.
    pub(crate) for_driver: String,
    pub(crate) tls: TlsMode,
}

impl ConnectionUrl {
    /// Splits `url` (`postgres://` or `postgresql://`).
    pub(crate) fn parse(url: &str) -> Result<Self, String> {
        let (base, query) = match url.split_once('?') {
            Some((base, query)) => (base, query),
            None => (url, ""),
        };
        let mut mode = None;
        let mut root_cert = None;
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "sslmode" => mode = Some(value.to_owned()),
                "sslrootcert" => root_cert = Some(PathBuf::from(percent_decode(value))),
                _ => kept.push(pair),
            }
        }
        let tls = match mode.as_deref() {
            None | Some("disable" | "allow" | "prefer") => TlsMode::Disable,
            Some("require") => TlsMode::Require,
            Some("verify-ca" | "verify-full") => TlsMode::VerifyFull { root_cert },
            Some(other) => {
                return Err(format!(
                    "sslmode '{other}' is not one of disable, prefer, require, verify-ca, verify-full"
                ));
            }
        };
        let for_driver = if kept.is_empty() {
            base.to_owned()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(Self { for_driver, tls })
    }
}

/// `%XX` escapes decoded (a path in a query string); invalid ones kept.
fn percent_decode(value: &str) -> String {
    let bytes = value.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(hex) = value.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `url` with its password replaced by `***`, for messages and logs.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (authority, tail) = match rest.find(['/', '?']) {
        Some(i) => rest.split_at(i),
        None => (rest, ""),
    };
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(u, _)| u);
            let masked = if userinfo.contains(':') { ":***" } else { "" };
            format!("{scheme}://{user}{masked}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sslmode_and_root_cert_are_taken_out_of_the_url() {
        let url = ConnectionUrl::parse(
            "postgres://u@db:5432/idp?application_name=idp&sslmode=verify-full&sslrootcert=%2Fetc%2Fca.pem",
        )
        .map_err(|e| e.to_string());
        let url = url.as_ref().map(|u| (u.for_driver.as_str(), u.tls.clone()));
        assert_eq!(
            url,
            Ok((
                "postgres://u@db:5432/idp?application_name=idp",
                TlsMode::VerifyFull {
                    root_cert: Some(PathBuf::from("/etc/ca.pem"))
                }
            ))
        );
    }

    #[test]
    fn modes_map_to_what_they_promise() {
        let tls = |q: &str| ConnectionUrl::parse(&format!("postgres://h/d{q}")).map(|u| u.tls);
        assert_eq!(tls(""), Ok(TlsMode::Disable));
        assert_eq!(tls("?sslmode=prefer"), Ok(TlsMode::Disable));
        assert_eq!(tls("?sslmode=require"), Ok(TlsMode::Require));
        assert_eq!(
            tls("?sslmode=verify-ca"),
            Ok(TlsMode::VerifyFull { root_cert: None })
        );
        assert!(tls("?sslmode=always").is_err_and(|e| e.contains("'always'")));
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://idp:s3cret@db:5432/idp?sslmode=require"),
            "postgres://idp:***@db:5432/idp?sslmode=require"
        );
        assert_eq!(redact("postgres://idp@db/idp"), "postgres://idp@db/idp");
        assert_eq!(redact("postgres://db/idp"), "postgres://db/idp");
    }
}
