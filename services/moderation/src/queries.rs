//! SQL of the moderation queue: it reads the reports and decisions the kernel writes
//! (`tsunagu_kernel::moderation`), grouped by subject. Every function takes a `TenantTx`.

use time::OffsetDateTime;
use tsunagu_kernel::moderation::{Decision, SubjectKind};
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use uuid::Uuid;

/// A subject with open reports: one line of the queue.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenSubject {
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub author_id: MemberId,
    pub author_name: String,
    /// The author is an active member (a reported profile is still shown).
    pub author_active: bool,
    pub reports: i64,
    pub first_reported: OffsetDateTime,
    /// The newest report's copy of the text.
    pub snapshot: String,
    /// The reasons given, oldest first (empty ones left out).
    pub reasons: Vec<String>,
}

/// The open queue, oldest report first (the one waiting longest is dealt with first).
pub async fn open_subjects(tx: &mut TenantTx, limit: i64) -> Result<Vec<OpenSubject>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select r.subject_kind, r.subject_id, r.subject_author_id as author_id, \
                                a.name_kanji as author_name, a.status = 'active' as author_active, count(*) as reports, min(r.created_at) as first_reported, \
                (array_agg(r.snapshot order by r.created_at desc))[1] as snapshot, \
                coalesce(array_agg(r.reason order by r.created_at) filter (where r.reason <> ''), '{}') as reasons \
         from content_reports r \
         join members a on a.tenant_id = r.tenant_id and a.id = r.subject_author_id \
         where r.tenant_id = $1 and r.resolved_at is null \
                  group by r.subject_kind, r.subject_id, r.subject_author_id, a.name_kanji, a.status \
         order by min(r.created_at), r.subject_id \
         limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// One report of a subject, for its page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ReportRow {
    pub reporter_name: String,
    pub reason: String,
    pub snapshot: String,
    pub created_at: OffsetDateTime,
    pub resolved_at: Option<OffsetDateTime>,
}

/// Every report of a subject, newest first.
pub async fn reports_of(
    tx: &mut TenantTx,
    kind: SubjectKind,
    subject: Uuid,
) -> Result<Vec<ReportRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.name_kanji as reporter_name, r.reason, r.snapshot, r.created_at, r.resolved_at \
         from content_reports r join members m on m.tenant_id = r.tenant_id and m.id = r.reporter_id \
         where r.tenant_id = $1 and r.subject_kind = $2 and r.subject_id = $3 \
         order by r.created_at desc limit 200",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(subject)
    .fetch_all(tx.conn())
    .await?)
}

/// A decision, for the history.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DecisionRow {
    pub subject_kind: SubjectKind,
    pub subject_id: Uuid,
    pub author_name: String,
    pub decision: Decision,
    /// None: the deciding member has since been removed.
    pub decided_by_name: Option<String>,
    pub note: String,
    pub reports_resolved: i32,
    pub created_at: OffsetDateTime,
}

const DECISION_COLUMNS: &str =
    "d.subject_kind, d.subject_id, a.name_kanji as author_name, d.decision, \
     b.name_kanji as decided_by_name, d.note, d.reports_resolved, d.created_at \
     from moderation_decisions d \
     join members a on a.tenant_id = d.tenant_id and a.id = d.subject_author_id \
     left join members b on b.tenant_id = d.tenant_id and b.id = d.decided_by";

/// The decisions about one subject, newest first.
pub async fn decisions_of(
    tx: &mut TenantTx,
    kind: SubjectKind,
    subject: Uuid,
) -> Result<Vec<DecisionRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {DECISION_COLUMNS} \
         where d.tenant_id = $1 and d.subject_kind = $2 and d.subject_id = $3 \
         order by d.created_at desc limit 200"
    ))
    .bind(tenant_id)
    .bind(kind)
    .bind(subject)
    .fetch_all(tx.conn())
    .await?)
}

/// The network's latest decisions, newest first.
pub async fn recent_decisions(tx: &mut TenantTx, limit: i64) -> Result<Vec<DecisionRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {DECISION_COLUMNS} where d.tenant_id = $1 order by d.created_at desc limit $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// The author of a subject, as the subject's page and a decision need them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SubjectAuthor {
    pub id: MemberId,
    pub name: String,
    pub active: bool,
}

/// The author of a subject this network has reported or decided about (None: it never came to
/// moderation here, so there is nothing to decide).
pub async fn subject_author(
    tx: &mut TenantTx,
    kind: SubjectKind,
    subject: Uuid,
) -> Result<Option<SubjectAuthor>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select m.id, m.name_kanji as name, m.status = 'active' as active \
         from (select subject_author_id from content_reports \
                 where tenant_id = $1 and subject_kind = $2 and subject_id = $3 \
               union all \
               select subject_author_id from moderation_decisions \
                 where tenant_id = $1 and subject_kind = $2 and subject_id = $3 \
               limit 1) s \
         join members m on m.tenant_id = $1 and m.id = s.subject_author_id",
    )
    .bind(tenant_id)
    .bind(kind)
    .bind(subject)
    .fetch_optional(tx.conn())
    .await?)
}
