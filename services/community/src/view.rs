//! Small pieces the community pages share.

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use tsunagu_web::{AppError, AppState, Page};

/// Is this an htmx request (which wants a fragment rather than a redirect)?
pub fn is_htmx(headers: &HeaderMap) -> bool {
    headers.get("hx-request").is_some_and(|v| v == "true")
}

/// Renders a page with its layout (the form kit's, shared by every crate).
pub use tsunagu_web::forms::render_page as render;

/// Renders a fragment for htmx, or redirects a plain form post back to `fallback`.
pub fn fragment_or_redirect(
    state: &AppState,
    page: &Page,
    headers: &HeaderMap,
    template: &str,
    fallback: &str,
    fill: impl FnOnce(&mut tera::Context),
) -> Result<Response, AppError> {
    if is_htmx(headers) {
        render(state, page, template, StatusCode::OK, fill)
    } else {
        Ok(Redirect::to(fallback).into_response())
    }
}

/// Splits text into paragraphs and links: URLs become links, everything else stays text (the
/// template escapes it).
#[derive(serde::Serialize, Debug, PartialEq, Eq)]
pub struct Segment {
    pub text: String,
    pub href: Option<String>,
}

/// Characters that may continue a URL in running text. Japanese text has no spaces, so a URL ends
/// at the first character outside this set (or trailing punctuation).
fn is_url_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-._~:/?#[]@!$&'()*+,;=%".contains(c)
}

pub fn linkify(text: &str) -> Vec<Vec<Segment>> {
    text.replace("\r\n", "\n")
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|paragraph| {
            let mut segments = Vec::new();
            let mut rest = paragraph;
            while let Some(start) = [rest.find("https://"), rest.find("http://")]
                .into_iter()
                .flatten()
                .min()
            {
                let tail = &rest[start..];
                let mut end = tail.find(|c: char| !is_url_char(c)).unwrap_or(tail.len());
                while end > 0 && tail[..end].ends_with(['.', ',', ')', '!', '?', ';', ':', '\'']) {
                    end -= 1;
                }
                let url = &tail[..end];
                let scheme_len = if url.starts_with("https://") { 8 } else { 7 };
                if url.len() <= scheme_len + 3 {
                    // Not a real address: keep it as text and look further.
                    segments.push(Segment {
                        text: rest[..start + scheme_len].to_owned(),
                        href: None,
                    });
                    rest = &rest[start + scheme_len..];
                    continue;
                }
                if start > 0 {
                    segments.push(Segment {
                        text: rest[..start].to_owned(),
                        href: None,
                    });
                }
                segments.push(Segment {
                    text: url.to_owned(),
                    href: Some(url.to_owned()),
                });
                rest = &tail[end..];
            }
            if !rest.is_empty() {
                segments.push(Segment {
                    text: rest.to_owned(),
                    href: None,
                });
            }
            merge_text(segments)
        })
        .collect()
}

/// Joins neighbouring text segments.
fn merge_text(segments: Vec<Segment>) -> Vec<Segment> {
    let mut out: Vec<Segment> = Vec::new();
    for s in segments {
        match out.last_mut() {
            Some(last) if last.href.is_none() && s.href.is_none() => last.text.push_str(&s.text),
            _ => out.push(s),
        }
    }
    out
}

/// The text fields of a multipart form (in order, repeated names kept) and the bytes of its file
/// field `file_field`, if a non-empty file was sent.
pub async fn read_multipart(
    mut multipart: axum::extract::Multipart,
    file_field: &str,
) -> Result<(Vec<(String, String)>, Option<Vec<u8>>), AppError> {
    let mut fields = Vec::new();
    let mut file = None;
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| AppError::BadRequest(format!("unreadable form: {e}")))?
    {
        let name = field.name().unwrap_or_default().to_owned();
        if name == file_field {
            let bytes = field
                .bytes()
                .await
                .map_err(|e| AppError::BadRequest(format!("unreadable upload: {e}")))?;
            if !bytes.is_empty() {
                file = Some(bytes.to_vec());
            }
        } else {
            let text = field
                .text()
                .await
                .map_err(|e| AppError::BadRequest(format!("unreadable form: {e}")))?;
            // The one way multipart text reaches a handler: cleaned like every other form.
            fields.push((
                tsunagu_web::input::clean_text(&name).into_owned(),
                tsunagu_web::input::clean_text(&text).into_owned(),
            ));
        }
    }
    Ok((fields, file))
}

/// Serves a stored image of this tenant, or 404 when there is none.
pub async fn serve_image(
    state: &AppState,
    tenant: tsunagu_kernel::TenantId,
    kind: crate::media::MediaKind,
    key: Option<String>,
) -> Result<Response, AppError> {
    let key = key.ok_or(AppError::NotFound)?;
    let bytes = crate::media::MediaStore::new(&state.config.data_dir)
        .read(tenant, kind, &key)
        .await
        .ok_or(AppError::NotFound)?;
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "image/jpeg"),
            // Not public: only this tenant's members may load it.
            (axum::http::header::CACHE_CONTROL, "private, max-age=86400"),
        ],
        bytes,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_become_links_and_the_rest_stays_text() {
        let paragraphs = linkify("See https://example.com/a?b=1. Thanks\n\n<script>x</script>");
        assert_eq!(paragraphs.len(), 2);
        assert_eq!(paragraphs[0][0].text, "See ");
        assert_eq!(
            paragraphs[0][1].href.as_deref(),
            Some("https://example.com/a?b=1")
        );
        assert_eq!(paragraphs[0][2].text, ". Thanks");
        assert_eq!(
            paragraphs[1][0].href, None,
            "markup is text, escaped by the template"
        );
        assert!(linkify("javascript:alert(1)")[0][0].href.is_none());
        let japanese = linkify("詳しくはhttps://example.jp/a?b=1をご覧ください。");
        assert_eq!(
            japanese[0][1].href.as_deref(),
            Some("https://example.jp/a?b=1")
        );
        assert_eq!(japanese[0][2].text, "をご覧ください。");
        assert!(linkify("http://")[0].iter().all(|s| s.href.is_none()));
    }
}
