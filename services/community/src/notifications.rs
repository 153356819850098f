//! In-app notifications: someone commented on or liked your post, reacted to your 募集, a
//! recruitment you are interested in changed, a new article was published. Written in the same
//! transaction as the action; the header shows the unread count (cached in Redis for a minute,
//! dropped at once for direct notifications). Visiting the list marks everything read.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_kernel::{DbError, TenantId, TenantTx};
use tsunagu_web::session::unread_key;
use tsunagu_web::{AppError, AppState, Authorized, Page};
use uuid::Uuid;

use crate::view::{datetime, render};

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/notifications", ViewNetwork, get(list_notifications))
        .member("/notifications/read", ViewNetwork, post(mark_all_read))
}

/// Notifies `recipients` (never the actor themself). Returns who was notified, for
/// [`forget_counts`] after commit.
pub async fn notify(
    tx: &mut TenantTx,
    recipients: &[Uuid],
    kind: &str,
    actor: Option<Uuid>,
    subject_title: &str,
    url: &str,
) -> Result<Vec<Uuid>, DbError> {
    let tenant_id = tx.tenant_id();
    let recipients: Vec<Uuid> = recipients
        .iter()
        .copied()
        .filter(|r| Some(*r) != actor)
        .collect();
    if recipients.is_empty() {
        return Ok(recipients);
    }
    let title: String = subject_title.chars().take(120).collect();
    sqlx::query(
        "insert into notifications (tenant_id, id, member_id, kind, actor_id, subject_title, url) \
         select $1, gen_random_uuid(), r, $3, $4, $5, $6 from unnest($2::uuid[]) r",
    )
    .bind(tenant_id)
    .bind(&recipients)
    .bind(kind)
    .bind(actor)
    .bind(&title)
    .bind(url)
    .execute(tx.conn())
    .await?;
    Ok(recipients)
}

/// Notifies every active member (new article) as of `at`: a notification dated in the future
/// (a scheduled article) stays out of sight until then. Cached counts expire within a minute.
pub async fn notify_everyone(
    tx: &mut TenantTx,
    kind: &str,
    actor: Option<Uuid>,
    subject_title: &str,
    url: &str,
    at: OffsetDateTime,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let title: String = subject_title.chars().take(120).collect();
    sqlx::query(
        "insert into notifications (tenant_id, id, member_id, kind, actor_id, subject_title, url, created_at) \
         select $1, gen_random_uuid(), m.id, $2, $3, $4, $5, $6 from members m \
         where m.tenant_id = $1 and m.status = 'active' and m.id is distinct from $3",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(actor)
    .bind(&title)
    .bind(url)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Drops the cached unread counts of `members` (call after the commit).
pub async fn forget_counts(state: &AppState, tenant: TenantId, members: &[Uuid]) {
    if members.is_empty() {
        return;
    }
    if let Ok(mut conn) = state.redis.get().await {
        let keys: Vec<String> = members.iter().map(|m| unread_key(tenant, *m)).collect();
        let _: Result<i64, _> = redis::cmd("DEL").arg(keys).query_async(&mut *conn).await;
    }
}

#[derive(sqlx::FromRow)]
struct Row {
    kind: String,
    actor_name: Option<String>,
    subject_title: String,
    url: String,
    created_at: OffsetDateTime,
    read_at: Option<OffsetDateTime>,
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
    let tenant_id = tx.tenant_id();
    let rows: Vec<Row> = sqlx::query_as(
        "select n.kind, a.name_kanji as actor_name, n.subject_title, n.url, n.created_at, n.read_at \
         from notifications n left join members a on a.tenant_id = n.tenant_id and a.id = n.actor_id \
                  where n.tenant_id = $1 and n.member_id = $2 and n.created_at <= now() \
         order by n.created_at desc limit 100",
    )
    .bind(tenant_id)
    .bind(member.id())
    .fetch_all(tx.conn())
    .await
    .map_err(DbError::from)?;
    sqlx::query(
        "update notifications set read_at = now() \
         where tenant_id = $1 and member_id = $2 and read_at is null and created_at <= now()",
    )
    .bind(tenant_id)
    .bind(member.id())
    .execute(tx.conn())
    .await
    .map_err(DbError::from)?;
    tx.commit().await?;
    forget_counts(&state, member.tenant.id, &[member.id()]).await;
    let views: Vec<NotificationView> = rows
        .into_iter()
        .map(|r| NotificationView {
            created_label: datetime(r.created_at, page.lang),
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
    let tenant_id = tx.tenant_id();
    sqlx::query("update notifications set read_at = now() where tenant_id = $1 and member_id = $2 and read_at is null")
        .bind(tenant_id)
        .bind(member.id())
        .execute(tx.conn())
        .await
        .map_err(DbError::from)?;
    tx.commit().await?;
    forget_counts(&state, member.tenant.id, &[member.id()]).await;
    Ok(Redirect::to("/notifications").into_response())
}
