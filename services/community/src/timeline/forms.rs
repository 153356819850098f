//! What the timeline reads from members: the composer (a plain form, or multipart with an
//! image), comments, and the feed's page cursor.

use axum::extract::{FromRequest, Multipart, Request};
use axum::Form;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_web::{AppError, AppState};

// `forms` names this module in `mod.rs`, so the handlers' `forms::text` checks are the form
// kit's, reached through here.
pub(super) use tsunagu_web::forms::text;

pub const MAX_POST_CHARS: usize = 5000;
pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    #[serde(default)]
    pub(super) before: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct PostForm {
    #[serde(default)]
    pub(super) body: String,
    /// "post" or "casual".
    #[serde(default)]
    pub(super) kind: String,
    /// For casual posts: show it for this many days (1–30).
    #[serde(default)]
    pub(super) expires_in_days: String,
}

pub(super) fn parse_cursor(value: &str) -> Option<(OffsetDateTime, super::queries::PostId)> {
    let (nanos, id) = value.split_once('|')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

/// Reads the composer: a plain form, or a multipart form when it carries an image.
pub(super) async fn read_post_form(
    state: &AppState,
    request: Request,
) -> Result<(PostForm, Option<Vec<u8>>), AppError> {
    let is_multipart = request
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !is_multipart {
        let Form(form) = Form::<PostForm>::from_request(request, state)
            .await
            .map_err(|e| AppError::BadRequest(e.to_string()))?;
        return Ok((form, None));
    }
    let multipart = Multipart::from_request(request, state)
        .await
        .map_err(|e| AppError::BadRequest(e.to_string()))?;
    let (fields, image) = crate::view::read_multipart(multipart, "image").await?;
    let mut form = PostForm::default();
    for (name, text) in fields {
        match name.as_str() {
            "body" => form.body = text,
            "kind" => form.kind = text,
            "expires_in_days" => form.expires_in_days = text,
            _ => {}
        }
    }
    Ok((form, image))
}

#[derive(Deserialize, Serialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    pub(super) body: String,
}
