//! SQL of the activity report (see the parent module).

use tsunagu_kernel::activity::{local_day, DayTally, Interaction, Window};
use tsunagu_kernel::{DbError, MemberId, TenantTx};

/// Posts per local day, split by whether a member of `secretariat` wrote them.
pub async fn posts_by_day(
    tx: &mut TenantTx,
    window: Window,
    secretariat: &[MemberId],
) -> Result<Vec<DayTally>, DbError> {
    started_by_day(tx, "posts", "", window, secretariat).await
}

/// 募集 recruitments per local day, split the same way.
pub async fn recruitments_by_day(
    tx: &mut TenantTx,
    window: Window,
    secretariat: &[MemberId],
) -> Result<Vec<DayTally>, DbError> {
    // A draft (waiting for the secretariat's approval) is started when it is published.
    started_by_day(
        tx,
        "recruitments",
        "and status <> 'draft'",
        window,
        secretariat,
    )
    .await
}

async fn started_by_day(
    tx: &mut TenantTx,
    table: &'static str,
    also: &'static str,
    window: Window,
    secretariat: &[MemberId],
) -> Result<Vec<DayTally>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 4);
    Ok(sqlx::query_as(&format!(
        "select {day} as day, author_id = any($5) as by_secretariat, count(*) as count \
                  from {table} where tenant_id = $1 and created_at >= $2 and created_at < $3 {also} \
         group by 1, 2"
    ))
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .bind(window.offset())
    .bind(secretariat.iter().map(|m| m.0).collect::<Vec<uuid::Uuid>>())
    .fetch_all(tx.conn())
    .await?)
}

/// Comments on posts and articles per local day.
pub async fn comments_by_day(tx: &mut TenantTx, window: Window) -> Result<Vec<DayTally>, DbError> {
    per_day(tx, &["post_comments", "article_comments"], window).await
}

/// Likes of posts and articles, and cheers and "interested" on 募集, per local day.
pub async fn reactions_by_day(tx: &mut TenantTx, window: Window) -> Result<Vec<DayTally>, DbError> {
    per_day(
        tx,
        &[
            "post_likes",
            "article_likes",
            "recruitment_reactions where reaction in ('cheer', 'interested')",
        ],
        window,
    )
    .await
}

/// Rows per local day over several tables (each `table` may carry a `where` of its own).
async fn per_day(
    tx: &mut TenantTx,
    tables: &[&'static str],
    window: Window,
) -> Result<Vec<DayTally>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 4);
    let union = tables
        .iter()
        .map(|table| {
            let (table, filter) = match table.split_once(" where ") {
                Some((table, filter)) => (table, format!(" and {filter}")),
                None => (*table, String::new()),
            };
            format!(
                "select created_at from {table} where tenant_id = $1 \
                   and created_at >= $2 and created_at < $3{filter}"
            )
        })
        .collect::<Vec<_>>()
        .join(" union all ");
    Ok(sqlx::query_as(&format!(
        "select {day} as day, false as by_secretariat, count(*) as count \
         from ({union}) rows group by 1"
    ))
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .bind(window.offset())
    .fetch_all(tx.conn())
    .await?)
}

/// Members reaching each other in the window: a comment on someone else's post, a cheer or
/// "interested" on someone else's 募集 (the first of each pair and kind).
pub async fn interactions(tx: &mut TenantTx, window: Window) -> Result<Vec<Interaction>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.author_id as from_member, p.author_id as to_member, min(c.created_at) as at, \
                null::uuid as go_between \
         from post_comments c \
         join posts p on p.tenant_id = c.tenant_id and p.id = c.post_id \
         where c.tenant_id = $1 and c.created_at >= $2 and c.created_at < $3 \
           and c.author_id <> p.author_id \
         group by 1, 2 \
         union all \
         select x.member_id, r.author_id, min(x.created_at), null::uuid \
         from recruitment_reactions x \
         join recruitments r on r.tenant_id = x.tenant_id and r.id = x.recruitment_id \
         where x.tenant_id = $1 and x.created_at >= $2 and x.created_at < $3 \
           and x.reaction in ('cheer', 'interested') and x.member_id <> r.author_id \
         group by 1, 2",
    )
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .fetch_all(tx.conn())
    .await?)
}

/// People on follow-up lists still waiting for a first contact (to contact, or invited and
/// not yet answered).
pub async fn count_open_follow_ups(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from follow_ups where tenant_id = $1 and status in ('to_contact', 'sent')",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}
