//! Classifying a request's host, with no I/O. The caller decides which header to trust (see the
//! gateway: `X-Forwarded-Host` only from configured proxies); this module only parses.

use crate::slug::{Slug, RESERVED_LABELS};

/// What a host names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HostTarget {
    /// The base domain itself (or `www.`): the public landing and onboarding site.
    Apex,
    /// `console.{base}`: the customer-success console.
    Console,
    /// A reserved label without a site of its own yet (`api`, `static`, `admin`): not found.
    Reserved(String),
    /// `{slug}.{base}`: a tenant, if one with that slug exists.
    Tenant(Slug),
    /// Any other well-formed host name: maybe a tenant's verified custom domain.
    CustomDomain(String),
    /// Not a usable host name (empty, malformed, nested subdomain, bare IP address).
    Invalid,
}

/// Lowercases, strips the port and a trailing dot. `None` when the value cannot be a host name.
pub fn normalize_host(raw: &str) -> Option<String> {
    let raw = raw.trim();
    if raw.is_empty() || raw.len() > 253 + 6 {
        return None;
    }
    let without_port = if raw.starts_with('[') {
        // IPv6 literal: never a tenant.
        return None;
    } else {
        match raw.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !port.is_empty() => {
                host
            }
            Some(_) => return None,
            None => raw,
        }
    };
    let host = without_port.trim_end_matches('.').to_ascii_lowercase();
    let well_formed = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        });
    well_formed.then_some(host)
}

/// Classifies `raw_host` (a `Host` header value) against the platform's base domain.
pub fn classify_host(raw_host: &str, base_domain: &str) -> HostTarget {
    let Some(host) = normalize_host(raw_host) else {
        return HostTarget::Invalid;
    };
    if host.parse::<std::net::Ipv4Addr>().is_ok() {
        return HostTarget::Invalid;
    }
    if host == base_domain {
        return HostTarget::Apex;
    }
    if let Some(label) = host
        .strip_suffix(base_domain)
        .and_then(|rest| rest.strip_suffix('.'))
    {
        if label.contains('.') {
            // a.b.{base}: we never serve nested subdomains.
            return HostTarget::Invalid;
        }
        return match label {
            "www" => HostTarget::Apex,
            "console" => HostTarget::Console,
            l if RESERVED_LABELS.contains(&l) => HostTarget::Reserved(l.to_owned()),
            l => match Slug::parse(l) {
                Ok(slug) => HostTarget::Tenant(slug),
                Err(_) => HostTarget::Invalid,
            },
        };
    }
    HostTarget::CustomDomain(host)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant(slug: &str) -> HostTarget {
        HostTarget::Tenant(Slug::parse(slug).unwrap())
    }

    #[test]
    fn tenant_subdomains_with_case_port_and_trailing_dot() {
        for host in [
            "demo.localhost",
            "DEMO.localhost",
            "Demo.LocalHost:8080",
            "demo.localhost.",
            "demo.localhost.:443",
        ] {
            assert_eq!(classify_host(host, "localhost"), tenant("demo"), "{host}");
        }
        assert_eq!(
            classify_host("acme.tsunagu.example", "tsunagu.example"),
            tenant("acme")
        );
    }

    #[test]
    fn apex_console_and_reserved_labels() {
        assert_eq!(
            classify_host("localhost:8080", "localhost"),
            HostTarget::Apex
        );
        assert_eq!(
            classify_host("www.localhost", "localhost"),
            HostTarget::Apex
        );
        assert_eq!(
            classify_host("Console.localhost:8080", "localhost"),
            HostTarget::Console
        );
        for label in ["api", "static", "admin"] {
            assert_eq!(
                classify_host(&format!("{label}.localhost"), "localhost"),
                HostTarget::Reserved(label.into())
            );
        }
    }

    #[test]
    fn malformed_nested_and_ip_hosts_are_invalid() {
        for host in [
            "",
            "a.b.localhost",
            "de_mo.localhost",
            "demo.localhost:80x",
            "127.0.0.1:8080",
            "[::1]:8080",
            "x.localhost",
            "-bad.localhost",
            "demo..localhost",
        ] {
            assert_eq!(
                classify_host(host, "localhost"),
                HostTarget::Invalid,
                "{host:?}"
            );
        }
    }

    #[test]
    fn other_hosts_may_be_custom_domains() {
        assert_eq!(
            classify_host("Alumni.Example.co.jp", "tsunagu.example"),
            HostTarget::CustomDomain("alumni.example.co.jp".into())
        );
        // A look-alike suffix is not the base domain.
        assert_eq!(
            classify_host("demo.evillocalhost", "localhost"),
            HostTarget::CustomDomain("demo.evillocalhost".into())
        );
    }
}
