//! SQL of the activity report (see the parent module).

use time::OffsetDateTime;
use tsunagu_kernel::activity::{local_day, DayTally, Rate, Window};
use tsunagu_kernel::{DbError, TenantTx};

/// Events created per local day, split into the secretariat's and members' (the event's own
/// `member_started` mark, set when it was created).
pub async fn events_by_day(tx: &mut TenantTx, window: Window) -> Result<Vec<DayTally>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 4);
    Ok(sqlx::query_as(&format!(
        "select {day} as day, not member_started as by_secretariat, count(*) as count \
         from events where tenant_id = $1 and created_at >= $2 and created_at < $3 \
         group by 1, 2"
    ))
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .bind(window.offset())
    .fetch_all(tx.conn())
    .await?)
}

/// Attendance of the latest `limit` events that ended after `since`: checked in of those going.
pub async fn attendance(
    tx: &mut TenantTx,
    since: OffsetDateTime,
    now: OffsetDateTime,
    limit: i64,
) -> Result<Vec<Rate>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select e.id as subject_id, e.title, e.starts_at as at, \
                count(r.member_id) filter (where r.checked_in_at is not null) as numerator, \
                count(r.member_id) filter (where r.status = 'going') as denominator \
         from events e \
         left join event_rsvps r on r.tenant_id = e.tenant_id and r.event_id = e.id \
         where e.tenant_id = $1 and e.status = 'published' and e.ends_at >= $2 and e.ends_at < $3 \
         group by e.tenant_id, e.id order by e.starts_at desc limit $4",
    )
    .bind(tenant_id)
    .bind(since)
    .bind(now)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Published events starting between `from` and `to`.
pub async fn count_starting_between(
    tx: &mut TenantTx,
    from: OffsetDateTime,
    to: OffsetDateTime,
) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from events where tenant_id = $1 and status = 'published' \
           and starts_at >= $2 and starts_at < $3",
    )
    .bind(tenant_id)
    .bind(from)
    .bind(to)
    .fetch_one(tx.conn())
    .await?)
}

/// Members' events waiting for the secretariat's approval.
pub async fn count_pending(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from events where tenant_id = $1 and status = 'pending'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}
