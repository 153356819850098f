//! Email verification. The link opens a page with a button: the token is used by the POST, so
//! mail scanners that fetch links cannot use it up.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use tsunagu_kernel::tokens::looks_like_token;
use tsunagu_kernel::{Actor, MemberKind, MemberRole, MemberStatus};
use tsunagu_tenancy::TenantStatus;
use tsunagu_web::session::{session_cookie, SessionData};
use tsunagu_web::{AppError, AppState, ClientIp, Page, Visitor};

use super::{account_key, client_key, message_page, render_page};
use crate::email::{self, EmailSpec};
use crate::forms::EmailAddress;
use crate::queries::{self, TokenPurpose};

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct TokenForm {
    #[serde(default)]
    token: String,
    /// Opening a network signed up on the apex site: the password chosen at sign-up, so that
    /// only the person who signed up can open it (someone who typed another's address cannot
    /// have them open a network whose password they know).
    #[serde(default)]
    password: String,
}

/// The address where a company signs up again for a new link (the apex site's `/start`).
fn start_url(state: &AppState) -> String {
    format!("{}/start", state.config.apex_origin())
}

fn invalid_link(state: &AppState, page: &Page, tenant: &Visitor) -> Result<Response, AppError> {
    let opening = tenant.status == TenantStatus::Pending;
    render_page(
        state,
        page,
        "identity/verify_email.html",
        StatusCode::NOT_FOUND,
        |c| {
            c.insert("invalid", &true);
            c.insert("opening_network", &opening);
            c.insert("start_url", &start_url(state));
        },
    )
}

pub async fn show_verify(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    Query(query): Query<TokenQuery>,
) -> Result<Response, AppError> {
    if !looks_like_token(&query.token) {
        return invalid_link(&state, &page, &tenant);
    }
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let valid = queries::token_is_valid(&mut tx, &query.token, TokenPurpose::VerifyEmail).await?;
    tx.commit().await?;
    if !valid {
        return invalid_link(&state, &page, &tenant);
    }
    render_page(
        &state,
        &page,
        "identity/verify_email.html",
        StatusCode::OK,
        |c| {
            c.insert("token", &query.token);
            c.insert("opening_network", &(tenant.status == TenantStatus::Pending));
        },
    )
}

pub async fn verify_email(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    Form(form): Form<TokenForm>,
) -> Result<Response, AppError> {
    if !looks_like_token(&form.token) {
        return invalid_link(&state, &page, &tenant);
    }
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let Some(member_id) =
        queries::consume_token(&mut tx, &form.token, TokenPurpose::VerifyEmail).await?
    else {
        tx.rollback().await?;
        return invalid_link(&state, &page, &tenant);
    };
    queries::mark_email_verified(&mut tx, member_id).await?;
    let member = queries::find_by_id(&mut tx, member_id)
        .await?
        .ok_or(AppError::NotFound)?;
    if tenant.status == TenantStatus::Pending {
        let known =
            crate::password::verify(form.password.clone(), Some(member.password_hash.clone()))
                .await;
        if !known {
            // The link stays valid: nothing was consumed.
            tx.rollback().await?;
            return render_page(
                &state,
                &page,
                "identity/verify_email.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                |c| {
                    c.insert("token", &form.token);
                    c.insert("opening_network", &true);
                    let mut errors = crate::forms::FieldErrors::new();
                    errors.insert("password", "identity.opening_password_wrong");
                    c.insert("errors", &errors);
                },
            );
        }
        return open_new_network(&state, &tenant, tx, member).await;
    }
    // Employees were checked against the company domains at sign-up: verified means active,
    // unless the plan's member cap is reached, when they wait in the approval queue until the
    // network upgrades (docs/BILLING.md). Alumni wait for the secretariat.
    let room = if member.kind == MemberKind::Employee
        && member.status == MemberStatus::PendingVerification
    {
        let active = queries::active_members_locked(&mut tx).await?;
        tenant.entitlements().has_room_for_member(active)
    } else {
        true
    };
    let next_status = if member.kind == MemberKind::Employee && room {
        MemberStatus::Active
    } else {
        MemberStatus::PendingApproval
    };
    let moved = queries::transition_status(
        &mut tx,
        member_id,
        &[MemberStatus::PendingVerification],
        next_status,
    )
    .await?;
    if moved && member.kind == MemberKind::Employee && !room {
        queries::hold_for_plan(&mut tx, member_id).await?;
    }
    tx.commit().await?;
    tracing::info!(member.id = %member_id, status = %next_status, "email verified");
    let (title, body) = match (member.status, next_status) {
        (MemberStatus::PendingVerification, MemberStatus::Active) => {
            ("identity.verified_title", "identity.verified_active_body")
        }
        (MemberStatus::PendingVerification, _) => {
            ("identity.verified_title", "identity.verified_pending_body")
        }
        _ => ("identity.verified_title", "identity.verified_again_body"),
    };
    message_page(
        &state,
        &page,
        StatusCode::OK,
        title,
        body,
        Some(("/sign-in", "identity.sign_in_link")),
    )
}

/// The first secretariat of a network signed up on the apex site confirmed the address
/// (docs/ONBOARDING.md): the network opens, they are signed in and land in the workspace with
/// the first-week checklist, or on the billing page when they chose a paid plan.
async fn open_new_network(
    state: &AppState,
    tenant: &Visitor,
    mut tx: tsunagu_web::access::WebTx,
    member: queries::Member,
) -> Result<Response, AppError> {
    if member.role != MemberRole::Secretariat {
        // Nobody else can have an account in a network nobody can reach yet.
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    queries::transition_status(
        &mut tx,
        member.id,
        &[MemberStatus::PendingVerification],
        MemberStatus::Active,
    )
    .await?;
    let opened = tsunagu_tenancy::signup_queries::open_pending(&mut tx).await?;
    let chosen_plan = tsunagu_tenancy::signup_queries::chosen_plan(&mut tx).await?;
    if opened {
        tsunagu_kernel::audit::record(
            &mut tx,
            "network.opened",
            "member",
            Some(member.id.as_uuid()),
            serde_json::json!({ "slug": tenant.slug }),
        )
        .await?;
    }
    tx.commit().await?;
    state.tenant_changed(&tenant.slug).await;
    tracing::info!(tenant.slug = %tenant.slug, "self-serve network opened");
    let session = state
        .sessions
        .create(&SessionData {
            tenant_id: tenant.id,
            member_id: member.id,
            kind: member.kind,
            role: MemberRole::Secretariat,
            display_name: member.name_kanji.clone(),
            locale: member.preferred_locale.clone(),
            signed_in_at: state.clock.now().unix_timestamp(),
            support: None,
        })
        .await?;
    let paid = chosen_plan
        .as_deref()
        .and_then(tsunagu_tenancy::plans::find)
        .is_some_and(|plan| plan.is_paid());
    let landing = if paid {
        "/secretariat/billing?notice=network_ready"
    } else {
        "/secretariat?notice=network_ready"
    };
    Ok(super::redirect_with_cookies(
        landing,
        &[session_cookie(state.config.https, &session)],
    ))
}

#[derive(Deserialize)]
pub struct ResendForm {
    #[serde(default)]
    email: String,
}

/// Sends a new verification link to an unverified account, if there is one. Same answer either
/// way.
pub async fn resend_verification(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Form(form): Form<ResendForm>,
) -> Result<Response, AppError> {
    let done = || {
        message_page(
            &state,
            &page,
            StatusCode::OK,
            "identity.check_email_title",
            "identity.check_email_body",
            None,
        )
    };
    let Ok(address) = EmailAddress::parse(&form.email) else {
        return done();
    };
    if let Some(axum::Extension(ClientIp(ip))) = client {
        if state
            .rate_limiter
            .hit(
                &client_key(&tenant, "resend", ip),
                10,
                Duration::from_secs(3600),
            )
            .await
            .is_err()
        {
            return done();
        }
    }
    if state
        .rate_limiter
        .hit(
            &account_key(&tenant, "resend", &address.normalized),
            3,
            Duration::from_secs(3600),
        )
        .await
        .is_err()
    {
        return done();
    }
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    if let Some(member) = queries::find_by_email(&mut tx, &address.normalized).await? {
        if member.status == MemberStatus::PendingVerification {
            let token = queries::issue_token(&mut tx, member.id, TokenPurpose::VerifyEmail).await?;
            email::send(
                &mut tx,
                &state.web,
                &tenant,
                &EmailSpec {
                    kind: "verify_email",
                    to: &member.email,
                    recipient_name: Some(&member.name_kanji),
                    locale: email::member_locale(member.preferred_locale.as_deref(), &tenant),
                    args: vec![(
                        "hours",
                        TokenPurpose::VerifyEmail
                            .lifetime()
                            .whole_hours()
                            .to_string(),
                    )],
                    action_url: Some(format!(
                        "{}/verify-email?token={token}",
                        state.config.tenant_origin(&tenant.slug)
                    )),
                },
            )
            .await?;
        }
    }
    tx.commit().await?;
    done()
}
