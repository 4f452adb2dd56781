//! Who is on the other end of a request: the TCP peer, or, when that peer is
//! a proxy named in `TRUST_PROXY`, the client it reports in
//! `X-Forwarded-For` and the scheme in `X-Forwarded-Proto`.
//!
//! Without `TRUST_PROXY` the forwarding headers are ignored: anyone can send
//! them, and a rate limit keyed on a header the attacker writes limits
//! nothing. `BASE_URL` is never derived from them either; issuers come from
//! configuration only (OIDC Discovery §4.3 compares them byte for byte).

use http::HeaderMap;
use std::net::IpAddr;

pub use idp_core::ip_block::{IpBlock, IpBlocks};

/// The client of a request, in each request's extensions: the TCP peer, or
/// the address a trusted proxy forwarded. Rate limits, idp-core's lockouts
/// and the device page's attempt limit key on it.
pub use idp_core::abuse::ClientAddr;

/// How the client reached us, in each request's extensions. Decides
/// whether `Strict-Transport-Security` is sent: RFC 6797 §7.2 forbids it
/// over plain HTTP, so it is left out only when we know the client used
/// plain HTTP (browsers ignore it there anyway, §8.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transport {
    /// Our own TLS listener, or a trusted proxy's `X-Forwarded-Proto: https`.
    Https,
    /// A trusted proxy's `X-Forwarded-Proto: http`.
    Http,
    /// A plain listener with no trusted proxy saying how the client came
    /// (typically a TLS-terminating proxy that is not in `TRUST_PROXY`).
    Unknown,
}

/// The client address and transport of a request from `peer`.
///
/// With `peer` in `trusted`, `X-Forwarded-For` is read right to left and the
/// client is the right-most address that is not itself a trusted proxy
/// (entries further left were written by parties we do not trust); an entry
/// that is not an address ends the walk at the hop that reported it.
/// `X-Forwarded-Proto` is read only from a trusted peer, right-most value.
pub fn client_of(
    peer: IpAddr,
    tls: bool,
    headers: &HeaderMap,
    trusted: &IpBlocks,
) -> (ClientAddr, Transport) {
    let peer = peer.to_canonical();
    let tls_transport = if tls {
        Transport::Https
    } else {
        Transport::Unknown
    };
    if trusted.is_empty() || !trusted.contains(peer) {
        if headers.contains_key("x-forwarded-for") {
            warn_untrusted_proxy_once(peer);
        }
        return (ClientAddr(peer), tls_transport);
    }
    let mut client = peer;
    'walk: for value in headers.get_all("x-forwarded-for").iter().rev() {
        let Ok(value) = value.to_str() else { break };
        for hop in value.rsplit(',') {
            if !trusted.contains(client) {
                break 'walk;
            }
            match parse_hop(hop) {
                Some(ip) => client = ip,
                None => break 'walk,
            }
        }
    }
    let transport = headers
        .get_all("x-forwarded-proto")
        .iter()
        .next_back()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .map(str::trim)
        .map_or(tls_transport, |p| {
            if p.eq_ignore_ascii_case("https") {
                Transport::Https
            } else {
                Transport::Http
            }
        });
    (ClientAddr(client), transport)
}

/// Tells the operator, once per process, that a proxy's `X-Forwarded-For`
/// is being ignored: every user behind it shares the proxy's address for the
/// per-address limits (and, on loopback, escapes them: it is exempt by
/// default), so the deployment most likely wants `TRUST_PROXY`.
fn warn_untrusted_proxy_once(peer: IpAddr) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !WARNED.swap(true, std::sync::atomic::Ordering::Relaxed) {
        tracing::warn!(
            %peer,
            "a request from {peer} carries X-Forwarded-For, which is ignored because {peer} is not in TRUST_PROXY; \
             if a reverse proxy runs there, set TRUST_PROXY={peer} so that limits and logs see the real client address"
        );
    }
}

/// One `X-Forwarded-For` entry: an address, possibly with a port
/// (`1.2.3.4:5678`, `[2001:db8::1]:443`).
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .map(|ip| ip.to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    fn xff(values: &[&str]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for v in values {
            h.append(
                "x-forwarded-for",
                v.parse().unwrap_or_else(|_| unreachable!()),
            );
        }
        h
    }

    #[test]
    fn forwarded_for_is_ignored_from_untrusted_peers() -> Result<(), String> {
        let h = xff(&["203.0.113.9"]);
        let (c, _) = client_of(ip("198.51.100.1"), false, &h, &IpBlocks::default());
        assert_eq!(c.0, ip("198.51.100.1"));
        let trusted = IpBlocks::parse("10.0.0.1")?;
        let (c, _) = client_of(ip("198.51.100.1"), false, &h, &trusted);
        assert_eq!(c.0, ip("198.51.100.1"));
        Ok(())
    }

    #[test]
    fn right_most_untrusted_hop_is_the_client() -> Result<(), String> {
        let trusted = IpBlocks::parse("10.0.0.0/8")?;
        // The client forged the first entry; our proxies appended the rest.
        let h = xff(&["1.1.1.1, 203.0.113.9", "10.0.0.2"]);
        let (c, _) = client_of(ip("10.0.0.1"), false, &h, &trusted);
        assert_eq!(c.0, ip("203.0.113.9"));
        // Every hop trusted: the left-most.
        let h = xff(&["10.0.0.3, 10.0.0.2"]);
        let (c, _) = client_of(ip("10.0.0.1"), false, &h, &trusted);
        assert_eq!(c.0, ip("10.0.0.3"));
        // Garbage stops the walk at the proxy that wrote it.
        let h = xff(&["203.0.113.9, junk"]);
        let (c, _) = client_of(ip("10.0.0.1"), false, &h, &trusted);
        assert_eq!(c.0, ip("10.0.0.1"));
        let h = xff(&["[2001:db8::7]:443"]);
        let (c, _) = client_of(ip("10.0.0.1"), false, &h, &trusted);
        assert_eq!(c.0, ip("2001:db8::7"));
        Ok(())
    }

    #[test]
    fn forwarded_proto_only_from_trusted_peers() -> Result<(), String> {
        let trusted = IpBlocks::parse("10.0.0.1")?;
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-proto", http::HeaderValue::from_static("https"));
        assert_eq!(
            client_of(ip("10.0.0.1"), false, &h, &trusted).1,
            Transport::Https
        );
        assert_eq!(
            client_of(ip("10.0.0.9"), false, &h, &trusted).1,
            Transport::Unknown
        );
        assert_eq!(
            client_of(ip("10.0.0.9"), true, &h, &trusted).1,
            Transport::Https
        );
        h.insert("x-forwarded-proto", http::HeaderValue::from_static("http"));
        assert_eq!(
            client_of(ip("10.0.0.1"), true, &h, &trusted).1,
            Transport::Http
        );
        Ok(())
    }
}
