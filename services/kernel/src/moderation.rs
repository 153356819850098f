//! Reports and moderation decisions, the intake of the secretariat's moderation queue. Like the
//! audit log, this is shared by every feature: a feature files a report about its own content (it
//! alone knows whether the reporter may see the subject and what its text is) and records a
//! decision when the secretariat hides its content; the queue (`tsunagu-moderation`) reads both
//! tables and asks the owning feature to carry out hide and unhide. See docs/SECRETARIAT.md
//! "Moderation".

use uuid::Uuid;

use crate::db::{DbError, TenantTx};
use crate::ids::MemberId;

crate::text_enum! {
    /// What a report is about.
    pub enum SubjectKind {
        Post => "post",
        /// A comment on a timeline post.
        Comment => "comment",
        /// A private message: the report's copy of its text is the only part of a conversation
        /// the secretariat reads.
        Message => "message",
        Profile => "profile",
    }
}

crate::text_enum! {
    /// What the secretariat decided about a subject.
    pub enum Decision {
        /// No member sees the subject any more; its open reports are resolved.
        Hide => "hide",
        /// The subject is visible again (reverses a hide; resolves nothing).
        Unhide => "unhide",
        /// Nothing to do: the open reports are resolved and the subject stays as it is.
        Dismiss => "dismiss",
        /// The author is suspended (signed out, cannot sign in); the open reports are resolved.
        Suspend => "suspend",
    }
}

impl Decision {
    /// Whether this decision closes the subject's open reports.
    pub fn resolves_reports(self) -> bool {
        !matches!(self, Decision::Unhide)
    }
}

/// A member's report, as the feature that owns the subject files it.
#[derive(Debug, Clone)]
pub struct NewReport<'a> {
    pub kind: SubjectKind,
    pub subject: Uuid,
    pub author: MemberId,
    pub reporter: MemberId,
    pub reason: &'a str,
    /// The subject's text now (cut to 5,000 characters).
    pub snapshot: &'a str,
}

/// Files a report. False when this member already has an open report on the subject (a second
/// report changes nothing).
pub async fn file(tx: &mut TenantTx, report: &NewReport<'_>) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let snapshot: String = report.snapshot.chars().take(5000).collect();
    let inserted = sqlx::query(
        "insert into content_reports \
           (tenant_id, id, subject_kind, subject_id, subject_author_id, reporter_id, reason, snapshot) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (tenant_id, subject_kind, subject_id, reporter_id) where resolved_at is null \
         do nothing",
    )
    .bind(tenant_id)
    .bind(crate::ids::new_row_id())
    .bind(report.kind)
    .bind(report.subject)
    .bind(report.author)
    .bind(report.reporter)
    .bind(report.reason)
    .bind(snapshot)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(inserted == 1)
}

/// Subjects with at least one open report (what the to-do card counts).
pub async fn count_open_subjects(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from (select distinct subject_kind, subject_id from content_reports \
           where tenant_id = $1 and resolved_at is null) open_subjects",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}

/// A decision about one subject, by the member acting (None: the system).
#[derive(Debug, Clone)]
pub struct NewDecision<'a> {
    pub kind: SubjectKind,
    pub subject: Uuid,
    pub author: MemberId,
    pub decision: Decision,
    pub decided_by: Option<MemberId>,
    pub note: &'a str,
}

/// Records a decision and, unless it is an unhide, resolves the subject's open reports with it.
/// Returns the decision's id and how many reports it resolved.
pub async fn decide(tx: &mut TenantTx, decision: &NewDecision<'_>) -> Result<(Uuid, i64), DbError> {
    let tenant_id = tx.tenant_id();
    let id = crate::ids::new_row_id();
    // The open reports are locked first so that the count stored with the decision is the
    // number it resolves.
    let open: Vec<Uuid> = if decision.decision.resolves_reports() {
        sqlx::query_scalar(
            "select id from content_reports \
             where tenant_id = $1 and subject_kind = $2 and subject_id = $3 and resolved_at is null \
             for update",
        )
        .bind(tenant_id)
        .bind(decision.kind)
        .bind(decision.subject)
        .fetch_all(tx.conn())
        .await?
    } else {
        Vec::new()
    };
    sqlx::query(
        "insert into moderation_decisions \
           (tenant_id, id, subject_kind, subject_id, subject_author_id, decision, decided_by, note, reports_resolved) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(decision.kind)
    .bind(decision.subject)
    .bind(decision.author)
    .bind(decision.decision)
    .bind(decision.decided_by)
    .bind(decision.note)
    .bind(open.len() as i32)
    .execute(tx.conn())
    .await?;
    if !open.is_empty() {
        sqlx::query(
            "update content_reports set resolved_at = now(), resolved_by_decision = $3 \
             where tenant_id = $1 and id = any($2)",
        )
        .bind(tenant_id)
        .bind(&open)
        .bind(id)
        .execute(tx.conn())
        .await?;
    }
    Ok((id, open.len() as i64))
}
