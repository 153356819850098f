//! Control characters never reach a handler.
//!
//! PostgreSQL refuses a NUL byte in text (a 500 if it got that far), and the other C0 and C1
//! control characters are invisible in every page and mail we render. Nobody types them; they
//! come from pasted binary or from probing. So they are removed in one place for everything a
//! visitor sends: [`clean_input`] rewrites the query string and url-encoded form bodies of every
//! site, and multipart forms' text fields go through [`clean_text`] where they are read. Tab,
//! line feed and carriage return stay (textareas carry lines; single-line fields trim them).
//! A path with a control character names nothing we serve: 404.

use std::borrow::Cow;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::Response;
use http_body_util::BodyExt as _;

/// Url-encoded forms larger than this are refused (the CSRF layer has the same limit).
const MAX_FORM_BYTES: usize = 1024 * 1024;

/// C0 controls but tab, line feed and carriage return; DEL; the C1 controls.
pub fn is_forbidden_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{B}' | '\u{C}' | '\u{E}'..='\u{1F}' | '\u{7F}'..='\u{9F}')
}

/// `text` without the characters of [`is_forbidden_control`] (borrowed when there are none).
pub fn clean_text(text: &str) -> Cow<'_, str> {
    if text.chars().any(is_forbidden_control) {
        Cow::Owned(text.chars().filter(|c| !is_forbidden_control(*c)).collect())
    } else {
        Cow::Borrowed(text)
    }
}

/// The url-encoded pairs of `raw` re-encoded without control characters, or `None` when there
/// were none (the original bytes then stay exactly as sent).
fn clean_urlencoded(raw: &[u8]) -> Option<String> {
    let dirty = form_urlencoded::parse(raw)
        .any(|(k, v)| k.chars().any(is_forbidden_control) || v.chars().any(is_forbidden_control));
    if !dirty {
        return None;
    }
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (key, value) in form_urlencoded::parse(raw) {
        out.append_pair(&clean_text(&key), &clean_text(&value));
    }
    Some(out.finish())
}

fn path_has_control(path: &str) -> bool {
    percent_encoding::percent_decode_str(path)
        .decode_utf8_lossy()
        .chars()
        .any(|c| c.is_control())
}

fn with_query(uri: &Uri, query: &str) -> Option<Uri> {
    let mut parts = uri.clone().into_parts();
    let path = uri.path();
    let path_and_query = if query.is_empty() {
        path.to_owned()
    } else {
        format!("{path}?{query}")
    };
    parts.path_and_query = Some(path_and_query.parse().ok()?);
    Uri::from_parts(parts).ok()
}

fn is_urlencoded(request: &Request) -> bool {
    request
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"))
}

/// The layer: cleans the query string and url-encoded bodies, refuses paths with controls.
pub async fn clean_input(mut request: Request, next: Next) -> Response {
    if path_has_control(request.uri().path()) {
        return crate::error::error_response(StatusCode::NOT_FOUND);
    }
    if let Some(cleaned) = request
        .uri()
        .query()
        .and_then(|q| clean_urlencoded(q.as_bytes()))
    {
        match with_query(request.uri(), &cleaned) {
            Some(uri) => *request.uri_mut() = uri,
            None => return crate::error::error_response(StatusCode::BAD_REQUEST),
        }
    }
    let has_body = !matches!(*request.method(), Method::GET | Method::HEAD);
    if has_body && is_urlencoded(&request) {
        let (mut parts, body) = request.into_parts();
        let bytes = match http_body_util::Limited::new(body, MAX_FORM_BYTES)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return crate::error::error_response(StatusCode::PAYLOAD_TOO_LARGE),
        };
        let body = match clean_urlencoded(&bytes) {
            Some(cleaned) => {
                parts.headers.remove(header::CONTENT_LENGTH);
                Body::from(cleaned)
            }
            None => Body::from(bytes),
        };
        request = Request::from_parts(parts, body);
    }
    next.run(request).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn controls_are_removed_but_lines_and_tabs_stay() {
        assert_eq!(clean_text("a\u{0}b\u{1b}c\u{7f}d\u{85}e\u{9f}"), "abcde");
        assert_eq!(clean_text("line one\r\nline\ttwo"), "line one\r\nline\ttwo");
        assert!(matches!(clean_text("山田 太郎"), Cow::Borrowed(_)));
        // U+00A0 (no-break space) and later are text, not controls.
        assert_eq!(clean_text("a\u{a0}b"), "a\u{a0}b");
    }

    #[test]
    fn forms_are_rewritten_only_when_dirty() {
        assert_eq!(clean_urlencoded(b"q=%E5%B1%B1%E7%94%B0&kind=alumni"), None);
        assert_eq!(
            clean_urlencoded(b"q=a%00b&after=x%C2%85y&ok=1").as_deref(),
            Some("q=ab&after=xy&ok=1")
        );
        assert_eq!(
            clean_urlencoded(b"na%01me=%E5%B1%B1%00").as_deref(),
            Some("name=%E5%B1%B1")
        );
    }

    #[test]
    fn paths_with_controls_are_recognised() {
        assert!(path_has_control("/members/%00"));
        assert!(path_has_control("/a%0Ab"));
        assert!(!path_has_control("/members/%E5%B1%B1"));
    }
}
