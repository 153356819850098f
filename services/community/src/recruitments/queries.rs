//! 募集 recruitment SQL: recruitments, the three independent reactions (counts kept on the
//! recruitment row in the same transaction), and the follow-up list.

use crate::kinds::{Reaction, RecruitmentStatus};
use tsunagu_kernel::MemberId;

use time::{Date, OffsetDateTime};
use tsunagu_kernel::{DbError, TenantTx};

tsunagu_kernel::entity_id!(
    /// A 募集 recruitment.
    RecruitmentId
);

pub const REACTIONS: &[Reaction] = Reaction::ALL;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Recruitment {
    pub id: RecruitmentId,
    pub author_id: MemberId,
    pub author_name: String,
    pub title: String,
    pub body: String,
    pub deadline: Option<Date>,
    pub status: RecruitmentStatus,
    pub cheer_count: i32,
    pub interested_count: i32,
    pub see_later_count: i32,
    pub created_at: OffsetDateTime,
    /// The viewer's own reactions.
    pub mine: Vec<String>,
}

const COLUMNS: &str =
    "r.id, r.author_id, m.name_kanji as author_name, r.title, r.body, r.deadline, r.status, \
    r.cheer_count, r.interested_count, r.see_later_count, r.created_at, \
    array(select x.reaction from recruitment_reactions x where x.tenant_id = r.tenant_id \
          and x.recruitment_id = r.id and x.member_id = $2 order by x.reaction) as mine";

/// The network's 募集, drafts first (for those who manage 募集 only), then open, then closed.
pub async fn list(
    tx: &mut TenantTx,
    viewer: MemberId,
    include_drafts: bool,
) -> Result<Vec<Recruitment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from recruitments r join members m on m.tenant_id = r.tenant_id and m.id = r.author_id \
         where r.tenant_id = $1 and (r.status <> 'draft' or $3) \
         order by (r.status = 'draft') desc, (r.status = 'open') desc, r.created_at desc, r.id desc limit 100"
    ))
    .bind(tenant_id)
    .bind(viewer)
    .bind(include_drafts)
    .fetch_all(tx.conn())
    .await?)
}

/// A 募集 that is open or closed (a draft is not there for members).
pub async fn find(
    tx: &mut TenantTx,
    id: RecruitmentId,
    viewer: MemberId,
) -> Result<Option<Recruitment>, DbError> {
    find_with(tx, id, viewer, false).await
}

/// A 募集 in any state, drafts included (for those who manage 募集).
pub async fn find_including_drafts(
    tx: &mut TenantTx,
    id: RecruitmentId,
    viewer: MemberId,
) -> Result<Option<Recruitment>, DbError> {
    find_with(tx, id, viewer, true).await
}

async fn find_with(
    tx: &mut TenantTx,
    id: RecruitmentId,
    viewer: MemberId,
    include_drafts: bool,
) -> Result<Option<Recruitment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from recruitments r join members m on m.tenant_id = r.tenant_id and m.id = r.author_id \
         where r.tenant_id = $1 and r.id = $3 and (r.status <> 'draft' or $4)"
    ))
    .bind(tenant_id)
    .bind(viewer)
    .bind(id)
    .bind(include_drafts)
    .fetch_optional(tx.conn())
    .await?)
}

/// Opens a draft now (the secretariat's approval): it counts as started now, so its place in the
/// list and in the network's figures is the day it opened. `None` when it is not a draft.
pub async fn publish_draft(
    tx: &mut TenantTx,
    id: RecruitmentId,
) -> Result<Option<String>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update recruitments set status = 'open', created_at = now(), updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'draft' returning title",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// The member's "see later" list.
pub async fn saved(tx: &mut TenantTx, viewer: MemberId) -> Result<Vec<Recruitment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from recruitment_reactions s \
         join recruitments r on r.tenant_id = s.tenant_id and r.id = s.recruitment_id \
         join members m on m.tenant_id = r.tenant_id and m.id = r.author_id \
         where s.tenant_id = $1 and s.member_id = $2 and s.reaction = 'see_later' \
         order by s.created_at desc limit 200"
    ))
    .bind(tenant_id)
    .bind(viewer)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn create(
    tx: &mut TenantTx,
    author: MemberId,
    title: &str,
    body: &str,
    deadline: Option<Date>,
    status: RecruitmentStatus,
) -> Result<RecruitmentId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = RecruitmentId::new();
    sqlx::query("insert into recruitments (tenant_id, id, author_id, title, body, deadline, status) values ($1, $2, $3, $4, $5, $6, $7)")
        .bind(tenant_id)
        .bind(id)
        .bind(author)
        .bind(title)
        .bind(body)
                .bind(deadline)
        .bind(status)
        .execute(tx.conn())
        .await?;
    Ok(id)
}

pub async fn set_status(
    tx: &mut TenantTx,
    id: RecruitmentId,
    status: RecruitmentStatus,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update recruitments set status = $3, updated_at = now() where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(status)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Toggles one reaction; returns whether it is now on, or None if the recruitment is not ours
/// to see. The count column is chosen from a fixed list, never from input.
pub async fn toggle_reaction(
    tx: &mut TenantTx,
    id: RecruitmentId,
    member: MemberId,
    reaction: Reaction,
) -> Result<Option<bool>, DbError> {
    let column = match reaction {
        Reaction::Cheer => "cheer_count",
        Reaction::Interested => "interested_count",
        Reaction::SeeLater => "see_later_count",
    };
    let tenant_id = tx.tenant_id();
    let exists: Option<bool> = sqlx::query_scalar(
        "select exists (select 1 from recruitment_reactions where tenant_id = $1 and recruitment_id = $2 \
           and member_id = $3 and reaction = $4) \
                  from recruitments where tenant_id = $1 and id = $2 and status <> 'draft' for update",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .bind(reaction)
    .fetch_optional(tx.conn())
    .await?;
    let Some(on) = exists else { return Ok(None) };
    if on {
        sqlx::query("delete from recruitment_reactions where tenant_id = $1 and recruitment_id = $2 and member_id = $3 and reaction = $4")
            .bind(tenant_id)
            .bind(id)
            .bind(member)
            .bind(reaction)
            .execute(tx.conn())
            .await?;
    } else {
        sqlx::query("insert into recruitment_reactions (tenant_id, recruitment_id, member_id, reaction) values ($1, $2, $3, $4)")
            .bind(tenant_id)
            .bind(id)
            .bind(member)
            .bind(reaction)
            .execute(tx.conn())
            .await?;
    }
    sqlx::query(&format!(
        "update recruitments set {column} = {column} + $3 where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(if on { -1 } else { 1 })
    .execute(tx.conn())
    .await?;
    Ok(Some(!on))
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct Reactor {
    pub member_id: MemberId,
    pub name: String,
    pub reaction: Reaction,
}

pub async fn reactors(tx: &mut TenantTx, id: RecruitmentId) -> Result<Vec<Reactor>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select x.member_id, m.name_kanji as name, x.reaction from recruitment_reactions x \
         join members m on m.tenant_id = x.tenant_id and m.id = x.member_id \
         where x.tenant_id = $1 and x.recruitment_id = $2 order by x.reaction, x.created_at",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?)
}

/// A member's "see later" items old enough to remind them of (still open, not yet reminded).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DueReminder {
    pub member_id: MemberId,
    pub email: String,
    pub name: String,
    pub preferred_locale: Option<String>,
    pub titles: Vec<String>,
}

/// Collects and marks, in one transaction, the reminders due in this tenant.
pub async fn take_due_reminders(
    tx: &mut TenantTx,
    older_than: time::Duration,
) -> Result<Vec<DueReminder>, DbError> {
    let tenant_id = tx.tenant_id();
    let cutoff = OffsetDateTime::now_utc() - older_than;
    let due: Vec<DueReminder> = sqlx::query_as(
        "select x.member_id, m.email, m.name_kanji as name, m.preferred_locale, \
                array_agg(r.title order by x.created_at) as titles \
         from recruitment_reactions x \
         join recruitments r on r.tenant_id = x.tenant_id and r.id = x.recruitment_id \
         join members m on m.tenant_id = x.tenant_id and m.id = x.member_id \
         where x.tenant_id = $1 and x.reaction = 'see_later' and x.reminded_at is null \
           and x.created_at < $2 and r.status = 'open' and m.status = 'active' \
         group by x.member_id, m.email, m.name_kanji, m.preferred_locale",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .fetch_all(tx.conn())
    .await?;
    sqlx::query(
        "update recruitment_reactions x set reminded_at = now() \
         from recruitments r \
         where x.tenant_id = $1 and r.tenant_id = x.tenant_id and r.id = x.recruitment_id \
           and x.reaction = 'see_later' and x.reminded_at is null and x.created_at < $2 and r.status = 'open'",
    )
    .bind(tenant_id)
    .bind(cutoff)
    .execute(tx.conn())
    .await?;
    Ok(due)
}
