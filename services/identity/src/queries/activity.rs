//! Members as the engagement rollups (`tsunagu-insights`) and the secretariat's to-do see them:
//! visits, who joined when, who the secretariat is.

use time::{Date, OffsetDateTime};
use tsunagu_kernel::activity::local_day;
use tsunagu_kernel::{DbError, MemberId, MemberKind, TenantTx};

/// Stores that the member was seen now (once a day, see `tsunagu_web::session`).
pub async fn record_seen(tx: &mut TenantTx, member: MemberId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("update members set last_seen_at = now() where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(member)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Active members by kind and the local day they joined: summed from the start, the network's
/// size at the end of each day (as far as today's members tell it).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub struct JoinedOn {
    pub day: Date,
    pub kind: MemberKind,
    pub count: i64,
}

pub async fn active_members_by_join_day(
    tx: &mut TenantTx,
    offset_seconds: i32,
) -> Result<Vec<JoinedOn>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 2);
    Ok(sqlx::query_as(&format!(
        "select {day} as day, kind, count(*) as count from members \
         where tenant_id = $1 and status = 'active' group by 1, 2 order by 1"
    ))
    .bind(tenant_id)
    .bind(f64::from(offset_seconds))
    .fetch_all(tx.conn())
    .await?)
}

/// Active members seen since `since`.
pub async fn count_seen_since(tx: &mut TenantTx, since: OffsetDateTime) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and status = 'active' \
           and last_seen_at >= $2",
    )
    .bind(tenant_id)
    .bind(since)
    .fetch_one(tx.conn())
    .await?)
}

/// The members who hold the secretariat role now.
pub async fn secretariat_ids(tx: &mut TenantTx) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar("select id from members where tenant_id = $1 and role = 'secretariat'")
            .bind(tenant_id)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Sign-ups waiting for the secretariat's approval.
pub async fn count_pending_approval(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and status = 'pending_approval'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}
