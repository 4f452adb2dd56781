//! Address blocks (`10.0.0.0/8`, `fd00::/8`, a bare address): the lists
//! operators give in settings such as `TRUST_PROXY`, `RATE_LIMIT_EXEMPT` and
//! `OUTBOUND_ALLOW`. An IPv4-mapped IPv6 address (`::ffff:10.1.1.1`) is
//! matched as the IPv4 address it carries.

use std::net::IpAddr;

/// An address block: an address and a prefix length (`10.0.0.0/8`,
/// `fd00::/8`; a bare address is a block of one).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct IpBlock {
    network: IpAddr,
    prefix: u8,
}

impl IpBlock {
    /// The block of `prefix` leading bits of `network` (tables of blocks
    /// known in advance; `prefix` at most 32 for IPv4, 128 for IPv6).
    pub(crate) const fn new(network: IpAddr, prefix: u8) -> Self {
        Self { network, prefix }
    }

    /// Parses `ADDR` or `ADDR/LEN`.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (text, None),
        };
        let network: IpAddr = addr
            .parse()
            .map_err(|_| format!("'{text}' is not an IP address or CIDR block"))?;
        let network = network.to_canonical();
        let max = if network.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p
                .parse::<u8>()
                .ok()
                .filter(|p| *p <= max)
                .ok_or_else(|| format!("'{text}': the prefix length must be 0-{max}"))?,
        };
        Ok(Self { network, prefix })
    }

    /// Whether `ip` lies in the block.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.network, ip.to_canonical()) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

/// A list of address blocks, as `TRUST_PROXY` and `RATE_LIMIT_EXEMPT` take
/// them: comma-separated; empty or `none` is the empty list.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IpBlocks(Vec<IpBlock>);

impl IpBlocks {
    /// Parses a comma-separated list.
    pub fn parse(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() || text.eq_ignore_ascii_case("none") {
            return Ok(Self::default());
        }
        text.split(',')
            .map(IpBlock::parse)
            .collect::<Result<_, _>>()
            .map(Self)
    }

    /// The loopback blocks, `127.0.0.0/8` and `::1`.
    pub fn loopback() -> Self {
        Self(vec![
            IpBlock {
                network: IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
                prefix: 8,
            },
            IpBlock {
                network: IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
                prefix: 128,
            },
        ])
    }

    /// Whether any block contains `ip`.
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|b| b.contains(ip))
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap_or_else(|_| unreachable!())
    }

    #[test]
    fn blocks_parse_and_match() -> Result<(), String> {
        let b = IpBlocks::parse("10.0.0.0/8, 192.168.1.7,fd00::/8")?;
        assert!(b.contains(ip("10.200.3.4")));
        assert!(b.contains(ip("192.168.1.7")));
        assert!(!b.contains(ip("192.168.1.8")));
        assert!(b.contains(ip("fd12::1")));
        assert!(b.contains(ip("::ffff:10.1.1.1")));
        assert!(!b.contains(ip("2001:db8::1")));
        assert!(IpBlocks::parse("0.0.0.0/0")?.contains(ip("8.8.8.8")));
        assert!(IpBlocks::parse("none")?.is_empty());
        assert!(IpBlocks::parse("10.0.0.0/33").is_err());
        assert!(IpBlocks::parse("example.com").is_err());
        Ok(())
    }
}
