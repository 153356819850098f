//! Articles (コンテンツ): the secretariat writes interviews and news with a cover image, rich text
//! (a small HTML allow-list, sanitised with ammonia on save), featured members linked to their
//! profiles, and publishes them now, on a schedule, or keeps a draft. Members read, like and
//! comment. Publishing notifies every member (at the publish time for scheduled articles).

pub mod forms;
pub mod queries;
pub mod views;

pub use forms::sanitize_body;

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use time::OffsetDateTime;
use tsunagu_authz::Permission;
use tsunagu_kernel::MemberId;
use tsunagu_web::csrf::FormToken;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::kinds::ArticleStatus;
use crate::media::{MediaKind, MediaStore};
use crate::view::{fragment_or_redirect, render, serve_image};
use forms::{read_form, ArticleForm, CommentForm, Submitted};
use tsunagu_web::dates;
use views::{effective_status, render_article, render_form, ArticleCard};

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/articles", ViewNetwork, get(list_articles))
        .member("/articles", ManageArticles, post(create_article))
        .member("/articles/new", ManageArticles, get(new_article))
        // Drafts are shown to those who manage articles only (checked in the query).
        .member("/articles/{id}", ViewNetwork, get(show_article))
        .member(
            "/articles/{id}/edit",
            ManageArticles,
            get(edit_article).post(update_article),
        )
        .member(
            "/articles/{id}/publish",
            PublishContent,
            post(publish_article),
        )
        .member("/articles/{id}/like", Post, post(toggle_like))
        .member("/articles/{id}/comments", Post, post(create_comment))
        .member("/media/covers/{id}", ViewNetwork, get(show_cover))
        .with_body_limit(tsunagu_web::csrf::MAX_MULTIPART_BYTES)
}

pub async fn new_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let form = ArticleForm {
        status: "draft".into(),
        ..ArticleForm::default()
    };
    render_form(
        &state,
        &member,
        &page,
        None,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// Validates and saves; shared by create and update.
async fn save_article(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: Option<queries::ArticleId>,
    submitted: Submitted,
    form_token: FormToken,
) -> Result<Response, AppError> {
    let Submitted { form, cover } = submitted;
    let mut errors = FieldErrors::new();
    let title = forms::text(&form.title, 1, 200)
        .map_err(|e| errors.insert("title", e))
        .ok();
    let summary = forms::text(&form.summary, 0, 500)
        .map_err(|e| errors.insert("summary", e))
        .ok();
    let body = forms::text(&form.body, 1, 100_000)
        .map_err(|e| errors.insert("body", e))
        .ok();
    let now = OffsetDateTime::now_utc();
    // The form's choice (draft, publish now, schedule) becomes the article's state.
    let (status, publish_at) = match form.status.as_str() {
        "draft" => (ArticleStatus::Draft, None),
        "publish" => (ArticleStatus::Published, Some(now)),
        "schedule" => match dates::parse_input(&form.publish_at, page.zone()) {
            Some(at) if at > now => (ArticleStatus::Scheduled, Some(at)),
            Some(_) => {
                errors.insert("publish_at", "errors.field.date_past");
                (ArticleStatus::Scheduled, None)
            }
            None => {
                errors.insert("publish_at", "errors.field.date");
                (ArticleStatus::Scheduled, None)
            }
        },
        _ => {
            errors.insert("status", "errors.field.required");
            (ArticleStatus::Draft, None)
        }
    };
    // Platform staff draft; the secretariat publishes (docs/adr/0004-support-sessions.md).
    let may_publish = member.may(state, Permission::PublishContent).await;
    // Featured members are picked from the member list; without it they stay as they are.
    let lists_members = member.may(state, Permission::ViewDirectory).await;
    if !may_publish && status != ArticleStatus::Draft {
        errors.insert("status", "errors.article.draft_only");
    }
    let featured: Vec<MemberId> = form
        .featured
        .iter()
        .filter_map(|f| f.parse().ok())
        .collect();
    let body_html = body.as_deref().map(sanitize_body).unwrap_or_default();
    if body.is_some() && body_html.trim().is_empty() {
        errors.insert("body", "errors.field.required");
    }
    // Check the image before anything is written, so a bad file changes nothing.
    let store = MediaStore::new(&state.config.data_dir);
    let cover_key = match cover {
        Some(bytes) if errors.is_empty() => match store
            .save(member.tenant.id, MediaKind::Cover, bytes)
            .await
            .map_err(anyhow::Error::from)?
        {
            Ok(key) => Some(key),
            Err(e) => {
                errors.insert("cover", e.message_key());
                None
            }
        },
        _ => None,
    };
    let (Some(title), Some(summary)) = (title, summary) else {
        return render_form(
            state,
            member,
            page,
            id,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    if !errors.is_empty() {
        return render_form(
            state,
            member,
            page,
            id,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }

    let mut tx = member.begin(state).await?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already saved (a resubmission): keep the first, store nothing.
        tx.rollback().await?;
        if let Some(key) = &cover_key {
            store.delete(member.tenant.id, MediaKind::Cover, key).await;
        }
        return Ok(Redirect::to("/articles?notice=saved").into_response());
    }
    let existing = match id {
        Some(id) => Some(
            queries::find(&mut tx, id, member.id(), true)
                .await?
                .ok_or(AppError::NotFound)?,
        ),
        None => None,
    };
    if !may_publish
        && existing
            .as_ref()
            .is_some_and(|a| a.status != ArticleStatus::Draft)
    {
        // Those who may not publish may not change what is published or scheduled either.
        tx.rollback().await?;
        return Err(AppError::Forbidden);
    }
    let was_visible = existing.as_ref().is_some_and(|a| {
        a.status != ArticleStatus::Draft && a.publish_at.is_some_and(|at| at <= now)
    });
    // Editing a published article keeps its date.
    let publish_at = match (&existing, status) {
        (Some(a), ArticleStatus::Published) if was_visible => a.publish_at,
        _ => publish_at,
    };
    let input = queries::ArticleInput {
        title: &title,
        summary: &summary,
        body_html: &body_html,
        status,
        publish_at,
        featured: lists_members.then_some(featured.as_slice()),
    };
    let id = queries::save(&mut tx, id, member.id(), &input)
        .await?
        .ok_or(AppError::NotFound)?;
    let mut old_cover = None;
    if let Some(key) = &cover_key {
        old_cover = queries::set_cover(&mut tx, id, key).await?;
    }
    tsunagu_kernel::audit::record(
        &mut tx,
        "article.saved",
        "article",
        Some(id.as_uuid()),
        serde_json::json!({ "status": status }),
    )
    .await?;
    if let (false, Some(at)) = (was_visible, publish_at) {
        crate::notifications::notify_everyone(
            &mut tx,
            "article_published",
            Some(member.id()),
            &title,
            &format!("/articles/{id}"),
            at,
        )
        .await?;
    }
    tx.commit().await?;
    if let Some(old) = old_cover {
        store.delete(member.tenant.id, MediaKind::Cover, &old).await;
    }
    Ok(Redirect::to(&format!("/articles/{id}?notice=saved")).into_response())
}

/// `POST /articles/{id}/publish`: the secretariat's one-click approval of a draft (one written by
/// Tsunagu CS, or any other): published now, every member notified.
pub async fn publish_article(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::ArticleId>,
) -> Result<Response, AppError> {
    member.require(&state, Permission::ManageArticles).await?;
    let mut tx = member.begin(&state).await?;
    let Some(title) = queries::publish_draft(&mut tx, id).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    tsunagu_kernel::audit::record(
        &mut tx,
        "article.published",
        "article",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    crate::notifications::notify_everyone(
        &mut tx,
        "article_published",
        Some(member.id()),
        &title,
        &format!("/articles/{id}"),
        OffsetDateTime::now_utc(),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{id}?notice=article_published")).into_response())
}

pub async fn create_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    form_token: FormToken,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let submitted = read_form(multipart).await?;
    save_article(&state, &member, &page, None, submitted, form_token).await
}

pub async fn edit_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::ArticleId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let article = queries::find(&mut tx, id, member.id(), true)
        .await?
        .ok_or(AppError::NotFound)?;
    let featured = queries::featured(&mut tx, id).await?;
    tx.commit().await?;
    let form = ArticleForm {
        title: article.title,
        summary: article.summary,
        body: article.body_html,
        status: match article.status {
            ArticleStatus::Draft => "draft".into(),
            ArticleStatus::Scheduled => "schedule".into(),
            ArticleStatus::Published => "publish".into(),
        },
        publish_at: article
            .publish_at
            .map(|at| dates::input_value(at, page.zone()))
            .unwrap_or_default(),
        featured: featured.iter().map(|f| f.id.to_string()).collect(),
    };
    render_form(
        &state,
        &member,
        &page,
        Some(id),
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn update_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::ArticleId>,
    multipart: Multipart,
) -> Result<Response, AppError> {
    let submitted = read_form(multipart).await?;
    save_article(
        &state,
        &member,
        &page,
        Some(id),
        submitted,
        FormToken::default(),
    )
    .await
}

pub async fn list_articles(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let manage = member.may(&state, Permission::ManageArticles).await;
    let mut tx = member.begin(&state).await?;
    let articles = queries::list(&mut tx, member.id(), manage).await?;
    tx.commit().await?;
    let cards: Vec<ArticleCard> = articles
        .into_iter()
        .map(|a| ArticleCard {
            published_label: a
                .publish_at
                .map(|at| dates::datetime(at, page.lang, page.zone())),
            has_cover: a.cover_key.is_some(),
            status: effective_status(a.status, a.publish_at),
            cover_version: a.cover_key,
            id: a.id,
            title: a.title,
            summary: a.summary,
            author_name: a.author_name,
            like_count: a.like_count,
            comment_count: a.comment_count,
        })
        .collect();
    render(&state, &page, "articles/index.html", StatusCode::OK, |c| {
        c.insert("articles", &cards);
        c.insert("can_manage", &manage);
    })
}

pub async fn show_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::ArticleId>,
) -> Result<Response, AppError> {
    render_article(
        &state,
        &member,
        &page,
        id,
        &CommentForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

pub async fn toggle_like(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    headers: HeaderMap,
    Path(id): Path<queries::ArticleId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    queries::find(&mut tx, id, member.id(), false)
        .await?
        .ok_or(AppError::NotFound)?;
    let (liked, count) = queries::toggle_like(&mut tx, id, member.id()).await?;
    tx.commit().await?;
    fragment_or_redirect(
        &state,
        &page,
        &headers,
        "articles/_like.html",
        &format!("/articles/{id}"),
        |c| {
            c.insert(
                "article",
                &serde_json::json!({ "id": id, "liked": liked, "like_count": count }),
            );
        },
    )
}

pub async fn create_comment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<queries::ArticleId>,
    form_token: FormToken,
    Form(form): Form<CommentForm>,
) -> Result<Response, AppError> {
    let body = match forms::text(&form.body, 1, 2000) {
        Ok(body) => body,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("body", e);
            return render_article(
                &state,
                &member,
                &page,
                id,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = member.begin(&state).await?;
    let article = queries::find(&mut tx, id, member.id(), false)
        .await?
        .ok_or(AppError::NotFound)?;
    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already saved: show where it went, add nothing.
        tx.rollback().await?;
        return Ok(Redirect::to(&format!("/articles/{id}#comments")).into_response());
    }
    queries::add_comment(&mut tx, id, member.id(), &body).await?;
    crate::notifications::notify(
        &mut tx,
        &[article.author_id],
        "article_commented",
        Some(member.id()),
        &article.title,
        &format!("/articles/{id}#comments"),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{id}#comments")).into_response())
}

/// The cover of an article the viewer may see.
pub async fn show_cover(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::ArticleId>,
) -> Result<Response, AppError> {
    let manage = member.may(&state, Permission::ManageArticles).await;
    let mut tx = member.begin(&state).await?;
    let article = queries::find(&mut tx, id, member.id(), manage)
        .await?
        .ok_or(AppError::NotFound)?;
    tx.commit().await?;
    serve_image(
        &state,
        member.tenant.id,
        MediaKind::Cover,
        article.cover_key,
    )
    .await
}
