//! What the timeline shows: post and comment views, the feed page (with its cached cards) and a
//! post's page.

use std::sync::Arc;
use tsunagu_kernel::MemberId;

use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_authz::Permission;
use tsunagu_kernel::tokens::looks_like_token;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::templates::Fill;
use tsunagu_web::versions::{establish_version, TenantVersions};
use tsunagu_web::{AppError, AppState, Authorized, Page};

use super::cache::{self, Actions, Card, FeedCache, FeedHead, Lookup};
use super::forms::{CommentForm, PostForm, MAX_POST_CHARS};
use super::queries;
use crate::kinds::PostKind;
use crate::view::{is_htmx, linkify, render, Segment};
use tsunagu_web::dates::{self, Zone};

#[derive(Serialize)]
pub struct PostView {
    id: queries::PostId,
    author_id: MemberId,
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

pub(super) fn post_view(
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
pub(super) async fn render_feed(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    versions: &TenantVersions,
    before: Option<(OffsetDateTime, queries::PostId)>,
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
            let unknown: Vec<queries::PostId> = shown
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

#[derive(Serialize)]
struct CommentView {
    id: queries::CommentId,
    author_id: MemberId,
    author_name: String,
    paragraphs: Vec<Vec<Segment>>,
    created_label: String,
    /// Written by the viewer (who cannot report it).
    is_mine: bool,
}

/// How a post page answers: the whole page with a status, or (htmx) the comments section.
#[derive(Clone, Copy)]
pub(super) enum Reply {
    Page(StatusCode),
    Fragment,
}

impl Reply {
    pub(super) fn for_request(headers: &HeaderMap, status: StatusCode) -> Self {
        if is_htmx(headers) {
            Reply::Fragment
        } else {
            Reply::Page(status)
        }
    }
}

pub(super) async fn render_post(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: queries::PostId,
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
            is_mine: c.author_id == member.id(),
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
