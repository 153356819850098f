//! SQL of the activity report (see the parent module).

use tsunagu_kernel::activity::{local_day, DayTally, Interaction, Window};
use tsunagu_kernel::{DbError, MemberId, TenantTx};

/// Conversations started per local day, split by whether a member of `secretariat` started them.
pub async fn conversations_by_day(
    tx: &mut TenantTx,
    window: Window,
    secretariat: &[MemberId],
) -> Result<Vec<DayTally>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 4);
    Ok(sqlx::query_as(&format!(
        "select {day} as day, created_by = any($5) as by_secretariat, count(*) as count \
         from conversations where tenant_id = $1 and created_at >= $2 and created_at < $3 \
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

/// Messages written per local day.
pub async fn messages_by_day(tx: &mut TenantTx, window: Window) -> Result<Vec<DayTally>, DbError> {
    let tenant_id = tx.tenant_id();
    let day = local_day("created_at", 4);
    Ok(sqlx::query_as(&format!(
        "select {day} as day, false as by_secretariat, count(*) as count \
         from messages where tenant_id = $1 and created_at >= $2 and created_at < $3 group by 1"
    ))
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .bind(window.offset())
    .fetch_all(tx.conn())
    .await?)
}

/// Members reaching each other in the window: the first message of each author in each
/// conversation, paired with everyone else in it; the go-between is whoever started the
/// conversation.
pub async fn interactions(tx: &mut TenantTx, window: Window) -> Result<Vec<Interaction>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "with firsts as ( \
           select conversation_id, author_id, min(created_at) as at from messages \
           where tenant_id = $1 and created_at >= $2 and created_at < $3 \
           group by 1, 2) \
         select f.author_id as from_member, cm.member_id as to_member, min(f.at) as at, \
                c.created_by as go_between \
         from firsts f \
         join conversations c on c.tenant_id = $1 and c.id = f.conversation_id \
         join conversation_members cm on cm.tenant_id = $1 \
           and cm.conversation_id = f.conversation_id and cm.member_id <> f.author_id \
         group by 1, 2, 4",
    )
    .bind(tenant_id)
    .bind(window.from)
    .bind(window.to)
    .fetch_all(tx.conn())
    .await?)
}
