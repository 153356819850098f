//! Segment and outreach SQL (this crate owns `segments`, `segment_conditions`, `outreaches`; the
//! recipients' follow-up list is community's, written through its functions). A segment's
//! members are computed when read, from the survey's named responses, so new answers join it.

use time::OffsetDateTime;
use tsunagu_community::followups::FollowUpListId;
use tsunagu_kernel::{DbError, MemberId, MemberKind, TenantTx};
use uuid::Uuid;

use crate::queries::{AnswerValue, OptionId, QuestionId, SurveyId};

tsunagu_kernel::entity_id!(
    /// A saved segment of a survey's respondents.
    SegmentId
);
tsunagu_kernel::entity_id!(
    /// An invitation sent to a segment.
    OutreachId
);

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Segment {
    pub id: SegmentId,
    pub name: String,
    pub survey_id: SurveyId,
    pub survey_title: String,
    /// Every condition must hold (`all`), or one is enough (`any`).
    pub match_all: bool,
    pub member_kind: Option<MemberKind>,
    pub department: Option<String>,
    pub created_at: OffsetDateTime,
}

const SEGMENT_COLUMNS: &str = "g.id, g.name, g.survey_id, s.title as survey_title, \
     g.match = 'all' as match_all, g.member_kind, g.department, g.created_at";

/// Makes a segment of a named survey's respondents with its first conditions. `None` when the
/// survey is anonymous or not this network's (the schema refuses a segment of an anonymous
/// survey; the statement does not even try).
pub async fn create(
    tx: &mut TenantTx,
    by: MemberId,
    name: &str,
    survey: SurveyId,
    member_kind: Option<MemberKind>,
    conditions: &[(QuestionId, AnswerValue)],
) -> Result<Option<SegmentId>, DbError> {
    let tenant_id = tx.tenant_id();
    let id = SegmentId::new();
    let made = sqlx::query(
        "insert into segments (tenant_id, id, name, survey_id, member_kind, created_by) \
         select $1, $2, $3, s.id, $5, $6 from surveys s \
         where s.tenant_id = $1 and s.id = $4 and not s.anonymous",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(name)
    .bind(survey)
    .bind(member_kind)
    .bind(by)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if made == 0 {
        return Ok(None);
    }
    for (question, value) in conditions {
        add_condition(tx, id, *question, *value).await?;
    }
    Ok(Some(id))
}

pub async fn find(tx: &mut TenantTx, id: SegmentId) -> Result<Option<Segment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {SEGMENT_COLUMNS} from segments g \
         join surveys s on s.tenant_id = g.tenant_id and s.id = g.survey_id \
         where g.tenant_id = $1 and g.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Every segment, newest first, with its survey's title.
pub async fn list_all(tx: &mut TenantTx) -> Result<Vec<Segment>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {SEGMENT_COLUMNS} from segments g \
         join surveys s on s.tenant_id = g.tenant_id and s.id = g.survey_id \
         where g.tenant_id = $1 order by g.created_at desc, g.id desc limit 200"
    ))
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Changes how a segment's conditions combine and its member filters.
pub async fn update(
    tx: &mut TenantTx,
    id: SegmentId,
    name: &str,
    match_all: bool,
    member_kind: Option<MemberKind>,
    department: Option<&str>,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update segments set name = $3, match = case when $4 then 'all' else 'any' end, \
           member_kind = $5, department = $6 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(name)
    .bind(match_all)
    .bind(member_kind)
    .bind(department)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ConditionRow {
    pub id: Uuid,
    pub question_id: QuestionId,
    pub option_id: Option<OptionId>,
    pub number_value: Option<i16>,
}

pub async fn conditions(
    tx: &mut TenantTx,
    segment: SegmentId,
) -> Result<Vec<ConditionRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select c.id, c.question_id, c.option_id, c.number_value from segment_conditions c \
         join survey_questions q on q.tenant_id = c.tenant_id and q.id = c.question_id \
         where c.tenant_id = $1 and c.segment_id = $2 order by q.position, c.id",
    )
    .bind(tenant_id)
    .bind(segment)
    .fetch_all(tx.conn())
    .await?)
}

/// Adds a condition on one of the segment's survey's questions. False when the question is not
/// that survey's (or the option not that question's: the foreign key refuses it).
pub async fn add_condition(
    tx: &mut TenantTx,
    segment: SegmentId,
    question: QuestionId,
    value: AnswerValue,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let (option, number) = match value {
        AnswerValue::Option(option) => (Some(option), None),
        AnswerValue::Number(number) => (None, Some(number)),
    };
    Ok(sqlx::query(
        "insert into segment_conditions (tenant_id, id, segment_id, question_id, option_id, number_value) \
         select $1, gen_random_uuid(), g.id, q.id, $4, $5 from segments g \
         join survey_questions q on q.tenant_id = g.tenant_id and q.survey_id = g.survey_id \
         where g.tenant_id = $1 and g.id = $2 and q.id = $3 \
           and not exists (select 1 from segment_conditions c where c.tenant_id = $1 \
             and c.segment_id = $2 and c.question_id = $3 \
             and c.option_id is not distinct from $4 and c.number_value is not distinct from $5)",
    )
    .bind(tenant_id)
    .bind(segment)
    .bind(question)
    .bind(option)
    .bind(number)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

pub async fn remove_condition(
    tx: &mut TenantTx,
    segment: SegmentId,
    condition: Uuid,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "delete from segment_conditions where tenant_id = $1 and segment_id = $2 and id = $3",
    )
    .bind(tenant_id)
    .bind(segment)
    .bind(condition)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

#[derive(Debug, Clone, sqlx::FromRow, serde::Serialize)]
pub struct SegmentMember {
    pub id: MemberId,
    pub name_kanji: String,
    pub kind: MemberKind,
    pub department: String,
}

/// Whether one condition (`c`) holds for one response (`rm`): the response has that answer.
const HOLDS: &str = "exists (select 1 from survey_answers a \
     where a.tenant_id = rm.tenant_id and a.survey_id = rm.survey_id \
       and a.response_id = rm.response_id and a.question_id = c.question_id \
       and (a.option_id = c.option_id \
            or (c.option_id is null and a.option_id is null and a.number_value = c.number_value)))";

/// Who is in a segment: its survey's named responses from active members that pass its member
/// filters and its conditions (`$1` tenant, `$2` segment).
fn segment_members_from() -> String {
    segment_members_from_for("$2")
}

/// [`segment_members_from`] for the segment `segment` (a parameter or a column of an outer
/// query); `$1` is the tenant.
fn segment_members_from_for(segment: &str) -> String {
    format!(
        "from segments g \
         join survey_response_members rm on rm.tenant_id = g.tenant_id and rm.survey_id = g.survey_id \
         join members m on m.tenant_id = rm.tenant_id and m.id = rm.member_id \
         where g.tenant_id = $1 and g.id = {segment} and m.status = 'active' \
           and (g.member_kind is null or m.kind = g.member_kind) \
           and (g.department is null or m.department = g.department) \
           and case when g.match = 'all' \
             then not exists (select 1 from segment_conditions c \
                              where c.tenant_id = g.tenant_id and c.segment_id = g.id and not {HOLDS}) \
             else exists (select 1 from segment_conditions c \
                          where c.tenant_id = g.tenant_id and c.segment_id = g.id and {HOLDS}) \
           end"
    )
}

/// The active members in a segment now, in directory order, at most `limit`.
pub async fn members(
    tx: &mut TenantTx,
    segment: SegmentId,
    limit: i64,
) -> Result<Vec<SegmentMember>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select m.id, m.name_kanji, m.kind, m.department {} order by m.name_kana, m.id limit $3",
        segment_members_from()
    ))
    .bind(tenant_id)
    .bind(segment)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// SQL that holds when the member `member` (an expression) is in the segment `segment` (an
/// expression, e.g. a survey's `audience_segment_id`); `$1` is the tenant.
pub fn member_in_segment_sql(segment: &str, member: &str) -> String {
    format!(
        "exists (select 1 {} and m.id = {member})",
        segment_members_from_for(segment)
    )
}

/// Whether a member is in a segment now.
pub async fn contains(
    tx: &mut TenantTx,
    segment: SegmentId,
    member: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar(&format!("select {}", member_in_segment_sql("$2", "$3")))
            .bind(tenant_id)
            .bind(segment)
            .bind(member)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The ids of the active members in a segment now (to notify).
pub async fn member_ids(tx: &mut TenantTx, segment: SegmentId) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar(&format!("select m.id {}", segment_members_from()))
            .bind(tenant_id)
            .bind(segment)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// How many active members are in each of the network's segments now, in one statement.
pub async fn member_counts(
    tx: &mut TenantTx,
) -> Result<std::collections::HashMap<SegmentId, i64>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(SegmentId, i64)> = sqlx::query_as(&format!(
        "select g0.id, (select count(*) {}) from segments g0 where g0.tenant_id = $1",
        segment_members_from_for("g0.id")
    ))
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().collect())
}

/// How many active members are in a segment now.
pub async fn member_count(tx: &mut TenantTx, segment: SegmentId) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_scalar(&format!("select count(*) {}", segment_members_from()))
            .bind(tenant_id)
            .bind(segment)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The departments of a survey's named respondents, for the segment's department filter.
pub async fn respondent_departments(
    tx: &mut TenantTx,
    survey: SurveyId,
) -> Result<Vec<String>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select distinct m.department from survey_response_members rm \
         join members m on m.tenant_id = rm.tenant_id and m.id = rm.member_id \
         where rm.tenant_id = $1 and rm.survey_id = $2 and m.department <> '' \
         order by m.department limit 200",
    )
    .bind(tenant_id)
    .bind(survey)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outreach {
    pub id: OutreachId,
    pub segment_id: SegmentId,
    pub segment_name: String,
    pub survey_id: SurveyId,
    pub list_id: FollowUpListId,
    pub subject: String,
    pub body: String,
    pub link: String,
    pub sent_at: OffsetDateTime,
    /// Recipients emailed at once, left for their weekly digest, and with this email off.
    pub emailed: i32,
    pub email_digest: i32,
    pub email_off: i32,
}

const OUTREACH_COLUMNS: &str =
    "o.id, o.segment_id, g.name as segment_name, g.survey_id, o.list_id, \
     o.subject, o.body, o.link, o.sent_at, o.emailed, o.email_digest, o.email_off";

/// Records an invitation sent to a segment, whose recipients are on `list`.
pub async fn create_outreach(
    tx: &mut TenantTx,
    segment: SegmentId,
    list: FollowUpListId,
    by: MemberId,
    subject: &str,
    body: &str,
    link: &str,
) -> Result<OutreachId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = OutreachId::new();
    sqlx::query(
        "insert into outreaches (tenant_id, id, segment_id, list_id, subject, body, link, created_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(segment)
    .bind(list)
    .bind(subject)
    .bind(body)
    .bind(link)
    .bind(by)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

pub async fn find_outreach(tx: &mut TenantTx, id: OutreachId) -> Result<Option<Outreach>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {OUTREACH_COLUMNS} from outreaches o \
         join segments g on g.tenant_id = o.tenant_id and g.id = o.segment_id \
         where o.tenant_id = $1 and o.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Records what became of an outreach's email (sent now / in the digest / off).
pub async fn record_outreach_email(
    tx: &mut TenantTx,
    id: OutreachId,
    emailed: usize,
    digest: usize,
    off: usize,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let count = |n: usize| i32::try_from(n).unwrap_or(i32::MAX);
    sqlx::query(
        "update outreaches set emailed = $3, email_digest = $4, email_off = $5 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(count(emailed))
    .bind(count(digest))
    .bind(count(off))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A segment's invitations, newest first.
pub async fn outreaches_of(
    tx: &mut TenantTx,
    segment: SegmentId,
) -> Result<Vec<Outreach>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {OUTREACH_COLUMNS} from outreaches o \
         join segments g on g.tenant_id = o.tenant_id and g.id = o.segment_id \
         where o.tenant_id = $1 and o.segment_id = $2 order by o.sent_at desc, o.id desc"
    ))
    .bind(tenant_id)
    .bind(segment)
    .fetch_all(tx.conn())
    .await?)
}

/// The invitation a member received, if they are among its recipients.
pub async fn outreach_for_recipient(
    tx: &mut TenantTx,
    id: OutreachId,
    member: MemberId,
) -> Result<Option<Outreach>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {OUTREACH_COLUMNS} from outreaches o \
         join segments g on g.tenant_id = o.tenant_id and g.id = o.segment_id \
         where o.tenant_id = $1 and o.id = $2 \
           and exists (select 1 from follow_ups f \
                       where f.tenant_id = o.tenant_id and f.list_id = o.list_id and f.member_id = $3)"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(member)
    .fetch_optional(tx.conn())
    .await?)
}
