//! Server-side request forgery: a feature that fetches a URL the user gave (a webhook, a link
//! preview, an import) must not become a way into the server's own network.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};

#[derive(Debug, PartialEq, Eq, thiserror::Error)]
pub enum SsrfError {
    #[error("not a valid URL")]
    Malformed,
    #[error("only http and https URLs are fetched")]
    Scheme,
    #[error("the host does not resolve")]
    Unresolvable,
    #[error("the URL points into a private network")]
    Private,
}

/// Where to connect: the address that was checked, so the fetch cannot be sent somewhere else
/// by a second DNS answer (DNS rebinding), and the host name for the `Host` header and TLS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub addr: SocketAddr,
}

/// Whether `ip` is an address the public internet could route to us: not loopback, private
/// (RFC 1918), link-local (169.254.0.0/16: the cloud metadata service lives at 169.254.169.254),
/// carrier-grade NAT (100.64.0.0/10), unspecified, broadcast, multicast or documentation space;
/// for IPv6 not loopback, unspecified, unique local (fc00::/7), link-local (fe80::/10) or
/// multicast — and an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) is judged as the IPv4
/// address it carries.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    let shared = a == 100 && (64..128).contains(&b); // 100.64.0.0/10, RFC 6598
    !(ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_unspecified()
        || ip.is_broadcast()
        || ip.is_multicast()
        || ip.is_documentation()
        || shared
        || a == 0)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    !(ip.is_loopback()
        || ip.is_unspecified()
        || ip.is_unique_local()
        || ip.is_unicast_link_local()
        || ip.is_multicast())
}

/// Checks a user-supplied URL before the server fetches it. The URL is parsed the way browsers
/// and HTTP clients parse it (`url::Url`, the WHATWG URL standard: `http://2130706433/`,
/// `http://0x7f.1/` and `http://127.1/` are all 127.0.0.1); the scheme must be http or https;
/// a host name is resolved with `resolve` (a DNS lookup: every address it returns), and *every*
/// address must be public. The target is the first address, with the URL's port (or the
/// scheme's default).
pub fn check_outbound(
    raw: &str,
    resolve: impl Fn(&str) -> Vec<IpAddr>,
) -> Result<Target, SsrfError> {
    let url = url::Url::parse(raw).map_err(|_| SsrfError::Malformed)?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(SsrfError::Scheme);
    }
    let port = url.port_or_known_default().ok_or(SsrfError::Malformed)?;
    let (host, addresses) = match url.host().ok_or(SsrfError::Malformed)? {
        url::Host::Ipv4(ip) => (ip.to_string(), vec![IpAddr::V4(ip)]),
        url::Host::Ipv6(ip) => (ip.to_string(), vec![IpAddr::V6(ip)]),
        url::Host::Domain(name) => (name.to_owned(), resolve(name)),
    };
    let first = *addresses.first().ok_or(SsrfError::Unresolvable)?;
    if !addresses.iter().all(|&ip| is_public(ip)) {
        return Err(SsrfError::Private);
    }
    Ok(Target {
        host,
        addr: SocketAddr::new(first, port),
    })
}
