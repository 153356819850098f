//! Signing in and out. Sign-in is rate limited per account and per client address (Redis, shared
//! by replicas); wrong address and wrong password get the same message and take the same time.
//! A successful sign-in always starts a new session id.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::Actor;
use tsunagu_web::session::{clear_session_cookie, session_cookie, Session, SessionData};
use tsunagu_web::{AppError, AppState, ClientIp, CurrentTenant, Page};

use super::{
    account_key, client_key, insert_form, minutes, redirect_with_cookies, render_page, safe_next,
};
use crate::forms::{EmailAddress, FieldErrors};
use crate::queries;

/// Attempts per account, and per client address, in `WINDOW`.
pub const ACCOUNT_LIMIT: u32 = 5;
pub const CLIENT_LIMIT: u32 = 30;
pub const WINDOW: Duration = Duration::from_secs(15 * 60);

#[derive(Deserialize, Default)]
pub struct SignInQuery {
    #[serde(default)]
    next: String,
}

#[derive(Deserialize, Serialize, Default)]
pub struct SignInForm {
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
    password: String,
    #[serde(default)]
    next: String,
}

fn render_sign_in(
    state: &AppState,
    page: &Page,
    form: &SignInForm,
    errors: &FieldErrors,
    status: StatusCode,
    retry_minutes: Option<String>,
) -> Result<Response, AppError> {
    render_page(state, page, "identity/sign_in.html", status, |c| {
        insert_form(c, form, errors);
        c.insert("retry_minutes", &retry_minutes);
    })
}

pub async fn show_sign_in(
    State(state): State<AppState>,
    _tenant: CurrentTenant,
    page: Page,
    Query(query): Query<SignInQuery>,
) -> Result<Response, AppError> {
    if page.member.is_some() {
        return Ok(redirect_with_cookies(safe_next(&query.next), &[]));
    }
    let form = SignInForm {
        next: safe_next(&query.next).to_owned(),
        ..SignInForm::default()
    };
    render_sign_in(
        &state,
        &page,
        &form,
        &FieldErrors::new(),
        StatusCode::OK,
        None,
    )
}

pub async fn sign_in(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Form(form): Form<SignInForm>,
) -> Result<Response, AppError> {
    let mut errors = FieldErrors::new();
    let address = EmailAddress::parse(&form.email);
    if form.password.is_empty() {
        errors.insert("password", "errors.field.required");
    }
    let address = match address {
        Ok(address) if errors.is_empty() => address,
        Ok(_) => {
            return render_sign_in(
                &state,
                &page,
                &form,
                &errors,
                StatusCode::UNPROCESSABLE_ENTITY,
                None,
            )
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

    let account_bucket = account_key(&tenant, "sign-in", &address.normalized);
    let mut limited = state
        .rate_limiter
        .hit(&account_bucket, ACCOUNT_LIMIT, WINDOW)
        .await
        .err();
    if let Some(axum::Extension(ClientIp(ip))) = client {
        if limited.is_none() {
            limited = state
                .rate_limiter
                .hit(&client_key(&tenant, "sign-in", ip), CLIENT_LIMIT, WINDOW)
                .await
                .err();
        }
    }
    if let Some(retry) = limited {
        tracing::warn!(tenant.id = %tenant.id, "sign-in rate limited");
        errors.insert("form", "errors.rate_limited");
        return render_sign_in(
            &state,
            &page,
            &form,
            &errors,
            StatusCode::TOO_MANY_REQUESTS,
            Some(minutes(retry)),
        );
    }

    let mut tx = state.db.begin_tenant(tenant.id, Actor::Anonymous).await?;
    let member = queries::find_by_email(&mut tx, &address.normalized).await?;
    tx.commit().await?;
    let password_ok = crate::password::verify(
        form.password.clone(),
        member.as_ref().map(|m| m.password_hash.clone()),
    )
    .await;
    let member = match member {
        Some(member) if password_ok => member,
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
    // The password was right, so saying why the account cannot sign in reveals nothing new.
    let blocked = match member.status.as_str() {
        "active" => None,
        "pending_verification" => Some("errors.sign_in_unverified"),
        "pending_approval" => Some("errors.sign_in_pending"),
        _ => Some("errors.sign_in_blocked"),
    };
    if let Some(key) = blocked {
        errors.insert("form", key);
        return render_sign_in(&state, &page, &form, &errors, StatusCode::FORBIDDEN, None);
    }

    state.rate_limiter.reset(&account_bucket).await;
    let session = state
        .sessions
        .create(&SessionData {
            tenant_id: tenant.id,
            member_id: member.id,
            kind: member.kind.clone(),
            role: member.role.clone(),
            display_name: member.name_kanji.clone(),
            locale: member.preferred_locale.clone(),
            signed_in_at: time::OffsetDateTime::now_utc().unix_timestamp(),
        })
        .await?;
    tracing::info!(member.id = %member.id, "signed in");
    Ok(redirect_with_cookies(
        safe_next(&form.next),
        &[session_cookie(state.config.https, &session)],
    ))
}

pub async fn sign_out(
    State(state): State<AppState>,
    CurrentTenant(tenant): CurrentTenant,
    session: Option<axum::Extension<Session>>,
) -> Result<Response, AppError> {
    if let Some(axum::Extension(session)) = session {
        state.sessions.destroy(tenant.id, &session.id).await?;
    }
    Ok(redirect_with_cookies(
        "/?notice=signed_out",
        &[clear_session_cookie(state.config.https)],
    ))
}
