//! Follow-up SQL (community owns `follow_up_lists` and `follow_ups`).

use tsunagu_kernel::{DbError, MemberId, TenantTx};

use super::{FollowUpListId, ListKind};
use crate::kinds::FollowUpStatus;

/// The follow-up list of a 募集, made on first use.
pub async fn recruitment_list(
    tx: &mut TenantTx,
    recruitment: crate::recruitments::queries::RecruitmentId,
) -> Result<FollowUpListId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = FollowUpListId::new();
    // Insert-or-read in one statement: a concurrent gather makes one list either way.
    Ok(sqlx::query_scalar(
        "with made as ( \
           insert into follow_up_lists (tenant_id, id, kind, recruitment_id, title) \
           select r.tenant_id, $3, 'recruitment', r.id, r.title from recruitments r \
           where r.tenant_id = $1 and r.id = $2 \
           on conflict (tenant_id, recruitment_id) where recruitment_id is not null do nothing \
           returning id) \
         select id from made \
         union all \
         select id from follow_up_lists where tenant_id = $1 and recruitment_id = $2 \
         limit 1",
    )
    .bind(tenant_id)
    .bind(recruitment)
    .bind(id)
    .fetch_one(tx.conn())
    .await?)
}

/// A 募集's list, if it has one yet.
pub async fn find_recruitment_list(
    tx: &mut TenantTx,
    recruitment: crate::recruitments::queries::RecruitmentId,
) -> Result<Option<FollowUpListId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from follow_up_lists where tenant_id = $1 and recruitment_id = $2",
    )
    .bind(tenant_id)
    .bind(recruitment)
    .fetch_optional(tx.conn())
    .await?)
}

/// A new outreach list.
pub async fn create_outreach_list(
    tx: &mut TenantTx,
    title: &str,
) -> Result<FollowUpListId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = FollowUpListId::new();
    sqlx::query(
        "insert into follow_up_lists (tenant_id, id, kind, title) values ($1, $2, 'outreach', $3)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(title)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Adds people to a list with the list's first status; those already on it stay as they are.
/// Returns how many were added.
pub async fn add(
    tx: &mut TenantTx,
    list: FollowUpListId,
    kind: ListKind,
    members: &[MemberId],
) -> Result<u64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "insert into follow_ups (tenant_id, list_id, member_id, status) \
         select $1, $2, m, $4 from unnest($3::uuid[]) m \
         on conflict (tenant_id, list_id, member_id) do nothing",
    )
    .bind(tenant_id)
    .bind(list)
    .bind(members)
    .bind(kind.first_status())
    .execute(tx.conn())
    .await?
    .rows_affected())
}

/// Adds everyone currently "interested" in a 募集 to its list; returns how many were added.
pub async fn gather_interested(
    tx: &mut TenantTx,
    recruitment: crate::recruitments::queries::RecruitmentId,
) -> Result<u64, DbError> {
    let list = recruitment_list(tx, recruitment).await?;
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "insert into follow_ups (tenant_id, list_id, member_id, status) \
         select tenant_id, $3, member_id, 'to_contact' from recruitment_reactions \
         where tenant_id = $1 and recruitment_id = $2 and reaction = 'interested' \
         on conflict (tenant_id, list_id, member_id) do nothing",
    )
    .bind(tenant_id)
    .bind(recruitment)
    .bind(list)
    .execute(tx.conn())
    .await?
    .rows_affected())
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct FollowUp {
    pub member_id: MemberId,
    pub name: String,
    pub status: FollowUpStatus,
    pub note: String,
}

/// A list's people, in directory order.
pub async fn entries(tx: &mut TenantTx, list: FollowUpListId) -> Result<Vec<FollowUp>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select f.member_id, m.name_kanji as name, f.status, f.note from follow_ups f \
         join members m on m.tenant_id = f.tenant_id and m.id = f.member_id \
         where f.tenant_id = $1 and f.list_id = $2 order by m.name_kana, m.id",
    )
    .bind(tenant_id)
    .bind(list)
    .fetch_all(tx.conn())
    .await?)
}

/// How many people of a list are at each status.
pub async fn counts(
    tx: &mut TenantTx,
    list: FollowUpListId,
) -> Result<Vec<(FollowUpStatus, i64)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select status, count(*) from follow_ups where tenant_id = $1 and list_id = $2 group by status",
    )
    .bind(tenant_id)
    .bind(list)
    .fetch_all(tx.conn())
    .await?)
}

/// Sets one person's status and note. False when they are not on the list.
pub async fn update(
    tx: &mut TenantTx,
    list: FollowUpListId,
    member: MemberId,
    status: FollowUpStatus,
    note: &str,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update follow_ups set status = $4, note = $5, updated_at = now() \
         where tenant_id = $1 and list_id = $2 and member_id = $3",
    )
    .bind(tenant_id)
    .bind(list)
    .bind(member)
    .bind(status)
    .bind(note)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Sets one person's status and keeps the note (the person's own reply to an invitation).
pub async fn set_status(
    tx: &mut TenantTx,
    list: FollowUpListId,
    member: MemberId,
    status: FollowUpStatus,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update follow_ups set status = $4, updated_at = now() \
         where tenant_id = $1 and list_id = $2 and member_id = $3",
    )
    .bind(tenant_id)
    .bind(list)
    .bind(member)
    .bind(status)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// One person's status on a list.
pub async fn status_of(
    tx: &mut TenantTx,
    list: FollowUpListId,
    member: MemberId,
) -> Result<Option<FollowUpStatus>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select status from follow_ups where tenant_id = $1 and list_id = $2 and member_id = $3",
    )
    .bind(tenant_id)
    .bind(list)
    .bind(member)
    .fetch_optional(tx.conn())
    .await?)
}
