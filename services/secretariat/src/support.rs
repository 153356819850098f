//! Support access (`/secretariat/support`): the secretariat lets the platform's customer-success
//! staff help it — for 24 hours or 7 days, with a scope — sees every grant it gave, and revokes
//! any at once. Every grant and revocation is audited. Within a live grant, staff enter the
//! network from the console (`/support/enter`, a one-time handoff) as its "Tsunagu CS" member with
//! a staff actor (docs/adr/0004-support-sessions.md), see what the grant's scopes reach from
//! `/support`, and leave.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_identity::handlers::redirect_with_cookies;
use tsunagu_kernel::{audit, Actor, MemberKind, MemberRole};
use tsunagu_web::forms::{render_page, text, FieldErrors};
use tsunagu_web::session::{clear_session_cookie, session_cookie, SessionData, SupportAccess};
use tsunagu_web::{AppError, AppState, Authorized, Page, Visitor};

use crate::support_queries::{self as queries, GrantId, Scope};

/// How long a grant lasts: the two choices the page offers.
const DURATIONS: &[(&str, i32)] = &[("24h", 1), ("7d", 7)];

#[derive(Debug, Serialize)]
struct GrantView {
    id: GrantId,
    /// live, revoked or ended
    state: &'static str,
    granted_by: Option<String>,
    revoked_by: Option<String>,
    scopes: Vec<String>,
    note: String,
    granted_at: String,
    until: String,
    until_iso: String,
    revoked_at: Option<String>,
}

/// A request from CS as the support page lists it.
#[derive(Debug, Serialize)]
struct RequestView {
    id: queries::RequestId,
    staff_name: String,
    scopes: Vec<String>,
    duration: &'static str,
    note: String,
    asked_at: String,
    /// approved, declined, or none yet
    answer: Option<String>,
    answered_by: Option<String>,
    answered_at: Option<String>,
}

/// The form of support access — a grant on the support page, a request in the console: `duration`
/// (24h or 7d), one `scope` field per scope, `note`. Kept as sent, to show again when refused.
#[derive(Debug, Default, Serialize)]
pub struct GrantForm {
    pub duration: String,
    pub scopes: Vec<String>,
    pub note: String,
}

/// What a valid [`GrantForm`] asks for.
pub struct AccessAsked {
    pub days: i32,
    pub scopes: Vec<Scope>,
    pub note: String,
}

impl GrantForm {
    /// Reads the form's fields (a scope field per chosen scope).
    pub fn read(fields: &[(String, String)]) -> Self {
        let value = |name: &str| {
            fields
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.trim().to_owned())
                .unwrap_or_default()
        };
        Self {
            duration: value("duration"),
            scopes: fields
                .iter()
                .filter(|(k, _)| k == "scope")
                .map(|(_, v)| v.clone())
                .collect(),
            note: value("note"),
        }
    }

    /// The duration, the scopes (at least one, each once) and the note (500 characters at most),
    /// or the errors to show.
    pub fn check(&self) -> Result<AccessAsked, FieldErrors> {
        let mut errors = FieldErrors::new();
        let days = DURATIONS
            .iter()
            .find(|(d, _)| *d == self.duration)
            .map(|(_, days)| *days);
        if days.is_none() {
            errors.insert("duration", "errors.field.choice");
        }
        let mut scopes: Vec<Scope> = Vec::new();
        for word in &self.scopes {
            match Scope::parse(word) {
                Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
                Some(_) => {}
                None => {
                    errors.insert("scope", "errors.field.choice");
                }
            }
        }
        if scopes.is_empty() {
            errors.insert("scope", "errors.support.scope_required");
        }
        let note = text(&self.note, 0, 500).unwrap_or_else(|key| {
            errors.insert("note", key);
            String::new()
        });
        match (days, errors.is_empty()) {
            (Some(days), true) => Ok(AccessAsked { days, scopes, note }),
            _ => Err(errors),
        }
    }
}

async fn render_support(
    state: &AppState,
    page: &Page,
    member: &Authorized,
    form: &GrantForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = member.begin(state).await?;
    let grants = queries::grants(&mut tx, 50).await?;
    let requests = queries::requests(&mut tx, 20).await?;
    tx.commit().await?;
    let requests: Vec<RequestView> = requests
        .into_iter()
        .map(|r| RequestView {
            id: r.id,
            staff_name: r.staff_name,
            scopes: r.scopes,
            duration: if r.days == 7 { "7d" } else { "24h" },
            note: r.note,
            asked_at: tsunagu_web::dates::datetime(r.created_at, page.lang, page.zone()),
            answer: r.answer,
            answered_by: r.answered_by_name,
            answered_at: r
                .answered_at
                .map(|at| tsunagu_web::dates::datetime(at, page.lang, page.zone())),
        })
        .collect();
    let now = OffsetDateTime::now_utc();
    let (lang, zone) = (page.lang, page.zone());
    let when = |at| tsunagu_web::dates::datetime(at, lang, zone);
    let views: Vec<GrantView> = grants
        .into_iter()
        .map(|g| GrantView {
            id: g.id,
            state: if g.live(now) {
                "live"
            } else if g.revoked_at.is_some() {
                "revoked"
            } else {
                "ended"
            },
            granted_by: g.granted_by_name,
            revoked_by: g.revoked_by_name,
            scopes: g.scopes,
            note: g.note,
            granted_at: when(g.created_at),
            until: when(g.expires_at),
            until_iso: tsunagu_web::dates::iso(g.expires_at),
            revoked_at: g.revoked_at.map(when),
        })
        .collect();
    let live_until = views
        .iter()
        .filter(|g| g.state == "live")
        .map(|g| g.until.clone())
        .next();
    render_page(state, page, "secretariat/support.html", status, |c| {
        c.insert("section", "support");
        c.insert("grants", &views);
        c.insert("requests", &requests);
        c.insert("live_until", &live_until);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert(
            "all_scopes",
            &Scope::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
        );
        c.insert(
            "durations",
            &DURATIONS.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        );
    })
}

/// `GET /secretariat/support`.
pub async fn show_support(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let form = GrantForm {
        duration: "24h".into(),
        scopes: vec![Scope::Content.as_str().into()],
        note: String::new(),
    };
    render_support(
        &state,
        &page,
        &member,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

/// `POST /secretariat/support`: `duration` (24h or 7d), one `scope` field per scope, `note`.
pub async fn grant_support(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    let form = GrantForm::read(&fields);
    let AccessAsked { days, scopes, note } = match form.check() {
        Ok(asked) => asked,
        Err(errors) => {
            return render_support(
                &state,
                &page,
                &member,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let mut tx = member.begin(&state).await?;
    let (id, expires_at) = queries::grant(&mut tx, member.id(), &scopes, &note, days).await?;
    audit::record(
        &mut tx,
        "support.granted",
        "support_grant",
        Some(id.as_uuid()),
        serde_json::json!({
            "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "until": tsunagu_web::dates::iso(expires_at),
        }),
    )
    .await?;
    tx.commit().await?;
    refresh_banner(&state, &member).await?;
    Ok(Redirect::to("/secretariat/support?notice=support_granted").into_response())
}

/// `POST /secretariat/support/{id}/revoke`: ends the grant now.
pub async fn revoke_support(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<GrantId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::revoke(&mut tx, id, member.id()).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        "support.revoked",
        "support_grant",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    refresh_banner(&state, &member).await?;
    Ok(Redirect::to("/secretariat/support?notice=support_revoked").into_response())
}

/// The network's live grant (if any) for the secretariat's banner, after a grant or revocation.
async fn refresh_banner(state: &AppState, member: &Authorized) -> Result<(), AppError> {
    let mut tx = member.begin(state).await?;
    let live = queries::live_grant(&mut tx).await?;
    tx.commit().await?;
    tsunagu_web::support::set_support_until(
        state,
        member.tenant.id,
        live.map(|grant| grant.expires_at),
    )
    .await;
    Ok(())
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct EnterQuery {
    #[serde(default)]
    token: String,
}

/// `GET /support/enter?token=…` (public: the console's one-time handoff is the credential).
/// Starts a support session within the network's live grant and lands on `/support`. An unknown,
/// used or expired token, one for another network, or no live grant: 404.
pub async fn enter_as_support(
    State(state): State<AppState>,
    visitor: Visitor,
    Query(query): Query<EnterQuery>,
) -> Result<Response, AppError> {
    let Some(handoff) = tsunagu_web::support::take_handoff(&state, &query.token).await? else {
        return Err(AppError::NotFound);
    };
    if handoff.tenant_id != visitor.id {
        return Err(AppError::NotFound);
    }
    let mut tx = visitor.begin(&state, Actor::System).await?;
    let grant = match queries::live_grant(&mut tx).await? {
        Some(grant) if grant.expires_at > state.clock.now() => grant,
        _ => {
            tx.rollback().await?;
            return Err(AppError::NotFound);
        }
    };
    let cs_member = tsunagu_identity::queries::support_member(&mut tx).await?;
    tx.commit().await?;
    let support = SupportAccess {
        staff_id: handoff.staff_id,
        staff_name: handoff.staff_name.clone(),
        grant_id: grant.id.as_uuid(),
        scopes: grant.scopes.clone(),
        until: grant.expires_at.unix_timestamp(),
    };
    let mut tx = visitor.begin(&state, support.actor()).await?;
    audit::record(
        &mut tx,
        "support.entered",
        "support_grant",
        Some(grant.id.as_uuid()),
        serde_json::json!({ "staff": handoff.staff_name, "scopes": grant.scopes }),
    )
    .await?;
    tx.commit().await?;
    let session = state
        .sessions
        .create(&SessionData {
            tenant_id: visitor.id,
            member_id: cs_member,
            kind: MemberKind::Employee,
            role: MemberRole::Member,
            display_name: "Tsunagu CS".into(),
            locale: None,
            signed_in_at: state.clock.now().unix_timestamp(),
            support: Some(support),
        })
        .await?;
    Ok(redirect_with_cookies(
        "/support",
        &[session_cookie(state.config.https, &session)],
    ))
}

/// What a scope lets staff do, as links on the support page.
#[derive(Debug, Serialize)]
struct SupportLink {
    scope: String,
    href: &'static str,
    label_key: &'static str,
}

fn scope_links(scopes: &[String]) -> Vec<SupportLink> {
    let mut links = Vec::new();
    for scope in scopes {
        let targets: &[(&str, &str)] = match scope.as_str() {
            "content" => &[
                ("/articles/new", "support.link.new_article"),
                ("/articles", "support.link.articles"),
            ],
            "recruitments" => &[
                ("/recruitments/new", "support.link.new_recruitment"),
                ("/recruitments", "support.link.recruitments"),
            ],
            "surveys" => &[("/secretariat/surveys", "support.link.surveys")],
            "events" => &[
                ("/events/new", "support.link.new_event"),
                ("/events", "support.link.events"),
            ],
            "members_read" => &[("/members", "support.link.members")],
            _ => &[],
        };
        links.extend(targets.iter().map(|(href, label_key)| SupportLink {
            scope: scope.clone(),
            href,
            label_key,
        }));
    }
    // Every scope may turn a template of its own kind into a draft.
    links.push(SupportLink {
        scope: String::new(),
        href: "/secretariat/playbooks",
        label_key: "support.link.playbooks",
    });
    links
}

/// `GET /support`: what this grant lets the staff person do here, until when, and leaving.
pub async fn show_support_home(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let Some(support) = member.support() else {
        return Err(AppError::NotFound);
    };
    let links = scope_links(&support.scopes);
    let scopes = support.scopes.clone();
    render_page(&state, &page, "support/home.html", StatusCode::OK, |c| {
        c.insert("links", &links);
        c.insert("scopes", &scopes);
    })
}

/// `POST /support/leave`: ends the support session. It lands on the network's home page, since a
/// form may not redirect to another origin (CSP `form-action 'self'`); the notice points back to
/// the console.
pub async fn leave_support(
    State(state): State<AppState>,
    member: Authorized,
) -> Result<Response, AppError> {
    let Some(support) = member.support() else {
        return Err(AppError::NotFound);
    };
    let mut tx = member.begin(&state).await?;
    audit::record(
        &mut tx,
        "support.left",
        "support_grant",
        Some(support.grant_id),
        serde_json::json!({ "staff": support.staff_name }),
    )
    .await?;
    tx.commit().await?;
    state
        .sessions
        .destroy(member.tenant.id, &member.session_id)
        .await?;
    Ok(redirect_with_cookies(
        "/?notice=support_left",
        &[clear_session_cookie(state.config.https)],
    ))
}

/// `POST /secretariat/support/requests/{id}/approve`: grants exactly what CS asked for, from now.
pub async fn approve_request(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::RequestId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some((scope_words, days, staff_name)) = queries::open_request(&mut tx, id).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    let scopes: Vec<Scope> = scope_words.iter().filter_map(|s| Scope::parse(s)).collect();
    let note = staff_name.clone();
    let (grant, expires_at) = queries::grant(&mut tx, member.id(), &scopes, &note, days).await?;
    queries::answer(&mut tx, id, "approved", member.id(), Some(grant)).await?;
    audit::record(
        &mut tx,
        "support.granted",
        "support_grant",
        Some(grant.as_uuid()),
        serde_json::json!({
            "scopes": scope_words,
            "until": tsunagu_web::dates::iso(expires_at),
            "requested_by": staff_name,
        }),
    )
    .await?;
    tx.commit().await?;
    refresh_banner(&state, &member).await?;
    Ok(Redirect::to("/secretariat/support?notice=support_granted").into_response())
}

/// `POST /secretariat/support/requests/{id}/decline`.
pub async fn decline_request(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::RequestId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some((_, _, staff_name)) = queries::open_request(&mut tx, id).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    queries::answer(&mut tx, id, "declined", member.id(), None).await?;
    audit::record(
        &mut tx,
        "support.request_declined",
        "support_request",
        Some(id.as_uuid()),
        serde_json::json!({ "requested_by": staff_name }),
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/secretariat/support?notice=support_request_declined").into_response())
}
