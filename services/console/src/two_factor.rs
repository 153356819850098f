//! Two-factor sign-in for console staff: time-based one-time codes (RFC 6238: HMAC-SHA1, six
//! digits, 30-second steps, one step of clock drift either way; `totp-rs`).
//!
//! - **Enrolment** (`/two-factor`): a new 160-bit secret is offered (kept in Redis for ten minutes
//!   under the staff member's id, shown as base32 and as an `otpauth://` link for authenticator
//!   apps); a correct code from it turns it on through `platform.enable_staff_totp`, which never
//!   replaces a second factor already set. Where `TSUNAGU_STAFF_2FA_REQUIRED` holds (always in
//!   production) a staff member without one can reach nothing else.
//! - **Sign-in**: after the password, a staff member with a second factor gets no session, only a
//!   short-lived pending sign-in (Redis, five minutes, in its own host-only cookie) and the code
//!   page. Five wrong codes per five minutes are allowed; a code's time step is accepted once per
//!   staff member (RFC 6238 §5.2), so an overheard code cannot be replayed.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use std::time::Duration;
use totp_rs::{Builder, Secret, Totp};
use tsunagu_kernel::tokens::{looks_like_token, random_token, token_hash_hex};
use tsunagu_web::forms::FieldErrors;
use tsunagu_web::site::cookie;
use tsunagu_web::{AppError, AppState, Page};
use uuid::Uuid;

use crate::{queries, StaffSession, StaffUser};

/// The cookie naming a sign-in that waits for its code.
pub const PENDING_COOKIE: &str = "tsunagu_staff_2fa";
const PENDING_SECONDS: u64 = 300;
const ENROL_SECONDS: u64 = 600;
const ATTEMPTS: u32 = 5;
const ATTEMPT_WINDOW: Duration = Duration::from_secs(300);
/// Seconds a used time step is remembered: longer than the window in which it is accepted.
const USED_STEP_SECONDS: u64 = 120;
const ISSUER: &str = "Tsunagu Console";

fn totp(secret_base32: &str) -> Option<Totp> {
    let secret = Secret::try_from_base32(secret_base32).ok()?;
    Builder::new().with_secret(secret).build().ok()
}

/// A new random secret, base32 (160 bits, the size RFC 4226 recommends).
pub fn new_secret() -> String {
    // 256 random bits as hex from the kernel's one source of randomness; the first 160 are used.
    let random = random_token();
    let bytes: Vec<u8> = (0..20)
        .filter_map(|i| u8::from_str_radix(&random[2 * i..2 * i + 2], 16).ok())
        .collect();
    Secret::from(bytes).to_base32()
}

/// The code for `secret` at `unix` seconds (what an authenticator app shows; tests use it).
pub fn code_at(secret_base32: &str, unix: u64) -> Option<String> {
    Some(totp(secret_base32)?.generate(unix).to_string())
}

/// The link an authenticator app understands (Key Uri Format).
pub fn otpauth_uri(email: &str, secret_base32: &str) -> String {
    let label = format!("{ISSUER}:{email}");
    format!(
        "otpauth://totp/{}?secret={secret_base32}&issuer={}&algorithm=SHA1&digits=6&period=30",
        tsunagu_web::error::percent_encode(&label),
        tsunagu_web::error::percent_encode(ISSUER),
    )
}

fn now_unix() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp().max(0) as u64
}

/// Checks `code` against `secret` now, and marks its time step used for this staff member.
/// `Err(key)`: the message to show.
async fn accept_code(
    state: &AppState,
    staff: Uuid,
    secret: &str,
    code: &str,
) -> Result<(), &'static str> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(step) = totp(secret).and_then(|t| t.check(&code, now_unix())) else {
        return Err("console.two_factor_wrong");
    };
    let first_use: Result<Option<String>, anyhow::Error> = async {
        let mut conn = state.redis.get().await?;
        Ok(redis::cmd("SET")
            .arg(format!("p:staff-totp-step:{staff}:{step}"))
            .arg(1)
            .arg("NX")
            .arg("EX")
            .arg(USED_STEP_SECONDS)
            .query_async(&mut *conn)
            .await?)
    }
    .await;
    match first_use {
        Ok(Some(_)) => Ok(()),
        Ok(None) => Err("console.two_factor_used"),
        Err(error) => {
            tracing::warn!(%error, "second-factor step not recorded; refused");
            Err("console.two_factor_wrong")
        }
    }
}

fn pending_key(token: &str) -> String {
    format!("p:staff-2fa:{}", token_hash_hex(token))
}

fn pending_cookie(state: &AppState, token: &str, max_age: u64) -> String {
    let secure = if state.config.https { "; Secure" } else { "" };
    format!("{PENDING_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}")
}

/// After a right password: keeps the sign-in pending and asks for the code.
pub(crate) async fn await_code(
    state: &AppState,
    session: &StaffSession,
) -> Result<Response, AppError> {
    let token = random_token();
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    let _: () = redis::cmd("SET")
        .arg(pending_key(&token))
        .arg(serde_json::to_string(session).map_err(anyhow::Error::from)?)
        .arg("EX")
        .arg(PENDING_SECONDS)
        .query_async(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(tsunagu_identity::handlers::redirect_with_cookies(
        "/sign-in/code",
        &[pending_cookie(state, &token, PENDING_SECONDS)],
    ))
}

async fn pending(state: &AppState, headers: &HeaderMap) -> Option<(String, StaffSession)> {
    let token = cookie(headers, PENDING_COOKIE).filter(|t| looks_like_token(t))?;
    let mut conn = state.redis.get().await.ok()?;
    let raw: Option<String> = redis::cmd("GET")
        .arg(pending_key(token))
        .query_async(&mut *conn)
        .await
        .ok()?;
    Some((token.to_owned(), serde_json::from_str(&raw?).ok()?))
}

fn render_code(
    state: &AppState,
    page: &Page,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("errors", errors);
    Ok((
        status,
        Html(state.web.render("console/sign_in_code.html", &context)?),
    )
        .into_response())
}

/// `GET /sign-in/code`.
pub async fn show_code(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    if pending(&state, &headers).await.is_none() {
        return Ok(Redirect::to("/sign-in").into_response());
    }
    render_code(&state, &page, &FieldErrors::new(), StatusCode::OK)
}

#[derive(Deserialize)]
pub struct CodeForm {
    #[serde(default)]
    code: String,
}

/// `POST /sign-in/code`: the code finishes the sign-in.
pub async fn submit_code(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let Some((token, session)) = pending(&state, &headers).await else {
        return Ok(Redirect::to("/sign-in").into_response());
    };
    let mut errors = FieldErrors::new();
    if state
        .rate_limiter
        .hit(
            &format!("p:rl:staff-2fa:{}", session.staff_id),
            ATTEMPTS,
            ATTEMPT_WINDOW,
        )
        .await
        .is_err()
    {
        errors.insert("code", "console.two_factor_too_many");
        return render_code(&state, &page, &errors, StatusCode::TOO_MANY_REQUESTS);
    }
    let mut tx = state.db.begin_platform().await?;
    let secret = queries::totp_secret(&mut tx, session.staff_id).await?;
    tx.commit().await?;
    let Some(secret) = secret else {
        // Disabled, or the second factor was reset meanwhile: start again.
        return Ok(Redirect::to("/sign-in").into_response());
    };
    if let Err(key) = accept_code(&state, session.staff_id, &secret, &form.code).await {
        errors.insert("code", key);
        return render_code(&state, &page, &errors, StatusCode::UNPROCESSABLE_ENTITY);
    }
    if let Ok(mut conn) = state.redis.get().await {
        let _: Result<i64, _> = redis::cmd("DEL")
            .arg(pending_key(&token))
            .query_async(&mut *conn)
            .await;
    }
    state
        .rate_limiter
        .reset(&format!("p:rl:staff-2fa:{}", session.staff_id))
        .await;
    crate::start_session(
        &state,
        StaffSession {
            two_factor: true,
            must_enroll: false,
            ..session
        },
        "/",
        &[pending_cookie(&state, "", 0)],
    )
    .await
}

fn enrol_key(staff: Uuid) -> String {
    format!("p:staff-2fa-enrol:{staff}")
}

#[derive(Serialize)]
struct Enrolment {
    /// The secret in groups of four, as people type it.
    secret_groups: String,
    uri: String,
}

fn render_enrolment(
    state: &AppState,
    page: &Page,
    staff: &StaffSession,
    enrolment: Option<&Enrolment>,
    errors: &FieldErrors,
    status: StatusCode,
) -> Result<Response, AppError> {
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("staff", staff);
    context.insert("enrolment", &enrolment);
    context.insert("errors", errors);
    context.insert("required", &state.config.staff_two_factor_required);
    Ok((
        status,
        Html(state.web.render("console/two_factor.html", &context)?),
    )
        .into_response())
}

async fn offer(state: &AppState, staff: &StaffSession) -> Result<Enrolment, AppError> {
    let secret = new_secret();
    let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
    let _: () = redis::cmd("SET")
        .arg(enrol_key(staff.staff_id))
        .arg(&secret)
        .arg("EX")
        .arg(ENROL_SECONDS)
        .query_async(&mut *conn)
        .await
        .map_err(anyhow::Error::from)?;
    Ok(Enrolment {
        secret_groups: secret
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" "),
        uri: otpauth_uri(&staff.email, &secret),
    })
}

/// `GET /two-factor`: the second factor's state, or a new secret to turn it on with.
pub async fn show_enrolment(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = state.db.begin_platform().await?;
    let enabled = queries::totp_secret(&mut tx, staff.0.staff_id)
        .await?
        .is_some();
    tx.commit().await?;
    if enabled {
        return render_enrolment(
            &state,
            &page,
            &staff.0,
            None,
            &FieldErrors::new(),
            StatusCode::OK,
        );
    }
    let enrolment = offer(&state, &staff.0).await?;
    render_enrolment(
        &state,
        &page,
        &staff.0,
        Some(&enrolment),
        &FieldErrors::new(),
        StatusCode::OK,
    )
}

/// `POST /two-factor` (`code`): a right code from the offered secret turns it on.
pub async fn confirm_enrolment(
    State(state): State<AppState>,
    staff: StaffUser,
    page: Page,
    headers: HeaderMap,
    Form(form): Form<CodeForm>,
) -> Result<Response, AppError> {
    let offered: Option<String> = {
        let mut conn = state.redis.get().await.map_err(anyhow::Error::from)?;
        redis::cmd("GET")
            .arg(enrol_key(staff.0.staff_id))
            .query_async(&mut *conn)
            .await
            .map_err(anyhow::Error::from)?
    };
    let Some(secret) = offered else {
        // The offer expired: show a new one.
        return Ok(Redirect::to("/two-factor").into_response());
    };
    if let Err(key) = accept_code(&state, staff.0.staff_id, &secret, &form.code).await {
        let mut errors = FieldErrors::new();
        errors.insert("code", key);
        let enrolment = Enrolment {
            secret_groups: secret
                .as_bytes()
                .chunks(4)
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect::<Vec<_>>()
                .join(" "),
            uri: otpauth_uri(&staff.0.email, &secret),
        };
        return render_enrolment(
            &state,
            &page,
            &staff.0,
            Some(&enrolment),
            &errors,
            StatusCode::UNPROCESSABLE_ENTITY,
        );
    }
    let mut tx = state.db.begin_platform().await?;
    let enabled = queries::enable_totp(&mut tx, staff.0.staff_id, &secret).await?;
    tx.commit().await?;
    if enabled {
        tracing::info!(staff.id = %staff.0.staff_id, "staff second factor turned on");
        if let Ok(mut conn) = state.redis.get().await {
            let _: Result<i64, _> = redis::cmd("DEL")
                .arg(enrol_key(staff.0.staff_id))
                .query_async(&mut *conn)
                .await;
        }
    }
    crate::update_session(
        &state,
        &headers,
        &StaffSession {
            two_factor: true,
            must_enroll: false,
            ..staff.0
        },
    )
    .await?;
    Ok(Redirect::to("/?notice=two_factor_on").into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_rfc_6238_and_secrets_are_160_bits() {
        // RFC 6238 appendix B, SHA-1: the secret "12345678901234567890" at 59 s gives 94287082
        // (eight digits); the six-digit code is its last six.
        let secret = Secret::from(b"12345678901234567890".to_vec()).to_base32();
        assert_eq!(code_at(&secret, 59).as_deref(), Some("287082"));
        assert_eq!(code_at(&secret, 1_111_111_109).as_deref(), Some("081804"));
        let fresh = new_secret();
        assert_eq!(Secret::try_from_base32(&fresh).unwrap().as_ref().len(), 20);
        assert_ne!(fresh, new_secret());
        let uri = otpauth_uri("cs@tsunagu.example", &fresh);
        assert!(uri.starts_with("otpauth://totp/Tsunagu%20Console%3Acs%40tsunagu.example?secret="));
    }
}
