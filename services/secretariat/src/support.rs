//! Support access (`/secretariat/support`): the secretariat lets the platform's customer-success
//! staff help it — for 24 hours or 7 days, with a scope — sees every grant it gave, and revokes
//! any at once. Every grant and revocation is audited. Staff entering the network within a grant
//! comes next (docs/CONSOLE.md).

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::Serialize;
use time::{Duration, OffsetDateTime};
use tsunagu_kernel::audit;
use tsunagu_web::forms::{render_page, text, FieldErrors};
use tsunagu_web::{AppError, AppState, Authorized, Page};

use crate::support_queries::{self as queries, GrantId, Scope};

/// How long a grant lasts: the two choices the page offers.
const DURATIONS: &[(&str, i64)] = &[("24h", 1), ("7d", 7)];

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

/// What the grant form sent back when it was refused.
#[derive(Debug, Default, Serialize)]
struct GrantForm {
    duration: String,
    scopes: Vec<String>,
    note: String,
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
    tx.commit().await?;
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
    let value = |name: &str| {
        fields
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    };
    let form = GrantForm {
        duration: value("duration"),
        scopes: fields
            .iter()
            .filter(|(k, _)| k == "scope")
            .map(|(_, v)| v.clone())
            .collect(),
        note: value("note"),
    };
    let mut errors = FieldErrors::new();
    let days = DURATIONS
        .iter()
        .find(|(d, _)| *d == form.duration)
        .map(|(_, days)| *days);
    if days.is_none() {
        errors.insert("duration", "errors.field.choice");
    }
    let mut scopes: Vec<Scope> = Vec::new();
    for word in &form.scopes {
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
    let note = text(&form.note, 0, 500).unwrap_or_else(|key| {
        errors.insert("note", key);
        String::new()
    });
    let (Some(days), true) = (days, errors.is_empty()) else {
        return render_support(
            &state,
            &page,
            &member,
            &form,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let expires_at = OffsetDateTime::now_utc() + Duration::days(days);
    let mut tx = member.begin(&state).await?;
    let id = queries::grant(&mut tx, member.id(), &scopes, &note, expires_at).await?;
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
    Ok(Redirect::to("/secretariat/support?notice=support_revoked").into_response())
}
