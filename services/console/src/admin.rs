//! Administration (role `admin`, docs/CONSOLE.md "Administration"): staff accounts (add one with
//! a one-time setup link, disable and enable) and suspending or resuming a network. These write
//! platform tables, which the role serving pages (`tsunagu_app`) may not, so they run on the
//! console's own small pool as `tsunagu_platform` (`AppState::platform_db`); no tenant page ever
//! uses that pool.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::tokens::{looks_like_token, random_token, token_hash_hex};
use tsunagu_kernel::Db;
use tsunagu_web::forms::{EmailAddress, FieldErrors};
use tsunagu_web::{AppError, AppState, Page};
use uuid::Uuid;

use crate::{queries, StaffSession, StaffUser};

/// How long a setup link works.
const SETUP_SECONDS: u64 = 72 * 3600;

fn platform_db(state: &AppState) -> Result<&Db, AppError> {
    state.platform_db.get().ok_or_else(|| {
        AppError::Unavailable(anyhow::anyhow!(
            "console administration is off: the server has no connection as tsunagu_platform"
        ))
    })
}

fn setup_key(token: &str) -> String {
    format!("p:staff-setup:{}", token_hash_hex(token))
}

/// The Redis set of a staff member's session keys (so disabling ends them).
pub(crate) fn sessions_index(staff: Uuid) -> String {
    format!("p:staff-sessions:{staff}")
}

#[derive(Serialize)]
struct StaffRow {
    id: Uuid,
    email: String,
    name: String,
    role: String,
    disabled: bool,
    two_factor: bool,
    pending_setup: bool,
    created: String,
    is_me: bool,
}

#[derive(Default, Serialize, Deserialize)]
pub struct AddStaffForm {
    #[serde(default)]
    email: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    role: String,
}

async fn render_staff(
    state: &AppState,
    page: &Page,
    me: &StaffSession,
    form: &AddStaffForm,
    errors: &FieldErrors,
    setup_link: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_platform().await?;
    let staff = queries::staff_list(&mut tx).await?;
    tx.commit().await?;
    let rows: Vec<StaffRow> = staff
        .into_iter()
        .map(|s| StaffRow {
            is_me: s.id == me.staff_id,
            id: s.id,
            email: s.email,
            name: s.name,
            role: s.role,
            disabled: s.disabled,
            two_factor: s.two_factor,
            pending_setup: s.pending_setup,
            created: tsunagu_web::dates::date(s.created_at, page.lang, page.zone()),
        })
        .collect();
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", me);
    context.insert("accounts", &rows);
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert("setup_link", &setup_link);
    context.insert("administration_on", &state.platform_db.get().is_some());
    Ok((
        status,
        Html(state.web.render("console/admin_staff.html", &context)?),
    )
        .into_response())
}

/// `GET /admin/staff`.
pub async fn show_staff(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
) -> Result<Response, AppError> {
    let form = AddStaffForm {
        role: "cs".into(),
        ..AddStaffForm::default()
    };
    render_staff(
        &state,
        &page,
        &staff.0,
        &form,
        &FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await
}

/// `POST /admin/staff` (`email`, `name`, `role`): adds an account without a password and shows
/// its one-time setup link (72 hours) for the administrator to pass on.
pub async fn add_staff(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Form(form): Form<AddStaffForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&form.email)
        .map_err(|key| errors.insert("email", key))
        .ok();
    let name = tsunagu_web::forms::text(&form.name, 1, 200)
        .map_err(|key| errors.insert("name", key))
        .ok();
    if !matches!(form.role.as_str(), "cs" | "admin") {
        errors.insert("role", "errors.field.choice");
    }
    let (Some(email), Some(name), true) = (email, name, errors.is_empty()) else {
        return render_staff(
            &state,
            &page,
            &staff.0,
            &form,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let db = platform_db(&state)?;
    let mut tx = db.begin_platform().await?;
    let added = queries::add_staff(&mut tx, &email, &name, &form.role).await?;
    tx.commit().await?;
    let Some(id) = added else {
        errors.insert("email", "console.admin_email_taken");
        return render_staff(
            &state,
            &page,
            &staff.0,
            &form,
            &errors,
            None,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let token = random_token();
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    let _: () = redis::cmd("SET")
        .arg(setup_key(&token))
        .arg(id.to_string())
        .arg("EX")
        .arg(SETUP_SECONDS)
        .query_async(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    tracing::info!(staff.id = %staff.0.staff_id, added = %id, role = %form.role, "staff account added");
    let link = format!(
        "{}/welcome?token={token}",
        state.config.tenant_origin("console")
    );
    render_staff(
        &state,
        &page,
        &staff.0,
        &AddStaffForm {
            role: "cs".into(),
            ..AddStaffForm::default()
        },
        &FieldErrors::new(),
        Some(&link),
        StatusCode::OK,
    )
    .await
}

/// Ends every session of a staff member.
async fn end_sessions(state: &AppState, staff: Uuid) -> Result<(), AppError> {
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    let keys: Vec<String> = redis::cmd("SMEMBERS")
        .arg(sessions_index(staff))
        .query_async(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    let mut pipe = redis::pipe();
    for key in &keys {
        pipe.cmd("DEL").arg(key).ignore();
    }
    pipe.cmd("DEL").arg(sessions_index(staff)).ignore();
    pipe.query_async::<()>(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

/// `POST /admin/staff/{id}/disable`: the account can no longer sign in and its sessions end at
/// once. An administrator cannot disable their own account.
pub async fn disable_staff(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    if id == staff.0.staff_id {
        return Ok(Redirect::to("/admin/staff?notice=cannot_change_self").into_response());
    }
    let db = platform_db(&state)?;
    let mut tx = db.begin_platform().await?;
    let changed = queries::set_staff_disabled(&mut tx, id, true).await?;
    tx.commit().await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    end_sessions(&state, id).await?;
    tracing::info!(staff.id = %staff.0.staff_id, disabled = %id, "staff account disabled");
    Ok(Redirect::to("/admin/staff?notice=staff_disabled").into_response())
}

/// `POST /admin/staff/{id}/enable`.
pub async fn enable_staff(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(id): Path<Uuid>,
) -> Result<Response, AppError> {
    let db = platform_db(&state)?;
    let mut tx = db.begin_platform().await?;
    let changed = queries::set_staff_disabled(&mut tx, id, false).await?;
    tx.commit().await?;
    if !changed {
        return Err(AppError::NotFound);
    }
    tracing::info!(staff.id = %staff.0.staff_id, enabled = %id, "staff account enabled");
    Ok(Redirect::to("/admin/staff?notice=staff_enabled").into_response())
}

#[derive(Deserialize, Default)]
pub struct WelcomeQuery {
    #[serde(default)]
    token: String,
}

async fn setup_staff(state: &AppState, token: &str) -> Option<Uuid> {
    if !looks_like_token(token) {
        return None;
    }
    let mut conn = state.redis.get().await.ok()?;
    let raw: Option<String> = redis::cmd("GET")
        .arg(setup_key(token))
        .query_async(&mut *conn)
        .await
        .ok()?;
    raw?.parse().ok()
}

fn render_welcome(
    state: &AppState,
    page: &Page,
    token: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("token", token);
    context.insert("errors", errors);
    Ok((
        status,
        Html(state.web.render("console/welcome.html", &context)?),
    )
        .into_response())
}

/// `GET /welcome?token=…`: a new staff member chooses a password.
pub async fn show_welcome(
    State(state): State<AppState>,
    page: Page,
    Query(query): Query<WelcomeQuery>,
) -> Result<Response, AppError> {
    if setup_staff(&state, &query.token).await.is_none() {
        return Err(AppError::NotFound);
    }
    render_welcome(
        &state,
        &page,
        &query.token,
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

#[derive(Deserialize)]
pub struct WelcomeForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    password_confirm: String,
}

/// `POST /welcome`: sets the first password (once), then the staff member signs in (and sets up
/// two-factor sign-in where it is required).
pub async fn set_password(
    State(state): State<AppState>,
    page: Page,
    Form(form): Form<WelcomeForm>,
) -> Result<Response, AppError> {
    let Some(id) = setup_staff(&state, &form.token).await else {
        return Err(AppError::NotFound);
    };
    let mut errors = FieldErrors::new();
    let password = tsunagu_identity::forms::password(&form.password)
        .map_err(|key| errors.insert("password", key))
        .ok();
    if password.is_some() && form.password != form.password_confirm {
        errors.insert("password_confirm", "console.admin_passwords_differ");
    }
    let (Some(password), true) = (password, errors.is_empty()) else {
        return render_welcome(
            &state,
            &page,
            &form.token,
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    };
    let hash = tsunagu_identity::password::hash(password).await?;
    let db = platform_db(&state)?;
    let mut tx = db.begin_platform().await?;
    let set = queries::set_first_password(&mut tx, id, &hash).await?;
    tx.commit().await?;
    if let Ok(mut conn) = state.redis.get().await {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(setup_key(&form.token))
            .query_async(&mut *conn)
            .await;
    }
    if !set {
        return Err(AppError::NotFound);
    }
    Ok(Redirect::to("/sign-in?notice=staff_welcome").into_response())
}

/// `POST /tenants/{slug}/suspend` and `/resume`: every page of a suspended network answers 410
/// (its data stays). Kept by `tenant apply` until `--take-file`; noted in the network's timeline.
pub async fn set_tenant_status(
    state: &AppState,
    staff: &StaffSession,
    slug: &str,
    status: tsunagu_tenancy::TenantStatus,
) -> Result<Response, AppError> {
    let Some(tenant) = state.registry.resolve_slug(slug).await? else {
        return Err(AppError::NotFound);
    };
    let db = platform_db(state)?;
    let mut tx = db.begin_platform().await?;
    let changed =
        tsunagu_tenancy::settings_queries::set_status_from_console(&mut tx, slug, status).await?;
    tx.commit().await?;
    state.tenant_changed(slug).await;
    if changed {
        let note = match status {
            tsunagu_tenancy::TenantStatus::Suspended => "Suspended the network.",
            tsunagu_tenancy::TenantStatus::Active => "Resumed the network.",
            tsunagu_tenancy::TenantStatus::Pending => "Waiting for the first confirmation.",
        };
        let mut tx = state.db.begin_platform().await?;
        queries::add_note(
            &mut tx,
            tenant.id.as_uuid(),
            staff.staff_id,
            &staff.name,
            note,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(staff.id = %staff.staff_id, tenant = slug, status = status.as_str(), "network status changed");
    }
    Ok(Redirect::to(&format!(
        "/tenants/{slug}?notice=tenant_{}",
        status.as_str()
    ))
    .into_response())
}

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    plan: String,
}

/// `POST /tenants/{slug}/plan` (`plan`): changes the network's plan (until billing does it,
/// docs/BILLING.md). A plan with more room lets in the sign-ups the member cap held, oldest first.
/// Kept by `tenant apply` until `--take-file`; audited in the network and noted in its timeline.
pub async fn change_plan(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(slug): Path<String>,
    Form(form): Form<PlanForm>,
) -> Result<Response, AppError> {
    let Some(plan) = tsunagu_tenancy::plans::find(&form.plan) else {
        return Err(AppError::BadRequest("unknown plan".into()));
    };
    let Some(tenant) = state.registry.resolve_slug(&slug).await? else {
        return Err(AppError::NotFound);
    };
    let db = platform_db(&state)?;
    let mut tx = db.begin_platform().await?;
    let before =
        tsunagu_tenancy::settings_queries::set_plan_from_console(&mut tx, &slug, &plan.key).await?;
    tx.commit().await?;
    let Some(before) = before else {
        return Err(AppError::NotFound);
    };
    state.tenant_changed(&slug).await;
    let mut tx = tsunagu_web::access::begin_console_delivery(&state, tenant.id).await?;
    let active = tsunagu_identity::queries::active_members_locked(&mut tx).await?;
    let room = tsunagu_tenancy::plans::Entitlements::of(&plan.key).room(active);
    let released = tsunagu_identity::queries::release_held(&mut tx, room).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "plan.changed",
        "tenant",
        Some(tenant.id.as_uuid()),
        serde_json::json!({
            "from": before,
            "to": plan.key,
            "released": released.len(),
            "by": staff.0.name,
        }),
    )
    .await?;
    tx.commit().await?;
    let mut tx = state.db.begin_platform().await?;
    queries::add_note(
        &mut tx,
        tenant.id.as_uuid(),
        staff.0.staff_id,
        &staff.0.name,
        &format!(
            "Plan changed from {before} to {}; {} sign-ups let in.",
            plan.key,
            released.len()
        ),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(staff.id = %staff.0.staff_id, tenant = %slug, from = %before, to = %plan.key, released = released.len(), "plan changed");
    Ok(Redirect::to(&format!("/tenants/{slug}?notice=plan_changed")).into_response())
}

pub async fn suspend_tenant(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    set_tenant_status(
        &state,
        &staff.0,
        &slug,
        tsunagu_tenancy::TenantStatus::Suspended,
    )
    .await
}

pub async fn resume_tenant(
    State(state): State<AppState>,
    staff: StaffUser,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    set_tenant_status(
        &state,
        &staff.0,
        &slug,
        tsunagu_tenancy::TenantStatus::Active,
    )
    .await
}
