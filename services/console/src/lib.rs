//! The customer-success console (`console.{base_domain}`): platform staff sign in here with
//! accounts of their own (`platform.staff_users`, never tenant members) and see the tenant
//! directory. Staff sessions live in Redis under the platform prefix (`p:staff-session:…`) with a
//! host-only cookie, so they never reach a tenant's subdomain. Support access to a tenant
//! (grants, audited actions) comes later.

use std::time::Duration;

use axum::extract::{FromRequestParts, Path, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_identity::handlers::redirect_with_cookies;
use tsunagu_kernel::tokens::{looks_like_token, random_token, token_hash_hex};
use tsunagu_web::access::{Access, Bound, StaffRole};
use tsunagu_web::forms::{EmailAddress, FieldErrors};
use tsunagu_web::site::cookie;
use tsunagu_web::{AppError, AppState, ClientIp, Page};
use uuid::Uuid;

pub mod admin;
pub mod queries;
pub mod two_factor;

/// The console's templates (embedded; the gateway hands them to the web kit).
pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "console/sign_in.html",
    "console/dashboard.html",
    "console/enter.html",
    "console/request.html",
    "console/tenant.html",
    "console/two_factor.html",
    "console/sign_in_code.html",
    "console/admin_staff.html",
    "console/welcome.html"
];

pub const STAFF_COOKIE: &str = "tsunagu_staff_session";
const STAFF_IDLE: Duration = Duration::from_secs(8 * 3600);

pub fn routes() -> tsunagu_web::routes::Routes {
    tsunagu_web::routes::Routes::new()
        .staff("/", StaffRole::Cs, get(show_dashboard))
        .staff("/tenants/{slug}", StaffRole::Cs, get(show_tenant))
        .staff("/tenants/{slug}/notes", StaffRole::Cs, post(add_note))
        .staff("/tenants/{slug}/enter", StaffRole::Cs, post(enter_tenant))
        .staff(
            "/tenants/{slug}/request",
            StaffRole::Cs,
            get(show_request).post(send_request),
        )
        .staff(
            "/two-factor",
            StaffRole::Cs,
            get(two_factor::show_enrolment).post(two_factor::confirm_enrolment),
        )
        .staff(
            "/admin/staff",
            StaffRole::Admin,
            get(admin::show_staff).post(admin::add_staff),
        )
        .staff(
            "/admin/staff/{id}/disable",
            StaffRole::Admin,
            post(admin::disable_staff),
        )
        .staff(
            "/admin/staff/{id}/enable",
            StaffRole::Admin,
            post(admin::enable_staff),
        )
        .staff(
            "/tenants/{slug}/plan",
            StaffRole::Admin,
            post(admin::change_plan),
        )
        .staff(
            "/tenants/{slug}/suspend",
            StaffRole::Admin,
            post(admin::suspend_tenant),
        )
        .staff(
            "/tenants/{slug}/resume",
            StaffRole::Admin,
            post(admin::resume_tenant),
        )
        .public(
            "/welcome",
            get(admin::show_welcome).post(admin::set_password),
        )
        .public("/sign-in", get(show_sign_in).post(sign_in))
        .public(
            "/sign-in/code",
            get(two_factor::show_code).post(two_factor::submit_code),
        )
        .public("/sign-out", post(sign_out))
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct StaffSession {
    pub staff_id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    /// Signed in with a second factor, or turned one on during this session.
    #[serde(default)]
    pub two_factor: bool,
    /// Two-factor sign-in is required and this staff member has none yet: every page but the
    /// enrolment sends them there.
    #[serde(default)]
    pub must_enroll: bool,
}

fn session_key(id: &str) -> String {
    format!("p:staff-session:{}", token_hash_hex(id))
}

/// The signed-in staff user holding the role the route is bound to ([`Access::Staff`]), or a
/// redirect to the console's sign-in page (not signed in) or 403 (role too small).
pub struct StaffUser(pub StaffSession);

impl FromRequestParts<AppState> for StaffUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let to_sign_in = || Redirect::to("/sign-in").into_response();
        let Some(id) = cookie(&parts.headers, STAFF_COOKIE).filter(|id| looks_like_token(id))
        else {
            return Err(to_sign_in());
        };
        let loaded: anyhow::Result<Option<String>> = async {
            let mut conn = state.redis.get().await?;
            Ok(redis::cmd("GETEX")
                .arg(session_key(id))
                .arg("EX")
                .arg(STAFF_IDLE.as_secs())
                .query_async(&mut *conn)
                .await?)
        }
        .await;
        let Some(Bound(Access::Staff(required))) = parts.extensions.get::<Bound>().copied() else {
            tracing::error!(
                path = parts.uri.path(),
                "a staff handler on a route not bound to a staff role"
            );
            return Err(AppError::Forbidden.into_response());
        };
        match loaded {
            Ok(Some(raw)) => match serde_json::from_str::<StaffSession>(&raw) {
                Ok(session) if session.must_enroll && parts.uri.path() != "/two-factor" => {
                    Err(Redirect::to("/two-factor").into_response())
                }
                Ok(session) if required.is_held_by(&session.role) => Ok(StaffUser(session)),
                Ok(_) => Err(AppError::Forbidden.into_response()),
                Err(_) => Err(to_sign_in()),
            },
            Ok(None) => Err(to_sign_in()),
            Err(error) => {
                tracing::warn!(%error, "staff session store unavailable");
                Err(to_sign_in())
            }
        }
    }
}

/// One line of the tenant directory: figures only (see `queries::tenant_health`).
#[derive(Serialize)]
struct TenantRow {
    name: String,
    slug: String,
    status: String,
    plan: String,
    url: String,
    /// Active members at the last rollup (None: no rollup yet).
    members: Option<i64>,
    alumni: Option<i32>,
    employees: Option<i32>,
    active_30d: Option<i32>,
    /// This month's level and last month's (None: no rollup yet).
    level: Option<u8>,
    last_level: Option<u8>,
    /// `up`, `down` or `same` against last month.
    trend: &'static str,
    /// Members' share of what was started this month, in percent.
    share: Option<i64>,
    last_secretariat: Option<String>,
    /// For sorting: its Unix time (never: the smallest).
    #[serde(skip)]
    last_secretariat_unix: i64,
    /// No secretariat activity in the last 30 days (or ever).
    quiet: bool,
    open_reports: i64,
    /// Until when the secretariat lets CS help (None: no live grant).
    support_until: Option<String>,
    /// Requests for access waiting for the secretariat's answer.
    support_requests: i64,
    /// The Stripe subscription's status (None: the network never paid through Stripe).
    billing: Option<String>,
    /// A payment failed and was not recovered yet (docs/BILLING.md).
    payment_failed: bool,
}

/// Days without secretariat activity after which a network counts as quiet.
const QUIET_DAYS: i64 = 30;

#[derive(Deserialize, Default)]
struct DirectoryQuery {
    /// name (default), members, active, level, secretariat, reports
    #[serde(default)]
    sort: String,
    /// quiet (no secretariat activity in 30 days), reports (reports waiting), level1
    #[serde(default)]
    filter: String,
}

fn tenant_row(
    health: queries::TenantHealth,
    state: &AppState,
    page: &Page,
    now: time::OffsetDateTime,
) -> TenantRow {
    let thresholds = &health.level3.0;
    let has_rollup = health.rollup_day.is_some();
    let level = has_rollup.then(|| {
        thresholds.level(
            health.month_member_started,
            health.month_secretariat_started,
            health.month_first_contacts,
        )
    });
    let last_level = has_rollup.then(|| {
        thresholds.level(
            health.last_month_member_started,
            health.last_month_secretariat_started,
            health.last_month_first_contacts,
        )
    });
    let started = health.month_member_started + health.month_secretariat_started;
    TenantRow {
        url: format!("{}/", state.config.tenant_origin(&health.slug)),
        members: health
            .alumni
            .zip(health.employees)
            .map(|(a, e)| i64::from(a) + i64::from(e)),
        trend: match (level, last_level) {
            (Some(now), Some(before)) if now > before => "up",
            (Some(now), Some(before)) if now < before => "down",
            (Some(_), Some(_)) => "same",
            _ => "",
        },
        level,
        last_level,
        share: (started > 0).then(|| health.month_member_started * 100 / started),
        quiet: health
            .last_secretariat_activity
            .is_none_or(|at| now - at > time::Duration::days(QUIET_DAYS)),
        last_secretariat: health
            .last_secretariat_activity
            .map(|at| tsunagu_web::dates::date(at, page.lang, page.zone())),
        last_secretariat_unix: health
            .last_secretariat_activity
            .map_or(i64::MIN, |at| at.unix_timestamp()),
        alumni: health.alumni,
        employees: health.employees,
        active_30d: health.active_30d,
        open_reports: health.open_reports,
        support_until: health
            .support_until
            .map(|at| tsunagu_web::dates::datetime(at, page.lang, page.zone())),
        support_requests: health.support_requests,
        billing: None,
        payment_failed: false,
        name: health.name,
        slug: health.slug,
        status: health.status,
        plan: health.plan,
    }
}

/// `GET /` on the console: every tenant with its health at a glance, sortable and filterable.
async fn show_dashboard(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Query(query): Query<DirectoryQuery>,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_platform().await?;
    let health = queries::tenant_health(&mut tx).await?;
    let billing = queries::billing_overview(&mut tx).await?;
    tx.commit().await?;
    let now = time::OffsetDateTime::now_utc();
    let all = health.len();
    let mut tenants: Vec<TenantRow> = health
        .into_iter()
        .map(|h| {
            let billing = billing.get(&h.tenant_id).cloned();
            let mut row = tenant_row(h, &state, &page, now);
            if let Some((status, failed)) = billing {
                row.billing = status;
                row.payment_failed = failed;
            }
            row
        })
        .filter(|t| match query.filter.as_str() {
            "quiet" => t.quiet,
            "reports" => t.open_reports > 0,
            "level1" => t.level == Some(1),
            "support" => t.support_until.is_some(),
            _ => true,
        })
        .collect();
    // Biggest, busiest or most in need first; the name breaks ties.
    match query.sort.as_str() {
        "members" => tenants.sort_by_key(|t| std::cmp::Reverse(t.members.unwrap_or(-1))),
        "active" => tenants.sort_by_key(|t| std::cmp::Reverse(t.active_30d.unwrap_or(-1))),
        "level" => tenants.sort_by_key(|t| std::cmp::Reverse(t.level.unwrap_or(0))),
        // Longest without secretariat activity first (never: first of all).
        "secretariat" => tenants.sort_by_key(|t| t.last_secretariat_unix),
        "reports" => tenants.sort_by_key(|t| std::cmp::Reverse(t.open_reports)),
        _ => {}
    }
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", &staff.0);
    context.insert("tenants", &tenants);
    context.insert("all", &all);
    context.insert("sort", &query.sort);
    context.insert("filter", &query.filter);
    Ok(Html(state.web.render("console/dashboard.html", &context)?).into_response())
}

/// `POST /tenants/{slug}/enter`: hands the staff person over to the network's site, which
/// starts a support session if (and only if) the network has a live grant
/// (docs/adr/0004-support-sessions.md).
async fn enter_tenant(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let Some(tenant) = state.registry.resolve_slug(&slug).await? else {
        return Err(AppError::NotFound);
    };
    let token = tsunagu_web::support::create_handoff(
        &state,
        &tsunagu_web::support::Handoff {
            staff_id: staff.0.staff_id,
            staff_name: staff.0.name.clone(),
            tenant_id: tenant.id,
        },
    )
    .await?;
    tracing::info!(staff.id = %staff.0.staff_id, tenant = %tenant.slug, "staff entering a network as support");
    // A page with the link rather than a redirect: a form may not redirect to another origin
    // (CSP `form-action 'self'`). It follows the link by itself (meta refresh).
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", &staff.0);
    context.insert("network", &tenant.name);
    context.insert(
        "enter_url",
        &format!(
            "{}/support/enter?token={token}",
            state.config.tenant_origin(&tenant.slug)
        ),
    );
    Ok(Html(state.web.render("console/enter.html", &context)?).into_response())
}

/// One line of a network's timeline.
#[derive(Serialize)]
struct TimelineEntry {
    at: String,
    #[serde(skip)]
    unix: i64,
    /// created, note, granted, revoked, ended, requested, approved, declined
    event: String,
    scopes: Vec<String>,
    until: Option<String>,
    who: Option<String>,
    body: Option<String>,
}

/// The longest note staff may write.
const NOTE_MAX_CHARS: usize = 4000;

async fn render_tenant(
    state: &AppState,
    staff: &StaffSession,
    page: &Page,
    slug: &str,
    note: &str,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let Some(tenant) = state.registry.resolve_slug(slug).await? else {
        return Err(AppError::NotFound);
    };
    let mut tx = state.db.begin_platform().await?;
    let health = queries::tenant_health(&mut tx)
        .await?
        .into_iter()
        .find(|h| h.slug == tenant.slug);
    let notes = queries::notes(&mut tx, tenant.id.as_uuid()).await?;
    let history = queries::support_history(&mut tx, tenant.id.as_uuid()).await?;
    tx.commit().await?;
    let Some(health) = health else {
        return Err(AppError::NotFound);
    };
    let when = |at: time::OffsetDateTime| tsunagu_web::dates::datetime(at, page.lang, page.zone());
    let mut timeline: Vec<TimelineEntry> = Vec::new();
    timeline.push(TimelineEntry {
        at: when(health.created_at),
        unix: health.created_at.unix_timestamp(),
        event: "created".into(),
        scopes: Vec::new(),
        until: None,
        who: None,
        body: None,
    });
    timeline.extend(notes.into_iter().map(|n| TimelineEntry {
        at: when(n.created_at),
        unix: n.created_at.unix_timestamp(),
        event: "note".into(),
        scopes: Vec::new(),
        until: None,
        who: Some(n.staff_name),
        body: Some(n.body),
    }));
    timeline.extend(history.into_iter().map(|e| TimelineEntry {
        at: when(e.at),
        unix: e.at.unix_timestamp(),
        event: e.event,
        scopes: e.scopes,
        until: e.until.map(when),
        who: e.staff_name,
        body: None,
    }));
    timeline.sort_by_key(|e| std::cmp::Reverse(e.unix));
    let row = tenant_row(health, state, page, time::OffsetDateTime::now_utc());
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", staff);
    context.insert("tenant", &row);
    context.insert("timeline", &timeline);
    context.insert("note", note);
    context.insert("errors", errors);
    Ok((
        status,
        Html(state.web.render("console/tenant.html", &context)?),
    )
        .into_response())
}

/// `GET /tenants/{slug}`: one network's figures, its timeline (created, support grants and
/// requests, staff notes) and the note form.
async fn show_tenant(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    render_tenant(
        &state,
        &staff.0,
        &page,
        &slug,
        "",
        &FieldErrors::new(),
        StatusCode::OK,
    )
    .await
}

#[derive(Deserialize)]
struct NoteForm {
    #[serde(default)]
    body: String,
}

/// `POST /tenants/{slug}/notes`: a staff note (console only; never shown to the network).
async fn add_note(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Path(slug): Path<String>,
    Form(form): Form<NoteForm>,
) -> Result<Response, AppError> {
    let Some(tenant) = state.registry.resolve_slug(&slug).await? else {
        return Err(AppError::NotFound);
    };
    let body = match tsunagu_web::forms::text(&form.body, 1, NOTE_MAX_CHARS) {
        Ok(body) => body,
        Err(key) => {
            let mut errors = FieldErrors::new();
            errors.insert("body", key);
            return render_tenant(
                &state,
                &staff.0,
                &page,
                &slug,
                &form.body,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
        }
    };
    let mut tx = state.db.begin_platform().await?;
    queries::add_note(
        &mut tx,
        tenant.id.as_uuid(),
        staff.0.staff_id,
        &staff.0.name,
        &body,
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to(&format!("/tenants/{slug}?notice=note_added")).into_response())
}

/// What staff ask the secretariat for: the same form as the secretariat's grant.
use tsunagu_secretariat::support::GrantForm as RequestForm;

fn render_request(
    state: &AppState,
    page: &Page,
    staff: &StaffSession,
    tenant: &tsunagu_tenancy::Tenant,
    form: &RequestForm,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", staff);
    context.insert("network", &tenant.name);
    context.insert("slug", &tenant.slug);
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert(
        "all_scopes",
        &tsunagu_secretariat::support_queries::Scope::ALL
            .iter()
            .map(|s| s.as_str())
            .collect::<Vec<_>>(),
    );
    Ok((
        status,
        Html(state.web.render("console/request.html", &context)?),
    )
        .into_response())
}

/// `GET /tenants/{slug}/request`: the form asking a network's secretariat for support access.
async fn show_request(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Path(slug): Path<String>,
) -> Result<Response, AppError> {
    let Some(tenant) = state.registry.resolve_slug(&slug).await? else {
        return Err(AppError::NotFound);
    };
    let form = RequestForm {
        duration: "24h".into(),
        scopes: vec!["content".into()],
        note: String::new(),
    };
    render_request(
        &state,
        &page,
        &staff.0,
        &tenant,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

/// `POST /tenants/{slug}/request`: `duration` (24h or 7d), one `scope` per scope, `note`. Stored
/// in the network (its transaction, as the system: the console reads nothing there), audited,
/// and the secretariat is notified; it approves or declines on its support page.
async fn send_request(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    Path(slug): Path<String>,
    Form(fields): Form<Vec<(String, String)>>,
) -> Result<Response, AppError> {
    use tsunagu_secretariat::support_queries as support;
    let Some(tenant) = state.registry.resolve_slug(&slug).await? else {
        return Err(AppError::NotFound);
    };
    let form = RequestForm::read(&fields);
    let asked = match form.check() {
        Ok(asked) => asked,
        Err(errors) => {
            return render_request(
                &state,
                &page,
                &staff.0,
                &tenant,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
        }
    };
    let (days, scopes) = (asked.days, &asked.scopes);
    let mut tx = tsunagu_web::access::begin_console_delivery(&state, tenant.id).await?;
    let id = support::request(
        &mut tx,
        &support::NewRequest {
            staff_id: staff.0.staff_id,
            staff_name: &staff.0.name,
            scopes,
            days,
            note: &asked.note,
        },
    )
    .await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "support.requested",
        "support_request",
        Some(id.as_uuid()),
        serde_json::json!({
            "staff": staff.0.name,
            "scopes": scopes.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            "days": days,
        }),
    )
    .await?;
    let secretariat = support::secretariat_members(&mut tx).await?;
    tsunagu_community::notifications::notify(
        &mut tx,
        &secretariat,
        "support_requested",
        None,
        &staff.0.name,
        "/secretariat/support",
    )
    .await?;
    tx.commit().await?;
    Ok(Redirect::to("/?notice=support_requested").into_response())
}

#[derive(Deserialize, Serialize, Default)]
struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
}

fn render_sign_in(
    state: &AppState,
    page: &Page,
    form: &SignInForm,
    errors: &FieldErrors,
    status: StatusCode,
    retry_minutes: Option<String>,
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("form", form);
    context.insert("errors", errors);
    context.insert("retry_minutes", &retry_minutes);
    Ok((
        status,
        Html(state.web.render("console/sign_in.html", &context)?),
    )
        .into_response())
}

async fn show_sign_in(State(state): State<AppState>, page: Page) -> Result<Response, AppError> {
    render_sign_in(
        &state,
        &page,
        &SignInForm::default(),
        &FieldErrors::new(),
        StatusCode::OK,
        None,
    )
}

async fn sign_in(
    State(state): State<AppState>,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let address = match EmailAddress::parse(&form.email) {
        Ok(address) if !form.password.is_empty() => address,
        Ok(_) => {
            errors.insert("password", "errors.field.required");
            return render_sign_in(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            );
        }
        Err(e) => {
            errors.insert("email", e);
            return render_sign_in(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            );
        }
    };
    let window = Duration::from_secs(15 * 60);
    let account_bucket = format!(
        "p:rl:staff-sign-in:acct:{}",
        token_hash_hex(&address.normalized)
    );
    let mut limited = state
        .rate_limiter
        .hit(&account_bucket, 5, window)
        .await
        .err();
    if let (None, Some(axum::Extension(ClientIp(ip)))) = (limited, client) {
        limited = state
            .rate_limiter
            .hit(&format!("p:rl:staff-sign-in:ip:{ip}"), 30, window)
            .await
            .err();
    }
    if let Some(retry) = limited {
        errors.insert("form", "errors.rate_limited");
        let minutes = tsunagu_identity::handlers::minutes(retry);
        return render_sign_in(
            &state,
            &page,
            &form,
            &errors,
            StatusCode::TOO_MANY_REQUESTS,
            Some(minutes),
        );
    }

    let mut tx = state.db.begin_platform().await?;
    let staff = queries::find_staff(&mut tx, &address.normalized).await?;
    tx.commit().await?;
    let ok = tsunagu_identity::password::verify(
        form.password.clone(),
        staff.as_ref().map(|s| s.password_hash.clone()),
    )
    .await;
    let staff = match staff {
        Some(staff) if ok && !staff.disabled => staff,
        _ => {
            errors.insert("form", "errors.sign_in_failed");
            return render_sign_in(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            );
        }
    };
    state.rate_limiter.reset(&account_bucket).await;
    let session = StaffSession {
        staff_id: staff.id,
        name: staff.name,
        email: staff.email,
        role: staff.role,
        two_factor: false,
        must_enroll: false,
    };
    if staff.has_second_factor {
        // The password was right; the session starts only with the code.
        return two_factor::await_code(&state, &session).await;
    }
    let must_enroll = state.config.staff_two_factor_required;
    start_session(
        &state,
        StaffSession {
            must_enroll,
            ..session
        },
        if must_enroll { "/two-factor" } else { "/" },
        &[],
    )
    .await
}

/// Starts a staff session and sends the browser to `location` with its cookie (and `extra`
/// cookies).
async fn start_session(
    state: &AppState,
    session: StaffSession,
    location: &str,
    extra: &[String],
) -> Result<Response, AppError> {
    let id = random_token();
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    // Indexed per staff member, so that disabling an account ends its sessions.
    let index = admin::sessions_index(session.staff_id);
    redis::pipe()
        .atomic()
        .cmd("SET")
        .arg(session_key(&id))
        .arg(serde_json::to_string(&session).map_err(anyhow::Error::from)?)
        .arg("EX")
        .arg(STAFF_IDLE.as_secs())
        .ignore()
        .cmd("SADD")
        .arg(&index)
        .arg(session_key(&id))
        .ignore()
        .cmd("EXPIRE")
        .arg(&index)
        .arg(24 * 3600)
        .ignore()
        .query_async::<()>(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    tracing::info!(staff.id = %session.staff_id, two_factor = session.two_factor, "staff signed in");
    let secure = if state.config.https { "; Secure" } else { "" };
    let mut cookies = vec![format!(
        "{STAFF_COOKIE}={id}; Path=/; HttpOnly; SameSite=Lax{secure}"
    )];
    cookies.extend_from_slice(extra);
    Ok(redirect_with_cookies(location, &cookies))
}

/// Rewrites the signed-in staff member's session (keeping its lifetime).
async fn update_session(
    state: &AppState,
    headers: &HeaderMap,
    session: &StaffSession,
) -> Result<(), AppError> {
    let Some(id) = cookie(headers, STAFF_COOKIE).filter(|id| looks_like_token(id)) else {
        return Ok(());
    };
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    let _: Option<String> = redis::cmd("SET")
        .arg(session_key(id))
        .arg(serde_json::to_string(session).map_err(anyhow::Error::from)?)
        .arg("KEEPTTL")
        .arg("XX")
        .query_async(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(())
}

async fn sign_out(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, AppError> {
    if let Some(id) = cookie(&headers, STAFF_COOKIE).filter(|id| looks_like_token(id)) {
        if let Ok(mut conn) = state.redis.get().await {
            let _: Result<i64, _> = redis::cmd("DEL")
                .arg(session_key(id))
                .query_async(&mut *conn)
                .await;
        }
    }
    let secure = if state.config.https { "; Secure" } else { "" };
    Ok(redirect_with_cookies(
        "/sign-in?notice=signed_out",
        &[format!(
            "{STAFF_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}"
        )],
    ))
}
