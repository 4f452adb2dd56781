//! Whether a redirect URI sent in a request is one the client registered.
//!
//! Exact string comparison (RFC 9700 §2.1, OIDC Core §3.1.2.1), with the one
//! exception native apps need (RFC 8252 §7.3): a registered `http` redirect
//! URI on a loopback IP literal (`127.0.0.1`, any 127.0.0.0/8 address, or
//! `[::1]`) matches the same URI with any port, because the app listens on
//! an ephemeral port it learns only at run time. Everything but the port
//! stays byte for byte identical: scheme, host, path and query.
//!
//! Not loosened: `localhost` (RFC 8252 §8.3: a name, which a resolver or a
//! firewall may point elsewhere, so it keeps exact matching), `https`
//! redirects (claimed URLs, §7.2) and private-use schemes (§7.1).
//!
//! The comparison is textual, not through a URL parser, so that no
//! normalization (dot segments, default ports, percent-encoding) can make
//! two different strings match.

use std::net::IpAddr;

/// Whether `presented` is an acceptable redirect URI for the registered
/// `registered` one.
pub fn matches(registered: &str, presented: &str) -> bool {
    if registered == presented {
        return true;
    }
    match (loopback_parts(registered), loopback_parts(presented)) {
        (Some(r), Some(p)) => r.host == p.host && r.rest == p.rest,
        _ => false,
    }
}

/// Whether any of `registered` accepts `presented`.
pub fn any_matches(registered: &[String], presented: &str) -> bool {
    registered.iter().any(|r| matches(r, presented))
}

/// An `http` URI on a loopback IP literal, split around its port.
struct LoopbackUri<'a> {
    /// The host as written (`127.0.0.1`, `[::1]`).
    host: &'a str,
    /// Everything after the authority: path, query (and fragment, if any).
    rest: &'a str,
}

/// Splits `http://HOST[:PORT]REST` where HOST is a loopback IP literal and
/// PORT, when present, is 1-65535 in decimal. `None` for anything else.
fn loopback_parts(uri: &str) -> Option<LoopbackUri<'_>> {
    // The scheme is case-insensitive (RFC 3986 §3.1), but the registration
    // policy stores what the operator wrote; accept only lowercase `http`
    // to keep the rule narrow.
    let after_scheme = uri.strip_prefix("http://")?;
    let end = after_scheme
        .find(['/', '?', '#'])
        .unwrap_or(after_scheme.len());
    let (authority, rest) = after_scheme.split_at(end);
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let close = v6.find(']')?;
        let host = &authority[..close + 2];
        (host, &v6[close + 1..])
    } else {
        match authority.find(':') {
            Some(i) => (&authority[..i], &authority[i..]),
            None => (authority, ""),
        }
    };
    if !port.is_empty() {
        let digits = port.strip_prefix(':')?;
        if digits.is_empty() || digits.len() > 5 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        match digits.parse::<u16>() {
            Ok(p) if p > 0 => {}
            _ => return None,
        }
    }
    let ip: IpAddr = host
        .strip_prefix('[')
        .and_then(|h| h.strip_suffix(']'))
        .unwrap_or(host)
        .parse()
        .ok()?;
    // An IPv6 literal must be bracketed, an IPv4 one must not.
    if ip.is_ipv6() != host.starts_with('[') || !ip.is_loopback() {
        return None;
    }
    Some(LoopbackUri { host, rest })
}

#[cfg(test)]
mod tests {
    use super::matches;

    #[test]
    fn loopback_ip_literals_match_any_port() {
        for (registered, presented) in [
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:54321/callback",
            ),
            (
                "http://127.0.0.1:8080/callback",
                "http://127.0.0.1:1/callback",
            ),
            (
                "http://127.0.0.1:8080/callback",
                "http://127.0.0.1/callback",
            ),
            ("http://[::1]/callback", "http://[::1]:65535/callback"),
            ("http://[::1]:80/cb?x=1", "http://[::1]:4000/cb?x=1"),
            ("http://127.0.0.1", "http://127.0.0.1:9000"),
            ("http://127.0.0.2/cb", "http://127.0.0.2:9000/cb"),
        ] {
            assert!(matches(registered, presented), "{registered} {presented}");
        }
    }

    #[test]
    fn path_query_host_and_scheme_stay_exact() {
        for (registered, presented) in [
            ("http://127.0.0.1/callback", "http://127.0.0.1:5000/other"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:5000/callback/",
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:5000/callback?x=1",
            ),
            ("http://127.0.0.1/cb?x=1", "http://127.0.0.1:5000/cb?x=2"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:5000/callback#f",
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.2:5000/callback",
            ),
            ("http://127.0.0.1/callback", "http://[::1]:5000/callback"),
            (
                "http://127.0.0.1/callback",
                "https://127.0.0.1:5000/callback",
            ),
            ("http://127.0.0.1/callback", "http://127.0.0.1:0/callback"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:65536/callback",
            ),
            ("http://127.0.0.1/callback", "http://127.0.0.1:/callback"),
            ("http://127.0.0.1/callback", "http://127.0.0.1:+80/callback"),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1:80:81/callback",
            ),
            (
                "http://127.0.0.1/callback",
                "http://127.0.0.1.evil.com/callback",
            ),
            (
                "http://127.0.0.1/callback",
                "http://user@127.0.0.1:80/callback",
            ),
            ("http://[::1]/cb", "http://[::1]x:80/cb"),
            ("http://[::1]/cb", "http://::1:80/cb"),
        ] {
            assert!(!matches(registered, presented), "{registered} {presented}");
        }
    }

    #[test]
    fn localhost_https_and_private_use_schemes_match_exactly() {
        assert!(matches("http://localhost/cb", "http://localhost/cb"));
        assert!(!matches("http://localhost/cb", "http://localhost:5000/cb"));
        assert!(!matches(
            "http://localhost:3000/cb",
            "http://localhost:3001/cb"
        ));
        assert!(!matches(
            "https://127.0.0.1/cb",
            "https://127.0.0.1:8443/cb"
        ));
        assert!(!matches(
            "https://app.example/cb",
            "https://app.example:8443/cb"
        ));
        assert!(!matches("http://10.0.0.1/cb", "http://10.0.0.1:8080/cb"));
        assert!(matches("com.example.app:/cb", "com.example.app:/cb"));
        assert!(!matches("com.example.app:/cb", "com.example.app:/cb2"));
    }
}
