//! Survey SQL (this crate owns `surveys`, `survey_questions`, `survey_options`,
//! `survey_respondents`, `survey_responses`, `survey_response_members`, `survey_answers`). Every
//! query names the tenant, so the planner uses the `(tenant_id, …)` indexes. Changes to a
//! survey's questions are allowed only while it is a draft: each such statement says
//! `status = 'draft'` itself, so a published survey's questions stay frozen whatever the
//! handler checked before.

use std::collections::HashMap;

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, MemberKind, TenantTx};

use crate::kinds::{Audience, QuestionKind, SurveyStatus};
use crate::segments::queries::{member_in_segment_sql, SegmentId};

tsunagu_kernel::entity_id!(
    /// A survey.
    SurveyId
);
tsunagu_kernel::entity_id!(
    /// A question of a survey.
    QuestionId
);
tsunagu_kernel::entity_id!(
    /// A choice of a single- or multiple-choice question.
    OptionId
);

/// A survey's settings, as the builder edits them.
#[derive(Debug, Clone)]
pub struct SurveyInput {
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    pub allow_edits: bool,
    pub audience: Audience,
    /// The segment, when the audience is [`Audience::Segment`].
    pub audience_segment: Option<SegmentId>,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Survey {
    pub id: SurveyId,
    pub title: String,
    pub intro: String,
    pub status: SurveyStatus,
    pub anonymous: bool,
    pub allow_edits: bool,
    pub audience: Audience,
    pub audience_segment_id: Option<SegmentId>,
    pub audience_segment_name: Option<String>,
    /// The event whose attendees are asked, when the audience is [`Audience::Event`].
    pub audience_event_id: Option<uuid::Uuid>,
    pub audience_event_title: Option<String>,
    pub opens_at: Option<OffsetDateTime>,
    pub closes_at: Option<OffsetDateTime>,
    pub previous_version_id: Option<SurveyId>,
    pub created_at: OffsetDateTime,
    pub published_at: Option<OffsetDateTime>,
    /// Members who have answered.
    pub respondents: i64,
    /// Drafted by platform staff within a support grant (the network's "Tsunagu CS" member).
    pub by_support: bool,
}

/// Where a survey stands for its members at one moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    Draft,
    /// Published, opening later.
    Scheduled,
    Open,
    Closed,
}

impl Survey {
    pub fn phase(&self, now: OffsetDateTime) -> Phase {
        match self.status {
            SurveyStatus::Draft => Phase::Draft,
            SurveyStatus::Closed => Phase::Closed,
            SurveyStatus::Open if self.closes_at.is_some_and(|at| at <= now) => Phase::Closed,
            SurveyStatus::Open if self.opens_at.is_some_and(|at| at > now) => Phase::Scheduled,
            SurveyStatus::Open => Phase::Open,
        }
    }
}

const SURVEY_COLUMNS: &str = "s.id, s.title, s.intro, s.status, s.anonymous, s.allow_edits, s.audience, \
     s.audience_segment_id, \
     (select g.name from segments g where g.tenant_id = s.tenant_id and g.id = s.audience_segment_id) \
       as audience_segment_name, \
     s.audience_event_id, \
     (select e.title from events e where e.tenant_id = s.tenant_id and e.id = s.audience_event_id) \
       as audience_event_title, \
     s.opens_at, s.closes_at, s.previous_version_id, s.created_at, s.published_at, \
          (select count(*) from survey_respondents r where r.tenant_id = s.tenant_id and r.survey_id = s.id) as respondents, \
     exists (select 1 from members c where c.tenant_id = s.tenant_id and c.id = s.created_by \
             and c.status = 'support') as by_support";

pub async fn create(
    tx: &mut TenantTx,
    created_by: MemberId,
    input: &SurveyInput,
) -> Result<SurveyId, DbError> {
    insert(tx, created_by, input, None).await
}

/// A survey for the members who came to `event` (its checked-in attendees): the post-event
/// survey. Its audience stays the event's; the builder cannot change it.
pub async fn create_for_event(
    tx: &mut TenantTx,
    created_by: MemberId,
    input: &SurveyInput,
    event: uuid::Uuid,
) -> Result<SurveyId, DbError> {
    let input = SurveyInput {
        audience: Audience::Event,
        audience_segment: None,
        ..input.clone()
    };
    insert(tx, created_by, &input, Some(event)).await
}

async fn insert(
    tx: &mut TenantTx,
    created_by: MemberId,
    input: &SurveyInput,
    event: Option<uuid::Uuid>,
) -> Result<SurveyId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = SurveyId::new();
    sqlx::query(
        "insert into surveys (tenant_id, id, title, intro, anonymous, allow_edits, audience, opens_at, closes_at, created_by, \
           audience_segment_id, audience_event_id) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&input.title)
    .bind(&input.intro)
    .bind(input.anonymous)
    .bind(input.allow_edits)
    .bind(input.audience)
    .bind(input.opens_at)
    .bind(input.closes_at)
    .bind(created_by)
    .bind(input.audience_segment)
    .bind(event)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// Changes a survey's settings. Anonymity is fixed once the survey is published (members were
/// told); dates and the audience may still change. False when there is no such survey.
pub async fn update_settings(
    tx: &mut TenantTx,
    id: SurveyId,
    input: &SurveyInput,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update surveys set title = $3, intro = $4, \
           anonymous = case when status = 'draft' then $5 else anonymous end, \
           allow_edits = case when status = 'draft' then $6 else allow_edits end, \
           audience = case when audience = 'event' or $7 = 'event' then audience else $7 end, \
           audience_segment_id = case when audience = 'event' or $7 = 'event' then audience_segment_id \
             else $10 end, \
           opens_at = $8, closes_at = $9, updated_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&input.title)
    .bind(&input.intro)
    .bind(input.anonymous)
    .bind(input.allow_edits)
    .bind(input.audience)
    .bind(input.opens_at)
    .bind(input.closes_at)
    .bind(input.audience_segment)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Every survey of the network, newest first (the secretariat's list).
pub async fn list_all(tx: &mut TenantTx) -> Result<Vec<Survey>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {SURVEY_COLUMNS} from surveys s where s.tenant_id = $1 \
         order by s.created_at desc, s.id desc limit 200"
    ))
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn find(tx: &mut TenantTx, id: SurveyId) -> Result<Option<Survey>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {SURVEY_COLUMNS} from surveys s where s.tenant_id = $1 and s.id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// A survey a member may answer now, with whether they have.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OpenSurvey {
    pub id: SurveyId,
    pub title: String,
    pub intro: String,
    pub anonymous: bool,
    pub closes_at: Option<OffsetDateTime>,
    pub answered: bool,
}

/// The surveys open now whose audience includes a member of `kind`, newest first.
pub async fn open_for(
    tx: &mut TenantTx,
    member: MemberId,
    kind: MemberKind,
) -> Result<Vec<OpenSurvey>, DbError> {
    let tenant_id = tx.tenant_id();
    let audience = match kind {
        MemberKind::Alumni => Audience::Alumni,
        MemberKind::Employee => Audience::Employees,
    };
    Ok(sqlx::query_as(&format!(
        "select s.id, s.title, s.intro, s.anonymous, s.closes_at, \
           exists (select 1 from survey_respondents r \
                   where r.tenant_id = s.tenant_id and r.survey_id = s.id and r.member_id = $2) as answered \
         from surveys s \
         where s.tenant_id = $1 and s.status = 'open' \
           and (s.opens_at is null or s.opens_at <= now()) \
           and (s.closes_at is null or s.closes_at > now()) \
           and (s.audience in ('everyone', $3) \
                or (s.audience = 'segment' and {in_segment}) \
                or (s.audience = 'event' and {came})) \
         order by s.published_at desc, s.id desc limit 50",
        in_segment = member_in_segment_sql("s.audience_segment_id", "$2"),
        came = CAME_TO_EVENT,
    ))
    .bind(tenant_id)
    .bind(member)
    .bind(audience)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct QuestionRow {
    pub id: QuestionId,
    pub position: i32,
    pub kind: QuestionKind,
    pub prompt: String,
    pub help: String,
    pub required: bool,
    pub allow_other: bool,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct OptionRow {
    pub id: OptionId,
    pub question_id: QuestionId,
    pub label: String,
}

/// A question with its options, in order.
#[derive(Debug, Clone)]
pub struct Question {
    pub row: QuestionRow,
    pub options: Vec<OptionRow>,
}

/// A survey's questions in order, each with its options (two queries).
pub async fn questions(tx: &mut TenantTx, survey: SurveyId) -> Result<Vec<Question>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<QuestionRow> = sqlx::query_as(
        "select id, position, kind, prompt, help, required, allow_other from survey_questions \
         where tenant_id = $1 and survey_id = $2 order by position, id",
    )
    .bind(tenant_id)
    .bind(survey)
    .fetch_all(tx.conn())
    .await?;
    let ids: Vec<QuestionId> = rows.iter().map(|q| q.id).collect();
    let options: Vec<OptionRow> = sqlx::query_as(
        "select id, question_id, label from survey_options \
         where tenant_id = $1 and question_id = any($2) order by question_id, position, id",
    )
    .bind(tenant_id)
    .bind(&ids)
    .fetch_all(tx.conn())
    .await?;
    let mut by_question: HashMap<QuestionId, Vec<OptionRow>> = HashMap::new();
    for option in options {
        by_question
            .entry(option.question_id)
            .or_default()
            .push(option);
    }
    Ok(rows
        .into_iter()
        .map(|row| Question {
            options: by_question.remove(&row.id).unwrap_or_default(),
            row,
        })
        .collect())
}

/// A question as the builder edits it.
#[derive(Debug, Clone)]
pub struct QuestionInput {
    pub kind: QuestionKind,
    pub prompt: String,
    pub help: String,
    pub required: bool,
    pub allow_other: bool,
    /// Choice labels, in order (single and multiple choice only).
    pub options: Vec<String>,
}

/// Adds a question at the end of a draft survey; `None` when the survey is not a draft.
pub async fn add_question(
    tx: &mut TenantTx,
    survey: SurveyId,
    input: &QuestionInput,
) -> Result<Option<QuestionId>, DbError> {
    let tenant_id = tx.tenant_id();
    let id = QuestionId::new();
    let added = sqlx::query(
        "insert into survey_questions (tenant_id, id, survey_id, position, kind, prompt, help, required, allow_other) \
         select $1, $2, s.id, \
           coalesce((select max(q.position) from survey_questions q \
                     where q.tenant_id = $1 and q.survey_id = s.id), 0) + 1, \
           $4, $5, $6, $7, $8 \
         from surveys s where s.tenant_id = $1 and s.id = $3 and s.status = 'draft'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(survey)
    .bind(input.kind)
    .bind(&input.prompt)
    .bind(&input.help)
    .bind(input.required)
    .bind(input.allow_other)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if added == 0 {
        return Ok(None);
    }
    insert_options(tx, id, &input.options).await?;
    Ok(Some(id))
}

async fn insert_options(
    tx: &mut TenantTx,
    question: QuestionId,
    labels: &[String],
) -> Result<(), DbError> {
    if labels.is_empty() {
        return Ok(());
    }
    let tenant_id = tx.tenant_id();
    let ids: Vec<OptionId> = labels.iter().map(|_| OptionId::new()).collect();
    sqlx::query(
        "insert into survey_options (tenant_id, id, question_id, position, label) \
         select $1, o.id, $2, o.position, o.label \
         from unnest($3::uuid[], $4::text[]) with ordinality as o(id, label, position)",
    )
    .bind(tenant_id)
    .bind(question)
    .bind(&ids)
    .bind(labels)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Replaces a question of a draft survey (its options are written anew). False when the
/// question is not in that draft.
pub async fn update_question(
    tx: &mut TenantTx,
    survey: SurveyId,
    question: QuestionId,
    input: &QuestionInput,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let updated = sqlx::query(
        "update survey_questions q set kind = $4, prompt = $5, help = $6, required = $7, allow_other = $8 \
         from surveys s \
         where q.tenant_id = $1 and q.id = $3 and q.survey_id = $2 \
           and s.tenant_id = $1 and s.id = $2 and s.status = 'draft'",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(question)
    .bind(input.kind)
    .bind(&input.prompt)
    .bind(&input.help)
    .bind(input.required)
    .bind(input.allow_other)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if updated == 0 {
        return Ok(false);
    }
    sqlx::query("delete from survey_options where tenant_id = $1 and question_id = $2")
        .bind(tenant_id)
        .bind(question)
        .execute(tx.conn())
        .await?;
    insert_options(tx, question, &input.options).await?;
    Ok(true)
}

/// Removes a question from a draft survey.
pub async fn delete_question(
    tx: &mut TenantTx,
    survey: SurveyId,
    question: QuestionId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "delete from survey_questions q using surveys s \
         where q.tenant_id = $1 and q.id = $3 and q.survey_id = $2 \
           and s.tenant_id = $1 and s.id = $2 and s.status = 'draft'",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(question)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Swaps a question of a draft survey with its neighbour above (`up`) or below. False when it
/// has none there or the survey is not a draft.
pub async fn move_question(
    tx: &mut TenantTx,
    survey: SurveyId,
    question: QuestionId,
    up: bool,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    // The neighbour: the nearest position on that side. Both rows swap positions in one
    // statement; positions are not unique, so no intermediate state conflicts.
    let neighbour_sql = if up {
        "select n.id, n.position from survey_questions n \
         where n.tenant_id = $1 and n.survey_id = $2 and n.position < $3 \
         order by n.position desc, n.id desc limit 1"
    } else {
        "select n.id, n.position from survey_questions n \
         where n.tenant_id = $1 and n.survey_id = $2 and n.position > $3 \
         order by n.position, n.id limit 1"
    };
    let own: Option<(i32,)> = sqlx::query_as(
        "select q.position from survey_questions q join surveys s \
           on s.tenant_id = q.tenant_id and s.id = q.survey_id and s.status = 'draft' \
         where q.tenant_id = $1 and q.survey_id = $2 and q.id = $3",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(question)
    .fetch_optional(tx.conn())
    .await?;
    let Some((position,)) = own else {
        return Ok(false);
    };
    let neighbour: Option<(QuestionId, i32)> = sqlx::query_as(neighbour_sql)
        .bind(tenant_id)
        .bind(survey)
        .bind(position)
        .fetch_optional(tx.conn())
        .await?;
    let Some((other, other_position)) = neighbour else {
        return Ok(false);
    };
    sqlx::query(
        "update survey_questions set position = case id when $2 then $4 else $5 end \
         where tenant_id = $1 and id in ($2, $3)",
    )
    .bind(tenant_id)
    .bind(question)
    .bind(other)
    .bind(other_position)
    .bind(position)
    .execute(tx.conn())
    .await?;
    Ok(true)
}

/// Publishes a draft that has at least one question: its questions are frozen from now on.
pub async fn publish(tx: &mut TenantTx, survey: SurveyId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update surveys s set status = 'open', published_at = now(), updated_at = now() \
         where s.tenant_id = $1 and s.id = $2 and s.status = 'draft' \
           and exists (select 1 from survey_questions q where q.tenant_id = $1 and q.survey_id = s.id)",
    )
    .bind(tenant_id)
    .bind(survey)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Closes an open survey now.
pub async fn close(tx: &mut TenantTx, survey: SurveyId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update surveys set status = 'closed', updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'open'",
    )
    .bind(tenant_id)
    .bind(survey)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Deletes a draft (nobody has seen it).
pub async fn delete_draft(tx: &mut TenantTx, survey: SurveyId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query("delete from surveys where tenant_id = $1 and id = $2 and status = 'draft'")
            .bind(tenant_id)
            .bind(survey)
            .execute(tx.conn())
            .await?
            .rows_affected()
            == 1,
    )
}

/// Copies a survey and its questions into a new draft ("edit" of a published survey): the
/// published one keeps its questions and answers.
pub async fn new_version(
    tx: &mut TenantTx,
    survey: SurveyId,
    by: MemberId,
) -> Result<Option<SurveyId>, DbError> {
    let tenant_id = tx.tenant_id();
    let id = SurveyId::new();
    let copied = sqlx::query(
        "insert into surveys (tenant_id, id, title, intro, anonymous, allow_edits, audience, audience_segment_id, \
           previous_version_id, created_by) \
         select tenant_id, $3, title, intro, anonymous, allow_edits, audience, audience_segment_id, id, $4 \
         from surveys where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(id)
    .bind(by)
    .execute(tx.conn())
    .await?
    .rows_affected();
    if copied == 0 {
        return Ok(None);
    }
    for question in questions(tx, survey).await? {
        let input = QuestionInput {
            kind: question.row.kind,
            prompt: question.row.prompt,
            help: question.row.help,
            required: question.row.required,
            allow_other: question.row.allow_other,
            options: question.options.into_iter().map(|o| o.label).collect(),
        };
        add_question(tx, id, &input).await?;
    }
    Ok(Some(id))
}

/// One answer to store: a chosen option, a number, or text (an "other" choice is text with no
/// option).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnswer {
    pub question: QuestionId,
    pub option: Option<OptionId>,
    pub number: Option<i16>,
    pub text: Option<String>,
}

/// What became of a submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Submitted {
    Saved,
    /// The member's earlier answers were replaced (a named survey that allows edits).
    Replaced,
    /// The member had answered and the survey does not allow changes.
    AlreadyAnswered,
}

/// Records a member's answers to an open survey. The "has answered" mark and the answers are
/// written in the caller's transaction. For an anonymous survey nothing links them: the
/// response has a random id and no member or time, and no `survey_response_members` row can
/// exist (the schema refuses it).
pub async fn submit(
    tx: &mut TenantTx,
    survey: &Survey,
    member: MemberId,
    answers: &[NewAnswer],
) -> Result<Submitted, DbError> {
    let tenant_id = tx.tenant_id();
    let first_time = sqlx::query(
        "insert into survey_respondents (tenant_id, survey_id, member_id) values ($1, $2, $3) \
         on conflict do nothing",
    )
    .bind(tenant_id)
    .bind(survey.id)
    .bind(member)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1;
    let outcome = if first_time {
        Submitted::Saved
    } else if !survey.anonymous && survey.allow_edits {
        // Edits replace the member's response as a whole. The lock on the member's "has
        // answered" row queues two edits sent at once (a double click, two tabs): without it both
        // would delete the same old response and both insert a new one, and the second would
        // break the one-response-per-member key.
        sqlx::query(
            "select 1 from survey_respondents \
             where tenant_id = $1 and survey_id = $2 and member_id = $3 for update",
        )
        .bind(tenant_id)
        .bind(survey.id)
        .bind(member)
        .execute(tx.conn())
        .await?;
        sqlx::query(
            "delete from survey_responses r using survey_response_members rm \
             where rm.tenant_id = $1 and rm.survey_id = $2 and rm.member_id = $3 \
               and r.tenant_id = $1 and r.id = rm.response_id",
        )
        .bind(tenant_id)
        .bind(survey.id)
        .bind(member)
        .execute(tx.conn())
        .await?;
        Submitted::Replaced
    } else {
        return Ok(Submitted::AlreadyAnswered);
    };
    let (response,): (uuid::Uuid,) = sqlx::query_as(
        "insert into survey_responses (tenant_id, survey_id) values ($1, $2) returning id",
    )
    .bind(tenant_id)
    .bind(survey.id)
    .fetch_one(tx.conn())
    .await?;
    if !survey.anonymous {
        sqlx::query(
            "insert into survey_response_members (tenant_id, survey_id, response_id, member_id) \
             values ($1, $2, $3, $4)",
        )
        .bind(tenant_id)
        .bind(survey.id)
        .bind(response)
        .bind(member)
        .execute(tx.conn())
        .await?;
    }
    let questions: Vec<QuestionId> = answers.iter().map(|a| a.question).collect();
    let options: Vec<Option<OptionId>> = answers.iter().map(|a| a.option).collect();
    let numbers: Vec<Option<i16>> = answers.iter().map(|a| a.number).collect();
    let texts: Vec<Option<String>> = answers.iter().map(|a| a.text.clone()).collect();
    sqlx::query(
        "insert into survey_answers (tenant_id, survey_id, response_id, question_id, option_id, number_value, text_value) \
         select $1, $2, $3, a.question_id, a.option_id, a.number_value, a.text_value \
         from unnest($4::uuid[], $5::uuid[], $6::int2[], $7::text[]) as a(question_id, option_id, number_value, text_value)",
    )
    .bind(tenant_id)
    .bind(survey.id)
    .bind(response)
    .bind(&questions)
    .bind(&options)
    .bind(&numbers)
    .bind(&texts)
    .execute(tx.conn())
    .await?;
    Ok(outcome)
}

/// Whether a member has answered a survey.
pub async fn has_answered(
    tx: &mut TenantTx,
    survey: SurveyId,
    member: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from survey_respondents \
                        where tenant_id = $1 and survey_id = $2 and member_id = $3)",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(member)
    .fetch_one(tx.conn())
    .await?)
}

/// A named survey's answers of one member (to edit them); empty for anonymous surveys, whose
/// answers cannot be found from a member.
pub async fn own_answers(
    tx: &mut TenantTx,
    survey: SurveyId,
    member: MemberId,
) -> Result<Vec<NewAnswer>, DbError> {
    let tenant_id = tx.tenant_id();
    type AnswerRow = (QuestionId, Option<OptionId>, Option<i16>, Option<String>);
    let rows: Vec<AnswerRow> = sqlx::query_as(
        "select a.question_id, a.option_id, a.number_value, a.text_value \
         from survey_response_members rm \
         join survey_answers a on a.tenant_id = rm.tenant_id and a.response_id = rm.response_id \
         where rm.tenant_id = $1 and rm.survey_id = $2 and rm.member_id = $3",
    )
    .bind(tenant_id)
    .bind(survey)
    .bind(member)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(question, option, number, text)| NewAnswer {
            question,
            option,
            number,
            text,
        })
        .collect())
}

/// Narrows results to some responses.
#[derive(Debug, Clone, Default)]
pub struct ResultFilter {
    /// Responses of members of this kind (named surveys only).
    pub kind: Option<MemberKind>,
    /// Responses that gave this answer: a question and an option or a number.
    pub answer: Option<(QuestionId, AnswerValue)>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerValue {
    Option(OptionId),
    Number(i16),
}

/// Appends the filter's conditions on `a.response_id`. The subqueries name the tenant and the
/// survey by value, not by `a`'s columns: correlated, they ran once per answer (a statement
/// timeout at 400,000 answers); uncorrelated, each is one index read hashed once.
fn push_filter<'a>(
    q: &mut sqlx::QueryBuilder<'a, sqlx::Postgres>,
    tenant_id: tsunagu_kernel::TenantId,
    survey: SurveyId,
    filter: &'a ResultFilter,
    anonymous: bool,
) {
    if let (Some(kind), false) = (filter.kind, anonymous) {
        q.push(
            " and a.response_id in (select rm.response_id from survey_response_members rm \
               join members m on m.tenant_id = rm.tenant_id and m.id = rm.member_id \
               where rm.tenant_id = ",
        );
        q.push_bind(tenant_id);
        q.push(" and rm.survey_id = ");
        q.push_bind(survey);
        q.push(" and m.kind = ");
        q.push_bind(kind);
        q.push(")");
    }
    if let Some((question, value)) = &filter.answer {
        q.push(" and a.response_id in (select f.response_id from survey_answers f where f.tenant_id = ");
        q.push_bind(tenant_id);
        q.push(" and f.survey_id = ");
        q.push_bind(survey);
        q.push(" and f.question_id = ");
        q.push_bind(*question);
        match value {
            AnswerValue::Option(option) => {
                q.push(" and f.option_id = ");
                q.push_bind(*option);
            }
            AnswerValue::Number(number) => {
                q.push(" and f.option_id is null and f.number_value = ");
                q.push_bind(*number);
            }
        }
        q.push(")");
    }
}

/// How many answers each choice or number got, per question: (question, option, number,
/// count). Text answers are not counted here ([`text_answers`]); an "other" choice counts as
/// (question, none, none).
pub async fn tallies(
    tx: &mut TenantTx,
    survey: &Survey,
    filter: &ResultFilter,
) -> Result<Vec<(QuestionId, Option<OptionId>, Option<i16>, i64)>, DbError> {
    let mut q = build_tallies("", tx.tenant_id(), survey, filter);
    Ok(q.build_query_as().fetch_all(tx.conn()).await?)
}

/// The statement of [`tallies`], after `prefix` (`"explain "` in the plan test): one pass over
/// the survey's part of `survey_answers_results_idx`, grouped as the index is ordered.
pub fn build_tallies<'a>(
    prefix: &str,
    tenant_id: tsunagu_kernel::TenantId,
    survey: &'a Survey,
    filter: &'a ResultFilter,
) -> sqlx::QueryBuilder<'a, sqlx::Postgres> {
    let mut q = sqlx::QueryBuilder::new(prefix);
    q.push(
        "select a.question_id, a.option_id, a.number_value, count(*) from survey_answers a \
         where a.tenant_id = ",
    );
    q.push_bind(tenant_id);
    q.push(" and a.survey_id = ");
    q.push_bind(survey.id);
    push_filter(&mut q, tenant_id, survey.id, filter, survey.anonymous);
    q.push(" group by a.question_id, a.option_id, a.number_value");
    q
}

/// How many responses answered each question, and how many responses there are in all (under
/// `None`). Most of it comes from the `tallies` already read: a question that is not multiple
/// choice has at most one answer row per response, so its tallies add up to its responses. Only
/// multiple-choice questions are counted again, by distinct response; the total counts
/// responses, not answers. (One `count(distinct …)` over every answer took a second at 400,000.)
pub async fn answered_counts(
    tx: &mut TenantTx,
    survey: &Survey,
    questions: &[Question],
    tallies: &[(QuestionId, Option<OptionId>, Option<i16>, i64)],
    filter: &ResultFilter,
) -> Result<HashMap<Option<QuestionId>, i64>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut counts: HashMap<Option<QuestionId>, i64> = HashMap::new();
    for (question, _, _, n) in tallies {
        *counts.entry(Some(*question)).or_default() += n;
    }
    let multiple: Vec<QuestionId> = questions
        .iter()
        .filter(|q| q.row.kind == QuestionKind::Multiple)
        .map(|q| q.row.id)
        .collect();
    if !multiple.is_empty() {
        let mut q = sqlx::QueryBuilder::new(
            "select a.question_id, count(distinct a.response_id) from survey_answers a where a.tenant_id = ",
        );
        q.push_bind(tenant_id);
        q.push(" and a.survey_id = ");
        q.push_bind(survey.id);
        q.push(" and a.question_id = any(");
        q.push_bind(&multiple);
        q.push(")");
        push_filter(&mut q, tenant_id, survey.id, filter, survey.anonymous);
        q.push(" group by a.question_id");
        let rows: Vec<(QuestionId, i64)> = q.build_query_as().fetch_all(tx.conn()).await?;
        for question in &multiple {
            counts.remove(&Some(*question));
        }
        for (question, n) in rows {
            counts.insert(Some(question), n);
        }
    }
    // The responses themselves. With an answer filter, one answer row per response gives that
    // answer (a choice is stored once per response), so counting those rows counts responses.
    let total: i64 = match (&filter.answer, filter.kind.filter(|_| !survey.anonymous)) {
        (None, None) => {
            sqlx::query_scalar(
                "select count(*) from survey_responses where tenant_id = $1 and survey_id = $2",
            )
            .bind(tenant_id)
            .bind(survey.id)
            .fetch_one(tx.conn())
            .await?
        }
        (None, Some(kind)) => {
            sqlx::query_scalar(
                "select count(*) from survey_response_members rm \
                 join members m on m.tenant_id = rm.tenant_id and m.id = rm.member_id \
                 where rm.tenant_id = $1 and rm.survey_id = $2 and m.kind = $3",
            )
            .bind(tenant_id)
            .bind(survey.id)
            .bind(kind)
            .fetch_one(tx.conn())
            .await?
        }
        (Some((question, value)), _) => {
            let kind_only = ResultFilter {
                kind: filter.kind,
                answer: None,
            };
            let mut q = sqlx::QueryBuilder::new(
                "select count(*) from survey_answers a where a.tenant_id = ",
            );
            q.push_bind(tenant_id);
            q.push(" and a.survey_id = ");
            q.push_bind(survey.id);
            q.push(" and a.question_id = ");
            q.push_bind(*question);
            match value {
                AnswerValue::Option(option) => {
                    q.push(" and a.option_id = ");
                    q.push_bind(*option);
                }
                AnswerValue::Number(number) => {
                    q.push(" and a.option_id is null and a.number_value = ");
                    q.push_bind(*number);
                }
            }
            push_filter(&mut q, tenant_id, survey.id, &kind_only, survey.anonymous);
            q.build_query_scalar().fetch_one(tx.conn()).await?
        }
    };
    counts.insert(None, total);
    Ok(counts)
}

/// Up to `limit` text answers of a question (and "other" texts of a choice question), optionally
/// only those containing `search`.
pub async fn text_answers(
    tx: &mut TenantTx,
    survey: &Survey,
    question: QuestionId,
    search: Option<&str>,
    filter: &ResultFilter,
    limit: i64,
) -> Result<Vec<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut q =
        sqlx::QueryBuilder::new("select a.text_value from survey_answers a where a.tenant_id = ");
    q.push_bind(tenant_id);
    q.push(" and a.survey_id = ");
    q.push_bind(survey.id);
    q.push(" and a.question_id = ");
    q.push_bind(question);
    q.push(" and a.text_value is not null");
    if let Some(search) = search {
        q.push(" and strpos(lower(a.text_value), lower(");
        q.push_bind(search.to_owned());
        q.push(")) > 0");
    }
    push_filter(&mut q, tenant_id, survey.id, filter, survey.anonymous);
    q.push(" order by a.text_value limit ");
    q.push_bind(limit);
    Ok(q.build_query_scalar().fetch_all(tx.conn()).await?)
}

/// Active members the survey's audience includes now (the denominator of the response rate).
pub async fn audience_size(tx: &mut TenantTx, survey: &Survey) -> Result<i64, DbError> {
    if let Some(segment) = survey.audience_segment_id {
        return crate::segments::queries::member_count(tx, segment).await;
    }
    if let Some(event) = survey.audience_event_id {
        return Ok(event_attendees(tx, event).await?.len() as i64);
    }
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and status = 'active' \
           and ($2::text is null or kind = $2)",
    )
    .bind(tenant_id)
    .bind(survey.audience.member_kind())
    .fetch_one(tx.conn())
    .await?)
}

/// The active members of the survey's audience, to notify when it opens.
pub async fn audience_members(
    tx: &mut TenantTx,
    survey: &Survey,
) -> Result<Vec<MemberId>, DbError> {
    if let Some(segment) = survey.audience_segment_id {
        return crate::segments::queries::member_ids(tx, segment).await;
    }
    if let Some(event) = survey.audience_event_id {
        return event_attendees(tx, event).await;
    }
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from members where tenant_id = $1 and status = 'active' \
           and ($2::text is null or kind = $2)",
    )
    .bind(tenant_id)
    .bind(survey.audience.member_kind())
    .fetch_all(tx.conn())
    .await?)
}

/// Whether the survey's audience includes this member now.
pub async fn includes(
    tx: &mut TenantTx,
    survey: &Survey,
    member: MemberId,
    kind: MemberKind,
) -> Result<bool, DbError> {
    if let Some(event) = survey.audience_event_id {
        return Ok(event_attendees(tx, event).await?.contains(&member));
    }
    match survey.audience_segment_id {
        Some(segment) => crate::segments::queries::contains(tx, segment, member).await,
        None => Ok(survey.audience.member_kind().is_none_or(|k| k == kind)),
    }
}

/// The newest survey asking those who came to `event`.
pub async fn survey_of_event(
    tx: &mut TenantTx,
    event: uuid::Uuid,
) -> Result<Option<SurveyId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from surveys where tenant_id = $1 and audience_event_id = $2 \
         order by created_at desc, id desc limit 1",
    )
    .bind(tenant_id)
    .bind(event)
    .fetch_optional(tx.conn())
    .await?)
}

/// An event's audience condition on `s` (a survey) and `$2` (the member): they were checked in.
const CAME_TO_EVENT: &str = "exists (select 1 from event_rsvps a \
     where a.tenant_id = s.tenant_id and a.event_id = s.audience_event_id and a.member_id = $2 \
       and a.checked_in_at is not null)";

/// The active members checked in at `event` (a post-event survey's audience).
async fn event_attendees(tx: &mut TenantTx, event: uuid::Uuid) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select m.id from event_rsvps a join members m on m.tenant_id = a.tenant_id and m.id = a.member_id \
         where a.tenant_id = $1 and a.event_id = $2 and a.checked_in_at is not null \
           and m.status = 'active' order by m.id",
    )
    .bind(tenant_id)
    .bind(event)
    .fetch_all(tx.conn())
    .await?)
}

/// One stored answer with its response, and for a named survey whose response it is.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ExportRow {
    pub response_id: uuid::Uuid,
    pub name: Option<String>,
    pub email: Option<String>,
    pub kind: Option<MemberKind>,
    pub submitted_at: Option<OffsetDateTime>,
    pub question_id: QuestionId,
    pub option_id: Option<OptionId>,
    pub number_value: Option<i16>,
    pub text_value: Option<String>,
}

/// Every answer of a survey, response by response (the CSV export). The member columns come
/// from `survey_response_members`, so for an anonymous survey they are always empty.
pub async fn export_rows(tx: &mut TenantTx, survey: SurveyId) -> Result<Vec<ExportRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select a.response_id, m.name_kanji as name, m.email, m.kind, rm.submitted_at, \
                a.question_id, a.option_id, a.number_value, a.text_value \
         from survey_answers a \
         left join survey_response_members rm \
           on rm.tenant_id = a.tenant_id and rm.survey_id = a.survey_id and rm.response_id = a.response_id \
         left join members m on m.tenant_id = rm.tenant_id and m.id = rm.member_id \
         where a.tenant_id = $1 and a.survey_id = $2 \
         order by rm.submitted_at nulls last, a.response_id, a.question_id",
    )
    .bind(tenant_id)
    .bind(survey)
    .fetch_all(tx.conn())
    .await?)
}
