//! Cross-site request forgery protection for every state-changing request, on every site.
//!
//! Two independent checks, both required for POST/PUT/PATCH/DELETE:
//! 1. the request comes from a page of this very host (`Origin`, else `Sec-Fetch-Site`), see
//!    `docs/adr/0002-csrf-by-origin-check.md`;
//! 2. it carries the token from this visitor's `tsunagu_csrf` cookie, as the form field `_csrf`
//!    or the `X-CSRF-Token` header (htmx sends it from `hx-headers` on `<body>`). The cookie is
//!    host-only and HttpOnly; pages put the token into their forms.
//!
//! The layer applies to whole site routers, so a new route cannot forget it; a test also checks
//! that every `method="post"` form in the templates carries the field.

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;
use subtle::ConstantTimeEq;
use tsunagu_kernel::tokens::{looks_like_token, random_token};

use crate::site::{cookie, EffectiveHost};

pub const CSRF_COOKIE: &str = "tsunagu_csrf";
pub const CSRF_FIELD: &str = "_csrf";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The field of a create form's one-time token (see [`FormToken`]).
pub const FORM_TOKEN_FIELD: &str = "_form";
/// The signed unsubscribe address every category email carries. Its POST is exempt from both
/// checks: RFC 8058 one-click unsubscribe is a POST that the mail client sends itself, with no
/// cookie, token or `Origin` of ours; the signature in the path is what authorises it, and all
/// it can do is turn one category of one member's email off.
pub const UNSUBSCRIBE_ROUTE: &str = "/email/unsubscribe/{member}/{category}/{signature}";
const UNSUBSCRIBE_PREFIX: &str = "/email/unsubscribe/";

/// Stripe's webhook endpoint on the apex site (docs/BILLING.md). Exempt from both checks: Stripe
/// posts it server to server, with no cookie or `Origin`; the `Stripe-Signature` header, checked
/// by the handler with the endpoint's secret, is what authorises it.
pub const STRIPE_WEBHOOK_ROUTE: &str = "/stripe/webhook";

/// Forms larger than this are refused before parsing.
const MAX_FORM_BYTES: usize = 1024 * 1024;
/// Multipart forms carry images. Images may be 5 MB (community::media), but a larger one must
/// still arrive, so that the form can say "too large, the limit is 5 MB" instead of a bare
/// refusal; past this size the visitor gets the 413 page.
pub const MAX_MULTIPART_BYTES: usize = 16 * 1024 * 1024;

/// This visitor's token, for templates.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

/// The one-time token of the submitted form (`_form`), when it carried one: handlers of create
/// forms claim it in their transaction (`tsunagu_kernel::idempotency`), so a form sent twice
/// creates once. Read here because this layer already reads every form body.
#[derive(Clone, Copy, Debug, Default)]
pub struct FormToken(pub Option<uuid::Uuid>);

impl FormToken {
    /// Claims the token for `member` in `tx`: true when the form should act (no token, or its
    /// first submission), false when this form was already acted on.
    pub async fn claim(
        self,
        tx: &mut tsunagu_kernel::TenantTx,
        member: tsunagu_kernel::MemberId,
    ) -> Result<bool, tsunagu_kernel::DbError> {
        match self.0 {
            Some(token) => tsunagu_kernel::idempotency::claim(tx, token, member).await,
            None => Ok(true),
        }
    }
}

impl<S: Send + Sync> axum::extract::FromRequestParts<S> for FormToken {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        _state: &S,
    ) -> Result<Self, Self::Rejection> {
        Ok(parts
            .extensions
            .get::<FormToken>()
            .copied()
            .unwrap_or_default())
    }
}

/// Whether the layer serves over https (for the cookie's `Secure`).
#[derive(Clone, Copy, Debug)]
pub struct CsrfConfig {
    pub https: bool,
}

fn is_state_changing(method: &Method) -> bool {
    !matches!(
        *method,
        Method::GET | Method::HEAD | Method::OPTIONS | Method::TRACE
    )
}

/// Does this request come from a page of the same host?
pub fn is_same_origin(headers: &HeaderMap, host: &str) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        let authority = origin
            .strip_prefix("https://")
            .or_else(|| origin.strip_prefix("http://"));
        return authority.is_some_and(|a| a.eq_ignore_ascii_case(host));
    }
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "same-origin")
}

fn form_field(body: &[u8], name: &str) -> Option<String> {
    body.split(|b| *b == b'&').find_map(|pair| {
        let mut parts = pair.splitn(2, |b| *b == b'=');
        let key = parts.next()?;
        (key == name.as_bytes())
            .then(|| String::from_utf8_lossy(parts.next().unwrap_or_default()).into_owned())
    })
}

/// The value of a (small, text) field in a multipart body: the part with `name="<name>"`.
fn multipart_field(body: &[u8], name: &str) -> Option<String> {
    fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
        haystack.windows(needle.len()).position(|w| w == needle)
    }
    let header = format!("name=\"{name}\"");
    let after = &body[find(body, header.as_bytes())?..];
    let value = &after[find(after, b"\r\n\r\n")? + 4..];
    let end = find(value, b"\r\n")?;
    String::from_utf8(value[..end].to_vec()).ok()
}

fn forbidden() -> Response {
    crate::error::error_response(StatusCode::FORBIDDEN)
}

pub async fn protect(
    config: axum::extract::State<CsrfConfig>,
    request: Request,
    next: Next,
) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE)
        .filter(|t| looks_like_token(t))
        .map(str::to_owned);
    let token = existing.clone().unwrap_or_else(random_token);

    let apex = matches!(
        request.extensions().get::<crate::Site>(),
        Some(crate::Site::Apex)
    );
    let exempt = request.method() == Method::POST
        && (request.uri().path().starts_with(UNSUBSCRIBE_PREFIX)
            || (apex && request.uri().path() == STRIPE_WEBHOOK_ROUTE));
    let request = if is_state_changing(request.method()) && !exempt {
        let host = request
            .extensions()
            .get::<EffectiveHost>()
            .map(|h| h.0.clone())
            .unwrap_or_default();
        if !is_same_origin(request.headers(), &host) {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-origin state change refused");
            return forbidden();
        }
        let Some(expected) = existing.as_deref() else {
            tracing::info!(path = %request.uri().path(), "state change without a CSRF cookie refused");
            return forbidden();
        };
        let from_header = request
            .headers()
            .get(CSRF_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let content_type = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let is_form = content_type.starts_with("application/x-www-form-urlencoded");
        let is_multipart = content_type.starts_with("multipart/form-data");
        let (submitted, request) = if is_form || is_multipart {
            let limit = if is_multipart {
                MAX_MULTIPART_BYTES
            } else {
                MAX_FORM_BYTES
            };
            let (mut parts, body) = request.into_parts();
            let bytes: Bytes = match http_body_util::Limited::new(body, limit).collect().await {
                Ok(collected) => collected.to_bytes(),
                Err(_) => return crate::error::error_response(StatusCode::PAYLOAD_TOO_LARGE),
            };
            let field = |name: &str| {
                if is_multipart {
                    multipart_field(&bytes, name)
                } else {
                    form_field(&bytes, name)
                }
            };
            let form_token = field(FORM_TOKEN_FIELD).and_then(|t| t.trim().parse().ok());
            parts.extensions.insert(FormToken(form_token));
            let value = from_header.or_else(|| field(CSRF_FIELD));
            (value, Request::from_parts(parts, Body::from(bytes)))
        } else {
            (from_header, request)
        };
        let valid = submitted.is_some_and(|s| bool::from(s.as_bytes().ct_eq(expected.as_bytes())));
        if !valid {
            tracing::info!(path = %request.uri().path(), "state change with a missing or wrong CSRF token refused");
            return forbidden();
        }
        request
    } else {
        request
    };

    let mut request = request;
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let mut response = next.run(request).await;
    if existing.is_none() {
        let secure = if config.https { "; Secure" } else { "" };
        if let Ok(value) = HeaderValue::from_str(&format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax{secure}"
        )) {
            response.headers_mut().append(header::SET_COOKIE, value);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_token_field_in_a_multipart_body() {
        let body = b"--b\r\nContent-Disposition: form-data; name=\"_csrf\"\r\n\r\nabc123\r\n--b\r\nContent-Disposition: form-data; name=\"photo\"; filename=\"x.png\"\r\n\r\n\x89PNG\r\n--b--\r\n";
        assert_eq!(multipart_field(body, "_csrf").as_deref(), Some("abc123"));
        assert_eq!(multipart_field(body, "other"), None);
    }

    #[test]
    fn finds_the_token_field_in_a_form() {
        assert_eq!(
            form_field(b"a=1&_csrf=abc&b=2", "_csrf").as_deref(),
            Some("abc")
        );
        assert_eq!(form_field(b"a=1", "_csrf"), None);
        assert_eq!(form_field(b"_csrf", "_csrf").as_deref(), Some(""));
    }

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_static(v));
        }
        h
    }

    #[test]
    fn same_origin_requires_the_exact_host() {
        let host = "demo.localhost:8080";
        assert!(is_same_origin(
            &headers(&[("origin", "http://demo.localhost:8080")]),
            host
        ));
        assert!(is_same_origin(
            &headers(&[("origin", "http://DEMO.localhost:8080")]),
            host
        ));
        assert!(!is_same_origin(
            &headers(&[("origin", "http://acme.localhost:8080")]),
            host
        ));
        assert!(!is_same_origin(&headers(&[("origin", "null")]), host));
        assert!(!is_same_origin(
            &headers(&[("origin", "http://demo.localhost:8080.evil")]),
            host
        ));
        assert!(is_same_origin(
            &headers(&[("sec-fetch-site", "same-origin")]),
            host
        ));
        assert!(!is_same_origin(
            &headers(&[("sec-fetch-site", "same-site")]),
            host
        ));
        assert!(!is_same_origin(&HeaderMap::new(), host));
    }
}
