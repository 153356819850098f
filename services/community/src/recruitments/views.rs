//! What the recruitments pages show: a recruitment with its reaction counts, who reacted, and
//! the form to open one.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use tsunagu_kernel::MemberId;
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::{AppError, AppState, Page};

use super::forms::RecruitmentForm;
use super::queries;
use crate::kinds::{Reaction, RecruitmentStatus};
use crate::view::{linkify, render, Segment};
use tsunagu_web::dates::{self, Zone};

#[derive(Serialize)]
pub struct RecruitmentView {
    id: queries::RecruitmentId,
    title: String,
    author_name: String,
    author_id: MemberId,
    paragraphs: Vec<Vec<Segment>>,
    deadline: Option<String>,
    open: bool,
    /// Waiting for the secretariat's approval (seen only by those who manage 募集).
    draft: bool,
    created_label: String,
    counts: serde_json::Value,
    mine: Vec<String>,
}

pub(super) fn view(
    r: queries::Recruitment,
    lang: tsunagu_web::Locale,
    zone: Zone,
) -> RecruitmentView {
    RecruitmentView {
        paragraphs: linkify(&r.body),
        deadline: r.deadline.map(|d| d.to_string()),
        open: r.status == RecruitmentStatus::Open,
        draft: r.status == RecruitmentStatus::Draft,
        created_label: dates::datetime(r.created_at, lang, zone),
        counts: serde_json::json!({ "cheer": r.cheer_count, "interested": r.interested_count, "see_later": r.see_later_count }),
        id: r.id,
        title: r.title,
        author_name: r.author_name,
        author_id: r.author_id,
        mine: r.mine,
    }
}

pub(super) fn render_new(
    state: &AppState,
    page: &Page,
    form: &RecruitmentForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    render(state, page, "recruitments/new.html", status, |c| {
        c.insert("form", form);
        c.insert("errors", errors);
    })
}

#[derive(Serialize)]
pub(super) struct ReactorGroup {
    pub(super) reaction: Reaction,
    pub(super) people: Vec<queries::Reactor>,
}
