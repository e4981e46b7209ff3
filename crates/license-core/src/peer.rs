//! Who is calling: the client address a transport records is the connection's own, unless the
//! connection comes from a trusted proxy, whose `Forwarded` (RFC 7239) or `X-Forwarded-For`
//! header is then believed — hop by hop from the nearest, up to the first address that is no
//! trusted proxy. Anyone else's forwarding headers are ignored.

use std::net::IpAddr;
use std::str::FromStr;

use ipnet::IpNet;

/// The proxies whose forwarding headers are believed (`trusted_proxies`, comma-separated
/// CIDRs or addresses; default none).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl FromStr for TrustedProxies {
    type Err = String;

    /// Parses `10.0.0.0/8, 192.168.1.7, ::1`; empty means none.
    fn from_str(list: &str) -> Result<Self, String> {
        list.split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(|s| {
                s.parse::<IpNet>()
                    .or_else(|_| s.parse::<IpAddr>().map(IpNet::from))
                    .map_err(|_| format!("trusted_proxies: {s:?} is not an address or CIDR"))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }
}

impl TrustedProxies {
    /// Whether an address is a trusted proxy.
    pub fn trusts(&self, addr: IpAddr) -> bool {
        let addr = canonical(addr);
        self.0.iter().any(|n| n.contains(&addr))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The client's address for a connection from `peer` that carried these headers:
    /// `forwarded` (the `Forwarded` values, comma-joined) wins over `x_forwarded_for`.
    pub fn client(
        &self,
        peer: IpAddr,
        forwarded: Option<&str>,
        x_forwarded_for: Option<&str>,
    ) -> IpAddr {
        let peer = canonical(peer);
        if !self.trusts(peer) {
            return peer;
        }
        let hops: Vec<&str> = match (forwarded, x_forwarded_for) {
            (Some(f), _) => f.split(',').filter_map(forwarded_for).collect(),
            (None, Some(x)) => x.split(',').map(str::trim).collect(),
            (None, None) => return peer,
        };
        // From the nearest hop outwards: each trusted proxy vouches for the one before it.
        let mut client = peer;
        for hop in hops.iter().rev() {
            match parse_hop(hop) {
                Some(addr) => {
                    client = addr;
                    if !self.trusts(addr) {
                        break;
                    }
                }
                // An unreadable hop: the last proxy that vouched is the client we know.
                None => break,
            }
        }
        client
    }
}

/// An IPv4 address mapped into IPv6 is the IPv4 address.
fn canonical(addr: IpAddr) -> IpAddr {
    match addr {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(addr, IpAddr::V4),
        v4 => v4,
    }
}

/// The `for=` parameter of one `Forwarded` element (`for=192.0.2.60;proto=http`).
fn forwarded_for(element: &str) -> Option<&str> {
    element.split(';').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        k.trim().eq_ignore_ascii_case("for").then(|| v.trim())
    })
}

/// An address as a hop names it: bare, quoted, `[v6]`, with or without a port.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim().trim_matches('"');
    if let Ok(a) = hop.parse::<IpAddr>() {
        return Some(canonical(a));
    }
    if let Some(rest) = hop.strip_prefix('[') {
        return rest.split(']').next()?.parse().ok().map(canonical);
    }
    let (host, port) = hop.rsplit_once(':')?;
    port.parse::<u16>().ok()?;
    host.parse().ok().map(canonical)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn forwarding_headers_are_believed_only_from_trusted_proxies() {
        let none = TrustedProxies::default();
        assert_eq!(
            none.client(ip("203.0.113.9"), None, Some("1.2.3.4")),
            ip("203.0.113.9")
        );
        let lb: TrustedProxies = "10.0.0.0/8, 192.168.1.7".parse().unwrap();
        assert_eq!(
            lb.client(ip("198.51.100.1"), None, Some("1.2.3.4")),
            ip("198.51.100.1")
        );
        assert_eq!(
            lb.client(ip("10.1.2.3"), None, Some("1.2.3.4")),
            ip("1.2.3.4")
        );
        assert_eq!(lb.client(ip("10.1.2.3"), None, None), ip("10.1.2.3"));
        // A spoofed first hop is not believed: the nearest untrusted hop is the client.
        assert_eq!(
            lb.client(ip("10.1.2.3"), None, Some("6.6.6.6, 1.2.3.4, 192.168.1.7")),
            ip("1.2.3.4")
        );
        assert_eq!(
            lb.client(ip("::ffff:10.1.2.3"), None, Some("x".repeat(100).as_str())),
            ip("10.1.2.3"),
            "garbage from a trusted proxy: the proxy is the client we know"
        );
        assert_eq!(
            lb.client(
                ip("10.0.0.1"),
                Some(r#"for="[2001:db8::1]:4711";proto=https, for=10.0.0.2"#),
                Some("9.9.9.9")
            ),
            ip("2001:db8::1")
        );
        assert_eq!(
            lb.client(ip("10.0.0.1"), Some("for=1.2.3.4:80"), None),
            ip("1.2.3.4")
        );
        assert!("not-a-net".parse::<TrustedProxies>().is_err());
        assert!("".parse::<TrustedProxies>().unwrap().is_empty());
    }

    proptest! {
        #[test]
        fn an_untrusted_peer_is_always_the_client(xff in "\\PC{0,200}", fwd in "\\PC{0,200}") {
            let lb: TrustedProxies = "10.0.0.0/8".parse().unwrap();
            let peer = ip("203.0.113.5");
            prop_assert_eq!(lb.client(peer, Some(&fwd), Some(&xff)), peer);
            // A trusted peer never panics, whatever the headers say.
            let _ = lb.client(ip("10.0.0.1"), Some(&fwd), Some(&xff));
        }
    }
}
