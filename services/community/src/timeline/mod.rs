//! The timeline: members post (text with auto-linked URLs; "casual" posts may expire), like and
//! comment; authors edit and delete their own posts; the secretariat hides posts and comments.
//! Likes update in place with htmx and work as plain form posts without JavaScript.

pub mod cache;
pub mod queries;

use std::sync::Arc;

use axum::extract::{FromRequest, Multipart, Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use serde::{Deserialize, Serialize};
use time::{Duration, OffsetDateTime};
use tsunagu_authz::Permission;
use tsunagu_kernel::tokens::looks_like_token;
use tsunagu_web::csrf::FormToken;
use tsunagu_web::forms::{self, FieldErrors};
use tsunagu_web::templates::Fill;
use tsunagu_web::versions::{establish_version, TenantVersions};
use tsunagu_web::{AppError, AppState, Authorized, Page};
use uuid::Uuid;

use self::cache::{Actions, Card, FeedCache, FeedHead, Lookup};

use crate::kinds::PostKind;
use crate::view::{fragment_or_redirect, is_htmx, linkify, render, Segment};
use tsunagu_web::dates::{self, Zone};

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
        .member(
            "/posts/{id}/comments/{comment_id}/hide",
            ModerateTimeline,
            post(hide_comment),
        )
}

pub const MAX_POST_CHARS: usize = 5000;
pub const MAX_COMMENT_CHARS: usize = 2000;

#[derive(Serialize)]
pub struct PostView {
    id: Uuid,
    author_id: Uuid,
    author_name: String,
    /// The first letter of the author's name, for the avatar.
    author_initial: String,
    paragraphs: Vec<Vec<Segment>>,
    casual: bool,
    expires_label: Option<String>,
    like_count: i32,
    comment_count: i32,
    liked: bool,
    created_label: String,
    created_iso: String,
    edited: bool,
    is_mine: bool,
    /// Cache-busting version of the image, when the post has one.
    image: Option<String>,
}

fn post_view(
    p: &queries::Post,
    liked: bool,
    is_mine: bool,
    lang: tsunagu_web::Locale,
    zone: Zone,
) -> PostView {
    PostView {
        paragraphs: linkify(&p.body),
        casual: p.kind == PostKind::Casual,
        expires_label: p.expires_at.map(|at| dates::datetime(at, lang, zone)),
        created_label: dates::datetime(p.created_at, lang, zone),
        created_iso: dates::iso(p.created_at),
        edited: p.edited_at.is_some(),
        is_mine,
        image: p.image_key.clone(),
        id: p.id,
        author_id: p.author_id,
        author_initial: p
            .author_name
            .chars()
            .next()
            .map(String::from)
            .unwrap_or_default(),
        author_name: p.author_name.clone(),
        like_count: p.like_count,
        comment_count: p.comment_count,
        liked,
    }
}

#[derive(Deserialize, Default)]
pub struct FeedQuery {
    #[serde(default)]
    before: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct PostForm {
    #[serde(default)]
    body: String,
    /// "post" or "casual".
    #[serde(default)]
    kind: String,
    /// For casual posts: show it for this many days (1–30).
    #[serde(default)]
    expires_in_days: String,
}

/// Reads the feed's first page from the database (for the cache, or for this request only).
async fn load_head(
    state: &AppState,
    member: &Authorized,
    version: Option<String>,
    previous: Option<&FeedHead>,
) -> Result<FeedHead, AppError> {
    let mut tx = member.begin_generic_plans(state).await?;
    let rows = queries::feed_head(&mut tx).await?;
    tx.commit().await?;
    Ok(FeedHead::new(rows, version, previous))
}

/// The feed's first page as of now: from the cache when it is current, else loaded (and kept).
async fn current_head(
    state: &AppState,
    feed_cache: &FeedCache,
    member: &Authorized,
    versions: &TenantVersions,
) -> Result<Arc<FeedHead>, AppError> {
    if !state.config.feed_cache {
        return Ok(Arc::new(load_head(state, member, None, None).await?));
    }
    let tenant = member.tenant.id;
    let version = match versions.get(cache::VERSION) {
        Some(version) => version.to_owned(),
        None => match establish_version(&state.redis, tenant, cache::VERSION).await {
            Some(version) => version,
            // Without a version nothing can be checked later: answer without caching.
            None => return Ok(Arc::new(load_head(state, member, None, None).await?)),
        },
    };
    match feed_cache.lookup(tenant, &version).await {
        Lookup::Hit(head) => Ok(head),
        Lookup::Miss { guard, previous } => {
            let head =
                Arc::new(load_head(state, member, Some(version), previous.as_deref()).await?);
            feed_cache.store(tenant, head.clone(), guard);
            Ok(head)
        }
    }
}

fn cursor_of(post: &queries::Post) -> String {
    format!("{}|{}", post.created_at.unix_timestamp_nanos(), post.id)
}

/// The timeline page: the composer and one page of the feed (the first page, or the page after
/// `before`). Post cards come from the feed cache (first page) or are rendered for this request
/// (later pages); either way each card is written with this viewer's like, actions and CSRF
/// token.
#[allow(clippy::too_many_arguments)]
async fn render_feed(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    versions: &TenantVersions,
    before: Option<(OffsetDateTime, Uuid)>,
    form: &PostForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let viewer = member.id();
    let can_moderate = member.may(state, Permission::ModerateTimeline).await;
    let feed_cache = state.local_caches.get::<FeedCache>();
    let marker = feed_cache.marker();
    // Cards are joined with the token as it is: it must be one of ours (64 hex characters).
    let csrf_token = if looks_like_token(&page.csrf_token) {
        page.csrf_token.as_str()
    } else {
        ""
    };
    let page_size = queries::PAGE_SIZE as usize;
    // Only the first page without the member's own (refused) input is worth keeping: later
    // pages have a path of their own each.
    let memoise = before.is_none() && errors.is_empty();
    let (cards, next_cursor): (Vec<Arc<Card>>, Option<String>) = match before {
        None => {
            let head = current_head(state, &feed_cache, member, versions).await?;
            let shown = &head.posts[..head.posts.len().min(page_size)];
            let unknown: Vec<Uuid> = shown
                .iter()
                .filter(|p| p.liked_by(viewer).is_none())
                .map(|p| p.post.id)
                .collect();
            let liked_unknown = if unknown.is_empty() {
                Vec::new()
            } else {
                let mut tx = member.begin(state).await?;
                let liked = queries::liked_among(&mut tx, viewer, &unknown).await?;
                tx.commit().await?;
                liked
            };
            let mut cards = Vec::with_capacity(shown.len());
            for (index, cached) in shown.iter().enumerate() {
                let liked = cached
                    .liked_by(viewer)
                    .unwrap_or_else(|| liked_unknown.contains(&cached.post.id));
                let actions = Actions::for_viewer(&cached.post, viewer, can_moderate);
                cards.push(head.card(
                    &state.web,
                    marker,
                    index,
                    page.lang,
                    page.zone(),
                    liked,
                    actions,
                )?);
            }
            let next = (head.posts.len() > page_size)
                .then(|| shown.last().map(|p| cursor_of(&p.post)))
                .flatten();
            (cards, next)
        }
        Some(cursor) => {
            let mut tx = member.begin_generic_plans(state).await?;
            let posts = queries::feed_after(&mut tx, viewer, cursor).await?;
            tx.commit().await?;
            let shown = &posts[..posts.len().min(page_size)];
            let mut cards = Vec::with_capacity(shown.len());
            for p in shown {
                let actions = Actions::for_viewer(&p.post, viewer, can_moderate);
                cards.push(Arc::new(Card::render(
                    &state.web,
                    marker,
                    page.lang,
                    page.zone(),
                    &p.post,
                    p.liked,
                    actions,
                )?));
            }
            let next = (posts.len() > page_size)
                .then(|| shown.last().map(|p| cursor_of(&p.post)))
                .flatten();
            (cards, next)
        }
    };
    // The page around the feed is rendered once per distinct context and kept (see
    // `WebKit::render_with_holes`), with holes for what each request has of its own: its CSRF
    // token, the member's name, the cards, the cursor, the composer's one-time token. The cards (already escaped HTML) are
    // written straight into the answer, not copied through the template engine, which cost
    // more than the rest of the page (`just bench`, docs/PERFORMANCE.md).
    let web = &state.web;
    let mut layout = page.layout(&web.catalog);
    layout.csrf_token = web.hole(0);
    let form_token = std::mem::replace(&mut layout.form_token, web.hole(4));
    let display_name = layout
        .member
        .as_mut()
        .map(|m| std::mem::replace(&mut m.display_name, web.hole(1)))
        .unwrap_or_default();
    let mut context = layout.context();
    context.insert("has_posts", &!cards.is_empty());
    context.insert("feed_slot", &web.hole(2));
    context.insert("next_cursor", &next_cursor.as_ref().map(|_| web.hole(3)));
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert("casual_posts", &member.tenant.features.casual_posts);
    context.insert("max_chars", &MAX_POST_CHARS);
    let write_cards = |out: &mut String| {
        out.reserve(cards.iter().map(|c| c.len_with_token() + 9).sum());
        for card in &cards {
            out.push_str("<li>");
            card.write(out, csrf_token);
            out.push_str("</li>");
        }
    };
    let cursor = next_cursor
        .as_deref()
        .map(|c| c.replace('|', "%7C"))
        .unwrap_or_default();
    let fills = [
        Fill::Text(csrf_token),
        Fill::Text(&display_name),
        Fill::Html(&write_cards),
        Fill::Text(&cursor),
        Fill::Text(&form_token),
    ];
    let body = web.render_with_holes("timeline/index.html", &context, &fills, memoise)?;
    Ok((status, axum::response::Html(body)).into_response())
}

fn parse_cursor(value: &str) -> Option<(OffsetDateTime, Uuid)> {
    let (nanos, id) = value.split_once('|')?;
    let at = OffsetDateTime::from_unix_timestamp_nanos(nanos.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
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

/// Reads the composer: a plain form, or a multipart form when it carries an image.
async fn read_post_form(
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

#[derive(Serialize)]
struct CommentView {
    id: Uuid,
    author_id: Uuid,
    author_name: String,
    paragraphs: Vec<Vec<Segment>>,
    created_label: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct CommentForm {
    #[serde(default)]
    body: String,
}

/// How a post page answers: the whole page with a status, or (htmx) the comments section.
#[derive(Clone, Copy)]
enum Reply {
    Page(StatusCode),
    Fragment,
}

impl Reply {
    fn for_request(headers: &HeaderMap, status: StatusCode) -> Self {
        if is_htmx(headers) {
            Reply::Fragment
        } else {
            Reply::Page(status)
        }
    }
}

async fn render_post(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: Uuid,
    form: &CommentForm,
    errors: &FieldErrors,
    reply: Reply,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let post = queries::find_post(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let comments = queries::comments(&mut tx, id).await?;
    tx.commit().await?;
    let comments: Vec<CommentView> = comments
        .into_iter()
        .map(|c| CommentView {
            paragraphs: linkify(&c.body),
            created_label: dates::datetime(c.created_at, page.lang, page.zone()),
            id: c.id,
            author_id: c.author_id,
            author_name: c.author_name,
        })
        .collect();
    let can_moderate = member.may(state, Permission::ModerateTimeline).await;
    let view = post_view(
        &post.post,
        post.liked,
        post.post.author_id == member.id(),
        page.lang,
        page.zone(),
    );
    // htmx replaces just the comments section, and swaps only successful responses, so a
    // refused comment comes back as 200 with its message in the section.
    let (template, status) = match reply {
        Reply::Fragment => ("timeline/_comments.html", StatusCode::OK),
        Reply::Page(status) => ("timeline/post.html", status),
    };
    render(state, page, template, status, |c| {
        c.insert("post", &view);
        c.insert("comments", &comments);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("can_moderate", &can_moderate);
    })
}

pub async fn show_post(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<Uuid>,
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
    Path(id): Path<Uuid>,
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
    id: Uuid,
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
    Path(id): Path<Uuid>,
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
    Path(id): Path<Uuid>,
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
    Path(id): Path<Uuid>,
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
    Path(id): Path<Uuid>,
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

pub async fn hide_post(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::hide_post(&mut tx, id, member.id()).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tsunagu_kernel::audit::record(
        &mut tx,
        "post.hidden",
        "post",
        Some(id),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/timeline?notice=hidden").into_response())
}

pub async fn hide_comment(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, comment_id)): Path<(Uuid, Uuid)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::hide_comment(&mut tx, id, comment_id).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    tsunagu_kernel::audit::record(
        &mut tx,
        "comment.hidden",
        "comment",
        Some(comment_id),
        serde_json::json!({ "post_id": id }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/posts/{id}?notice=hidden")).into_response())
}

/// `GET /media/posts/{id}`: the image of a post the viewer can see.
pub async fn show_post_image(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<Uuid>,
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
