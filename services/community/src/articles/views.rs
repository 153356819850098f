//! What the articles pages show: the editor, the list's cards, and an article with its comments.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_authz::Permission;
use tsunagu_kernel::MemberId;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use super::forms::{ArticleForm, CommentForm};
use super::queries;
use crate::kinds::ArticleStatus;
use crate::view::{linkify, render, Segment};
use tsunagu_web::dates;

pub(super) async fn render_form(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    article_id: Option<queries::ArticleId>,
    form: &ArticleForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    // The featured-members picker lists every member by name: not for support staff whose grant
    // does not include the member list.
    let lists_members = member.may(state, Permission::ViewDirectory).await;
    let can_publish = member.may(state, Permission::PublishContent).await;
    let mut tx = member.begin(state).await?;
    let options = if lists_members {
        queries::member_options(&mut tx).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    render(state, page, "articles/form.html", status, |c| {
        c.insert("can_publish", &can_publish);
        c.insert("article_id", &article_id);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("member_options", &options);
    })
}

#[derive(Serialize)]
pub(super) struct ArticleCard {
    pub(super) id: queries::ArticleId,
    pub(super) title: String,
    pub(super) summary: String,
    pub(super) author_name: String,
    pub(super) status: ArticleStatus,
    pub(super) published_label: Option<String>,
    pub(super) has_cover: bool,
    pub(super) cover_version: Option<String>,
    pub(super) like_count: i32,
    pub(super) comment_count: i32,
}

#[derive(Serialize)]
struct CommentView {
    author_id: MemberId,
    author_name: String,
    paragraphs: Vec<Vec<Segment>>,
    created_label: String,
}

pub(super) async fn render_article(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: queries::ArticleId,
    form: &CommentForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let manage = member.may(state, Permission::ManageArticles).await;
    let publish = member.may(state, Permission::PublishContent).await;
    let mut tx = member.begin(state).await?;
    let article = queries::find(&mut tx, id, member.id(), manage)
        .await?
        .ok_or(AppError::NotFound)?;
    let featured = queries::featured(&mut tx, id).await?;
    let comments = queries::comments(&mut tx, id).await?;
    tx.commit().await?;
    let comments: Vec<CommentView> = comments
        .into_iter()
        .map(|c| CommentView {
            paragraphs: linkify(&c.body),
            created_label: dates::datetime(c.created_at, page.lang, page.zone()),
            author_id: c.author_id,
            author_name: c.author_name,
        })
        .collect();
    render(state, page, "articles/show.html", status, |c| {
        c.insert(
            "article",
            &serde_json::json!({
                "id": article.id,
                "title": article.title,
                "summary": article.summary,
                "author_name": article.author_name,
                                "status": effective_status(article.status, article.publish_at),
                "published_label": article.publish_at.map(|at| dates::datetime(at, page.lang, page.zone())),
                "has_cover": article.cover_key.is_some(),
                "cover_version": article.cover_key,
                "like_count": article.like_count,
                "comment_count": article.comment_count,
                                "liked": article.liked,
                "by_support": article.by_support,
            }),
        );
        // Sanitised when it was saved (sanitize_body); the template marks it safe.
        c.insert("body_html", &article.body_html);
        c.insert("featured", &featured);
        c.insert("comments", &comments);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("can_manage", &manage);
        c.insert("can_publish", &publish);
    })
}

/// A scheduled article whose time has come is published.
pub fn effective_status(
    status: ArticleStatus,
    publish_at: Option<OffsetDateTime>,
) -> ArticleStatus {
    match (status, publish_at) {
        (ArticleStatus::Scheduled, Some(at)) if at <= OffsetDateTime::now_utc() => {
            ArticleStatus::Published
        }
        _ => status,
    }
}
