//! SQL for the home page. Every query takes a `TenantTx` and still names the tenant explicitly,
//! so the planner uses the `(tenant_id, …)` indexes.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, TenantTx};
use uuid::Uuid;

#[derive(Debug, sqlx::FromRow)]
pub struct Announcement {
    pub id: Uuid,
    pub title: String,
    pub body: String,
    pub published_at: OffsetDateTime,
}

pub async fn list_recent_announcements(
    tx: &mut TenantTx,
    limit: i64,
) -> Result<Vec<Announcement>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, title, body, published_at from announcements \
         where tenant_id = $1 and published_at <= now() \
         order by published_at desc, id desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn count_announcements(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar("select count(*) from announcements where tenant_id = $1")
            .bind(tenant_id)
            .fetch_one(tx.conn())
            .await?,
    )
}

pub async fn insert_announcement(
    tx: &mut TenantTx,
    title: &str,
    body: &str,
    published_at: OffsetDateTime,
) -> Result<Uuid, DbError> {
    let tenant_id = tx.tenant_id();
    let id = tsunagu_kernel::ids::new_row_id();
    sqlx::query(
        "insert into announcements (tenant_id, id, title, body, published_at) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(title)
    .bind(body)
    .bind(published_at)
    .execute(tx.conn())
    .await?;
    Ok(id)
}
