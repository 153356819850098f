//! In-app notifications: someone commented on or liked your post, reacted to your 募集, a
//! recruitment you are interested in changed, a new article was published. Written in the same
//! transaction as the action; the header shows the unread count (cached in Redis for a minute,
//! dropped at once for direct notifications). Visiting the list marks everything read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use tsunagu_kernel::MemberId;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::view::render;
use tsunagu_web::dates;

pub mod queries;

pub use queries::{notify, notify_everyone};

/// The header's unread count, for the web kit's session layer (`tsunagu_web::state::Features`).
pub fn unread_counter(
    tx: &mut tsunagu_kernel::TenantTx,
    member: MemberId,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<i64, tsunagu_kernel::DbError>> + Send + '_>,
> {
    Box::pin(queries::count_unread(tx, member))
}

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/notifications", ViewNetwork, get(list_notifications))
        .member("/notifications/read", ViewNetwork, post(mark_all_read))
}

#[derive(Serialize)]
struct NotificationView {
    kind: String,
    actor_name: String,
    subject_title: String,
    url: String,
    created_label: String,
    unread: bool,
}

pub async fn list_notifications(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let rows = queries::recent(&mut tx, member.id()).await?;
    queries::mark_read(&mut tx, member.id()).await?;
    tx.commit().await?;
    let views: Vec<NotificationView> = rows
        .into_iter()
        .map(|r| NotificationView {
            created_label: dates::datetime(r.created_at, page.lang, page.zone()),
            unread: r.read_at.is_none(),
            kind: r.kind,
            actor_name: r.actor_name.unwrap_or_default(),
            subject_title: r.subject_title,
            url: r.url,
        })
        .collect();
    // The header was counted before this visit marked everything read.
    let mut page = page;
    if let Some(view) = page.member.as_mut() {
        view.unread_notifications = 0;
    }
    render(
        &state,
        &page,
        "notifications/index.html",
        StatusCode::OK,
        |c| {
            c.insert("notifications", &views);
        },
    )
}

pub async fn mark_all_read(
    State(state): State<AppState>,
    member: Authorized,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    queries::mark_read(&mut tx, member.id()).await?;
    tx.commit().await?;
    Ok(Redirect::to("/notifications").into_response())
}
