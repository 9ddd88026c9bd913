//! Who the client is: the TCP peer, or, when the peer is a proxy the operator trusts
//! (`TRUSTED_PROXIES`), the address that proxy put into `X-Forwarded-For`.
//!
//! Every hop appends the address it received the request from, so the header reads
//! `client, proxy1, proxy2` and only its right end was written by proxies we know. The client is
//! found by walking from the peer leftwards while the hops are trusted: the first address that is
//! not a trusted proxy is the client (anything left of it was written by the client itself and
//! could be anything).

use std::{
    net::{IpAddr, Ipv6Addr, SocketAddr},
    sync::Arc,
};

use axum::{
    extract::{ConnectInfo, FromRef, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use ipnet::{IpNet, Ipv4Net, Ipv6Net};

use crate::config::Rule;

/// At most this many `X-Forwarded-For` entries are looked at; real proxy chains are short.
const MAX_HOPS: usize = 16;

/// The proxies (addresses or CIDR blocks) whose forwarding headers are believed. Empty: none, the
/// TCP peer is the client.
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies(Arc<[IpNet]>);

impl TrustedProxies {
    /// `10.0.0.0/8, 192.168.1.7, fd00::/8`: addresses or CIDR blocks separated by commas or
    /// spaces; an empty list trusts no proxy.
    pub fn parse(list: &str) -> Result<Self, Rule> {
        let nets = list
            .split([',', ' '])
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                    .map(|net| net.trunc())
                    .map_err(|_| Rule(format!("must list IP addresses or CIDR blocks (\"{item}\" is neither)")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self(nets.into()))
    }

    /// Every address: what `TRUST_FORWARDED_FOR=true` used to mean.
    pub fn everyone() -> Self {
        Self(Arc::new([IpNet::V4(Ipv4Net::default()), IpNet::V6(Ipv6Net::default())]))
    }

    /// Whether no proxy is trusted.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `address` is one of the trusted proxies.
    pub fn contains(&self, address: IpAddr) -> bool {
        let address = canonical(address);
        self.0.iter().any(|net| net.contains(&address))
    }

    /// The client behind `peer`: `peer` itself unless it is a trusted proxy, else the rightmost
    /// `X-Forwarded-For` entry that is not a trusted proxy (or the leftmost, when all are).
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = canonical(peer);
        if !self.contains(client) {
            return client;
        }
        let entries: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .collect();
        for entry in entries.iter().rev().take(MAX_HOPS) {
            // A trusted hop wrote this entry; if it is unreadable, the hop itself is the best we know.
            let Some(hop) = parse_hop(entry) else {
                break;
            };
            client = hop;
            if !self.contains(hop) {
                break;
            }
        }
        client
    }
}

/// `1.2.3.4`, `1.2.3.4:5678`, `::1`, `[::1]:80` → the address.
fn parse_hop(entry: &str) -> Option<IpAddr> {
    let entry = entry.trim();
    entry
        .parse::<IpAddr>()
        .or_else(|_| entry.parse::<SocketAddr>().map(|socket| socket.ip()))
        .or_else(|_| entry.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>())
        .ok()
        .map(canonical)
}

/// IPv4 clients that reach a dual-stack socket appear as `::ffff:a.b.c.d`; they are IPv4 clients.
fn canonical(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(address, IpAddr::V4),
        IpAddr::V4(_) => address,
    }
}

/// The key per-client limits count under: an IPv4 address as it is, an IPv6 address by its /64
/// (one subscriber is usually given a whole /64 and can pick any address in it).
pub fn limit_key(address: IpAddr) -> IpAddr {
    match canonical(address) {
        IpAddr::V6(v6) => {
            let prefix = u128::from(v6) & !((1u128 << 64) - 1);
            IpAddr::V6(Ipv6Addr::from(prefix))
        }
        v4 => v4,
    }
}

/// The request's client address (see the module docs); `None` when the request did not come over
/// a connection (tests driving the router directly).
#[derive(Debug, Clone, Copy)]
pub struct ClientAddress(pub Option<IpAddr>);

impl<S> FromRequestParts<S> for ClientAddress
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let proxies = TrustedProxies::from_ref(state);
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|info| info.0.ip());
        Ok(Self(peer.map(|peer| proxies.client_address(peer, &parts.headers))))
    }
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn forwarded(values: &[&'static str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", HeaderValue::from_static(value));
        }
        headers
    }

    #[test]
    fn an_untrusted_peer_is_the_client_whatever_it_forwards() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let headers = forwarded(&["1.1.1.1"]);
        assert_eq!(proxies.client_address(ip("203.0.113.9"), &headers), ip("203.0.113.9"));
        assert_eq!(
            TrustedProxies::default().client_address(ip("10.0.0.1"), &headers),
            ip("10.0.0.1")
        );
    }

    #[test]
    fn the_rightmost_untrusted_hop_is_the_client() {
        let proxies = TrustedProxies::parse("10.0.0.0/8, 192.168.0.7").unwrap();
        // The client made up the first entry; the trusted proxies appended the rest.
        let headers = forwarded(&["6.6.6.6, 198.51.100.4", "192.168.0.7"]);
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &headers), ip("198.51.100.4"));
        // Every hop trusted: the leftmost is as far as we can see.
        let inside = forwarded(&["10.9.9.9, 192.168.0.7"]);
        assert_eq!(proxies.client_address(ip("10.1.2.3"), &inside), ip("10.9.9.9"));
        // No header: the proxy itself is all we know.
        assert_eq!(
            proxies.client_address(ip("10.1.2.3"), &HeaderMap::new()),
            ip("10.1.2.3")
        );
    }

    #[test]
    fn hops_with_ports_brackets_and_garbage() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").unwrap();
        let headers = forwarded(&["[2001:db8::1]:443"]);
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &headers), ip("2001:db8::1"));
        let headers = forwarded(&["198.51.100.4:5555"]);
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &headers), ip("198.51.100.4"));
        let headers = forwarded(&["198.51.100.4, unknown"]);
        assert_eq!(proxies.client_address(ip("10.0.0.1"), &headers), ip("10.0.0.1"));
    }

    #[test]
    fn mapped_ipv4_is_ipv4_and_ipv6_is_keyed_by_its_64() {
        let proxies = TrustedProxies::parse("127.0.0.1").unwrap();
        assert!(proxies.contains(ip("::ffff:127.0.0.1")));
        assert_eq!(limit_key(ip("::ffff:198.51.100.4")), ip("198.51.100.4"));
        assert_eq!(limit_key(ip("2001:db8:1:2:aaaa:bbbb:cccc:dddd")), ip("2001:db8:1:2::"));
        assert_eq!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:2:ffff::9")));
        assert_ne!(limit_key(ip("2001:db8:1:2::1")), limit_key(ip("2001:db8:1:3::1")));
    }

    #[test]
    fn lists_parse_or_name_the_bad_item() {
        assert!(TrustedProxies::parse("").unwrap().is_empty());
        assert!(TrustedProxies::parse(" , ").unwrap().is_empty());
        let everyone = TrustedProxies::everyone();
        assert!(everyone.contains(ip("8.8.8.8")) && everyone.contains(ip("2001:db8::1")));
        let err = TrustedProxies::parse("10.0.0.0/8,proxy.local").unwrap_err();
        assert!(err.0.contains("\"proxy.local\""), "{err}");
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }
}
