//! What the secretariat area shows: the approval queue, open invitations
//! and the member list.

use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_identity::queries;
use tsunagu_kernel::{MemberKind, MemberRole, MemberStatus, TenantTx};
use tsunagu_web::dates;
use tsunagu_web::forms::{render_page, FieldErrors};
use tsunagu_web::{AppError, AppState, Page};

use super::forms::InviteForm;

#[derive(Serialize)]
struct PendingView {
    id: tsunagu_kernel::MemberId,
    name_kanji: String,
    name_kana: String,
    name_romaji: String,
    email: String,
    kind: MemberKind,
    joined_year: Option<i32>,
    left_year: Option<i32>,
    department: String,
    current_organisation: String,
    requested_on: String,
    requested_iso: String,
}

pub(super) async fn render_approvals(
    state: &AppState,
    page: &Page,
    tx: &mut TenantTx,
    errors: &FieldErrors,
    failed_id: Option<tsunagu_kernel::MemberId>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let pending: Vec<PendingView> = queries::list_by_status(tx, "pending_approval")
        .await?
        .into_iter()
        .map(|m| PendingView {
            requested_on: dates::date(m.created_at, page.lang, page.zone()),
            requested_iso: dates::iso(m.created_at),
            id: m.id,
            name_kanji: m.name_kanji,
            name_kana: m.name_kana,
            name_romaji: m.name_romaji,
            email: m.email,
            kind: m.kind,
            joined_year: m.joined_year,
            left_year: m.left_year,
            department: m.department,
            current_organisation: m.current_organisation,
        })
        .collect();
    // The plan's member cap, when the network is at it or has sign-ups held by it.
    let plan_limit = match &page.site {
        tsunagu_web::Site::Tenant(tenant) => {
            let entitlements = tenant.entitlements();
            match entitlements.member_cap() {
                Some(cap) => {
                    let active = queries::active_members(tx).await?;
                    let held = queries::held_for_plan(tx).await?;
                    (held > 0 || !entitlements.has_room_for_member(active)).then(|| {
                        serde_json::json!({
                            "plan": match page.lang {
                                tsunagu_web::Locale::Ja => &entitlements.plan().name.ja,
                                tsunagu_web::Locale::En => &entitlements.plan().name.en,
                            },
                            "cap": cap,
                            "active": active,
                            "held": held,
                        })
                    })
                }
                None => None,
            }
        }
        _ => None,
    };
    render_page(state, page, "secretariat/approvals.html", status, |c| {
        c.insert("plan_limit", &plan_limit);
        c.insert("pending", &pending);
        c.insert("errors", errors);
        c.insert("failed_id", &failed_id);
        c.insert("section", "approvals");
    })
}

#[derive(Serialize)]
struct InvitationView {
    id: queries::InvitationId,
    email: String,
    kind: MemberKind,
    expires_on: String,
    expires_iso: String,
    expired: bool,
    sent_count: i32,
    last_sent_on: String,
    last_sent_iso: String,
}

pub(super) async fn render_invitations(
    state: &AppState,
    page: &Page,
    tx: &mut TenantTx,
    form: &InviteForm,
    errors: &FieldErrors,
    invalid: &[String],
    status: StatusCode,
) -> Result<Response, AppError> {
    let now = OffsetDateTime::now_utc();
    let invitations: Vec<InvitationView> = queries::list_open_invitations(tx)
        .await?
        .into_iter()
        .map(|i| InvitationView {
            id: i.id,
            email: i.email,
            kind: i.kind,
            expires_on: dates::date(i.expires_at, page.lang, page.zone()),
            expires_iso: dates::iso(i.expires_at),
            expired: i.expires_at <= now,
            sent_count: i.sent_count,
            last_sent_on: dates::date(i.last_sent_at, page.lang, page.zone()),
            last_sent_iso: dates::iso(i.last_sent_at),
        })
        .collect();
    render_page(state, page, "secretariat/invitations.html", status, |c| {
        c.insert("invitations", &invitations);
        c.insert("form", form);
        c.insert("errors", errors);
        c.insert("invalid_addresses", invalid);
        c.insert("section", "invitations");
    })
}

#[derive(Serialize)]
pub(super) struct MemberRow {
    pub(super) id: tsunagu_kernel::MemberId,
    pub(super) name_kanji: String,
    pub(super) email: String,
    pub(super) kind: MemberKind,
    pub(super) role: MemberRole,
    pub(super) status: MemberStatus,
    pub(super) joined_on: String,
    pub(super) joined_iso: String,
    /// The member's last day of use; `None`: never seen.
    pub(super) last_seen_on: Option<String>,
    pub(super) is_self: bool,
}
