//! The library's pages: the secretariat's (and support staff's) `/secretariat/playbooks`, where
//! a template becomes a draft, and the console's `/playbooks`, with both languages, versions and
//! outcomes across networks.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use serde::Serialize;
use tsunagu_authz::Permission;
use tsunagu_console::StaffUser;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Authorized, Locale, Page};

use crate::library::{self, Kind, Playbook};
use crate::queries::{self, Outcome};

/// What making a draft of `kind` requires beyond the library itself.
fn permission_for(kind: Kind) -> Permission {
    match kind {
        Kind::Survey => Permission::ManageSurveys,
        Kind::Article => Permission::ManageArticles,
        Kind::Recruitment => Permission::OpenRecruitment,
        Kind::Event => Permission::CreateEvents,
    }
}

#[derive(Serialize)]
struct OutcomeView {
    networks: i64,
    uses: i64,
    /// The median, formatted (one decimal at most).
    median: String,
}

#[derive(Serialize)]
struct PlaybookCard {
    key: &'static str,
    kind: &'static str,
    version: i32,
    updated: &'static str,
    changes: &'static str,
    title: &'static str,
    summary: &'static str,
    /// The other language's title (the console shows both).
    title_other: &'static str,
    /// Survey questions in the template (0 for other kinds).
    questions: usize,
    outcome: Option<OutcomeView>,
    may_make: bool,
}

fn median_label(median: Option<f64>) -> String {
    match median {
        Some(m) if m.fract() == 0.0 => format!("{m:.0}"),
        Some(m) => format!("{m:.1}"),
        None => "–".into(),
    }
}

fn card(
    playbook: &'static Playbook,
    lang: Locale,
    outcomes: &HashMap<String, Outcome>,
    may_make: bool,
) -> PlaybookCard {
    let other = match lang {
        Locale::Ja => Locale::En,
        Locale::En => Locale::Ja,
    };
    PlaybookCard {
        key: &playbook.key,
        kind: playbook.kind.as_str(),
        version: playbook.version,
        updated: &playbook.updated,
        changes: &playbook.changes,
        title: playbook.title.get(lang),
        summary: playbook.summary.get(lang),
        title_other: playbook.title.get(other),
        questions: playbook.survey.as_ref().map_or(0, |s| s.questions.len()),
        outcome: outcomes.get(&playbook.key).map(|o| OutcomeView {
            networks: o.networks,
            uses: o.uses,
            median: median_label(o.median),
        }),
        may_make,
    }
}

fn by_key(outcomes: Vec<Outcome>) -> HashMap<String, Outcome> {
    outcomes
        .into_iter()
        .map(|o| (o.playbook_key.clone(), o))
        .collect()
}

#[derive(Serialize)]
struct UseView {
    title: String,
    version: i32,
    kind: String,
    url: String,
    by: Option<String>,
    at: String,
}

/// `GET /secretariat/playbooks`: the library, what each template did elsewhere (where 5
/// networks or more used it), and what this network made from it.
pub async fn show_library(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut may = HashMap::new();
    for kind in [Kind::Survey, Kind::Article, Kind::Recruitment, Kind::Event] {
        may.insert(kind, member.may(&state, permission_for(kind)).await);
    }
    let mut tx = member.begin(&state).await?;
    let outcomes = by_key(queries::outcomes(tx.conn()).await?);
    let uses = queries::uses(&mut tx, 20).await?;
    tx.commit().await?;
    let cards: Vec<PlaybookCard> = library::library()
        .iter()
        .map(|p| card(p, page.lang, &outcomes, may[&p.kind]))
        .collect();
    let uses: Vec<UseView> = uses
        .into_iter()
        .map(|u| {
            let playbook = library::find(&u.playbook_key);
            let url = match u.subject_kind.as_str() {
                "survey" => format!("/secretariat/surveys/{}", u.subject_id),
                "article" => format!("/articles/{}", u.subject_id),
                "recruitment" => format!("/recruitments/{}", u.subject_id),
                _ => format!("/events/{}", u.subject_id),
            };
            UseView {
                title: playbook
                    .map(|p| p.title.get(page.lang).to_owned())
                    .unwrap_or(u.playbook_key),
                version: u.playbook_version,
                kind: u.subject_kind,
                url,
                by: u.used_by_name,
                at: tsunagu_web::dates::datetime(u.created_at, page.lang, page.zone()),
            }
        })
        .collect();
    render_page(
        &state,
        &page,
        "playbooks/library.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "playbooks");
            c.insert("playbooks", &cards);
            c.insert("uses", &uses);
            c.insert("k_min", &5);
        },
    )
}

/// `POST /secretariat/playbooks/{key}`: makes a draft from the template in this network and
/// opens it for editing. Audited with the template's key and version.
pub async fn make_draft(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(key): Path<String>,
) -> Result<Response, AppError> {
    let Some(playbook) = library::find(&key) else {
        return Err(AppError::NotFound);
    };
    member
        .require(&state, permission_for(playbook.kind))
        .await?;
    let mut tx = member.begin(&state).await?;
    let made = crate::apply::make_draft(
        &mut tx,
        playbook,
        page.lang,
        page.zone(),
        member.id(),
        state.clock.now(),
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "playbook.used",
        made.kind.as_str(),
        Some(made.id),
        serde_json::json!({ "playbook": playbook.key, "version": playbook.version }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("{}?notice=playbook_drafted", made.url)).into_response())
}

/// `GET /playbooks` on the console: the library in both languages with versions and outcomes.
pub async fn show_console_library(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_platform().await?;
    let outcomes = by_key(queries::outcomes(tx.conn()).await?);
    tx.commit().await?;
    let cards: Vec<PlaybookCard> = library::library()
        .iter()
        .map(|p| card(p, page.lang, &outcomes, false))
        .collect();
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", &staff.0);
    context.insert("playbooks", &cards);
    context.insert("k_min", &5);
    Ok(Html(state.web.render("console/playbooks.html", &context)?).into_response())
}
