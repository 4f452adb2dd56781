//! The outbound-request policy: which URLs the provider may request itself.
//!
//! A provider fetches and posts to addresses its clients chose: `jwks_uri`
//! and `request_uri` documents (OIDC Core §6.2, §10.1.1), back-channel
//! logout (Back-Channel Logout 1.0 §2.5), later upstream discovery and
//! webhooks. Without a policy a client registered through RFC 7591 can aim
//! those requests at the provider's own network: loopback services, the
//! cloud metadata address, private hosts (server-side request forgery,
//! RFC 7591 §5 and RFC 9101 §10.4.1 warn about it). This module decides;
//! the embedding application's HTTP client enforces it on every request,
//! checking each address a name resolves to and connecting only to those
//! (ADR 0019). The same checks run when a client registers, on what can be
//! known then: the scheme, credentials, and an address written in the URL.
//!
//! Refused by default ([`is_forbidden`]): loopback, unspecified, private
//! (RFC 1918), carrier-grade NAT (RFC 6598), link-local (including
//! 169.254.169.254, where clouds serve instance credentials), unique-local,
//! multicast, documentation, benchmarking and reserved blocks, and the IPv6
//! forms that carry such an IPv4 address (IPv4-mapped, IPv4-compatible,
//! NAT64 64:ff9b::/96, 6to4). An operator allows chosen blocks back with
//! [`OutboundPolicy::allow`] (`OUTBOUND_ALLOW`). Plain http is refused
//! unless [`OutboundPolicy::allow_http`] (`OUTBOUND_ALLOW_HTTP`) is set.

use crate::ip_block::{IpBlock, IpBlocks};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// Which destinations server-initiated requests may reach.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OutboundPolicy {
    /// Blocks reachable although [`is_forbidden`] lists them
    /// (`OUTBOUND_ALLOW`; default none).
    pub allow: IpBlocks,
    /// Plain `http` as well as `https` (`OUTBOUND_ALLOW_HTTP`; default off).
    pub allow_http: bool,
}

/// Why a URL may not be requested. The text completes "URL …".
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum OutboundRefusal {
    /// Not an absolute URL.
    #[error("is not an absolute URL")]
    NotAbsolute,
    /// Not https (or http when allowed).
    #[error("must use https")]
    Scheme,
    /// A user name or password in the URL (RFC 3986 §3.2.1 deprecates it;
    /// it would be sent to whoever answers).
    #[error("must not contain a user name or password")]
    Credentials,
    /// No host to connect to.
    #[error("has no host")]
    NoHost,
    /// The destination is forbidden and not allowed.
    #[error("points at {0}, a loopback, private, link-local or reserved address")]
    Address(IpAddr),
}

impl OutboundPolicy {
    /// Whether a request may connect to `ip`.
    pub fn permits_address(&self, ip: IpAddr) -> bool {
        !is_forbidden(ip) || self.allow.contains(ip)
    }

    /// Parses `url` and checks it with [`OutboundPolicy::check`].
    pub fn check_str(&self, url: &str) -> Result<url::Url, OutboundRefusal> {
        let parsed = url::Url::parse(url).map_err(|_| OutboundRefusal::NotAbsolute)?;
        self.check(&parsed)?;
        Ok(parsed)
    }

    /// What can be checked without resolving: the scheme, credentials, and
    /// a host written as an address. A host name is checked by whoever
    /// resolves it, on each address it resolves to.
    pub fn check(&self, url: &url::Url) -> Result<(), OutboundRefusal> {
        match url.scheme() {
            "https" => {}
            "http" if self.allow_http => {}
            _ => return Err(OutboundRefusal::Scheme),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(OutboundRefusal::Credentials);
        }
        let ip = match url.host() {
            None => return Err(OutboundRefusal::NoHost),
            Some(url::Host::Domain(_)) => return Ok(()),
            Some(url::Host::Ipv4(ip)) => IpAddr::V4(ip),
            Some(url::Host::Ipv6(ip)) => IpAddr::V6(ip),
        };
        if self.permits_address(ip) {
            Ok(())
        } else {
            Err(OutboundRefusal::Address(ip))
        }
    }
}

const fn v4(a: u8, b: u8, c: u8, d: u8, prefix: u8) -> IpBlock {
    IpBlock::new(IpAddr::V4(Ipv4Addr::new(a, b, c, d)), prefix)
}

const fn v6(segments: [u16; 8], prefix: u8) -> IpBlock {
    let [a, b, c, d, e, f, g, h] = segments;
    IpBlock::new(IpAddr::V6(Ipv6Addr::new(a, b, c, d, e, f, g, h)), prefix)
}

/// IPv4 blocks that are not the public Internet (IANA special-purpose
/// registry, RFC 6890).
const FORBIDDEN_V4: [IpBlock; 15] = [
    v4(0, 0, 0, 0, 8),       // "this network", including 0.0.0.0
    v4(10, 0, 0, 0, 8),      // private, RFC 1918
    v4(100, 64, 0, 0, 10),   // carrier-grade NAT, RFC 6598
    v4(127, 0, 0, 0, 8),     // loopback
    v4(169, 254, 0, 0, 16),  // link-local, cloud metadata (RFC 3927)
    v4(172, 16, 0, 0, 12),   // private, RFC 1918
    v4(192, 0, 0, 0, 24),    // IETF protocol assignments
    v4(192, 0, 2, 0, 24),    // documentation
    v4(192, 88, 99, 0, 24),  // 6to4 relay anycast
    v4(192, 168, 0, 0, 16),  // private, RFC 1918
    v4(198, 18, 0, 0, 15),   // benchmarking
    v4(198, 51, 100, 0, 24), // documentation
    v4(203, 0, 113, 0, 24),  // documentation
    v4(224, 0, 0, 0, 4),     // multicast
    v4(240, 0, 0, 0, 4),     // reserved, and 255.255.255.255 broadcast
];

/// IPv6 blocks that are not the public Internet (those that carry an IPv4
/// address are judged by it, see [`embedded_ipv4`]).
const FORBIDDEN_V6: [IpBlock; 10] = [
    v6([0x64, 0xff9b, 1, 0, 0, 0, 0, 0], 48), // local-use NAT64, RFC 8215
    v6([0x100, 0, 0, 0, 0, 0, 0, 0], 64),     // discard-only
    v6([0x2001, 0, 0, 0, 0, 0, 0, 0], 32),    // Teredo
    v6([0x2001, 2, 0, 0, 0, 0, 0, 0], 48),    // benchmarking
    v6([0x2001, 0xdb8, 0, 0, 0, 0, 0, 0], 32), // documentation
    v6([0x3fff, 0, 0, 0, 0, 0, 0, 0], 20),    // documentation, RFC 9637
    v6([0xfc00, 0, 0, 0, 0, 0, 0, 0], 7),     // unique-local
    v6([0xfe80, 0, 0, 0, 0, 0, 0, 0], 10),    // link-local
    v6([0xfec0, 0, 0, 0, 0, 0, 0, 0], 10),    // site-local (deprecated)
    v6([0xff00, 0, 0, 0, 0, 0, 0, 0], 8),     // multicast
];

/// The IPv4 address an IPv6 address stands for, where it stands for one:
/// IPv4-mapped `::ffff:0:0/96`, IPv4-compatible `::/96` (deprecated,
/// RFC 4291 §2.5.5.1; it holds `::` and `::1` too, as 0.0.0.0 and
/// 0.0.0.1, both forbidden), NAT64 `64:ff9b::/96` (RFC 6052) and 6to4
/// `2002::/16` (RFC 3056).
fn embedded_ipv4(ip: Ipv6Addr) -> Option<Ipv4Addr> {
    let bits = u128::from(ip);
    let low = Ipv4Addr::from((bits & 0xffff_ffff) as u32);
    let top96 = bits >> 32;
    if top96 == 0xffff || top96 == 0 || top96 == 0x0064_ff9b_0000_0000_0000_0000 {
        return Some(low);
    }
    if bits >> 112 == 0x2002 {
        return Some(Ipv4Addr::from(((bits >> 80) & 0xffff_ffff) as u32));
    }
    None
}

/// Whether `ip` is outside the public Internet: a destination no request
/// chosen by a client may reach unless the operator allows it.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(_) => FORBIDDEN_V4.iter().any(|b| b.contains(ip)),
        IpAddr::V6(v6) => match embedded_ipv4(v6) {
            Some(v4) => is_forbidden(IpAddr::V4(v4)),
            None => FORBIDDEN_V6.iter().any(|b| b.contains(ip)),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!("{s}"))
    }

    #[test]
    fn internal_ipv4_destinations_are_forbidden() {
        for a in [
            "0.0.0.0",
            "0.255.255.255",
            "10.0.0.1",
            "100.64.0.1",
            "100.127.255.255",
            "127.0.0.1",
            "127.255.255.254",
            "169.254.169.254",
            "172.16.0.1",
            "172.31.255.255",
            "192.0.0.8",
            "192.0.2.1",
            "192.168.1.1",
            "198.18.0.1",
            "198.19.255.255",
            "224.0.0.1",
            "239.255.255.250",
            "240.0.0.1",
            "255.255.255.255",
        ] {
            assert!(is_forbidden(ip(a)), "{a}");
        }
    }

    #[test]
    fn public_ipv4_edges_are_permitted() {
        for a in [
            "1.1.1.1",
            "8.8.8.8",
            "9.255.255.255",
            "11.0.0.0",
            "100.63.255.255",
            "100.128.0.0",
            "126.255.255.255",
            "128.0.0.1",
            "169.253.255.255",
            "169.255.0.0",
            "172.15.255.255",
            "172.32.0.0",
            "192.167.255.255",
            "192.169.0.0",
            "198.17.255.255",
            "198.20.0.0",
            "223.255.255.255",
        ] {
            assert!(!is_forbidden(ip(a)), "{a}");
        }
    }

    #[test]
    fn internal_ipv6_destinations_are_forbidden() {
        for a in [
            "::",
            "::1",
            "fe80::1",
            "febf:ffff::1",
            "fc00::1",
            "fd12:3456::1",
            "ff02::1",
            "2001:db8::1",
            "2001::1",
            "64:ff9b:1::1",
        ] {
            assert!(is_forbidden(ip(a)), "{a}");
        }
        for a in ["2606:4700::1111", "2a00:1450::1", "fbff::1", "fe7f::1"] {
            assert!(!is_forbidden(ip(a)), "{a}");
        }
    }

    #[test]
    fn ipv6_forms_of_ipv4_are_judged_by_the_ipv4_address() {
        for a in [
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::ffff:10.0.0.1",
            "::ffff:0.0.0.0",
            "::127.0.0.1",
            "::10.1.2.3",
            "64:ff9b::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "2002:7f00:1::",
            "2002:c0a8:101::1",
        ] {
            assert!(is_forbidden(ip(a)), "{a}");
        }
        for a in ["::ffff:8.8.8.8", "64:ff9b::1.1.1.1", "2002:808:808::1"] {
            assert!(!is_forbidden(ip(a)), "{a}");
        }
    }

    #[test]
    fn allow_list_reopens_chosen_blocks_only() -> Result<(), String> {
        let policy = OutboundPolicy {
            allow: IpBlocks::parse("127.0.0.1/32,::1/128,10.1.0.0/16")?,
            allow_http: false,
        };
        assert!(policy.permits_address(ip("127.0.0.1")));
        assert!(policy.permits_address(ip("::ffff:127.0.0.1")));
        assert!(policy.permits_address(ip("::1")));
        assert!(policy.permits_address(ip("10.1.200.3")));
        assert!(!policy.permits_address(ip("127.0.0.2")));
        assert!(!policy.permits_address(ip("10.2.0.1")));
        assert!(!policy.permits_address(ip("169.254.169.254")));
        assert!(policy.permits_address(ip("93.184.216.34")));
        Ok(())
    }

    #[test]
    fn urls_need_https_no_credentials_and_a_permitted_address() {
        let strict = OutboundPolicy::default();
        let check = |p: &OutboundPolicy, u: &str| p.check_str(u).err();
        assert_eq!(check(&strict, "https://rp.example/jwks"), None);
        assert_eq!(check(&strict, "https://93.184.216.34/jwks"), None);
        assert_eq!(
            check(&strict, "http://rp.example/jwks"),
            Some(OutboundRefusal::Scheme)
        );
        assert_eq!(
            check(&strict, "file:///etc/passwd"),
            Some(OutboundRefusal::Scheme)
        );
        assert_eq!(check(&strict, "/jwks"), Some(OutboundRefusal::NotAbsolute));
        assert_eq!(
            check(&strict, "https://user:pw@rp.example/"),
            Some(OutboundRefusal::Credentials)
        );
        assert_eq!(
            check(&strict, "https://user@rp.example/"),
            Some(OutboundRefusal::Credentials)
        );
        // The URL parser normalises every spelling of an address.
        for u in [
            "https://127.0.0.1/",
            "https://2130706433/",
            "https://0x7f.1/",
            "https://0.0.0.0/",
            "https://[::1]/",
            "https://[::ffff:127.0.0.1]/",
            "https://169.254.169.254/latest/meta-data/",
        ] {
            assert!(
                matches!(check(&strict, u), Some(OutboundRefusal::Address(_))),
                "{u}"
            );
        }
        let open = OutboundPolicy {
            allow: IpBlocks::parse("127.0.0.1/32").unwrap_or_default(),
            allow_http: true,
        };
        assert_eq!(check(&open, "http://127.0.0.1:8080/jwks"), None);
        assert_eq!(
            check(&open, "ftp://rp.example/"),
            Some(OutboundRefusal::Scheme)
        );
        assert!(check(&open, "http://[::1]/").is_some());
    }
}
