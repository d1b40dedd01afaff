use std::net::{IpAddr, SocketAddr};

use auth_ssrf::{SsrfError, Target, check_outbound, is_public};

/// A DNS of the test's making: what each name resolves to.
fn dns(name: &str) -> Vec<IpAddr> {
    let ips: &[&str] = match name {
        "hooks.example.com" => &["93.184.215.14"],
        "cdn.example.com" => &["93.184.215.15", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        "localhost" => &["127.0.0.1", "::1"],
        "metadata.attacker.example" => &["169.254.169.254"],
        // DNS rebinding, in one answer: a public address first, an internal one after it.
        "rebind.attacker.example" => &["93.184.215.16", "10.0.0.5"],
        "internal.corp" => &["192.168.1.20"],
        _ => &[],
    };
    ips.iter().map(|ip| ip.parse().unwrap()).collect()
}

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

#[test]
fn public_and_private_addresses() {
    for public in [
        "93.184.215.14",
        "8.8.8.8",
        "1.1.1.1",
        "2606:4700:4700::1111",
        "100.63.255.255",
        "100.128.0.1",
        "172.32.0.1",
    ] {
        assert!(is_public(ip(public)), "{public} is public");
    }
    for private in [
        "127.0.0.1",
        "127.255.255.254",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.0.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.255",
        "0.0.0.0",
        "255.255.255.255",
        "224.0.0.1",
        "192.0.2.1",
        "::1",
        "::",
        "fc00::1",
        "fd12:3456:789a::1",
        "fe80::1",
        "ff02::1",
        "::ffff:127.0.0.1",
        "::ffff:169.254.169.254",
        "::ffff:10.0.0.1",
    ] {
        assert!(!is_public(ip(private)), "{private} is not public");
    }
}

#[test]
fn a_public_url_is_allowed_and_pinned_to_the_checked_address() {
    assert_eq!(
        check_outbound("https://hooks.example.com/deliver?id=7", dns),
        Ok(Target {
            host: "hooks.example.com".into(),
            addr: SocketAddr::new(ip("93.184.215.14"), 443),
        }),
        "connect to the address that was checked (no second lookup: DNS rebinding)"
    );
    let t = check_outbound("http://cdn.example.com:8080/x", dns).unwrap();
    assert_eq!(t.addr, SocketAddr::new(ip("93.184.215.15"), 8080));
}

/// Payloads from the OWASP SSRF Prevention Cheat Sheet and PayloadsAllTheThings: the same few
/// internal addresses, spelled so that a string check misses them.
#[test]
fn internal_addresses_are_refused_however_they_are_written() {
    for url in [
        "http://127.0.0.1/admin",
        "http://localhost:8080/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0/",
        "http://[::1]/",
        "http://[::ffff:127.0.0.1]/",
        "http://[::ffff:7f00:1]/",
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "http://metadata.attacker.example/",
        "http://[fd00::1]/",
        "http://internal.corp/",
        "http://10.0.0.1:6379/",
        "https://user@127.0.0.1/",
    ] {
        assert_eq!(
            check_outbound(url, dns),
            Err(SsrfError::Private),
            "{url} reaches the server's own network"
        );
    }
}

#[test]
fn every_resolved_address_must_be_public() {
    assert_eq!(
        check_outbound("https://rebind.attacker.example/", dns),
        Err(SsrfError::Private),
        "the name also resolves to 10.0.0.5: an HTTP client trying addresses in turn could land there"
    );
}

#[test]
fn other_schemes_and_broken_urls_are_refused() {
    for url in [
        "file:///etc/passwd",
        "gopher://127.0.0.1:6379/_FLUSHALL",
        "ftp://hooks.example.com/",
        "dict://127.0.0.1:11211/",
    ] {
        assert_eq!(check_outbound(url, dns), Err(SsrfError::Scheme), "{url}");
    }
    assert_eq!(check_outbound("not a url", dns), Err(SsrfError::Malformed));
    assert_eq!(
        check_outbound("https://nowhere.example/", dns),
        Err(SsrfError::Unresolvable)
    );
}
