//! Password reset: request a link (same answer whether or not the address has an account),
//! then set a new password with it. The link is single-use, expires in an hour, and using it ends
//! every session of the account.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::tokens::looks_like_token;
use tsunagu_kernel::Actor;
use tsunagu_web::{AppError, AppState, ClientIp, Page, Visitor};

use super::{
    account_key, client_key, insert_form, message_page, redirect_with_cookies, render_page,
    with_retry_after, RetryWait,
};
use crate::email::{self, EmailSpec};
use crate::forms::{self, EmailAddress, FieldErrors};
use crate::queries::{self, TokenPurpose};

#[derive(Deserialize, Serialize, Default)]
pub struct ForgotForm {
    #[serde(default)]
    email: String,
}

pub async fn show_forgot(
    State(state): State<AppState>,
    _visitor: Visitor,
    page: Page,
) -> Result<Response, AppError> {
    render_page(
        &state,
        &page,
        "identity/forgot_password.html",
        StatusCode::OK,
        |c| {
            insert_form(c, &ForgotForm::default(), &FieldErrors::new());
        },
    )
}

pub async fn request_reset(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    Form(form): Form<ForgotForm>,
) -> Result<Response, AppError> {
    let address = match EmailAddress::parse(&form.email) {
        Ok(address) => address,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("email", e);
            return render_page(
                &state,
                &page,
                "identity/forgot_password.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                |c| {
                    insert_form(c, &form, &errors);
                },
            );
        }
    };
    let mut limited = None;
    if let Some(axum::Extension(ClientIp(ip))) = client {
        limited = state
            .rate_limiter
            .hit(
                &client_key(&tenant, "reset", ip),
                10,
                Duration::from_secs(3600),
            )
            .await
            .err();
    }
    if let Some(retry) = limited {
        let wait = RetryWait::new(retry);
        let mut errors = FieldErrors::new();
        errors.insert("form", wait.key);
        let page = render_page(
            &state,
            &page,
            "identity/forgot_password.html",
            StatusCode::TOO_MANY_REQUESTS,
            |c| {
                insert_form(c, &form, &errors);
                c.insert("retry", &wait);
            },
        )?;
        return Ok(with_retry_after(page, retry));
    }
    // Per account, quietly: a flood of reset emails to one person stops, with the same answer.
    let account_ok = state
        .rate_limiter
        .hit(
            &account_key(&tenant, "reset", &address.normalized),
            3,
            Duration::from_secs(3600),
        )
        .await
        .is_ok();
    if account_ok {
        let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
        if let Some(member) = queries::find_by_email(&mut tx, &address.normalized).await? {
            if matches!(
                member.status.as_str(),
                "active" | "pending_verification" | "pending_approval"
            ) {
                let token =
                    queries::issue_token(&mut tx, member.id, TokenPurpose::ResetPassword).await?;
                email::send(
                    &mut tx,
                    &state.web,
                    &tenant,
                    &EmailSpec {
                        kind: "password_reset",
                        to: &member.email,
                        recipient_name: Some(&member.name_kanji),
                        locale: email::member_locale(member.preferred_locale.as_deref(), &tenant),
                        args: vec![],
                        action_url: Some(format!(
                            "{}/reset-password?token={token}",
                            state.config.tenant_origin(&tenant.slug)
                        )),
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
    }
    message_page(
        &state,
        &page,
        StatusCode::OK,
        "identity.reset_sent_title",
        "identity.reset_sent_body",
        None,
    )
}

#[derive(Deserialize)]
pub struct ResetQuery {
    #[serde(default)]
    token: String,
}

#[derive(Deserialize)]
pub struct ResetForm {
    #[serde(default)]
    token: String,
    #[serde(default)]
    password: String,
}

fn invalid_reset(state: &AppState, page: &Page) -> Result<Response, AppError> {
    message_page(
        state,
        page,
        StatusCode::NOT_FOUND,
        "identity.reset_invalid_title",
        "identity.reset_invalid_body",
        Some(("/forgot-password", "identity.forgot_link")),
    )
}

pub async fn show_reset(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    Query(query): Query<ResetQuery>,
) -> Result<Response, AppError> {
    if !looks_like_token(&query.token) {
        return invalid_reset(&state, &page);
    }
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let valid = queries::token_is_valid(&mut tx, &query.token, TokenPurpose::ResetPassword).await?;
    tx.commit().await?;
    if !valid {
        return invalid_reset(&state, &page);
    }
    render_page(
        &state,
        &page,
        "identity/reset_password.html",
        StatusCode::OK,
        |c| {
            c.insert("token", &query.token);
            c.insert("errors", &FieldErrors::new());
            c.insert("password_min", &crate::password::MIN_LENGTH);
        },
    )
}

pub async fn reset_password(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    headers: axum::http::HeaderMap,
    Form(form): Form<ResetForm>,
) -> Result<Response, AppError> {
    if !looks_like_token(&form.token) {
        return invalid_reset(&state, &page);
    }
    let password = match forms::password(&form.password) {
        Ok(password) => password,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("password", e);
            return render_page(
                &state,
                &page,
                "identity/reset_password.html",
                StatusCode::UNPROCESSABLE_ENTITY,
                |c| {
                    c.insert("token", &form.token);
                    c.insert("errors", &errors);
                    c.insert("password_min", &crate::password::MIN_LENGTH);
                },
            );
        }
    };
    let password_hash = crate::password::hash(password).await?;
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let Some(member_id) =
        queries::consume_token(&mut tx, &form.token, TokenPurpose::ResetPassword).await?
    else {
        tx.rollback().await?;
        return invalid_reset(&state, &page);
    };
    queries::set_password(&mut tx, member_id, &password_hash).await?;
    tx.commit().await?;
    state.sessions.destroy_all(tenant.id, member_id).await?;
    tracing::info!(member.id = %member_id, "password reset");
    // The link proved the mailbox: this browser may sign in even while strangers hold the
    // account at its sign-in ceiling.
    Ok(redirect_with_cookies(
        "/sign-in?notice=password_reset",
        &[
            tsunagu_web::session::clear_session_cookie(state.config.https),
            super::sign_in::remember_device(&state, &headers, tenant.id, member_id),
        ],
    ))
}
