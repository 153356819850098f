//! Browser security: response headers on everything we serve, and a same-origin check on every
//! state-changing request.
//!
//! The same-origin check is the cross-site request forgery defence: a browser always sends
//! `Origin` (or at least `Sec-Fetch-Site`) with a cross-site POST, and those headers cannot be
//! forged by a page. Unsafe methods whose origin is not this exact host are refused with 403.
//! Cookies are also `SameSite=Lax`. Form tokens bound to the session come with sign-in.

use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::tenancy_layer::EffectiveHost;

/// Scripts, styles and images only from our own origin; no framing; no inline code.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; \
form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'";

/// The headers every response gets (unless a handler set them itself).
pub fn header_layers(https: bool) -> Vec<SetResponseHeaderLayer<HeaderValue>> {
    let mut layers = vec![
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::REFERRER_POLICY, "strict-origin-when-cross-origin"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()",
        ),
        (
            HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
    ];
    if https {
        layers.push((
            header::STRICT_TRANSPORT_SECURITY,
            "max-age=63072000; includeSubDomains",
        ));
    }
    layers
        .into_iter()
        .map(|(name, value)| {
            SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
        })
        .collect()
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
    // No Origin (rare in current browsers for POST): fall back on Fetch Metadata.
    headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "same-origin")
}

/// Refuses state-changing requests from other origins (403, rendered as an error page).
pub async fn require_same_origin(request: Request, next: Next) -> Response {
    if is_state_changing(request.method()) {
        let host = request
            .extensions()
            .get::<EffectiveHost>()
            .map(|h| h.0.as_str())
            .unwrap_or("");
        if !is_same_origin(request.headers(), host) {
            tracing::warn!(method = %request.method(), path = %request.uri().path(), "cross-origin state change refused");
            return tsunagu_web::error::error_response(StatusCode::FORBIDDEN);
        }
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

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
