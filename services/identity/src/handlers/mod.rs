//! Handlers of the identity routes, one module per flow, plus what they share.

pub mod account;
pub mod dev_mail;
pub mod join;
pub mod reset;
pub mod sign_in;
pub mod verify;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use tera::Context;
use tsunagu_web::{AppError, AppState, EffectiveHost, Page};

use crate::forms::FieldErrors;

/// `scheme://host[:port]` of this request, for links in emails.
pub fn origin(state: &AppState, host: &EffectiveHost) -> String {
    format!("{}://{}", state.scheme(), host.0.to_ascii_lowercase())
}

/// Renders `template` with the page layout plus `fill`'s additions.
pub fn render_page(
    state: &AppState,
    page: &Page,
    template: &str,
    status: StatusCode,
    fill: impl FnOnce(&mut Context),
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    fill(&mut context);
    let html = state.web.render(template, &context)?;
    Ok((status, Html(html)).into_response())
}

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
    format!("t:{{{}}}:rl:{bucket}:ip:{ip}", tenant.id)
}

/// Minutes to show in "try again in N minutes".
pub fn minutes(retry: tsunagu_web::rate_limit::RetryAfter) -> String {
    retry.0.as_secs().div_ceil(60).max(1).to_string()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

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
