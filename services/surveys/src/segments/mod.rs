//! Segments and outreach: the survey → segment → outreach loop. From a named survey's results,
//! one action saves "the members who gave this answer" as a segment that stays live (new
//! answers join it); conditions combine with all/any, plus member kind and department. To a
//! segment the secretariat sends an invitation (an in-app notification with a subject, a
//! message and a link); every recipient lands on a follow-up list (community's model, as for a
//! 募集's interested members) with a status and a note, and answers the invitation themselves
//! (accept or decline). The outreach page shows the funnel answered → in segment → contacted →
//! accepted → done, and turns an accepted interview into an article draft featuring the member.

pub mod queries;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_authz::Permission;
use tsunagu_community::followups::{self, ListKind};
use tsunagu_community::kinds::{ArticleStatus, FollowUpStatus};
use tsunagu_kernel::{MemberId, MemberKind};
use tsunagu_web::dates;
use tsunagu_web::forms::{render_page, text, FieldErrors};
use tsunagu_web::{AppError, AppState, Authorized, Page};
use uuid::Uuid;

use crate::kinds::QuestionKind;
use crate::queries::{
    self as survey_queries, AnswerValue, OptionId, Question, QuestionId, SurveyId,
};
use queries::{OutreachId, Segment, SegmentId};

/// Members listed on a segment's page (the count says how many there are in all).
pub const MEMBERS_SHOWN: i64 = 200;

/// Reads `<question id>:<option id or number>` against the survey's questions.
pub fn parse_answer(questions: &[Question], value: &str) -> Option<(QuestionId, AnswerValue)> {
    let (question, value) = value.split_once(':')?;
    let question: QuestionId = question.parse().ok()?;
    let asked = questions.iter().find(|q| q.row.id == question)?;
    let value = match asked.row.kind {
        QuestionKind::Single | QuestionKind::Multiple => {
            let option: OptionId = value.parse().ok()?;
            asked
                .options
                .iter()
                .any(|o| o.id == option)
                .then_some(AnswerValue::Option(option))?
        }
        QuestionKind::YesNo => match value.parse::<i16>().ok()? {
            n @ (0 | 1) => AnswerValue::Number(n),
            _ => return None,
        },
        QuestionKind::Scale => match value.parse::<i16>().ok()? {
            n @ 1..=5 => AnswerValue::Number(n),
            _ => return None,
        },
        QuestionKind::ShortText | QuestionKind::LongText => return None,
    };
    Some((question, value))
}

/// How a condition reads: "Q3 インタビューに協力できますか？ = はい".
#[derive(Serialize)]
pub struct ConditionView {
    pub id: String,
    pub number: usize,
    pub prompt: String,
    /// The answer's text, or an i18n key when `answer_key` (yes, no).
    pub answer: String,
    pub answer_key: Option<&'static str>,
}

fn describe(
    questions: &[Question],
    question: QuestionId,
    value: AnswerValue,
) -> Option<(usize, String, String, Option<&'static str>)> {
    let (index, asked) = questions
        .iter()
        .enumerate()
        .find(|(_, q)| q.row.id == question)?;
    let (answer, key) = match value {
        AnswerValue::Option(option) => (
            asked.options.iter().find(|o| o.id == option)?.label.clone(),
            None,
        ),
        AnswerValue::Number(1) if asked.row.kind == QuestionKind::YesNo => {
            (String::new(), Some("survey.yes"))
        }
        AnswerValue::Number(0) if asked.row.kind == QuestionKind::YesNo => {
            (String::new(), Some("survey.no"))
        }
        AnswerValue::Number(n) => (n.to_string(), None),
    };
    Some((index + 1, asked.row.prompt.clone(), answer, key))
}

/// Every answer a condition can name, for the "add a condition" menu.
#[derive(Serialize)]
pub struct AnswerChoice {
    pub value: String,
    pub question: usize,
    pub prompt: String,
    pub answer: String,
    pub answer_key: Option<&'static str>,
}

fn answer_choices(questions: &[Question]) -> Vec<AnswerChoice> {
    let mut choices = Vec::new();
    for (i, q) in questions.iter().enumerate() {
        let mut push = |value: String, answer: String, key: Option<&'static str>| {
            choices.push(AnswerChoice {
                value: format!("{}:{value}", q.row.id),
                question: i + 1,
                prompt: q.row.prompt.clone(),
                answer,
                answer_key: key,
            })
        };
        match q.row.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                for o in &q.options {
                    push(o.id.to_string(), o.label.clone(), None);
                }
            }
            QuestionKind::YesNo => {
                push("1".into(), String::new(), Some("survey.yes"));
                push("0".into(), String::new(), Some("survey.no"));
            }
            QuestionKind::Scale => {
                for n in 1..=5 {
                    push(n.to_string(), n.to_string(), None);
                }
            }
            QuestionKind::ShortText | QuestionKind::LongText => {}
        }
    }
    choices
}

#[derive(Deserialize)]
pub struct NewSegmentForm {
    #[serde(default)]
    pub name: String,
    /// `<question id>:<value>`, as the results page's filter.
    #[serde(default)]
    pub answer: String,
    #[serde(default)]
    pub kind: String,
}

/// "Save as a segment" from a survey's results (narrowed to one answer, and perhaps a kind).
pub async fn create_segment(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SurveyId>,
    Form(form): Form<NewSegmentForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = survey_queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if survey.anonymous {
        // The results page offers no such action; the schema would refuse it anyway.
        return Err(AppError::BadRequest(
            "an anonymous survey has no segments".into(),
        ));
    }
    let questions = survey_queries::questions(&mut tx, id).await?;
    let condition = parse_answer(&questions, &form.answer);
    let name = match text(&form.name, 1, 100) {
        Ok(name) => name,
        // No name given: say what it is.
        Err(_) => survey.title.chars().take(100).collect(),
    };
    let kind = MemberKind::parse(form.kind.trim());
    let segment = queries::create(&mut tx, member.id(), &name, id, kind, condition.as_slice())
        .await?
        .ok_or(AppError::NotFound)?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "segment.created",
        "segment",
        Some(segment.as_uuid()),
        serde_json::json!({ "name": name, "survey": survey.title }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/segments/{segment}?notice=segment_created"
    ))
    .into_response())
}

#[derive(Serialize)]
struct SegmentView {
    id: String,
    name: String,
    survey_id: String,
    survey_title: String,
    match_all: bool,
    member_kind: Option<MemberKind>,
    department: Option<String>,
    created_label: String,
}

fn segment_view(segment: &Segment, page: &Page) -> SegmentView {
    SegmentView {
        id: segment.id.to_string(),
        name: segment.name.clone(),
        survey_id: segment.survey_id.to_string(),
        survey_title: segment.survey_title.clone(),
        match_all: segment.match_all,
        member_kind: segment.member_kind,
        department: segment.department.clone(),
        created_label: dates::date(segment.created_at, page.lang, page.zone()),
    }
}

pub async fn list_segments(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let segments = queries::list_all(&mut tx).await?;
    let counts = queries::member_counts(&mut tx).await?;
    tx.commit().await?;
    let views: Vec<_> = segments
        .iter()
        .map(|segment| {
            let count = counts.get(&segment.id).copied().unwrap_or(0);
            (segment_view(segment, &page), count)
        })
        .collect();
    render_page(
        &state,
        &page,
        "surveys/segments.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "surveys");
            c.insert("segments", &views);
        },
    )
}

#[derive(Deserialize, Serialize, Default)]
pub struct OutreachForm {
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub link: String,
}

impl OutreachForm {
    fn read(&self) -> Result<(String, String, String), FieldErrors> {
        let mut errors = FieldErrors::new();
        let subject = text(&self.subject, 1, 200)
            .map_err(|e| errors.insert("subject", e))
            .ok();
        let body = text(&self.body, 1, 5000)
            .map_err(|e| errors.insert("body", e))
            .ok();
        let link = self.link.trim().to_owned();
        // A page of this network ("/articles/…") or another site over https.
        let link_ok = link.is_empty()
            || (link.starts_with('/') && !link.starts_with("//"))
            || link.starts_with("https://");
        if !link_ok || link.chars().count() > 500 {
            errors.insert("link", "errors.survey.link");
        }
        match (subject, body) {
            (Some(subject), Some(body)) if errors.is_empty() => Ok((subject, body, link)),
            _ => Err(errors),
        }
    }
}

pub async fn show_segment(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SegmentId>,
) -> Result<Response, AppError> {
    render_segment(
        &state,
        &member,
        &page,
        id,
        &OutreachForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

async fn render_segment(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: SegmentId,
    outreach: &OutreachForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let segment = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = survey_queries::questions(&mut tx, segment.survey_id).await?;
    let conditions = queries::conditions(&mut tx, id).await?;
    let members = queries::members(&mut tx, id, MEMBERS_SHOWN).await?;
    let count = queries::member_count(&mut tx, id).await?;
    let departments = queries::respondent_departments(&mut tx, segment.survey_id).await?;
    let sent = queries::outreaches_of(&mut tx, id).await?;
    tx.commit().await?;
    let conditions: Vec<ConditionView> = conditions
        .into_iter()
        .filter_map(|c| {
            let value = match (c.option_id, c.number_value) {
                (Some(option), _) => AnswerValue::Option(option),
                (None, Some(n)) => AnswerValue::Number(n),
                (None, None) => return None,
            };
            let (number, prompt, answer, answer_key) = describe(&questions, c.question_id, value)?;
            Some(ConditionView {
                id: c.id.to_string(),
                number,
                prompt,
                answer,
                answer_key,
            })
        })
        .collect();
    let outreaches: Vec<(String, String, String)> = sent
        .iter()
        .map(|o| {
            (
                o.id.to_string(),
                o.subject.clone(),
                dates::date(o.sent_at, page.lang, page.zone()),
            )
        })
        .collect();
    render_page(state, page, "surveys/segment.html", status, |c| {
        c.insert("section", "surveys");
        c.insert("segment", &segment_view(&segment, page));
        c.insert("conditions", &conditions);
        c.insert("choices", &answer_choices(&questions));
        c.insert("members", &members);
        c.insert("member_count", &count);
        c.insert("departments", &departments);
        c.insert("outreaches", &outreaches);
        c.insert("form", outreach);
        c.insert("errors", errors);
    })
}

#[derive(Deserialize)]
pub struct SegmentSettingsForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub matching: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub department: String,
}

pub async fn update_segment(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SegmentId>,
    Form(form): Form<SegmentSettingsForm>,
) -> Result<Response, AppError> {
    let name = text(&form.name, 1, 100).map_err(|_| {
        AppError::BadRequest("a segment needs a name of up to 100 characters".into())
    })?;
    let match_all = form.matching != "any";
    let kind = MemberKind::parse(form.kind.trim());
    let department = form.department.trim();
    let department = (!department.is_empty()).then_some(department);
    let mut tx = member.begin(&state).await?;
    if !queries::update(&mut tx, id, &name, match_all, kind, department).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!("/secretariat/segments/{id}?notice=saved")).into_response())
}

#[derive(Deserialize)]
pub struct ConditionForm {
    #[serde(default)]
    pub answer: String,
}

pub async fn add_condition(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SegmentId>,
    Form(form): Form<ConditionForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let segment = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = survey_queries::questions(&mut tx, segment.survey_id).await?;
    let Some((question, value)) = parse_answer(&questions, &form.answer) else {
        return Err(AppError::BadRequest("not an answer of this survey".into()));
    };
    queries::add_condition(&mut tx, id, question, value).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/segments/{id}?notice=saved#conditions"
    ))
    .into_response())
}

pub async fn remove_condition(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, condition)): Path<(SegmentId, Uuid)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::remove_condition(&mut tx, id, condition).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/segments/{id}?notice=saved#conditions"
    ))
    .into_response())
}

/// Sends an invitation to everyone in the segment now: each gets an in-app notification that
/// opens the invitation, and a place on the outreach's follow-up list ("sent").
pub async fn send_outreach(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SegmentId>,
    Form(form): Form<OutreachForm>,
) -> Result<Response, AppError> {
    let (subject, body, link) = match form.read() {
        Ok(fields) => fields,
        Err(errors) => {
            return render_segment(
                &state,
                &member,
                &page,
                id,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = member.begin(&state).await?;
    let segment = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let recipients = queries::members(&mut tx, id, i64::MAX).await?;
    let count = recipients.len();
    if count == 0 {
        tx.rollback().await?;
        let mut errors = FieldErrors::new();
        errors.insert("form", "errors.survey.empty_segment");
        return render_segment(
            &state,
            &member,
            &page,
            id,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let ids: Vec<MemberId> = recipients.iter().map(|m| m.id).collect();
    let list = followups::queries::create_outreach_list(&mut tx, &subject).await?;
    followups::queries::add(&mut tx, list, ListKind::Outreach, &ids).await?;
    let outreach =
        queries::create_outreach(&mut tx, id, list, member.id(), &subject, &body, &link).await?;
    tsunagu_community::notifications::notify(
        &mut tx,
        &ids,
        "outreach_invited",
        Some(member.id()),
        &subject,
        &format!("/invitations/{outreach}"),
    )
    .await?;
    // Email as each recipient chose for "surveys and invitations" (their own choice, else the
    // network's default); everyone has the notification either way.
    let invitation_url = format!(
        "{}/invitations/{outreach}",
        state.config.tenant_origin(&member.tenant.slug)
    );
    let emails = tsunagu_identity::email::send_to_consenting(
        &mut tx,
        &state.web,
        &state.config,
        &member.tenant,
        tsunagu_tenancy::EmailCategory::Surveys,
        &ids,
        &tsunagu_identity::email::ConsentEmail {
            kind: "outreach",
            args: vec![("subject", subject.clone()), ("message", body.clone())],
            action_url: Some(invitation_url),
            calendar: None,
        },
    )
    .await?;
    queries::record_outreach_email(&mut tx, outreach, emails.emailed, emails.digest, emails.off)
        .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "outreach.sent",
        "segment",
        Some(id.as_uuid()),
        serde_json::json!({
            "segment": segment.name, "subject": subject, "recipients": count,
            "emailed": emails.emailed, "email_digest": emails.digest, "email_off": emails.off,
        }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/outreach/{outreach}?notice=outreach_sent"
    ))
    .into_response())
}

#[derive(Serialize)]
struct FunnelStep {
    key: &'static str,
    count: i64,
}

#[derive(Serialize)]
struct RecipientView {
    member_id: String,
    name: String,
    status: FollowUpStatus,
    note: String,
    can_start_article: bool,
}

pub async fn show_outreach(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<OutreachId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let outreach = queries::find_outreach(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let survey = survey_queries::find(&mut tx, outreach.survey_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let in_segment = queries::member_count(&mut tx, outreach.segment_id).await?;
    let entries = followups::queries::entries(&mut tx, outreach.list_id).await?;
    tx.commit().await?;
    let may_write = member.may(&state, Permission::ManageArticles).await;
    let at = |statuses: &[FollowUpStatus]| {
        entries
            .iter()
            .filter(|e| statuses.contains(&e.status))
            .count() as i64
    };
    use FollowUpStatus::*;
    let funnel = [
        FunnelStep {
            key: "answered",
            count: survey.respondents,
        },
        FunnelStep {
            key: "in_segment",
            count: in_segment,
        },
        FunnelStep {
            key: "contacted",
            count: entries.len() as i64,
        },
        FunnelStep {
            key: "accepted",
            count: at(&[Accepted, Done]),
        },
        FunnelStep {
            key: "done",
            count: at(&[Done]),
        },
    ];
    let recipients: Vec<RecipientView> = entries
        .into_iter()
        .map(|e| RecipientView {
            member_id: e.member_id.to_string(),
            can_start_article: may_write && matches!(e.status, Accepted | Done),
            name: e.name,
            status: e.status,
            note: e.note,
        })
        .collect();
    render_page(
        &state,
        &page,
        "surveys/outreach.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "surveys");
            c.insert("outreach_id", &outreach.id.to_string());
            c.insert("segment_id", &outreach.segment_id.to_string());
            c.insert("segment_name", &outreach.segment_name);
            c.insert("survey_title", &survey.title);
            c.insert("subject", &outreach.subject);
            c.insert("body", &outreach.body);
            c.insert("link", &outreach.link);
            c.insert("emailed", &outreach.emailed);
            c.insert("email_digest", &outreach.email_digest);
            c.insert("email_off", &outreach.email_off);
            c.insert(
                "sent_label",
                &dates::datetime(outreach.sent_at, page.lang, page.zone()),
            );
            c.insert("funnel", &funnel);
            c.insert("recipients", &recipients);
            c.insert("statuses", ListKind::Outreach.statuses());
        },
    )
}

#[derive(Deserialize)]
pub struct RecipientForm {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub note: String,
}

pub async fn update_recipient(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, recipient)): Path<(OutreachId, MemberId)>,
    Form(form): Form<RecipientForm>,
) -> Result<Response, AppError> {
    let Some(status) =
        FollowUpStatus::parse(&form.status).filter(|s| ListKind::Outreach.statuses().contains(s))
    else {
        return Err(AppError::BadRequest("unknown follow-up status".into()));
    };
    let note =
        text(&form.note, 0, 2000).map_err(|_| AppError::BadRequest("note too long".into()))?;
    let mut tx = member.begin(&state).await?;
    let outreach = queries::find_outreach(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !followups::queries::update(&mut tx, outreach.list_id, recipient, status, &note).await? {
        return Err(AppError::NotFound);
    }
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/outreach/{id}?notice=saved#recipients"
    ))
    .into_response())
}

/// From an accepted interview: an article draft featuring the member, opened for editing.
pub async fn start_article(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path((id, recipient)): Path<(OutreachId, MemberId)>,
) -> Result<Response, AppError> {
    member.require(&state, Permission::ManageArticles).await?;
    let mut tx = member.begin(&state).await?;
    let outreach = queries::find_outreach(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let entries = followups::queries::entries(&mut tx, outreach.list_id).await?;
    let Some(entry) = entries.iter().find(|e| e.member_id == recipient) else {
        return Err(AppError::NotFound);
    };
    if !matches!(
        entry.status,
        FollowUpStatus::Accepted | FollowUpStatus::Done
    ) {
        tx.rollback().await?;
        return Ok(
            Redirect::to(&format!("/secretariat/outreach/{id}?notice=not_accepted"))
                .into_response(),
        );
    }
    let title = state.web.catalog.t(
        page.lang,
        "outreach.article_title",
        &[("name", entry.name.as_str())],
    );
    let featured = [recipient];
    let article = tsunagu_community::articles::queries::save(
        &mut tx,
        None,
        member.id(),
        &tsunagu_community::articles::queries::ArticleInput {
            title: &title,
            summary: "",
            body_html: "",
            status: ArticleStatus::Draft,
            publish_at: None,
            featured: Some(&featured),
        },
    )
    .await?
    .ok_or(AppError::NotFound)?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "outreach.article_started",
        "article",
        Some(article.as_uuid()),
        serde_json::json!({ "member": entry.name, "outreach": outreach.subject }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/articles/{article}/edit")).into_response())
}

/// A recipient's view of an invitation, with their answer to it.
pub async fn show_invitation(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<OutreachId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let outreach = queries::outreach_for_recipient(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let status = followups::queries::status_of(&mut tx, outreach.list_id, member.id()).await?;
    tx.commit().await?;
    render_page(
        &state,
        &page,
        "surveys/invitation.html",
        StatusCode::OK,
        |c| {
            c.insert("outreach_id", &outreach.id.to_string());
            c.insert("subject", &outreach.subject);
            c.insert("body", &outreach.body);
            c.insert("link", &outreach.link);
            c.insert(
                "sent_label",
                &dates::date(outreach.sent_at, page.lang, page.zone()),
            );
            c.insert("status", &status);
        },
    )
}

#[derive(Deserialize)]
pub struct ReplyForm {
    #[serde(default)]
    pub reply: String,
}

/// The recipient accepts or declines; the secretariat's list shows it at once.
pub async fn reply_to_invitation(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<OutreachId>,
    Form(form): Form<ReplyForm>,
) -> Result<Response, AppError> {
    let status = match form.reply.as_str() {
        "accept" => FollowUpStatus::Accepted,
        "decline" => FollowUpStatus::Declined,
        _ => {
            return Err(AppError::BadRequest(
                "reply must be accept or decline".into(),
            ))
        }
    };
    let mut tx = member.begin(&state).await?;
    let outreach = queries::outreach_for_recipient(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    followups::queries::set_status(&mut tx, outreach.list_id, member.id(), status).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/invitations/{id}?notice=invitation_answered")).into_response())
}
