//! The secretariat's moderation queue (`/secretariat/moderation`): members report posts,
//! comments, messages and profiles (each feature files its own reports through
//! `tsunagu_kernel::moderation`); here the secretariat sees them grouped by subject, oldest first,
//! and hides, unhides, dismisses or suspends the author. Every decision is kept with who took it
//! and when, and is in the audit log. Hiding and unhiding are carried out by the feature that owns
//! the subject; a private message is shown only through the copy its report keeps.

pub mod queries;

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_community::timeline::queries::{self as timeline, CommentId, PostId};
use tsunagu_kernel::moderation::{self, Decision, NewDecision, SubjectKind};
use tsunagu_kernel::{MemberId, MemberStatus, TenantTx};
use tsunagu_messages::queries::{self as messages, MessageId};
use tsunagu_web::dates;
use tsunagu_web::forms::{render_page, text};
use tsunagu_web::{AppError, AppState, Authorized, Page};
use uuid::Uuid;

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "moderation/queue.html",
    "moderation/subject.html",
    "moderation/_subject.html",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member("/secretariat/moderation", ModerateTimeline, get(show_queue))
        .member(
            "/secretariat/moderation/{kind}/{id}",
            ModerateTimeline,
            get(show_subject).post(decide),
        )
}

/// Subjects shown on one queue page; the rest follow once these are dealt with.
const QUEUE_PAGE: i64 = 50;
/// Decisions shown in the history tab.
const HISTORY_PAGE: i64 = 100;
/// Reasons shown on a queue card (the subject's page has them all).
const REASONS_ON_CARD: usize = 3;

/// Where a subject stands now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
enum SubjectState {
    Visible,
    Hidden,
    /// Deleted by its author (or, for a profile, the member is no longer active).
    Gone,
}

/// A subject as the queue and its page show it.
#[derive(Debug, Serialize)]
struct SubjectView {
    kind: SubjectKind,
    id: Uuid,
    author_id: MemberId,
    author_name: String,
    state: SubjectState,
    /// Where members see it (None: a private message, or it is hidden or gone).
    link: Option<String>,
    /// The text as reported (or, for a subject hidden without a report, as it is now).
    text: String,
    reports: i64,
    reasons: Vec<String>,
    more_reasons: usize,
    first_reported: String,
    can_hide: bool,
    can_unhide: bool,
}

/// What the owning feature says about one subject.
#[derive(Clone)]
struct Found {
    state: SubjectState,
    /// Where members see it.
    link: Option<String>,
    /// Its text now (posts and comments; never a message's).
    text: Option<String>,
}

/// What the owning features say about each subject of a page.
#[derive(Default)]
struct Lookups {
    found: HashMap<(SubjectKind, Uuid), Found>,
}

impl Lookups {
    async fn load(
        tx: &mut TenantTx,
        // (kind, id, whether the author is an active member: a profile's state)
        subjects: &[(SubjectKind, Uuid, bool)],
    ) -> Result<Self, AppError> {
        let ids = |kind: SubjectKind| -> Vec<Uuid> {
            subjects
                .iter()
                .filter(|s| s.0 == kind)
                .map(|s| s.1)
                .collect()
        };
        let state = |hidden: bool| {
            if hidden {
                SubjectState::Hidden
            } else {
                SubjectState::Visible
            }
        };
        let mut found = HashMap::new();
        let posts: Vec<PostId> = ids(SubjectKind::Post).into_iter().map(PostId).collect();
        if !posts.is_empty() {
            for (id, hidden, body) in timeline::post_states(tx, &posts).await? {
                let link = (!hidden).then(|| format!("/posts/{id}"));
                found.insert(
                    (SubjectKind::Post, id.as_uuid()),
                    Found {
                        state: state(hidden),
                        link,
                        text: Some(body),
                    },
                );
            }
        }
        let comments: Vec<CommentId> = ids(SubjectKind::Comment)
            .into_iter()
            .map(CommentId)
            .collect();
        if !comments.is_empty() {
            for (id, post, hidden, body) in timeline::comment_states(tx, &comments).await? {
                let link = (!hidden).then(|| format!("/posts/{post}#comment-{id}"));
                found.insert(
                    (SubjectKind::Comment, id.as_uuid()),
                    Found {
                        state: state(hidden),
                        link,
                        text: Some(body),
                    },
                );
            }
        }
        let messages_: Vec<MessageId> = ids(SubjectKind::Message)
            .into_iter()
            .map(MessageId)
            .collect();
        if !messages_.is_empty() {
            for (id, hidden, deleted) in messages::moderation_states(tx, &messages_).await? {
                let state = if deleted {
                    SubjectState::Gone
                } else {
                    state(hidden)
                };
                found.insert(
                    (SubjectKind::Message, id.as_uuid()),
                    Found {
                        state,
                        link: None,
                        text: None,
                    },
                );
            }
        }
        for &(kind, id, active) in subjects {
            if kind != SubjectKind::Profile {
                continue;
            }
            let entry = Found {
                state: if active {
                    SubjectState::Visible
                } else {
                    SubjectState::Gone
                },
                link: active.then(|| format!("/members/{id}")),
                text: None,
            };
            found.insert((SubjectKind::Profile, id), entry);
        }
        Ok(Self { found })
    }

    fn view(
        &self,
        kind: SubjectKind,
        id: Uuid,
        author_id: MemberId,
        author_name: String,
        snapshot: Option<String>,
    ) -> SubjectView {
        let Found { state, link, text } = self.found.get(&(kind, id)).cloned().unwrap_or(Found {
            state: SubjectState::Gone,
            link: None,
            text: None,
        });
        let hideable = matches!(
            kind,
            SubjectKind::Post | SubjectKind::Comment | SubjectKind::Message
        );
        SubjectView {
            kind,
            id,
            author_id,
            author_name,
            state,
            link,
            text: snapshot.or(text).unwrap_or_default(),
            reports: 0,
            reasons: Vec::new(),
            more_reasons: 0,
            first_reported: String::new(),
            can_hide: hideable && state == SubjectState::Visible,
            can_unhide: hideable && state == SubjectState::Hidden,
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct QueueQuery {
    #[serde(default)]
    view: String,
}

#[derive(Debug, Serialize)]
struct DecisionView {
    kind: SubjectKind,
    id: Uuid,
    author_name: String,
    decision: Decision,
    decided_by: Option<String>,
    note: String,
    reports_resolved: i32,
    at: String,
    at_iso: String,
}

fn decision_views(rows: Vec<queries::DecisionRow>, page: &Page) -> Vec<DecisionView> {
    rows.into_iter()
        .map(|d| DecisionView {
            kind: d.subject_kind,
            id: d.subject_id,
            author_name: d.author_name,
            decision: d.decision,
            decided_by: d.decided_by_name,
            note: d.note,
            reports_resolved: d.reports_resolved,
            at: dates::datetime(d.created_at, page.lang, page.zone()),
            at_iso: dates::iso(d.created_at),
        })
        .collect()
}

/// `GET /secretariat/moderation`: the open reports by subject (or, `?view=decided`, the latest
/// decisions).
pub async fn show_queue(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<QueueQuery>,
) -> Result<Response, AppError> {
    let decided = query.view == "decided";
    let mut tx = member.begin(&state).await?;
    let open_count = moderation::count_open_subjects(&mut tx).await?;
    let mut subjects = Vec::new();
    let mut history = Vec::new();
    if decided {
        history = queries::recent_decisions(&mut tx, HISTORY_PAGE).await?;
    } else {
        let open = queries::open_subjects(&mut tx, QUEUE_PAGE).await?;
        let keys: Vec<_> = open
            .iter()
            .map(|s| (s.subject_kind, s.subject_id, s.author_active))
            .collect();
        let lookups = Lookups::load(&mut tx, &keys).await?;
        for s in open {
            let mut view = lookups.view(
                s.subject_kind,
                s.subject_id,
                s.author_id,
                s.author_name,
                Some(s.snapshot),
            );
            view.reports = s.reports;
            view.more_reasons = s.reasons.len().saturating_sub(REASONS_ON_CARD);
            view.reasons = s.reasons.into_iter().take(REASONS_ON_CARD).collect();
            view.first_reported = dates::datetime(s.first_reported, page.lang, page.zone());
            subjects.push(view);
        }
    }
    tx.commit().await?;
    let history = decision_views(history, &page);
    render_page(
        &state,
        &page,
        "moderation/queue.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "moderation");
            c.insert("decided", &decided);
            c.insert("open_count", &open_count);
            c.insert("subjects", &subjects);
            c.insert("history", &history);
        },
    )
}

fn subject_kind(word: &str) -> Result<SubjectKind, AppError> {
    SubjectKind::parse(word).ok_or(AppError::NotFound)
}

#[derive(Debug, Serialize)]
struct ReportView {
    reporter_name: String,
    reason: String,
    snapshot: String,
    at: String,
    at_iso: String,
    open: bool,
}

/// `GET /secretariat/moderation/{kind}/{id}`: one subject with every report and decision.
pub async fn show_subject(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path((kind, id)): Path<(String, Uuid)>,
) -> Result<Response, AppError> {
    let kind = subject_kind(&kind)?;
    let mut tx = member.begin(&state).await?;
    let author = queries::subject_author(&mut tx, kind, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let reports = queries::reports_of(&mut tx, kind, id).await?;
    let decisions = queries::decisions_of(&mut tx, kind, id).await?;
    let lookups = Lookups::load(&mut tx, &[(kind, id, author.active)]).await?;
    tx.commit().await?;
    let snapshot = reports.first().map(|r| r.snapshot.clone());
    let mut subject = lookups.view(kind, id, author.id, author.name, snapshot);
    subject.reports = reports.iter().filter(|r| r.resolved_at.is_none()).count() as i64;
    let reports: Vec<ReportView> = reports
        .into_iter()
        .map(|r| ReportView {
            reporter_name: r.reporter_name,
            reason: r.reason,
            snapshot: r.snapshot,
            at: dates::datetime(r.created_at, page.lang, page.zone()),
            at_iso: dates::iso(r.created_at),
            open: r.resolved_at.is_none(),
        })
        .collect();
    let decisions = decision_views(decisions, &page);
    render_page(
        &state,
        &page,
        "moderation/subject.html",
        StatusCode::OK,
        |c| {
            c.insert("section", "moderation");
            c.insert("subject", &subject);
            c.insert("reports", &reports);
            c.insert("decisions", &decisions);
        },
    )
}

#[derive(Debug, Deserialize)]
pub struct DecideForm {
    decision: String,
    #[serde(default)]
    note: String,
    /// "subject" to come back to the subject's page; the queue otherwise.
    #[serde(default)]
    back: String,
}

/// `POST /secretariat/moderation/{kind}/{id}`: hide, unhide, dismiss or suspend the author. The
/// change to the subject, the decision, the resolved reports and the audit record commit together.
pub async fn decide(
    State(state): State<AppState>,
    member: Authorized,
    Path((kind, id)): Path<(String, Uuid)>,
    Form(form): Form<DecideForm>,
) -> Result<Response, AppError> {
    let kind = subject_kind(&kind)?;
    let decision = Decision::parse(&form.decision)
        .ok_or_else(|| AppError::BadRequest("decision: hide, unhide, dismiss or suspend".into()))?;
    let note = text(&form.note, 0, 1000)
        .map_err(|_| AppError::BadRequest("note: at most 1000 characters".into()))?;
    let back = |notice: &str| {
        let path = if form.back == "subject" {
            format!("/secretariat/moderation/{kind}/{id}")
        } else {
            "/secretariat/moderation".to_owned()
        };
        Redirect::to(&format!("{path}?notice={notice}")).into_response()
    };
    let mut tx = member.begin(&state).await?;
    let author = queries::subject_author(&mut tx, kind, id)
        .await?
        .ok_or(AppError::NotFound)?
        .id;
    let carried_out = match decision {
        Decision::Hide | Decision::Unhide => {
            let hidden = decision == Decision::Hide;
            match kind {
                SubjectKind::Post => {
                    timeline::set_post_hidden(&mut tx, PostId(id), hidden, member.id())
                        .await?
                        .is_some()
                }
                SubjectKind::Comment => {
                    timeline::set_comment_hidden(&mut tx, CommentId(id), hidden)
                        .await?
                        .is_some()
                }
                SubjectKind::Message => messages::set_hidden(&mut tx, MessageId(id), hidden)
                    .await?
                    .is_some(),
                // A profile is dealt with by suspending its member.
                SubjectKind::Profile => false,
            }
        }
        Decision::Dismiss => true,
        Decision::Suspend => {
            if author == member.id() {
                tx.rollback().await?;
                return Ok(back("cannot_change_self"));
            }
            tsunagu_identity::queries::transition_status(
                &mut tx,
                author,
                &[MemberStatus::Active],
                MemberStatus::Suspended,
            )
            .await?
        }
    };
    if !carried_out {
        tx.rollback().await?;
        return Ok(back("nothing_changed"));
    }
    let (_, resolved) = moderation::decide(
        &mut tx,
        &NewDecision {
            kind,
            subject: id,
            author,
            decision,
            decided_by: Some(member.id()),
            note: &note,
        },
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        &format!("moderation.{decision}"),
        kind.as_str(),
        Some(id),
        serde_json::json!({ "author": author, "reports_resolved": resolved, "note": note }),
    )
    .await?;
    tx.commit().await?;
    if decision == Decision::Suspend {
        // A suspended member is signed out everywhere at once.
        state.sessions.destroy_all(member.tenant.id, author).await?;
    }
    Ok(back(&format!("moderation_{decision}")))
}
