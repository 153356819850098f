//! Signing in and out. Wrong address and wrong password get the same message and take the same
//! time. A successful sign-in always starts a new session id.
//!
//! Guessing is throttled without handing strangers a way to lock a member out (docs/IDENTITY.md):
//!
//! * per account and client address together, a wait that grows after the first free attempts
//!   ([`PAIR`]); a successful sign-in from that address forgets it;
//! * per client address across accounts, a ceiling ([`CLIENT_LIMIT`] per [`CLIENT_WINDOW`]);
//! * per account across all addresses, a much higher ceiling against distributed guessing
//!   ([`ACCOUNT_CEILING`] per [`ACCOUNT_WINDOW`]), which does not apply to a browser that has
//!   signed in to the account before (the known-device cookie).
//!
//! The ceilings count every attempt before the password is checked (so parallel requests cannot
//! slip past) and give the attempt back when the password was right, so they count failures.

use std::net::IpAddr;
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::{Actor, TenantId};
use tsunagu_web::rate_limit::{self, Backoff, RetryAfter};
use tsunagu_web::session::{clear_session_cookie, session_cookie, Session, SessionData};
use tsunagu_web::{AppError, AppState, ClientIp, Page, Visitor};

use super::{
    account_key, client_key, insert_form, redirect_with_cookies, render_page, safe_next,
    throttled_address, with_retry_after, RetryWait,
};
use crate::forms::{EmailAddress, FieldErrors};
use crate::queries;

/// Per account and client address together: 5 attempts at once, then waits of 30 s, 1 min,
/// 2 min, 4 min, 8 min, and 15 min from then on; forgotten a day after the last attempt.
pub const PAIR: Backoff = Backoff {
    free: 5,
    first_wait: Duration::from_secs(30),
    max_wait: Duration::from_secs(15 * 60),
    memory: Duration::from_secs(24 * 3600),
};
/// Per client address, across accounts (one address trying many accounts).
pub const CLIENT_LIMIT: u32 = 30;
pub const CLIENT_WINDOW: Duration = Duration::from_secs(15 * 60);
/// Per account, across addresses (many addresses trying one account), except known browsers.
pub const ACCOUNT_CEILING: u32 = 100;
pub const ACCOUNT_WINDOW: Duration = Duration::from_secs(24 * 3600);

/// Redis key of the throttle for one account from one client address (IPv6: its /64).
pub fn pair_key(tenant: TenantId, normalized_email: &str, ip: IpAddr) -> String {
    format!(
        "t:{{{tenant}}}:rl:sign-in:pair:{}",
        tsunagu_kernel::tokens::token_hash_hex(&format!(
            "{normalized_email}\n{}",
            throttled_address(ip)
        ))
    )
}

/// Whether this request's browser carries a known-device mark for `member`.
pub fn known_device(
    state: &AppState,
    headers: &HeaderMap,
    tenant: TenantId,
    member: tsunagu_kernel::MemberId,
) -> bool {
    rate_limit::device_is_known(
        state.config.secret_key.expose(),
        tsunagu_web::site::cookie(headers, rate_limit::device_cookie_name(state.config.https)),
        tenant,
        member,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
}

/// `Set-Cookie` remembering this browser for `member` (after it proved it may sign in).
pub fn remember_device(
    state: &AppState,
    headers: &HeaderMap,
    tenant: TenantId,
    member: tsunagu_kernel::MemberId,
) -> String {
    rate_limit::device_cookie(
        state.config.https,
        state.config.secret_key.expose(),
        tsunagu_web::site::cookie(headers, rate_limit::device_cookie_name(state.config.https)),
        tenant,
        member,
        time::OffsetDateTime::now_utc().unix_timestamp(),
    )
}

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
) -> Result<Response, AppError> {
    render_page(state, page, "identity/sign_in.html", status, |c| {
        insert_form(c, form, errors);
    })
}

/// 429 with the wait in the message and in `Retry-After`.
fn render_limited(
    state: &AppState,
    page: &Page,
    form: &SignInForm,
    retry: RetryAfter,
) -> Result<Response, AppError> {
    let wait = RetryWait::new(retry);
    let mut errors = FieldErrors::new();
    errors.insert("form", wait.key);
    let response = render_page(
        state,
        page,
        "identity/sign_in.html",
        StatusCode::TOO_MANY_REQUESTS,
        |c| {
            insert_form(c, form, &errors);
            c.insert("retry", &wait);
        },
    )?;
    Ok(with_retry_after(response, retry))
}

pub async fn show_sign_in(
    State(state): State<AppState>,
    _visitor: Visitor,
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
    render_sign_in(&state, &page, &form, &FieldErrors::new(), StatusCode::OK)
}

pub async fn sign_in(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    headers: HeaderMap,
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
            );
        }
    };

    let limiter = &state.rate_limiter;
    let ip = client.map(|axum::Extension(ClientIp(ip))| ip);
    // Neither the pair nor the address key exists without an address (never in practice:
    // every request through the gateway has one); the account ceiling still applies.
    let pair_bucket = ip.map(|ip| pair_key(tenant.id, &address.normalized, ip));
    let client_bucket = ip.map(|ip| client_key(&tenant, "sign-in", ip));
    if let Some(bucket) = &pair_bucket {
        if let Err(retry) = limiter.attempt(bucket, &PAIR).await {
            tracing::warn!(tenant.id = %tenant.id, "sign-in throttled for this account and address");
            return render_limited(&state, &page, &form, retry);
        }
    }
    if let Some(bucket) = &client_bucket {
        if let Err(retry) = limiter.hit(bucket, CLIENT_LIMIT, CLIENT_WINDOW).await {
            tracing::warn!(tenant.id = %tenant.id, "sign-in rate limited for this address");
            return render_limited(&state, &page, &form, retry);
        }
    }

    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let member = queries::find_by_email(&mut tx, &address.normalized).await?;
    tx.commit().await?;

    // Keyed by the address typed, whether or not it has an account, so the ceiling answers
    // alike for both.
    let known = member
        .as_ref()
        .is_some_and(|m| known_device(&state, &headers, tenant.id, m.id));
    let account_bucket = (!known).then(|| account_key(&tenant, "sign-in", &address.normalized));
    if let Some(bucket) = &account_bucket {
        if let Err(retry) = limiter.hit(bucket, ACCOUNT_CEILING, ACCOUNT_WINDOW).await {
            tracing::warn!(tenant.id = %tenant.id, "sign-in ceiling reached for this account");
            return render_limited(&state, &page, &form, retry);
        }
    }

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
            );
        }
    };
    // The right password: not a guess, so it is forgotten by every limit.
    if let Some(bucket) = &pair_bucket {
        limiter.reset(bucket).await;
    }
    if let Some(bucket) = &client_bucket {
        limiter.refund(bucket).await;
    }
    if let Some(bucket) = &account_bucket {
        limiter.refund(bucket).await;
    }
    // The password was right, so saying why the account cannot sign in reveals nothing new.
    let blocked = match member.status.as_str() {
        "active" => None,
        "pending_verification" => Some("errors.sign_in_unverified"),
        "pending_approval" => Some("errors.sign_in_pending"),
        _ => Some("errors.sign_in_blocked"),
    };
    if let Some(key) = blocked {
        errors.insert("form", key);
        return render_sign_in(&state, &page, &form, &errors, StatusCode::FORBIDDEN);
    }

    let session = state
        .sessions
        .create(&SessionData {
            tenant_id: tenant.id,
            member_id: member.id,
            kind: member.kind,
            role: member.role,
            display_name: member.name_kanji.clone(),
            locale: member.preferred_locale.clone(),
            signed_in_at: time::OffsetDateTime::now_utc().unix_timestamp(),
            support: None,
        })
        .await?;
    tracing::info!(member.id = %member.id, "signed in");
    Ok(redirect_with_cookies(
        safe_next(&form.next),
        &[
            session_cookie(state.config.https, &session),
            remember_device(&state, &headers, tenant.id, member.id),
        ],
    ))
}

pub async fn sign_out(
    State(state): State<AppState>,
    tenant: Visitor,
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
