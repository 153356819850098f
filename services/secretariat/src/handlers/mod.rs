//! Handlers of the secretariat area.

pub mod audit_log;
pub mod forms;
pub mod members;
pub mod views;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Redirect, Response};
use axum::Form;
use tsunagu_identity::email::{self, EmailSpec};
use tsunagu_identity::queries;
use tsunagu_kernel::audit;
use tsunagu_kernel::{MemberId, MemberKind, MemberRole, MemberStatus, TenantTx};
use tsunagu_web::forms::{EmailAddress, FieldErrors};
use tsunagu_web::{AppError, AppState, Authorized, CurrentMember, Page};

use forms::{
    split_addresses, InviteForm, RejectForm, RoleForm, StatusForm, MAX_INVITATIONS_PER_BATCH,
};
use views::{render_approvals, render_invitations};

fn back(path: &str, notice: &str) -> Response {
    axum::response::IntoResponse::into_response(Redirect::to(&format!("{path}?notice={notice}")))
}

pub async fn list_approvals(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let response = render_approvals(
        &state,
        &page,
        &mut tx,
        &FieldErrors::new(),
        None,
        StatusCode::OK,
    )
    .await;
    tx.commit().await?;
    response
}

pub async fn approve_member(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<MemberId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    // The plan's member cap: the member stays in the queue, and the page says why.
    let active = tsunagu_identity::queries::active_members_locked(&mut tx).await?;
    if !member.tenant.entitlements().has_room_for_member(active) {
        tx.rollback().await?;
        return Ok(axum::response::IntoResponse::into_response(Redirect::to(
            "/secretariat/approvals?notice=plan_member_cap",
        )));
    }
    if !queries::transition_status(
        &mut tx,
        id,
        &[MemberStatus::PendingApproval],
        MemberStatus::Active,
    )
    .await?
    {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    let approved = queries::find_by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        "member.approved",
        "member",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    email::send(
        &mut tx,
        &state.web,
        &member.tenant,
        &EmailSpec {
            kind: "approved",
            to: &approved.email,
            recipient_name: Some(&approved.name_kanji),
            locale: email::member_locale(approved.preferred_locale.as_deref(), &member.tenant),
            args: vec![],
            action_url: Some(format!(
                "{}/sign-in",
                state.config.tenant_origin(&member.tenant.slug)
            )),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(back("/secretariat/approvals", "approved"))
}

pub async fn reject_member(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Path(id): Path<MemberId>,
    Form(form): Form<RejectForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let reason = match forms::text(&form.reason, 1, 1000) {
        Ok(reason) => reason,
        Err(e) => {
            let mut errors = FieldErrors::new();
            errors.insert("reason", e);
            let response = render_approvals(
                &state,
                &page,
                &mut tx,
                &errors,
                Some(id),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await;
            tx.rollback().await?;
            return response;
        }
    };
    if !queries::reject(&mut tx, id, &reason).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    let rejected = queries::find_by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    audit::record(
        &mut tx,
        "member.rejected",
        "member",
        Some(id.as_uuid()),
        serde_json::json!({ "reason": reason }),
    )
    .await?;
    email::send(
        &mut tx,
        &state.web,
        &member.tenant,
        &EmailSpec {
            kind: "rejected",
            to: &rejected.email,
            recipient_name: Some(&rejected.name_kanji),
            locale: email::member_locale(rejected.preferred_locale.as_deref(), &member.tenant),
            args: vec![("reason", reason)],
            action_url: None,
        },
    )
    .await?;
    tx.commit().await?;
    Ok(back("/secretariat/approvals", "rejected"))
}

pub async fn list_invitations(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let form = InviteForm {
        kind: "alumni".into(),
        ..InviteForm::default()
    };
    let response = render_invitations(
        &state,
        &page,
        &mut tx,
        &form,
        &FieldErrors::new(),
        &[],
        StatusCode::OK,
    )
    .await;
    tx.commit().await?;
    response
}

async fn send_invitation(
    state: &AppState,
    tx: &mut TenantTx,
    member: &CurrentMember,
    origin: &str,
    email_address: &str,
    kind: MemberKind,
    token: &str,
) -> Result<(), AppError> {
    email::send(
        tx,
        &state.web,
        &member.tenant,
        &EmailSpec {
            kind: "invitation",
            to: email_address,
            recipient_name: None,
            locale: email::member_locale(None, &member.tenant),
            args: vec![
                ("inviter", member.data.display_name.clone()),
                (
                    "kind",
                    state.web.catalog.t(
                        email::member_locale(None, &member.tenant),
                        &format!("member.kind.{kind}"),
                        &[],
                    ),
                ),
                (
                    "days",
                    queries::INVITATION_LIFETIME.whole_days().to_string(),
                ),
            ],
            action_url: Some(format!("{origin}/join?invitation={token}")),
        },
    )
    .await?;
    Ok(())
}

pub async fn create_invitations(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    form_token: tsunagu_web::csrf::FormToken,
    Form(form): Form<InviteForm>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let mut errors = FieldErrors::new();
    let kind = tsunagu_identity::forms::kind(&form.kind)
        .map_err(|e| errors.insert("kind", e))
        .ok();
    let candidates = split_addresses(&form.emails);
    let mut invalid = Vec::new();
    let mut addresses = Vec::new();
    for candidate in &candidates {
        match EmailAddress::parse(candidate) {
            Ok(address) => addresses.push(address),
            Err(_) => invalid.push((*candidate).to_owned()),
        }
    }
    if candidates.is_empty() {
        errors.insert("emails", "errors.field.required");
    } else if candidates.len() > MAX_INVITATIONS_PER_BATCH {
        errors.insert("emails", "errors.field.too_many_addresses");
    } else if !invalid.is_empty() {
        errors.insert("emails", "errors.field.invalid_addresses");
    }
    let Some(kind) = kind.filter(|_| errors.is_empty()) else {
        let response = render_invitations(
            &state,
            &page,
            &mut tx,
            &form,
            &errors,
            &invalid,
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
        tx.rollback().await?;
        return response;
    };

    if !form_token.claim(&mut tx, member.id()).await? {
        // This very form was already sent (a resubmission): no second round of emails.
        tx.rollback().await?;
        return Ok(back("/secretariat/invitations", "invited"));
    }
    let origin = state.config.tenant_origin(&member.tenant.slug);
    let (mut invited, mut already_members) = (0usize, 0usize);
    for address in &addresses {
        if queries::find_by_email(&mut tx, &address.normalized)
            .await?
            .is_some()
        {
            already_members += 1;
            continue;
        }
        let (id, token) = queries::upsert_invitation(
            &mut tx,
            &address.address,
            &address.normalized,
            kind,
            member.id(),
        )
        .await?;
        audit::record(
            &mut tx,
            "invitation.sent",
            "invitation",
            Some(id.as_uuid()),
            serde_json::json!({ "kind": kind }),
        )
        .await?;
        send_invitation(
            &state,
            &mut tx,
            &member,
            &origin,
            &address.address,
            kind,
            &token,
        )
        .await?;
        invited += 1;
    }
    tx.commit().await?;
    tracing::info!(invited, already_members, "invitations sent");
    let notice = if already_members > 0 {
        "invited_some_members"
    } else {
        "invited"
    };
    Ok(back("/secretariat/invitations", notice))
}

pub async fn resend_invitation(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::InvitationId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    let Some((invitation, token)) = queries::renew_invitation(&mut tx, id).await? else {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    };
    audit::record(
        &mut tx,
        "invitation.resent",
        "invitation",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    let origin = state.config.tenant_origin(&member.tenant.slug);
    send_invitation(
        &state,
        &mut tx,
        &member,
        &origin,
        &invitation.email,
        invitation.kind,
        &token,
    )
    .await?;
    tx.commit().await?;
    Ok(back("/secretariat/invitations", "resent"))
}

pub async fn revoke_invitation(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<queries::InvitationId>,
) -> Result<Response, AppError> {
    let mut tx = member.begin(&state).await?;
    if !queries::revoke_invitation(&mut tx, id).await? {
        tx.rollback().await?;
        return Err(AppError::NotFound);
    }
    audit::record(
        &mut tx,
        "invitation.revoked",
        "invitation",
        Some(id.as_uuid()),
        serde_json::json!({}),
    )
    .await?;
    tx.commit().await?;
    Ok(back("/secretariat/invitations", "revoked"))
}

pub async fn update_role(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<MemberId>,
    Form(form): Form<RoleForm>,
) -> Result<Response, AppError> {
    let Some(role) = MemberRole::parse(&form.role) else {
        return Err(AppError::BadRequest("unknown role".into()));
    };
    let mut tx = member.begin(&state).await?;
    let target = queries::find_by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if id == member.id() {
        tx.rollback().await?;
        return Ok(back("/secretariat/members", "cannot_change_self"));
    }
    if target.role == MemberRole::Secretariat
        && role == MemberRole::Member
        && queries::count_active_secretariat(&mut tx).await? <= 1
    {
        tx.rollback().await?;
        return Ok(back("/secretariat/members", "last_secretariat"));
    }
    if queries::set_role(&mut tx, id, role).await? {
        audit::record(
            &mut tx,
            "member.role_changed",
            "member",
            Some(id.as_uuid()),
            serde_json::json!({ "from": target.role, "to": role }),
        )
        .await?;
    }
    tx.commit().await?;
    state
        .sessions
        .update_all(member.tenant.id, id, |s| s.role = role)
        .await?;
    Ok(back("/secretariat/members", "saved"))
}

pub async fn update_status(
    State(state): State<AppState>,
    member: Authorized,
    Path(id): Path<MemberId>,
    Form(form): Form<StatusForm>,
) -> Result<Response, AppError> {
    use MemberStatus::*;
    let (from, to): (&[MemberStatus], MemberStatus) = match form.action.as_str() {
        "suspend" => (&[Active], Suspended),
        "reactivate" => (&[Suspended], Active),
        "remove" => (
            &[
                Active,
                Suspended,
                PendingApproval,
                PendingVerification,
                Rejected,
            ],
            Removed,
        ),
        _ => return Err(AppError::BadRequest("unknown action".into())),
    };
    let mut tx = member.begin(&state).await?;
    let target = queries::find_by_id(&mut tx, id)
        .await?
        .ok_or(AppError::NotFound)?;
    if id == member.id() {
        tx.rollback().await?;
        return Ok(back("/secretariat/members", "cannot_change_self"));
    }
    if !queries::transition_status(&mut tx, id, from, to).await? {
        tx.rollback().await?;
        return Ok(back("/secretariat/members", "nothing_changed"));
    }
    audit::record(
        &mut tx,
        &format!("member.{}", form.action),
        "member",
        Some(id.as_uuid()),
        serde_json::json!({ "from": target.status, "to": to }),
    )
    .await?;
    tx.commit().await?;
    if to != Active {
        // A suspended or removed member is signed out everywhere at once.
        state.sessions.destroy_all(member.tenant.id, id).await?;
    }
    Ok(back("/secretariat/members", "saved"))
}
