//! Handlers of the identity routes, one module per flow, plus what they share.

pub mod account;
pub mod dev_mail;
pub mod email_consent;
pub mod join;
pub mod reset;
pub mod sign_in;
pub mod verify;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Serialize;
use tera::Context;
use tsunagu_web::{AppError, AppState, Page};

use crate::forms::FieldErrors;

pub use tsunagu_web::forms::render_page;

/// A generic message page (title, body and an optional link), all i18n keys.
pub fn message_page(
    state: &AppState,
    page: &Page,
    status: StatusCode,
    title_key: &str,
    body_key: &str,
    link: Option<(&str, &str)>,
) -> Result<Response, AppError> {
    render_page(state, page, "identity/message.html", status, |c| {
        c.insert("title_key", title_key);
        c.insert("body_key", body_key);
        if let Some((href, label_key)) = link {
            c.insert("link_href", href);
            c.insert("link_key", label_key);
        }
    })
}

/// Form values to show again after a failed submission (never passwords).
pub fn insert_form<T: Serialize>(context: &mut Context, values: &T, errors: &FieldErrors) {
    context.insert("form", values);
    context.insert("errors", errors);
}

/// A 303 to `location` that also sets (or clears) cookies.
pub fn redirect_with_cookies(location: &str, cookies: &[String]) -> Response {
    let mut response = Redirect::to(location).into_response();
    for cookie in cookies {
        if let Ok(value) = HeaderValue::from_str(cookie) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

/// Only same-site paths, so `next=` cannot send anyone elsewhere.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.contains('\\')
        && !next.chars().any(char::is_control);
    if ok {
        next
    } else {
        "/"
    }
}

/// Rate-limit key for an account (an email address, hashed so none appears in Redis).
pub fn account_key(
    tenant: &tsunagu_tenancy::Tenant,
    bucket: &str,
    normalized_email: &str,
) -> String {
    format!(
        "t:{{{}}}:rl:{bucket}:acct:{}",
        tenant.id,
        tsunagu_kernel::tokens::token_hash_hex(normalized_email)
    )
}

/// Rate-limit key for a client address.
pub fn client_key(tenant: &tsunagu_tenancy::Tenant, bucket: &str, ip: std::net::IpAddr) -> String {
    format!(
        "t:{{{}}}:rl:{bucket}:ip:{}",
        tenant.id,
        throttled_address(ip)
    )
}

/// The unit a client address is limited as: an IPv4 address, or the /64 network of an IPv6
/// one, since a single subscriber usually holds a whole /64 and could otherwise step through it.
pub fn throttled_address(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.into(),
            None => std::net::Ipv6Addr::from(u128::from(v6) & !((1u128 << 64) - 1)).into(),
        },
        v4 => v4,
    }
}

/// Minutes to show in "try again in N minutes" (the console's sign-in).
pub fn minutes(retry: tsunagu_web::rate_limit::RetryAfter) -> String {
    retry.0.as_secs().div_ceil(60).max(1).to_string()
}

/// "Try again in …" as a person would say it: seconds (in fives) under a minute, then "a
/// minute", minutes up to an hour and a half, hours beyond.
#[derive(Serialize, Debug, Clone, PartialEq, Eq)]
pub struct RetryWait {
    /// An `errors.retry_*` message key, with a `{count}` placeholder.
    pub key: &'static str,
    pub count: u64,
}

impl RetryWait {
    pub fn new(retry: tsunagu_web::rate_limit::RetryAfter) -> Self {
        let seconds = retry.0.as_secs_f64().ceil() as u64;
        let (key, count) = match seconds {
            0..=55 => ("errors.retry_seconds", seconds.div_ceil(5).max(1) * 5),
            56..=60 => ("errors.retry_minute", 1),
            61..=5400 => ("errors.retry_minutes", seconds.div_ceil(60)),
            _ => ("errors.retry_hours", seconds.div_ceil(3600)),
        };
        Self { key, count }
    }
}

/// Adds `Retry-After` (whole seconds, rounded up) to a refusal.
pub fn with_retry_after(
    mut response: Response,
    retry: tsunagu_web::rate_limit::RetryAfter,
) -> Response {
    let seconds = retry.0.as_secs_f64().ceil().max(1.0) as u64;
    if let Ok(value) = HeaderValue::from_str(&seconds.to_string()) {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::{safe_next, throttled_address, RetryWait};
    use std::time::Duration;
    use tsunagu_web::rate_limit::RetryAfter;

    #[test]
    fn waits_are_said_in_the_unit_a_person_would_use() {
        let say = |secs: u64| {
            let wait = RetryWait::new(RetryAfter(Duration::from_secs(secs)));
            (wait.key, wait.count)
        };
        assert_eq!(say(0), ("errors.retry_seconds", 5));
        assert_eq!(say(1), ("errors.retry_seconds", 5));
        assert_eq!(say(27), ("errors.retry_seconds", 30));
        assert_eq!(say(30), ("errors.retry_seconds", 30));
        assert_eq!(say(58), ("errors.retry_minute", 1));
        assert_eq!(say(60), ("errors.retry_minute", 1));
        assert_eq!(say(61), ("errors.retry_minutes", 2));
        assert_eq!(say(120), ("errors.retry_minutes", 2));
        assert_eq!(say(15 * 60), ("errors.retry_minutes", 15));
        assert_eq!(say(90 * 60), ("errors.retry_minutes", 90));
        assert_eq!(say(90 * 60 + 1), ("errors.retry_hours", 2));
        assert_eq!(say(24 * 3600), ("errors.retry_hours", 24));
        let wait = RetryWait::new(RetryAfter(Duration::from_millis(29_400)));
        assert_eq!((wait.key, wait.count), ("errors.retry_seconds", 30));
    }

    #[test]
    fn ipv6_clients_are_limited_by_their_64() {
        let a: std::net::IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: std::net::IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: std::net::IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(throttled_address(a), throttled_address(b));
        assert_ne!(throttled_address(a), throttled_address(c));
        let mapped: std::net::IpAddr = "::ffff:203.0.113.5".parse().unwrap();
        assert_eq!(throttled_address(mapped).to_string(), "203.0.113.5");
        let v4: std::net::IpAddr = "203.0.113.5".parse().unwrap();
        assert_eq!(throttled_address(v4), v4);
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/posts?page=2"), "/posts?page=2");
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil",
            "",
            "javascript:x",
        ] {
            assert_eq!(safe_next(bad), "/", "{bad}");
        }
    }
}
