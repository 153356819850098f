//! Joining a network: `/join` for alumni and employees, `/join?invitation=…` for invited people.
//!
//! Employees whose address is at one of the tenant's employee domains are active once they verify
//! it. Alumni verify and then wait for the secretariat (or, with an invitation, which itself proves
//! the address, are active at once). An address that already has an account gets the same answer
//! as a new one (no enumeration); its owner is told by email instead.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_kernel::{Actor, MemberKind, MemberRole, MemberStatus};
use tsunagu_web::session::{session_cookie, SessionData};
use tsunagu_web::{AppError, AppState, ClientIp, Page, Visitor};

use super::{
    client_key, insert_form, redirect_with_cookies, render_page, with_retry_after, RetryWait,
};
use crate::email::{self, EmailSpec};
use crate::forms::{self, EmailAddress, FieldErrors};
use crate::queries::{self, NewMember, TokenPurpose};

#[derive(Deserialize, Default)]
pub struct JoinQuery {
    #[serde(default)]
    invitation: String,
}

#[derive(Deserialize, Serialize, Default, Clone)]
pub struct JoinForm {
    #[serde(default)]
    pub email: String,
    #[serde(default, skip_serializing)]
    pub password: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name_kanji: String,
    #[serde(default)]
    pub name_kana: String,
    #[serde(default)]
    pub name_romaji: String,
    #[serde(default)]
    pub joined_year: String,
    #[serde(default)]
    pub left_year: String,
    #[serde(default)]
    pub department: String,
    #[serde(default)]
    pub current_organisation: String,
    #[serde(default)]
    pub invitation: String,
}

#[derive(Serialize)]
struct InvitationView {
    email: String,
    kind: MemberKind,
}

fn render_join(
    state: &AppState,
    page: &Page,
    tenant: &tsunagu_tenancy::Tenant,
    form: &JoinForm,
    errors: &FieldErrors,
    invitation: Option<InvitationView>,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_page(state, page, "identity/join.html", status, |c| {
        insert_form(c, form, errors);
        c.insert("invitation", &invitation);
        c.insert("employee_domains", &tenant.signup.employee_email_domains);
        c.insert(
            "invitation_only",
            &(tenant.signup.alumni_policy == "invitation_only"),
        );
        c.insert("password_min", &crate::password::MIN_LENGTH);
    })
}

pub async fn show_join(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    Query(query): Query<JoinQuery>,
) -> Result<Response, AppError> {
    if page.member.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    let mut form = JoinForm {
        kind: "alumni".into(),
        ..JoinForm::default()
    };
    let mut invitation = None;
    if tsunagu_kernel::tokens::looks_like_token(&query.invitation) {
        let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
        if let Some(found) = queries::find_open_invitation(&mut tx, &query.invitation).await? {
            form.email = found.email.clone();
            form.kind = found.kind.to_string();
            form.invitation = query.invitation.clone();
            prefill(&mut form, &found.profile.0);
            invitation = Some(InvitationView {
                email: found.email,
                kind: found.kind,
            });
        }
        tx.commit().await?;
        if invitation.is_none() {
            return super::message_page(
                &state,
                &page,
                StatusCode::NOT_FOUND,
                "identity.invitation_invalid_title",
                "identity.invitation_invalid_body",
                Some(("/join", "identity.join_link")),
            );
        }
    }
    render_join(
        &state,
        &page,
        &tenant,
        &form,
        &FieldErrors::new(),
        invitation,
        StatusCode::OK,
    )
}

/// Everything valid about a join form.
struct ValidJoin {
    email: EmailAddress,
    password: String,
    kind: MemberKind,
    name_kanji: String,
    name_kana: String,
    name_romaji: String,
    joined_year: Option<i32>,
    left_year: Option<i32>,
    department: String,
    current_organisation: String,
}

fn validate(
    form: &JoinForm,
    tenant: &tsunagu_tenancy::Tenant,
    invited: bool,
) -> Result<ValidJoin, FieldErrors> {
    let mut errors = FieldErrors::new();
    let email = EmailAddress::parse(&form.email)
        .map_err(|e| errors.insert("email", e))
        .ok();
    let password = forms::password(&form.password)
        .map_err(|e| errors.insert("password", e))
        .ok();
    let kind = forms::kind(&form.kind)
        .map_err(|e| errors.insert("kind", e))
        .ok();
    let name_kanji = forms::text(&form.name_kanji, 1, 100)
        .map_err(|e| errors.insert("name_kanji", e))
        .ok();
    let name_kana = forms::text(&form.name_kana, 0, 100)
        .map_err(|e| errors.insert("name_kana", e))
        .ok();
    let name_romaji = forms::text(&form.name_romaji, 0, 100)
        .map_err(|e| errors.insert("name_romaji", e))
        .ok();
    let joined_year = forms::year(&form.joined_year)
        .map_err(|e| errors.insert("joined_year", e))
        .ok();
    let left_year = forms::year(&form.left_year)
        .map_err(|e| errors.insert("left_year", e))
        .ok();
    let department = forms::text(&form.department, 0, 200)
        .map_err(|e| errors.insert("department", e))
        .ok();
    let current_organisation = forms::text(&form.current_organisation, 0, 200)
        .map_err(|e| errors.insert("current_organisation", e))
        .ok();
    if let (Some(Some(joined)), Some(Some(left))) = (joined_year, left_year) {
        if left < joined {
            errors.insert("left_year", "errors.field.left_before_joined");
        }
    }
    if !invited {
        if let (Some(email), Some(MemberKind::Employee)) = (&email, kind) {
            if !email.is_at_any_of(&tenant.signup.employee_email_domains) {
                errors.insert("email", "errors.field.employee_domain");
            }
        }
        if kind == Some(MemberKind::Alumni) && tenant.signup.alumni_policy == "invitation_only" {
            errors.insert("kind", "errors.field.invitation_only");
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    match (
        email,
        password,
        kind,
        name_kanji,
        name_kana,
        name_romaji,
        joined_year,
        left_year,
        department,
        current_organisation,
    ) {
        (
            Some(email),
            Some(password),
            Some(kind),
            Some(name_kanji),
            Some(name_kana),
            Some(name_romaji),
            Some(joined_year),
            Some(left_year),
            Some(department),
            Some(current_organisation),
        ) => Ok(ValidJoin {
            email,
            password,
            kind,
            name_kanji,
            name_kana,
            name_romaji,
            joined_year,
            left_year,
            department,
            current_organisation,
        }),
        _ => Err(errors),
    }
}

#[allow(clippy::too_many_arguments)]
pub async fn create_member(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
    client: Option<axum::Extension<ClientIp>>,
    headers: axum::http::HeaderMap,
    Form(form): Form<JoinForm>,
) -> Result<Response, AppError> {
    if let Some(axum::Extension(ClientIp(ip))) = client {
        if let Err(retry) = state
            .rate_limiter
            .hit(
                &client_key(&tenant, "join", ip),
                10,
                Duration::from_secs(3600),
            )
            .await
        {
            let wait = RetryWait::new(retry);
            let mut errors = FieldErrors::new();
            errors.insert("form", wait.key);
            let page = render_page(
                &state,
                &page,
                "identity/join.html",
                StatusCode::TOO_MANY_REQUESTS,
                |c| {
                    insert_form(c, &form, &errors);
                    c.insert("retry", &wait);
                    c.insert("employee_domains", &tenant.signup.employee_email_domains);
                    c.insert("password_min", &crate::password::MIN_LENGTH);
                },
            )?;
            return Ok(with_retry_after(page, retry));
        }
    }

    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
    let invitation = if form.invitation.is_empty() {
        None
    } else if tsunagu_kernel::tokens::looks_like_token(&form.invitation) {
        queries::find_open_invitation(&mut tx, &form.invitation).await?
    } else {
        None
    };
    if !form.invitation.is_empty() && invitation.is_none() {
        tx.rollback().await?;
        return super::message_page(
            &state,
            &page,
            StatusCode::NOT_FOUND,
            "identity.invitation_invalid_title",
            "identity.invitation_invalid_body",
            Some(("/join", "identity.join_link")),
        );
    }

    let mut form = form;
    if let Some(invitation) = &invitation {
        // The invitation fixes who is joining and how.
        form.email = invitation.email.clone();
        form.kind = invitation.kind.to_string();
    }
    let valid = match validate(&form, &tenant, invitation.is_some()) {
        Ok(valid) => valid,
        Err(errors) => {
            tx.rollback().await?;
            let view = invitation.map(|i| InvitationView {
                email: i.email,
                kind: i.kind,
            });
            return render_join(
                &state,
                &page,
                &tenant,
                &form,
                &errors,
                view,
                StatusCode::UNPROCESSABLE_ENTITY,
            );
        }
    };
    // The password is hashed with no transaction open (argon2 takes a while and a pooled
    // connection should not wait on it), and for taken addresses too, so that the answer takes
    // as long either way.
    tx.commit().await?;
    let password_hash = crate::password::hash(valid.password.clone()).await?;
    let mut tx = tenant.begin(&state, Actor::Anonymous).await?;

    if let Some(existing) = queries::find_by_email(&mut tx, &valid.email.normalized).await? {
        tell_account_exists(&state, &tenant, &mut tx, &existing).await?;
        tx.commit().await?;
        return Ok(Redirect::to("/join/check-email").into_response());
    }

    let origin = state.config.tenant_origin(&tenant.slug);
    let lang = page.lang;
    let invited = invitation.is_some();
    // An invitation makes an active member, unless the plan's member cap is reached: then the
    // invitee waits in the approval queue until the network upgrades (docs/BILLING.md).
    let held = invited && {
        let active = queries::active_members_locked(&mut tx).await?;
        !tenant.entitlements().has_room_for_member(active)
    };
    let inserted = queries::insert_member(
        &mut tx,
        &NewMember {
            email: &valid.email.address,
            email_normalized: &valid.email.normalized,
            password_hash: &password_hash,
            kind: valid.kind,
            status: if held {
                MemberStatus::PendingApproval
            } else if invited {
                MemberStatus::Active
            } else {
                MemberStatus::PendingVerification
            },
            email_verified: invited,
            name_kanji: &valid.name_kanji,
            name_kana: &valid.name_kana,
            name_romaji: &valid.name_romaji,
            joined_year: valid.joined_year,
            left_year: valid.left_year,
            department: &valid.department,
            current_organisation: &valid.current_organisation,
            preferred_locale: Some(lang.as_str()),
        },
    )
    .await;
    let member_id = match inserted {
        Ok(id) => id,
        // Someone signed up with this address between the look-up and the insert (two sign-ups
        // at once): the unique constraint decided, and this one gets the answer any taken
        // address gets.
        Err(error) if tsunagu_web::forms::constraint_error(&error) == Some(EMAIL_TAKEN) => {
            tx.rollback().await?;
            let mut tx = tenant.begin(&state, Actor::Anonymous).await?;
            if let Some(existing) = queries::find_by_email(&mut tx, &valid.email.normalized).await?
            {
                tell_account_exists(&state, &tenant, &mut tx, &existing).await?;
            }
            tx.commit().await?;
            return Ok(Redirect::to("/join/check-email").into_response());
        }
        Err(error) => return Err(error.into()),
    };

    if let Some(invitation) = invitation {
        queries::accept_invitation(&mut tx, invitation.id, member_id).await?;
        tsunagu_kernel::audit::record(
            &mut tx,
            "invitation.accepted",
            "member",
            Some(member_id.as_uuid()),
            serde_json::json!({ "invitation_id": invitation.id }),
        )
        .await?;
        if held {
            queries::hold_for_plan(&mut tx, member_id).await?;
            tx.commit().await?;
            return Ok(Redirect::to("/sign-in?notice=held_for_plan").into_response());
        }
        tx.commit().await?;
        let session = state
            .sessions
            .create(&SessionData {
                tenant_id: tenant.id,
                member_id,
                kind: valid.kind,
                role: MemberRole::Member,
                display_name: valid.name_kanji.clone(),
                locale: Some(lang.as_str().to_owned()),
                signed_in_at: time::OffsetDateTime::now_utc().unix_timestamp(),
                support: None,
            })
            .await?;
        return Ok(redirect_with_cookies(
            "/?notice=welcome",
            &[
                session_cookie(state.config.https, &session),
                super::sign_in::remember_device(&state, &headers, tenant.id, member_id),
            ],
        ));
    }

    let token = queries::issue_token(&mut tx, member_id, TokenPurpose::VerifyEmail).await?;
    email::send(
        &mut tx,
        &state.web,
        &tenant,
        &EmailSpec {
            kind: "verify_email",
            to: &valid.email.address,
            recipient_name: Some(&valid.name_kanji),
            locale: lang,
            args: vec![(
                "hours",
                TokenPurpose::VerifyEmail
                    .lifetime()
                    .whole_hours()
                    .to_string(),
            )],
            action_url: Some(format!("{origin}/verify-email?token={token}")),
        },
    )
    .await?;
    tx.commit().await?;
    tracing::info!(member.id = %member_id, "member signed up");
    Ok(Redirect::to("/join/check-email").into_response())
}

/// The field error the unique address constraint maps to (`tsunagu_web::forms`).
const EMAIL_TAKEN: (&str, &str) = ("email", "errors.field.taken");

/// Same answer as for a new address; the owner learns of the attempt by email.
async fn tell_account_exists(
    state: &AppState,
    tenant: &Visitor,
    tx: &mut tsunagu_kernel::TenantTx,
    existing: &queries::Member,
) -> Result<(), AppError> {
    let origin = state.config.tenant_origin(&tenant.slug);
    email::send(
        tx,
        &state.web,
        tenant,
        &EmailSpec {
            kind: "account_exists",
            to: &existing.email,
            recipient_name: Some(&existing.name_kanji),
            locale: email::member_locale(existing.preferred_locale.as_deref(), tenant),
            args: vec![],
            action_url: Some(format!("{origin}/sign-in")),
        },
    )
    .await?;
    Ok(())
}

pub async fn show_check_email(
    State(state): State<AppState>,
    page: Page,
) -> Result<Response, AppError> {
    super::message_page(
        &state,
        &page,
        StatusCode::OK,
        "identity.check_email_title",
        "identity.check_email_body",
        None,
    )
}

/// Fills the join form with what the secretariat's import knew of the invited person; the
/// person sees it and may change it.
fn prefill(form: &mut JoinForm, profile: &serde_json::Value) {
    let text = |key: &str| {
        profile
            .get(key)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    let year = |key: &str| {
        profile
            .get(key)
            .and_then(|v| v.as_i64())
            .map(|y| y.to_string())
            .unwrap_or_default()
    };
    form.name_kanji = text("name_kanji");
    form.name_kana = text("name_kana");
    form.name_romaji = text("name_romaji");
    form.joined_year = year("joined_year");
    form.left_year = year("left_year");
    form.department = text("department");
    form.current_organisation = text("current_organisation");
}
