//! The client address of a login (SE-05): the socket peer, or — only when the peer is one of
//! the configured trusted proxies (`TRUSTED_PROXIES`) — the rightmost `X-Forwarded-For` entry
//! that is not a trusted proxy. Entries left of it were written by the client itself and can
//! say anything, so the leftmost entry is never believed. IPv6 clients are keyed by their /64,
//! because one subscriber commonly holds a whole /64.

use std::net::IpAddr;
use std::str::FromStr;

/// An address range in CIDR notation (`10.0.0.0/8`, `fd00::/8`, or a bare address).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    net: IpAddr,
    prefix: u8,
}

impl Cidr {
    /// Whether `ip` is inside the range (IPv4-mapped IPv6 addresses count as IPv4).
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.net, canonical(ip)) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(self.prefix)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(self.prefix)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        }
    }
}

impl FromStr for Cidr {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let (addr, prefix) = match s.split_once('/') {
            Some((a, p)) => (a, Some(p)),
            None => (s, None),
        };
        let net = canonical(addr.parse::<IpAddr>().map_err(|_| format!("{s:?} is not an address range"))?);
        let max = if net.is_ipv4() { 32 } else { 128 };
        let prefix = match prefix {
            None => max,
            Some(p) => p.parse::<u8>().ok().filter(|p| *p <= max).ok_or_else(|| format!("{s:?} has a bad prefix"))?,
        };
        Ok(Cidr { net, prefix })
    }
}

/// Parses a comma-separated list of ranges.
pub fn parse_list(s: &str) -> Result<Vec<Cidr>, String> {
    s.split(',').map(str::trim).filter(|p| !p.is_empty()).map(Cidr::from_str).collect()
}

/// The client address: `peer` unless it is a trusted proxy; then the rightmost entry of
/// `forwarded_for` (all `X-Forwarded-For` values in order) outside `trusted`. An entry that is
/// not an address ends the walk: the last trusted hop is the client then.
pub fn client_address(peer: IpAddr, forwarded_for: &[&str], trusted: &[Cidr]) -> IpAddr {
    let is_trusted = |ip: IpAddr| trusted.iter().any(|c| c.contains(ip));
    let mut client = canonical(peer);
    if !is_trusted(client) {
        return client;
    }
    let hops = forwarded_for.iter().flat_map(|v| v.split(',')).map(str::trim).filter(|h| !h.is_empty());
    for hop in hops.collect::<Vec<_>>().into_iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(ip) {
            break;
        }
    }
    client
}

/// The throttle key of a client address: an IPv4 address, or the /64 of an IPv6 address.
pub fn throttle_key(ip: IpAddr) -> String {
    match canonical(ip) {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => {
            let net = std::net::Ipv6Addr::from(u128::from(a) & (u128::MAX << 64));
            format!("{net}/64")
        }
    }
}

/// An `X-Forwarded-For` hop: an address, possibly `[v6]:port` or `v4:port`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(canonical(ip));
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| canonical(s.ip()))
}

fn canonical(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn se_05_the_client_address_is_the_rightmost_untrusted_forwarded_for_entry() {
        let trusted = parse_list("10.0.0.0/8, 192.168.1.1, fd00::/8").unwrap();
        let cases: &[(&str, &[&str], &str)] = &[
            // An untrusted peer is the client, whatever it claims.
            ("203.0.113.9", &["1.2.3.4"], "203.0.113.9"),
            // Through the proxy: the rightmost address that is not a proxy.
            ("10.1.2.3", &["1.2.3.4, 198.51.100.7"], "198.51.100.7"),
            ("10.1.2.3", &["6.6.6.6", "198.51.100.7, 10.9.9.9"], "198.51.100.7"),
            ("192.168.1.1", &["198.51.100.7:4711"], "198.51.100.7"),
            ("fd00::1", &["[2001:db8::5]:443"], "2001:db8::5"),
            // A forged entry left of the real client is ignored.
            ("10.1.2.3", &["127.0.0.1, 198.51.100.7"], "198.51.100.7"),
            // Without the header, or with garbage, the last trusted hop.
            ("10.1.2.3", &[], "10.1.2.3"),
            ("10.1.2.3", &["evil, 10.2.2.2"], "10.2.2.2"),
            ("::ffff:10.1.2.3", &["198.51.100.7"], "198.51.100.7"),
        ];
        for (peer, xff, want) in cases {
            assert_eq!(client_address(ip(peer), xff, &trusted), ip(want), "{peer} {xff:?}");
        }
        // Without trusted proxies the header is never read.
        assert_eq!(client_address(ip("10.1.2.3"), &["198.51.100.7"], &[]), ip("10.1.2.3"));
        assert!(parse_list("10.0.0.0/33").is_err());
        assert!(parse_list("proxy").is_err());
        assert_eq!(throttle_key(ip("2001:db8:1:2:3:4:5:6")), "2001:db8:1:2::/64");
        assert_eq!(throttle_key(ip("::ffff:1.2.3.4")), "1.2.3.4");
    }
}
