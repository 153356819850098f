//! Surveys (アンケート): the secretariat builds a survey (questions of six kinds, audience, dates,
//! anonymous or named), publishes it (its questions freeze; "edit" makes a new version), members
//! answer it once (named surveys may allow changes until they close), and the secretariat reads
//! the results as server-rendered bar charts, filtered by member kind or by another question's
//! answer. See docs/SURVEYS.md for the model and the anonymity guarantee.

pub mod activity;
pub mod answering;
pub mod answers;
pub mod builder;
pub mod export;
pub mod kinds;
pub mod playbook;
pub mod queries;
pub mod results;
pub mod segments;

use axum::routing::{get, post};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "surveys/list.html",
    "surveys/builder.html",
    "surveys/_question_fields.html",
    "surveys/member_list.html",
    "surveys/answer.html",
    "surveys/results.html",
    "surveys/segments.html",
    "surveys/segment.html",
    "surveys/outreach.html",
    "surveys/invitation.html",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        // The secretariat's builder and results.
        .member(
            "/secretariat/surveys",
            ManageSurveys,
            get(builder::list_surveys).post(builder::create_survey),
        )
        .member(
            "/secretariat/surveys/{id}",
            ManageSurveys,
            get(builder::show_builder).post(builder::update_settings),
        )
        .member(
            "/secretariat/surveys/{id}/questions",
            ManageSurveys,
            post(builder::add_question),
        )
        .member(
            "/secretariat/surveys/{id}/questions/{question}",
            ManageSurveys,
            post(builder::update_question),
        )
        .member(
            "/secretariat/surveys/{id}/questions/{question}/delete",
            ManageSurveys,
            post(builder::delete_question),
        )
        .member(
            "/secretariat/surveys/{id}/questions/{question}/move",
            ManageSurveys,
            post(builder::move_question),
        )
        .member(
            "/secretariat/surveys/{id}/preview",
            ManageSurveys,
            get(answering::preview),
        )
        .member(
            "/secretariat/surveys/{id}/publish",
            ManageSurveys,
            post(builder::publish),
        )
        .member(
            "/secretariat/surveys/{id}/close",
            ManageSurveys,
            post(builder::close),
        )
        .member(
            "/secretariat/surveys/{id}/new-version",
            ManageSurveys,
            post(builder::new_version),
        )
        .member(
            "/secretariat/surveys/{id}/delete",
            ManageSurveys,
            post(builder::delete_draft),
        )
        .member(
            "/secretariat/surveys/{id}/results",
            ManageSurveys,
            get(results::show_results),
        )
        .member(
            "/secretariat/surveys/{id}/export.csv",
            ManageSurveys,
            get(export::export_csv),
        )
        // Segments of a named survey's respondents, and outreach to them.
        .member(
            "/secretariat/surveys/{id}/segments",
            ManageSurveys,
            post(segments::create_segment),
        )
        .member(
            "/secretariat/segments",
            ManageSurveys,
            get(segments::list_segments),
        )
        .member(
            "/secretariat/segments/{id}",
            ManageSurveys,
            get(segments::show_segment).post(segments::update_segment),
        )
        .member(
            "/secretariat/segments/{id}/conditions",
            ManageSurveys,
            post(segments::add_condition),
        )
        .member(
            "/secretariat/segments/{id}/conditions/{condition}/delete",
            ManageSurveys,
            post(segments::remove_condition),
        )
        .member(
            "/secretariat/segments/{id}/outreach",
            ManageSurveys,
            post(segments::send_outreach),
        )
        .member(
            "/secretariat/outreach/{id}",
            ManageSurveys,
            get(segments::show_outreach),
        )
        .member(
            "/secretariat/outreach/{id}/recipients/{member}",
            ManageSurveys,
            post(segments::update_recipient),
        )
        .member(
            "/secretariat/outreach/{id}/recipients/{member}/article",
            ManageSurveys,
            post(segments::start_article),
        )
        .member(
            "/invitations/{id}",
            AnswerSurveys,
            get(segments::show_invitation).post(segments::reply_to_invitation),
        )
        // Members answer.
        .member("/surveys", AnswerSurveys, get(answering::list_open))
        .member(
            "/surveys/{id}",
            AnswerSurveys,
            get(answering::show_form).post(answering::submit),
        )
}
