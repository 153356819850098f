//! The form kit: parsing form input into valid values ("parse, don't validate"), the field
//! errors a form shows, one mapping from the database's named constraints to those errors, and
//! rendering a page. Errors are i18n keys under `errors.field.*`, shown next to the field.
//! Feature crates build every form on this (templates: `macros/forms.html`).

use std::collections::BTreeMap;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use tera::Context;

use crate::{AppError, AppState, Page};

/// Field name → i18n key of the problem.
pub type FieldErrors = BTreeMap<&'static str, &'static str>;

/// A syntactically valid email address, trimmed; `normalized` is what uniqueness compares.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EmailAddress {
    pub address: String,
    pub normalized: String,
}

impl EmailAddress {
    pub fn parse(input: &str) -> Result<Self, &'static str> {
        let address = input.trim();
        if address.is_empty() {
            return Err("errors.field.required");
        }
        let valid = address.len() <= 254
            && !address
                .chars()
                .any(|c| c.is_whitespace() || c.is_control() || "<>()[],;:\"\\".contains(c))
            && match address.rsplit_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && local.len() <= 64
                        && !local.contains('@')
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains("..")
                }
                None => false,
            };
        if !valid {
            return Err("errors.field.email");
        }
        Ok(Self {
            address: address.to_owned(),
            normalized: address.to_lowercase(),
        })
    }

    pub fn domain(&self) -> &str {
        self.normalized
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or_default()
    }

    /// Is this address at one of `domains` (or a subdomain of one)?
    pub fn is_at_any_of(&self, domains: &[String]) -> bool {
        let domain = self.domain();
        domains
            .iter()
            .any(|d| domain == d || domain.ends_with(&format!(".{d}")))
    }
}

/// A trimmed text of at most `max` characters; `min` 1 makes it required.
pub fn text(input: &str, min: usize, max: usize) -> Result<String, &'static str> {
    let value = input.trim();
    let n = value.chars().count();
    if n < min {
        return Err("errors.field.required");
    }
    if n > max {
        return Err("errors.field.too_long");
    }
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err("errors.field.invalid");
    }
    Ok(value.to_owned())
}

/// An optional year between 1900 and next year.
pub fn year(input: &str) -> Result<Option<i32>, &'static str> {
    let value = input.trim();
    if value.is_empty() {
        return Ok(None);
    }
    let this_year = time::OffsetDateTime::now_utc().year();
    match value.parse::<i32>() {
        Ok(y) if (1900..=this_year + 1).contains(&y) => Ok(Some(y)),
        _ => Err("errors.field.year"),
    }
}

/// Named constraints whose violation is a matter of the visitor's input, not a fault: the
/// form field it concerns and the message. Writes that can meet one (a unique address, a text
/// the database limits) turn it into a field error with [`constraint_error`] instead of a 500;
/// the check in Rust before the write stays, for the message in the common case, and the
/// constraint decides under concurrency (two sign-ups with one address at once).
const CONSTRAINT_FIELDS: &[(&str, &str, &str)] = &[
    ("members_email_key", "email", "errors.field.taken"),
    ("invitations_open_email_key", "emails", "errors.field.taken"),
    ("staff_users_email_key", "email", "errors.field.taken"),
    ("tenants_slug_key", "slug", "errors.field.taken"),
    ("members_name_length", "name_kanji", "errors.field.too_long"),
    (
        "members_years_valid",
        "left_year",
        "errors.field.left_before_joined",
    ),
    ("posts_body_length", "body", "errors.field.too_long"),
    ("post_comments_body_length", "body", "errors.field.too_long"),
    (
        "recruitments_title_length",
        "title",
        "errors.field.too_long",
    ),
    ("recruitments_body_length", "body", "errors.field.too_long"),
    ("follow_ups_note_length", "note", "errors.field.too_long"),
    ("articles_title_length", "title", "errors.field.too_long"),
    (
        "article_comments_body_length",
        "body",
        "errors.field.too_long",
    ),
    (
        "announcements_title_length",
        "title",
        "errors.field.too_long",
    ),
    ("announcements_body_length", "body", "errors.field.too_long"),
];

/// The form field and message for a violated named constraint of [`CONSTRAINT_FIELDS`], if
/// `error` is one.
pub fn constraint_error(error: &tsunagu_kernel::DbError) -> Option<(&'static str, &'static str)> {
    let name = error.constraint()?;
    CONSTRAINT_FIELDS
        .iter()
        .find(|(constraint, _, _)| *constraint == name)
        .map(|(_, field, key)| (*field, *key))
}

/// Renders `template` with the page's layout and what `fill` adds.
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_addresses() {
        let e = EmailAddress::parse("  Taro.Yamada@Demo.Example.co.jp ").unwrap();
        assert_eq!(e.address, "Taro.Yamada@Demo.Example.co.jp");
        assert_eq!(e.normalized, "taro.yamada@demo.example.co.jp");
        assert!(e.is_at_any_of(&["demo.example.co.jp".into()]));
        assert!(!e.is_at_any_of(&["example.co.jp.evil".into()]));
        let sub = EmailAddress::parse("a@tokyo.demo.example.co.jp").unwrap();
        assert!(sub.is_at_any_of(&["demo.example.co.jp".into()]));
        let lookalike = EmailAddress::parse("a@evildemo.example.co.jp").unwrap();
        assert!(!lookalike.is_at_any_of(&["demo.example.co.jp".into()]));
        for bad in [
            "", "no-at", "a@b", "a@@b.c", "a b@c.d", "a@.c.d", "a@c..d", "<a@b.c>",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn texts_and_years() {
        assert_eq!(text("  山田 太郎 ", 1, 100).unwrap(), "山田 太郎");
        assert_eq!(text("   ", 1, 100), Err("errors.field.required"));
        assert_eq!(
            text(&"あ".repeat(101), 1, 100),
            Err("errors.field.too_long")
        );
        assert_eq!(year(""), Ok(None));
        assert_eq!(year("2015"), Ok(Some(2015)));
        assert!(year("1800").is_err() && year("twenty").is_err());
    }
}

/// The one field of every "report this to the secretariat" form (posts, comments, messages,
/// profiles): an optional reason.
#[derive(Debug, Default, serde::Deserialize)]
pub struct ReportForm {
    #[serde(default)]
    pub reason: String,
}

impl ReportForm {
    /// The reason, trimmed; a 400 when it is longer than the 1,000 characters the form allows.
    pub fn reason(&self) -> Result<String, crate::AppError> {
        text(&self.reason, 0, 1000)
            .map_err(|_| crate::AppError::BadRequest("reason: at most 1000 characters".into()))
    }
}
