//! Notification SQL (community owns `notifications`).

use time::OffsetDateTime;
use tsunagu_kernel::MemberId;
use tsunagu_kernel::{DbError, TenantTx};

/// Notifies `recipients` (never the actor themself); their cached unread counts are dropped when
/// the transaction commits (`TenantTx::changed_unread`).
pub async fn notify(
    tx: &mut TenantTx,
    recipients: &[MemberId],
    kind: &str,
    actor: Option<MemberId>,
    subject_title: &str,
    url: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let recipients: Vec<MemberId> = recipients
        .iter()
        .copied()
        .filter(|r| Some(*r) != actor)
        .collect();
    if recipients.is_empty() {
        return Ok(());
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
    tx.changed_unread(recipients);
    Ok(())
}

/// Notifies every active member (new article) as of `at`: a notification dated in the future
/// (a scheduled article) stays out of sight until then. Cached counts expire within a minute.
pub async fn notify_everyone(
    tx: &mut TenantTx,
    kind: &str,
    actor: Option<MemberId>,
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

#[derive(sqlx::FromRow)]
pub struct Row {
    pub kind: String,
    pub actor_name: Option<String>,
    pub subject_title: String,
    pub url: String,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
}

/// The member's latest notifications (at most 100), newest first; none dated in the future.
pub async fn recent(tx: &mut TenantTx, member: MemberId) -> Result<Vec<Row>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select n.kind, a.name_kanji as actor_name, n.subject_title, n.url, n.created_at, n.read_at \
         from notifications n left join members a on a.tenant_id = n.tenant_id and a.id = n.actor_id \
         where n.tenant_id = $1 and n.member_id = $2 and n.created_at <= now() \
         order by n.created_at desc limit 100",
    )
    .bind(tenant_id)
    .bind(member)
    .fetch_all(tx.conn())
    .await?)
}

/// Marks the member's notifications read (those already shown: none dated in the future).
pub async fn mark_read(tx: &mut TenantTx, member: MemberId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update notifications set read_at = now() \
         where tenant_id = $1 and member_id = $2 and read_at is null and created_at <= now()",
    )
    .bind(tenant_id)
    .bind(member)
    .execute(tx.conn())
    .await?;
    tx.changed_unread([member]);
    Ok(())
}

/// How many unread notifications the member has (the header badge; see
/// `tsunagu_web::session::UnreadCounter`).
pub async fn count_unread(tx: &mut TenantTx, member: MemberId) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from notifications where tenant_id = $1 and member_id = $2 \
           and read_at is null and created_at <= now()",
    )
    .bind(tenant_id)
    .bind(member)
    .fetch_one(tx.conn())
    .await?)
}
