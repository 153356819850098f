//! Members answer surveys: the open ones for them (`/surveys`), the form (`/surveys/{id}`), the
//! submission; and the secretariat's preview of the same form. Works without JavaScript: an
//! error re-renders the form with everything the member sent and a message at each question.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_web::dates;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::answers::{self, AnswerErrors, Sent};
use crate::builder::{question_views, survey_view};
use crate::kinds::SurveyStatus;
use crate::queries::{self, Phase, Question, Submitted, Survey, SurveyId};

/// The home page's pointers: the open surveys this member has not answered yet
/// (`tsunagu_web::state::Features::home_items`).
pub fn home_items(
    tx: &mut tsunagu_kernel::TenantTx,
    member: tsunagu_kernel::MemberId,
    kind: tsunagu_kernel::MemberKind,
) -> std::pin::Pin<
    Box<
        dyn std::future::Future<
                Output = Result<Vec<tsunagu_web::state::HomeItem>, tsunagu_kernel::DbError>,
            > + Send
            + '_,
    >,
> {
    Box::pin(async move {
        Ok(queries::open_for(tx, member, kind)
            .await?
            .into_iter()
            .filter(|s| !s.answered)
            .take(5)
            .map(|s| tsunagu_web::state::HomeItem {
                label_key: "home.survey_waiting",
                url: format!("/surveys/{}", s.id),
                title: s.title,
            })
            .collect())
    })
}

#[derive(Serialize)]
struct OpenSurveyView {
    id: String,
    title: String,
    intro: String,
    anonymous: bool,
    closes_label: String,
    answered: bool,
}

pub async fn list_open(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let surveys = queries::open_for(&mut tx, member.id(), member.data.kind).await?;
    tx.commit().await?;
    let views: Vec<OpenSurveyView> = surveys
        .into_iter()
        .map(|s| OpenSurveyView {
            id: s.id.to_string(),
            title: s.title,
            intro: s.intro,
            anonymous: s.anonymous,
            closes_label: s
                .closes_at
                .map(|at| dates::datetime(at, page.lang, page.zone()))
                .unwrap_or_default(),
            answered: s.answered,
        })
        .collect();
    render_page(
        &state,
        &page,
        "surveys/member_list.html",
        StatusCode::OK,
        |c| {
            c.insert("surveys", &views);
        },
    )
}

/// What the survey page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum Showing {
    /// The form (empty, as sent after an error, or the member's answers to change).
    Form,
    /// The secretariat's preview: the form, with nothing to send.
    Preview,
    /// The survey's audience does not include this member.
    NotForYou,
    Scheduled,
    Closed,
    /// Answered, and the survey does not take changes.
    Answered,
}

/// Whether a member who has answered may change the answers: named surveys that allow it.
fn takes_changes(survey: &Survey) -> bool {
    survey.allow_edits && !survey.anonymous
}

#[allow(clippy::too_many_arguments)]
fn render_survey(
    state: &AppState,
    page: &Page,
    survey: &Survey,
    questions: &[Question],
    showing: Showing,
    sent: &Sent,
    errors: &AnswerErrors,
    answered: bool,
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let view = survey_view(survey, page, now);
    render_page(state, page, "surveys/answer.html", status, |c| {
        c.insert("survey", &view);
        c.insert("questions", &question_views(questions));
        c.insert("showing", &showing);
        c.insert("sent", &sent.0);
        c.insert("answer_errors", errors);
        c.insert("answered", &answered);
        c.insert("scale", &[1, 2, 3, 4, 5]);
    })
}

/// Where a member stands with a survey, before the form: what to show instead of it, if
/// anything.
fn standing(survey: &Survey, in_audience: bool, answered: bool) -> Option<Showing> {
    let now = OffsetDateTime::now_utc();
    if !in_audience {
        return Some(Showing::NotForYou);
    }
    match survey.phase(now) {
        Phase::Draft => None,
        Phase::Scheduled => Some(Showing::Scheduled),
        Phase::Closed => Some(Showing::Closed),
        Phase::Open if answered && !takes_changes(survey) => Some(Showing::Answered),
        Phase::Open => None,
    }
}

pub async fn show_form(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id).await?;
    // A draft does not exist for members.
    let Some(survey) = survey.filter(|s| s.status != SurveyStatus::Draft) else {
        return Err(AppError::NotFound);
    };
    let answered = queries::has_answered(&mut tx, id, member.id()).await?;
    let in_audience = queries::includes(&mut tx, &survey, member.id(), member.data.kind).await?;
    let questions = queries::questions(&mut tx, id).await?;
    let own = if answered && !survey.anonymous {
        queries::own_answers(&mut tx, id, member.id()).await?
    } else {
        Vec::new()
    };
    tx.commit().await?;
    let (showing, status) = match standing(&survey, in_audience, answered) {
        Some(Showing::NotForYou) => (Showing::NotForYou, StatusCode::FORBIDDEN),
        Some(other) => (other, StatusCode::OK),
        None => (Showing::Form, StatusCode::OK),
    };
    let sent = Sent::from_answers(&own);
    render_survey(
        &state,
        &page,
        &survey,
        &questions,
        showing,
        &sent,
        &AnswerErrors::new(),
        answered,
        status,
    )
}

pub async fn submit(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let sent = Sent::from_pairs(pairs);
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id).await?;
    let Some(survey) = survey.filter(|s| s.status != SurveyStatus::Draft) else {
        return Err(AppError::NotFound);
    };
    let answered = queries::has_answered(&mut tx, id, member.id()).await?;
    let in_audience = queries::includes(&mut tx, &survey, member.id(), member.data.kind).await?;
    let questions = queries::questions(&mut tx, id).await?;
    // Not for this member, not open, or answered for good: nothing is stored, and the page says
    // why (with what they typed gone only in the cases where it can never be sent).
    if let Some(showing) = standing(&survey, in_audience, answered) {
        tx.rollback().await?;
        let status = match showing {
            Showing::NotForYou => StatusCode::FORBIDDEN,
            _ => StatusCode::CONFLICT,
        };
        return render_survey(
            &state,
            &page,
            &survey,
            &questions,
            showing,
            &sent,
            &AnswerErrors::new(),
            answered,
            status,
        );
    }
    let given = match answers::read(&questions, &sent) {
        Ok(given) => given,
        Err(errors) => {
            tx.rollback().await?;
            return render_survey(
                &state,
                &page,
                &survey,
                &questions,
                Showing::Form,
                &sent,
                &errors,
                answered,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    match queries::submit(&mut tx, &survey, member.id(), &given).await? {
        Submitted::AlreadyAnswered => {
            // Another tab or a double submission got there first.
            tx.rollback().await?;
            render_survey(
                &state,
                &page,
                &survey,
                &questions,
                Showing::Answered,
                &Sent::default(),
                &AnswerErrors::new(),
                true,
                StatusCode::CONFLICT,
            )
        }
        Submitted::Saved | Submitted::Replaced => {
            tx.commit().await?;
            Ok(Redirect::to(&format!("/surveys/{id}?notice=survey_answered")).into_response())
        }
    }
}

/// The secretariat's preview: the form as a member sees it, without a send button.
pub async fn preview(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<SurveyId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let survey = queries::find(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let questions = queries::questions(&mut tx, id).await?;
    tx.commit().await?;
    render_survey(
        &state,
        &page,
        &survey,
        &questions,
        Showing::Preview,
        &Sent(HashMap::new()),
        &AnswerErrors::new(),
        false,
        StatusCode::OK,
    )
}
