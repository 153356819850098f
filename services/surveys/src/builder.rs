//! The secretariat's survey builder (`/secretariat/surveys`): the list, a draft's settings and
//! questions (add, edit, reorder, remove), publishing (which notifies the audience), closing,
//! and "edit" of a published survey as a new draft version. Every change is audited.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_authz::Permission;
use tsunagu_web::dates::{self, Zone};
use tsunagu_web::forms::{render_page, text, FieldErrors};
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::kinds::{Audience, QuestionKind, SurveyStatus};
use crate::queries::{
    self, Phase, Question, QuestionId, QuestionInput, Survey, SurveyId, SurveyInput,
};
use crate::segments::queries::{self as segment_queries, SegmentId};

/// Choices a single- or multiple-choice question may offer.
pub const MAX_OPTIONS: usize = 30;
/// Questions a survey may have.
pub const MAX_QUESTIONS: usize = 50;

#[derive(Serialize)]
pub struct SurveyView {
    pub id: String,
    pub title: String,
    pub intro: String,
    pub phase: Phase,
    pub anonymous: bool,
    pub allow_edits: bool,
    pub audience: Audience,
    /// The segment's name, when the audience is a segment.
    pub audience_segment: Option<String>,
    /// The event's title, when the survey asks those who came to it.
    pub audience_event: Option<String>,
    pub opens_at: String,
    pub closes_at: String,
    pub opens_label: String,
    pub closes_label: String,
    pub respondents: i64,
    pub previous_version_id: Option<String>,
    pub by_support: bool,
}

pub fn survey_view(survey: &Survey, page: &Page, now: OffsetDateTime) -> SurveyView {
    let zone = page.zone();
    let label = |at: Option<OffsetDateTime>| {
        at.map(|at| dates::datetime(at, page.lang, zone))
            .unwrap_or_default()
    };
    let input = |at: Option<OffsetDateTime>| {
        at.map(|at| dates::input_value(at, zone))
            .unwrap_or_default()
    };
    SurveyView {
        id: survey.id.to_string(),
        title: survey.title.clone(),
        intro: survey.intro.clone(),
        phase: survey.phase(now),
        anonymous: survey.anonymous,
        allow_edits: survey.allow_edits,
        audience: survey.audience,
        audience_segment: survey.audience_segment_name.clone(),
        audience_event: survey.audience_event_title.clone(),
        opens_at: input(survey.opens_at),
        closes_at: input(survey.closes_at),
        opens_label: label(survey.opens_at),
        closes_label: label(survey.closes_at),
        respondents: survey.respondents,
        previous_version_id: survey.previous_version_id.map(|id| id.to_string()),
        by_support: survey.by_support,
    }
}

#[derive(Serialize)]
pub struct OptionView {
    pub id: String,
    pub label: String,
}

#[derive(Serialize)]
pub struct QuestionView {
    pub id: String,
    pub number: usize,
    pub kind: QuestionKind,
    pub prompt: String,
    pub help: String,
    pub required: bool,
    pub allow_other: bool,
    pub has_options: bool,
    pub options: Vec<OptionView>,
    /// The options one per line, as the edit form's textarea shows them.
    pub options_text: String,
    pub first: bool,
    pub last: bool,
}

pub fn question_views(questions: &[Question]) -> Vec<QuestionView> {
    let count = questions.len();
    questions
        .iter()
        .enumerate()
        .map(|(i, q)| QuestionView {
            id: q.row.id.to_string(),
            number: i + 1,
            kind: q.row.kind,
            prompt: q.row.prompt.clone(),
            help: q.row.help.clone(),
            required: q.row.required,
            allow_other: q.row.allow_other,
            has_options: q.row.kind.has_options(),
            options: q
                .options
                .iter()
                .map(|o| OptionView {
                    id: o.id.to_string(),
                    label: o.label.clone(),
                })
                .collect(),
            options_text: q
                .options
                .iter()
                .map(|o| o.label.as_str())
                .collect::<Vec<_>>()
                .join("\n"),
            first: i == 0,
            last: i + 1 == count,
        })
        .collect()
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct SettingsForm {
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub intro: String,
    #[serde(default)]
    pub anonymous: Option<String>,
    #[serde(default)]
    pub allow_edits: Option<String>,
    #[serde(default)]
    pub audience: String,
    #[serde(default)]
    pub opens_at: String,
    #[serde(default)]
    pub closes_at: String,
}

impl SettingsForm {
    fn of(survey: &Survey, zone: Zone) -> Self {
        let input = |at: Option<OffsetDateTime>| {
            at.map(|at| dates::input_value(at, zone))
                .unwrap_or_default()
        };
        Self {
            title: survey.title.clone(),
            intro: survey.intro.clone(),
            anonymous: survey.anonymous.then(|| "on".to_owned()),
            allow_edits: survey.allow_edits.then(|| "on".to_owned()),
            audience: audience_value(survey.audience, survey.audience_segment_id),
            opens_at: input(survey.opens_at),
            closes_at: input(survey.closes_at),
        }
    }

    fn read(&self, zone: Zone) -> Result<SurveyInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let title = text(&self.title, 1, 200)
            .map_err(|e| errors.insert("title", e))
            .ok();
        let intro = text(&self.intro, 0, 5000)
            .map_err(|e| errors.insert("intro", e))
            .ok();
        let audience = parse_audience(self.audience.trim());
        if audience.is_none() {
            errors.insert("audience", "errors.survey.not_a_choice");
        }
        let date = |value: &str, field: &'static str, errors: &mut FieldErrors| {
            if value.trim().is_empty() {
                return None;
            }
            let parsed = dates::parse_input(value, zone);
            if parsed.is_none() {
                errors.insert(field, "errors.survey.invalid_date");
            }
            parsed
        };
        let opens_at = date(&self.opens_at, "opens_at", &mut errors);
        let closes_at = date(&self.closes_at, "closes_at", &mut errors);
        if let (Some(opens), Some(closes)) = (opens_at, closes_at) {
            if closes <= opens {
                errors.insert("closes_at", "errors.survey.closes_before_opens");
            }
        }
        let anonymous = self.anonymous.is_some();
        let allow_edits = self.allow_edits.is_some();
        if anonymous && allow_edits {
            errors.insert("allow_edits", "errors.survey.edits_need_names");
        }
        match (title, intro, audience) {
            (Some(title), Some(intro), Some((audience, audience_segment))) if errors.is_empty() => {
                Ok(SurveyInput {
                    title,
                    intro,
                    anonymous,
                    allow_edits,
                    audience,
                    audience_segment,
                    opens_at,
                    closes_at,
                })
            }
            _ => Err(errors),
        }
    }
}

/// The audience as the builder's select names it: `everyone`, `alumni`, `employees`, or
/// `segment:<id>`.
fn audience_value(audience: Audience, segment: Option<SegmentId>) -> String {
    match segment {
        Some(segment) => format!("segment:{segment}"),
        None => audience.as_str().to_owned(),
    }
}

/// Reads [`audience_value`] back; `None` for anything else (a bare `segment` included).
pub fn parse_audience(value: &str) -> Option<(Audience, Option<SegmentId>)> {
    match value.strip_prefix("segment:") {
        Some(id) => id.parse().ok().map(|id| (Audience::Segment, Some(id))),
        // `event` keeps a post-event survey's audience (the stored event stays; the builder can
        // neither set nor change it, see `queries::update_settings`).
        None => Audience::parse(value)
            .filter(|a| *a != Audience::Segment)
            .map(|a| (a, None)),
    }
}

/// The segments a survey can be sent to, for the audience select.
#[derive(Serialize)]
struct SegmentChoice {
    value: String,
    name: String,
    survey_title: String,
}

async fn segment_choices(
    tx: &mut tsunagu_kernel::TenantTx,
) -> Result<Vec<SegmentChoice>, tsunagu_kernel::DbError> {
    Ok(segment_queries::list_all(tx)
        .await?
        .into_iter()
        .map(|g| SegmentChoice {
            value: audience_value(Audience::Segment, Some(g.id)),
            name: g.name,
            survey_title: g.survey_title,
        })
        .collect())
}

/// Whether the input's segment (if any) is one of this network's.
async fn segment_exists(
    tx: &mut tsunagu_kernel::TenantTx,
    input: &SurveyInput,
) -> Result<bool, tsunagu_kernel::DbError> {
    match input.audience_segment {
        Some(segment) => Ok(segment_queries::find(tx, segment).await?.is_some()),
        None => Ok(true),
    }
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct QuestionForm {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub prompt: String,
    #[serde(default)]
    pub help: String,
    #[serde(default)]
    pub required: Option<String>,
    #[serde(default)]
    pub allow_other: Option<String>,
    /// Choices, one per line.
    #[serde(default)]
    pub options: String,
}

impl QuestionForm {
    fn read(&self) -> Result<QuestionInput, FieldErrors> {
        let mut errors = FieldErrors::new();
        let kind = QuestionKind::parse(self.kind.trim());
        if kind.is_none() {
            errors.insert("kind", "errors.survey.not_a_choice");
        }
        let prompt = text(&self.prompt, 1, 500)
            .map_err(|e| errors.insert("prompt", e))
            .ok();
        let help = text(&self.help, 0, 1000)
            .map_err(|e| errors.insert("help", e))
            .ok();
        let mut options: Vec<String> = Vec::new();
        if kind.is_some_and(QuestionKind::has_options) {
            for line in self.options.lines() {
                let label = line.trim();
                if label.is_empty() || options.iter().any(|o| o == label) {
                    continue;
                }
                if label.chars().count() > 200 {
                    errors.insert("options", "errors.field.too_long");
                }
                options.push(label.to_owned());
            }
            if options.len() < 2 {
                errors.insert("options", "errors.survey.two_choices");
            } else if options.len() > MAX_OPTIONS {
                errors.insert("options", "errors.survey.too_many_choices");
            }
        }
        match (kind, prompt, help) {
            (Some(kind), Some(prompt), Some(help)) if errors.is_empty() => Ok(QuestionInput {
                kind,
                prompt,
                help,
                required: self.required.is_some(),
                allow_other: kind.has_options() && self.allow_other.is_some(),
                options,
            }),
            _ => Err(errors),
        }
    }
}

fn builder_url(id: SurveyId, notice: &str) -> String {
    format!("/secretariat/surveys/{id}?notice={notice}")
}

async fn audit(
    tx: &mut tsunagu_kernel::TenantTx,
    action: &str,
    survey: SurveyId,
    title: &str,
) -> Result<(), tsunagu_kernel::DbError> {
    tsunagu_kernel::audit::record(
        tx,
        action,
        "survey",
        Some(survey.as_uuid()),
        serde_json::json!({ "title": title }),
    )
    .await
}

pub async fn list_surveys(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let surveys = queries::list_all(&mut tx).await?;
    tx.commit().await?;
    render_list(
        &state,
        &page,
        &surveys,
        &SettingsForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

fn render_list(
    state: &AppState,
    page: &Page,
    surveys: &[Survey],
    form: &SettingsForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let views: Vec<SurveyView> = surveys.iter().map(|s| survey_view(s, page, now)).collect();
    render_page(state, page, "surveys/list.html", status, |c| {
        c.insert("section", "surveys");
        c.insert("surveys", &views);
        c.insert("form", form);
        c.insert("errors", errors);
    })
}

/// Creates a draft from a title (the rest is set in the builder).
pub async fn create_survey(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let title = match text(&form.title, 1, 200) {
        Ok(title) => title,
        Err(key) => {
            let mut errors = FieldErrors::new();
            errors.insert("title", key);
            let mut tx = member.begin(&state).await?;
            let surveys = queries::list_all(&mut tx).await?;
            tx.commit().await?;
            return render_list(
                &state,
                &page,
                &surveys,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    // From a segment's page the new survey comes with that segment as its audience.
    let (audience, audience_segment) = if form.audience.trim().is_empty() {
        (Audience::Everyone, None)
    } else {
        parse_audience(form.audience.trim())
            .ok_or_else(|| AppError::BadRequest("unknown audience".into()))?
    };
    let input = SurveyInput {
        title,
        intro: String::new(),
        anonymous: false,
        allow_edits: false,
        audience,
        audience_segment,
        opens_at: None,
        closes_at: None,
    };
    let mut tx = member.begin(&state).await?;
    if !segment_exists(&mut tx, &input).await? {
        return Err(AppError::NotFound);
    }
    let id = queries::create(&mut tx, member.id(), &input).await?;
    audit(&mut tx, "survey.created", id, &input.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&builder_url(id, "saved")).into_response())
}

/// What the builder page shows besides the survey.
#[derive(Default)]
pub struct BuilderForms {
    pub settings: Option<SettingsForm>,
    pub settings_errors: FieldErrors,
    /// The new-question form, after an error.
    pub new_question: Option<QuestionForm>,
    pub new_question_errors: FieldErrors,
    /// An edited question's form after an error: (question id, form, errors).
    pub edited_question: Option<(QuestionId, QuestionForm, FieldErrors)>,
}

pub async fn show_builder(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    render_builder(
        &state,
        &member,
        &page,
        id,
        BuilderForms::default(),
        StatusCode::OK,
    )
    .await
}

async fn render_builder(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    id: SurveyId,
    forms: BuilderForms,
    status: StatusCode,
) -> Result<Response, AppError> {
    let can_publish = member.may(state, Permission::PublishContent).await;
    let mut tx = member.begin(state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = queries::questions(&mut tx, id).await?;
    let segments = segment_choices(&mut tx).await?;
    tx.commit().await?;
    let now = OffsetDateTime::now_utc();
    let view = survey_view(&survey, page, now);
    let settings = forms
        .settings
        .unwrap_or_else(|| SettingsForm::of(&survey, page.zone()));
    let (edited_id, edited_form, edited_errors) = match forms.edited_question {
        Some((question, form, errors)) => (Some(question.to_string()), Some(form), errors),
        None => (None, None, FieldErrors::new()),
    };
    render_page(state, page, "surveys/builder.html", status, |c| {
        c.insert("section", "surveys");
        c.insert("can_publish", &can_publish);
        c.insert("survey", &view);
        c.insert("questions", &question_views(&questions));
        c.insert("form", &settings);
        c.insert("errors", &forms.settings_errors);
        c.insert("new_question", &forms.new_question.unwrap_or_default());
        c.insert("new_question_errors", &forms.new_question_errors);
        c.insert("edited_question_id", &edited_id);
        c.insert("edited_question", &edited_form);
        c.insert("edited_question_errors", &edited_errors);
        c.insert("errors_none", &FieldErrors::new());
        c.insert("question_kinds", QuestionKind::ALL);
        c.insert("audiences", Audience::BY_KIND);
        c.insert("segments", &segments);
        c.insert("max_questions", &MAX_QUESTIONS);
    })
}

pub async fn update_settings(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
    Form(form): Form<SettingsForm>,
) -> Result<Response, AppError> {
    let input = match form.read(page.zone()) {
        Ok(input) => input,
        Err(errors) => {
            let forms = BuilderForms {
                settings: Some(form),
                settings_errors: errors,
                ..Default::default()
            };
            return render_builder(
                &state,
                &member,
                &page,
                id,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = member.begin(&state).await?;
    if !segment_exists(&mut tx, &input).await? {
        tx.rollback().await?;
        let mut errors = FieldErrors::new();
        errors.insert("audience", "errors.survey.not_a_choice");
        let forms = BuilderForms {
            settings: Some(form),
            settings_errors: errors,
            ..Default::default()
        };
        return render_builder(
            &state,
            &member,
            &page,
            id,
            forms,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    if !queries::update_settings(&mut tx, id, &input).await? {
        return Err(AppError::NotFound);
    }
    audit(&mut tx, "survey.updated", id, &input.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&builder_url(id, "saved")).into_response())
}

/// The survey if it is a draft; `None` when it has been published (its questions are frozen:
/// the caller sends the builder back with a notice saying so). 404 when there is no such survey.
/// Read in the caller's transaction, which then changes the questions (the statements check
/// `status = 'draft'` again, so a publication in between changes nothing).
async fn find_draft(
    tx: &mut tsunagu_kernel::TenantTx,
    id: SurveyId,
) -> Result<Option<Survey>, AppError> {
    let survey = queries::find(tx, id).await?.ok_or(AppError::NotFound)?;
    Ok((survey.status == SurveyStatus::Draft).then_some(survey))
}

/// Back to the builder, saying that a published survey's questions cannot change.
fn frozen(id: SurveyId) -> Response {
    Redirect::to(&builder_url(id, "survey_frozen")).into_response()
}

pub async fn add_question(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some(survey) = find_draft(&mut tx, id).await? else {
        tx.rollback().await?;
        return Ok(frozen(id));
    };
    let input = match form.read() {
        Ok(input) => input,
        Err(errors) => {
            tx.rollback().await?;
            let forms = BuilderForms {
                new_question: Some(form),
                new_question_errors: errors,
                ..Default::default()
            };
            return render_builder(
                &state,
                &member,
                &page,
                id,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if queries::questions(&mut tx, id).await?.len() >= MAX_QUESTIONS {
        tx.rollback().await?;
        let mut errors = FieldErrors::new();
        errors.insert("prompt", "errors.survey.too_many_questions");
        let forms = BuilderForms {
            new_question: Some(form),
            new_question_errors: errors,
            ..Default::default()
        };
        return render_builder(
            &state,
            &member,
            &page,
            id,
            forms,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let Some(question) = queries::add_question(&mut tx, id, &input).await? else {
        return Ok(frozen(id));
    };
    audit(&mut tx, "survey.question_added", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/surveys/{id}?notice=saved#q-{question}"
    ))
    .into_response())
}

pub async fn update_question(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path((id, question)): Path<(SurveyId, QuestionId)>,
    Form(form): Form<QuestionForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some(survey) = find_draft(&mut tx, id).await? else {
        tx.rollback().await?;
        return Ok(frozen(id));
    };
    let input = match form.read() {
        Ok(input) => input,
        Err(errors) => {
            tx.rollback().await?;
            let forms = BuilderForms {
                edited_question: Some((question, form, errors)),
                ..Default::default()
            };
            return render_builder(
                &state,
                &member,
                &page,
                id,
                forms,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    if !queries::update_question(&mut tx, id, question, &input).await? {
        return Err(AppError::NotFound);
    }
    audit(&mut tx, "survey.question_updated", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!(
        "/secretariat/surveys/{id}?notice=saved#q-{question}"
    ))
    .into_response())
}

pub async fn delete_question(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, question)): Path<(SurveyId, QuestionId)>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some(survey) = find_draft(&mut tx, id).await? else {
        tx.rollback().await?;
        return Ok(frozen(id));
    };
    if !queries::delete_question(&mut tx, id, question).await? {
        return Err(AppError::NotFound);
    }
    audit(&mut tx, "survey.question_deleted", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/secretariat/surveys/{id}?notice=saved#questions")).into_response())
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    pub direction: String,
}

pub async fn move_question(
    State(state): State<AppState>,
    member: Authorized,
    Path((id, question)): Path<(SurveyId, QuestionId)>,
    Form(form): Form<MoveForm>,
) -> Result<Response, AppError> {
    let up = match form.direction.as_str() {
        "up" => true,
        "down" => false,
        _ => return Err(AppError::BadRequest("direction must be up or down".into())),
    };
    let mut tx = member.begin(&state).await?;
    if find_draft(&mut tx, id).await?.is_none() {
        tx.rollback().await?;
        return Ok(frozen(id));
    }
    // At the top or bottom already: nothing to do, and nothing to say.
    queries::move_question(&mut tx, id, question, up).await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/secretariat/surveys/{id}#q-{question}")).into_response())
}

/// Publishes a draft and tells its audience (in-app notification; members see it on /surveys).
pub async fn publish(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    // Platform staff draft; the secretariat publishes (docs/adr/0004-support-sessions.md).
    member.require(&state, Permission::PublishContent).await?;
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if survey.status != SurveyStatus::Draft {
        return Ok(frozen(id));
    }
    if !queries::publish(&mut tx, id).await? {
        return Ok(Redirect::to(&builder_url(id, "survey_no_questions")).into_response());
    }
    let audience = queries::audience_members(&mut tx, &survey).await?;
    tsunagu_community::notifications::notify(
        &mut tx,
        &audience,
        "survey_opened",
        Some(member.id()),
        &survey.title,
        &format!("/surveys/{id}"),
    )
    .await?;
    audit(&mut tx, "survey.published", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&builder_url(id, "survey_published")).into_response())
}

pub async fn close(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    // Closing a live survey is the secretariat's, like publishing it.
    member.require(&state, Permission::PublishContent).await?;
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !queries::close(&mut tx, id).await? {
        return Ok(Redirect::to(&builder_url(id, "nothing_changed")).into_response());
    }
    audit(&mut tx, "survey.closed", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&builder_url(id, "survey_closed")).into_response())
}

/// "Edit" of a published survey: a new draft with the same settings and questions.
pub async fn new_version(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let copy = queries::new_version(&mut tx, id, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    audit(&mut tx, "survey.new_version", copy, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to(&builder_url(copy, "survey_new_version")).into_response())
}

pub async fn delete_draft(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if !queries::delete_draft(&mut tx, id).await? {
        return Ok(frozen(id));
    }
    audit(&mut tx, "survey.deleted", id, &survey.title).await?;
    tx.commit().await?;
    Ok(Redirect::to("/secretariat/surveys?notice=survey_deleted").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_forms() {
        let form = QuestionForm {
            kind: "single".into(),
            prompt: "今のお仕事は？".into(),
            options: "IT\n\n金融\nIT\n  製造  ".into(),
            allow_other: Some("on".into()),
            ..Default::default()
        };
        let input = form.read().unwrap();
        assert_eq!(
            input.options,
            ["IT", "金融", "製造"],
            "blank and repeated lines dropped"
        );
        assert!(input.allow_other);
        let one = QuestionForm {
            options: "IT".into(),
            ..form.clone()
        };
        assert_eq!(
            one.read().unwrap_err().get("options").copied(),
            Some("errors.survey.two_choices")
        );
        // Options and "other" mean nothing to a scale.
        let scale = QuestionForm {
            kind: "scale".into(),
            ..form.clone()
        };
        let input = scale.read().unwrap();
        assert!(input.options.is_empty() && !input.allow_other);
        let bad = QuestionForm {
            kind: "ranking".into(),
            prompt: " ".into(),
            ..Default::default()
        };
        let errors = bad.read().unwrap_err();
        assert_eq!(
            errors.get("kind").copied(),
            Some("errors.survey.not_a_choice")
        );
        assert_eq!(errors.get("prompt").copied(), Some("errors.field.required"));
    }

    #[test]
    fn settings_forms() {
        let form = SettingsForm {
            title: "キャリア調査".into(),
            audience: "alumni".into(),
            anonymous: Some("on".into()),
            allow_edits: Some("on".into()),
            opens_at: "2027-01-10T09:00".into(),
            closes_at: "2027-01-01T09:00".into(),
            ..Default::default()
        };
        let errors = form.read(Zone::JAPAN).unwrap_err();
        assert_eq!(
            errors.get("allow_edits").copied(),
            Some("errors.survey.edits_need_names")
        );
        assert_eq!(
            errors.get("closes_at").copied(),
            Some("errors.survey.closes_before_opens")
        );
        let ok = SettingsForm {
            allow_edits: None,
            closes_at: "2027-01-31T18:00".into(),
            ..form
        }
        .read(Zone::JAPAN)
        .unwrap();
        assert_eq!(ok.audience, Audience::Alumni);
        assert!(ok.anonymous);
        let opens = ok.opens_at.unwrap().to_offset(time::UtcOffset::UTC);
        assert_eq!(opens.hour(), 0, "09:00 in Japan is 00:00 UTC");
    }
}
