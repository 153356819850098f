//! The timeline: members post (text with auto-linked URLs; "casual" posts may expire), like and
//! comment; authors edit and delete their own posts; the secretariat hides posts and comments.
//! Likes update in place with htmx and work as plain form posts without JavaScript.

pub mod cache;
pub mod forms;
pub mod queries;
pub mod views;

use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use time::{Duration, OffsetDateTime};
use tsunagu_kernel::moderation::{self, Decision, NewDecision, NewReport, SubjectKind};
use tsunagu_web::csrf::FormToken;
use tsunagu_web::forms::{FieldErrors, ReportForm};
use tsunagu_web::versions::TenantVersions;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::kinds::PostKind;
use crate::view::{fragment_or_redirect, is_htmx, render};
use forms::{
    parse_cursor, read_post_form, CommentForm, FeedQuery, PostForm, MAX_COMMENT_CHARS,
    MAX_POST_CHARS,
};
use views::{render_feed, render_post, Reply};

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/timeline", ViewNetwork, get(list_posts))
        .member(
            "/posts",
            Post,
            post(create_post).layer(axum::extract::DefaultBodyLimit::max(
                tsunagu_web::csrf::MAX_MULTIPART_BYTES,
            )),
        )
        .member("/media/posts/{id}", ViewNetwork, get(show_post_image))
        .member("/posts/{id}", ViewNetwork, get(show_post))
        // Editing and deleting: the author (checked in SQL) or a moderator.
        .member(
            "/posts/{id}/edit",
            Post,
            get(edit_post_form).post(update_post),
        )
        .member("/posts/{id}/delete", Post, post(delete_post))
        .member("/posts/{id}/like", Post, post(toggle_like))
        .member("/posts/{id}/comments", Post, post(create_comment))
        .member("/posts/{id}/hide", ModerateTimeline, post(hide_post))
        .member("/posts/{id}/report", ViewNetwork, post(report_post))
        .member(
            "/posts/{id}/comments/{comment_id}/report",
            ViewNetwork,
            post(report_comment),
        )
        .member(
            "/posts/{id}/comments/{comment_id}/hide",
            ModerateTimeline,
            post(hide_comment),
        )
}

pub async fn list_posts(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    versions: TenantVersions,
    Query(query): Query<FeedQuery>,
) -> Result<Response, AppError> {
    let form = PostForm {
        kind: "post".into(),
        ..PostForm::default()
    };
    render_feed(
        &state,
        &member,
        &page,
        &versions,
        parse_cursor(&query.before),
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn create_post(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    versions: TenantVersions,
    form_token: FormToken,
    request: Request,
) -> Result<Response, AppError> {
    let (form, image) = read_post_form(&state, request).await?;
    let mut errors = FieldErrors::new();
    let body = forms::text(&form.body, 1, MAX_POST_CHARS)
        .map_err(|e| errors.insert("body", e))
        .ok();
    let casual = form.kind == PostKind::Casual.as_str() && member.tenant.features.casual_posts;
    let expires_at = if casual {
        match form.expires_in_days.trim().parse::<i64>() {
            Ok(days) if (1..=30).contains(&days) => {
                Some(OffsetDateTime::now_utc() + Duration::days(days))
            }
            _ if form.expires_in_days.trim().is_empty() => None,
            _ => {
                errors.insert("expires_in_days", "errors.field.days");
                None
            }
        }
    } else {
        None
    };
    // The image is checked before anything is written, so a bad file changes nothing.
    let store = crate::media::MediaStore::new(&state.config.data_dir);
    let image_key = match image {
        Some(bytes) if errors.is_empty() && body.is_some() => {
            match store
                .save(member.tenant.id, crate::media::MediaKind::PostImage, bytes)
                .await
                .map_err(anyhow::Error::from)?
            {
                Ok(key) => Some(key),
                Err(e) => {
                    errors.insert("image", e.message_key());
                    None
                }
            }
        }
        _ => None,
    };
    let Some(body) = body.filter(|_| errors.is_empty()) else {
        return render_feed(
            &state,
            &member,
            &page,
            &versions,
            None,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut tx = member.begin(&state).await?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already posted (a resubmission after an error page, a double
        // click): the first post stands, this one adds nothing.
        tx.rollback().await?;
        if let Some(key) = &image_key {
            store
                .delete(member.tenant.id, crate::media::MediaKind::PostImage, key)
                .await;
        }
        return Ok(Redirect::to("/timeline?notice=posted").into_response());
    }
    queries::create_post(
        &mut tx,
        member.id(),
        &body,
        if casual {
            PostKind::Casual
        } else {
            PostKind::Post
        },
        expires_at,
        image_key.as_deref(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/timeline?notice=posted").into_response())
}

pub async fn show_post(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    render_post(
        &state,
        &member,
        &page,
        id,
        &CommentForm::default(),
        &FieldErrors::new(),
        Reply::Page(StatusCode::OK),
    )
    .await
}

pub async fn create_comment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<queries::PostId>,
    form_token: FormToken,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let body = match forms::text(&form.body, 1, MAX_COMMENT_CHARS) {
        Ok(body) => body,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("body", e);
            return render_post(
                &state,
                &member,
                &page,
                id,
                &form,
                &errors,
                Reply::for_request(&headers, StatusCode::UNPROCESSABLE_ENTITY),
            )
            .await;
        }
    };
    let mut tx = member.begin(&state).await?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already saved (a resubmission): answer as the first time did.
        tx.rollback().await?;
        return comment_saved(&state, &member, &page, &headers, id).await;
    }
    if !queries::add_comment(&mut tx, id, member.id(), &body).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    let post = queries::find_post(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    crate::notifications::notify(
        &mut tx,
        &[post.post.author_id],
        "post_commented",
        Some(member.id()),
        &post.post.body,
        &format!("/posts/{id}#comments"),
    )
    .await?;
    tx.commit().await?;
    comment_saved(&state, &member, &page, &headers, id).await
}

/// After a comment is saved: htmx gets the comments section, a plain form the post's page.
async fn comment_saved(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    headers: &HeaderMap,
    id: queries::PostId,
) -> Result<Response, AppError> {
    if is_htmx(headers) {
        return render_post(
            state,
            member,
            page,
            id,
            &CommentForm::default(),
            &FieldErrors::new(),
            Reply::Fragment,
        )
        .await;
    }
    Ok(Redirect::to(&format!("/posts/{id}#comments")).into_response())
}

pub async fn toggle_like(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let (liked, count) = queries::toggle_like(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    if liked {
        if let Some(post) = queries::find_post(&mut tx, id, member.id()).await? {
            crate::notifications::notify(
                &mut tx,
                &[post.post.author_id],
                "post_liked",
                Some(member.id()),
                &post.post.body,
                &format!("/posts/{id}"),
            )
            .await?;
        }
    }
    tx.commit().await?;
    fragment_or_redirect(
        &state,
        &page,
        &headers,
        "timeline/_like.html",
        &format!("/posts/{id}"),
        |c| {
            c.insert(
                "post",
                &serde_json::json!({ "id": id, "liked": liked, "like_count": count }),
            );
        },
    )
}

pub async fn edit_post_form(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let post = queries::find_post(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    if post.post.author_id != member.id() {
        return Err(AppError::NotFound);
    }
    render(
        &state,
        &page,
        "timeline/edit_post.html",
        StatusCode::OK,
        |c| {
            c.insert("post_id", &id);
            c.insert(
                "form",
                &PostForm {
                    body: post.post.body,
                    ..PostForm::default()
                },
            );
            c.insert("errors", &FieldErrors::new());
            c.insert("max_chars", &MAX_POST_CHARS);
        },
    )
}

pub async fn update_post(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::PostId>,
    Form(form): Form<PostForm>,
) -> Result<Response, AppError> {
    let body = match forms::text(&form.body, 1, MAX_POST_CHARS) {
        Ok(body) => body,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("body", e);
            return render(
                &state,
                &page,
                "timeline/edit_post.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                |c| {
                    c.insert("post_id", &id);
                    c.insert("form", &form);
                    c.insert("errors", &errors);
                    c.insert("max_chars", &MAX_POST_CHARS);
                },
            );
        }
    };
    let mut tx = member.begin(&state).await?;
    if !queries::edit_post(&mut tx, id, member.id(), &body).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{id}?notice=saved")).into_response())
}

pub async fn delete_post(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some(image_key) = queries::delete_post(&mut tx, id, member.id()).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    tx.commit().await?;
    if let Some(key) = image_key {
        crate::media::MediaStore::new(&state.config.data_dir)
            .delete(member.tenant.id, crate::media::MediaKind::PostImage, &key)
            .await;
    }
    Ok(Redirect::to("/timeline?notice=deleted").into_response())
}

/// `POST /posts/{id}/hide`: the secretariat hides a post straight from the timeline. This is a
/// moderation decision like one taken in the queue: it resolves the post's open reports and the
/// queue's history can undo it.
pub async fn hide_post(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some(author) = queries::set_post_hidden(&mut tx, id, true, member.id()).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    record_hide(
        &mut tx,
        SubjectKind::Post,
        id.as_uuid(),
        author,
        member.id(),
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "post.hidden",
        "post",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/timeline?notice=hidden").into_response())
}

pub async fn hide_comment(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, comment_id)): Path<(queries::PostId, queries::CommentId)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let author = match queries::set_comment_hidden(&mut tx, comment_id, true).await? {
        Some((post, author)) if post == id => author,
        _ => {
            tx.rollback().await?;
            return Err(AppError::NotFound);
        }
    };
    record_hide(
        &mut tx,
        SubjectKind::Comment,
        comment_id.as_uuid(),
        author,
        member.id(),
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "comment.hidden",
        "comment",
        Some(comment_id.as_uuid()),
        serde_json::json!({ "post_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{id}?notice=hidden")).into_response())
}

async fn record_hide(
    tx: &mut tsunagu_kernel::TenantTx,
    kind: SubjectKind,
    subject: uuid::Uuid,
    author: tsunagu_kernel::MemberId,
    by: tsunagu_kernel::MemberId,
) -> Result<(), AppError> {
    moderation::decide(
        tx,
        &NewDecision {
            kind,
            subject,
            author,
            decision: Decision::Hide,
            decided_by: Some(by),
            note: "",
        },
    )
    .await?;
    Ok(())
}

/// `POST /posts/{id}/report`: a member reports a post they can see to the secretariat.
pub async fn report_post(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::PostId>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let reason = form.reason()?;
    let mut tx = member.begin(&state).await?;
    let post = queries::find_post(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    file_report(
        &mut tx,
        SubjectKind::Post,
        id.as_uuid(),
        post.post.author_id,
        member.id(),
        &reason,
        &post.post.body,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{id}?notice=reported")).into_response())
}

/// `POST /posts/{id}/comments/{comment_id}/report`: the same for a comment.
pub async fn report_comment(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, comment_id)): Path<(queries::PostId, queries::CommentId)>,
    Form(form): Form<ReportForm>,
) -> Result<Response, AppError> {
    let reason = form.reason()?;
    let mut tx = member.begin(&state).await?;
    let comment = queries::find_comment(&mut tx, id, comment_id)
        .await?
        .ok_or(AppError::NotFound)?;
    file_report(
        &mut tx,
        SubjectKind::Comment,
        comment_id.as_uuid(),
        comment.author_id,
        member.id(),
        &reason,
        &comment.body,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{id}?notice=reported#comment-{comment_id}")).into_response())
}

/// Files a report and notes it in the audit log (without the reason: the queue shows that).
pub(crate) async fn file_report(
    tx: &mut tsunagu_kernel::TenantTx,
    kind: SubjectKind,
    subject: uuid::Uuid,
    author: tsunagu_kernel::MemberId,
    reporter: tsunagu_kernel::MemberId,
    reason: &str,
    snapshot: &str,
) -> Result<(), AppError> {
    if author == reporter {
        return Err(AppError::BadRequest(format!(
            "you cannot report your own {kind}"
        )));
    }
    let filed = moderation::file(
        tx,
        &NewReport {
            kind,
            subject,
            author,
            reporter,
            reason,
            snapshot,
        },
    )
    .await?;
    if filed {
        tsunagu_kernel::audit::record(
            tx,
            &format!("{kind}.reported"),
            kind.as_str(),
            Some(subject),
            serde_json::json!({}),
        )
        .await?;
    }
    Ok(())
}

/// `GET /media/posts/{id}`: the image of a post the viewer can see.
pub async fn show_post_image(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::PostId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let post = queries::find_post(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    crate::view::serve_image(
        &state,
        member.tenant.id,
        crate::media::MediaKind::PostImage,
        post.post.image_key,
    )
    .await
}
