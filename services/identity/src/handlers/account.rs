//! The member's own account: who they are here, their language, and signing out everywhere.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::Deserialize;
use tsunagu_web::session::clear_session_cookie;
use tsunagu_web::{AppError, AppState, Authorized, Locale, Page};

use super::{redirect_with_cookies, render_page};
use crate::queries;

pub async fn show_account(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let record = queries::find_by_id(&mut tx, member.id())
        .await?
        .ok_or(AppError::NotFound)?;
    let own_email_choices = queries::consent::choices(&mut tx, member.id()).await?;
    let consent_history = queries::consent::history(&mut tx, member.id(), 5).await?;
    tx.commit().await?;
    let email_categories =
        super::email_consent::category_views(&own_email_choices, &member.tenant.email_defaults);
    let consent_history: Vec<super::email_consent::ChangeView> = consent_history
        .into_iter()
        .map(|change| super::email_consent::ChangeView::of(change, &page))
        .collect();
    render_page(
        &state,
        &page,
        "identity/account.html",
        StatusCode::OK,
        |c| {
            c.insert("account", &record);
            c.insert("email_categories", &email_categories);
            c.insert("consent_history", &consent_history);
        },
    )
}

#[derive(Deserialize)]
pub struct LanguageForm {
    #[serde(default)]
    lang: String,
}

pub async fn update_language(
    State(state): State<AppState>,
    member: Authorized,
    Form(form): Form<LanguageForm>,
) -> Result<Response, AppError> {
    let lang =
        Locale::parse(&form.lang).ok_or_else(|| AppError::BadRequest("unknown language".into()))?;
    set_member_language(&state, &member, lang).await?;
    Ok(redirect_with_cookies("/account?notice=saved", &[]))
}

/// Stores the member's language and updates their live sessions.
pub async fn set_member_language(
    state: &AppState,
    member: &Authorized,
    lang: Locale,
) -> Result<(), AppError> {
    let mut tx = member.begin(state).await?;
    queries::set_preferred_locale(&mut tx, member.id(), lang.as_str()).await?;
    tx.commit().await?;
    state
        .sessions
        .update_all(member.tenant.id, member.id(), |s| {
            s.locale = Some(lang.as_str().to_owned())
        })
        .await?;
    Ok(())
}

pub async fn sign_out_everywhere(
    State(state): State<AppState>,
    member: Authorized,
) -> Result<Response, AppError> {
    let ended = state
        .sessions
        .destroy_all(member.tenant.id, member.id())
        .await?;
    tracing::info!(member.id = %member.id(), sessions = ended, "signed out everywhere");
    Ok(redirect_with_cookies(
        "/?notice=signed_out_everywhere",
        &[clear_session_cookie(state.config.https)],
    ))
}
