//! What the articles pages read from members: the editor's multipart form (its HTML sanitised
//! on save) and comments.

use axum::extract::Multipart;
use serde::{Deserialize, Serialize};
use tsunagu_web::AppError;

use crate::view::read_multipart;

// `forms` names this module in `mod.rs`, so the handlers' `forms::text` checks are the form
// kit's, reached through here.
pub(super) use tsunagu_web::forms::text;

/// Tags an article may use; everything else is removed on save.
const ALLOWED_TAGS: &[&str] = &[
    "p",
    "br",
    "h2",
    "h3",
    "h4",
    "strong",
    "em",
    "b",
    "i",
    "u",
    "s",
    "a",
    "ul",
    "ol",
    "li",
    "blockquote",
    "hr",
    "code",
    "pre",
];

/// Sanitises article HTML. Plain text (no tags) becomes paragraphs.
pub fn sanitize_body(input: &str) -> String {
    const TAGS: &[&str] = &[
        "<p",
        "<h2",
        "<h3",
        "<h4",
        "<br",
        "<strong",
        "<em",
        "<b>",
        "<i>",
        "<u>",
        "<s>",
        "<a ",
        "<ul",
        "<ol",
        "<li",
        "<blockquote",
        "<hr",
        "<code",
        "<pre",
    ];
    let lower = input.to_ascii_lowercase();
    let html = if TAGS.iter().any(|t| lower.contains(t)) {
        input.to_owned()
    } else {
        input
            .replace("\r\n", "\n")
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(|p| format!("<p>{}</p>", ammonia::clean_text(p).replace('\n', "<br>")))
            .collect::<Vec<_>>()
            .join("\n")
    };
    ammonia::Builder::default()
        .tags(ALLOWED_TAGS.iter().copied().collect())
        .generic_attributes(Default::default())
        .tag_attributes(std::iter::once(("a", std::iter::once("href").collect())).collect())
        .url_schemes(["http", "https", "mailto"].into_iter().collect())
        .link_rel(Some("noopener noreferrer nofollow"))
        .clean(&html)
        .to_string()
}

#[derive(Serialize, Default, Clone)]
pub struct ArticleForm {
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) body: String,
    /// draft | publish | schedule
    pub(super) status: String,
    pub(super) publish_at: String,
    pub(super) featured: Vec<String>,
}

pub(super) struct Submitted {
    pub(super) form: ArticleForm,
    pub(super) cover: Option<Vec<u8>>,
}

pub(super) async fn read_form(multipart: Multipart) -> Result<Submitted, AppError> {
    let (fields, cover) = read_multipart(multipart, "cover").await?;
    let mut form = ArticleForm::default();
    for (name, text) in fields {
        match name.as_str() {
            "title" => form.title = text,
            "summary" => form.summary = text,
            "body" => form.body = text,
            "status" => form.status = text,
            "publish_at" => form.publish_at = text,
            "featured" => form.featured.push(text),
            _ => {}
        }
    }
    Ok(Submitted { form, cover })
}

#[derive(Serialize, Deserialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    pub(super) body: String,
}

#[cfg(test)]
mod tests {
    use super::sanitize_body;

    #[test]
    fn article_html_is_sanitised() {
        let clean = sanitize_body("<h2>Hi</h2><p onclick=\"x()\">ok <a href=\"javascript:alert(1)\">bad</a> <a href=\"https://example.com\">good</a></p><script>alert(1)</script><img src=x onerror=y><iframe></iframe>");
        assert!(clean.contains("<h2>Hi</h2>"));
        assert!(
            !clean.contains("onclick")
                && !clean.contains("script")
                && !clean.contains("<img")
                && !clean.contains("iframe")
        );
        assert!(!clean.contains("javascript:"));
        assert!(
            clean.contains("href=\"https://example.com\"")
                && clean.contains("rel=\"noopener noreferrer nofollow\"")
        );
        let text = sanitize_body("first <b>line\n\nsecond & third");
        assert!(text.contains("<b>line"), "{text}");
        let plain = sanitize_body("第一段落\n\n第二段落 & 記号");
        assert_eq!(plain, "<p>第一段落</p>\n<p>第二段落 &amp; 記号</p>");
    }
}
