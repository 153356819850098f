//! The secretariat's side of a network: its home page with the announcements (`/`, [`home`]) and
//! the secretariat area (`/secretariat`): the approval queue, invitations (one or
//! many pasted addresses, with expiry, resend and revoke), the member list with role and status
//! changes, and the audit log. Every handler checks its permission explicitly; ids of another
//! tenant are invisible under RLS and answer 404. Every change is audited in the same
//! transaction, and every email goes through the outbox in it.

pub mod handlers;
pub mod home;
pub mod import;
pub mod queries;
pub mod settings;
pub mod support;
pub mod support_queries;

use axum::routing::{get, post};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "home/index.html",
    "secretariat/approvals.html",
    "secretariat/invitations.html",
    "secretariat/members.html",
    "secretariat/audit.html",
    "secretariat/tabs.html",
    "secretariat/member_remove.html",
    "secretariat/import.html",
    "secretariat/import_show.html",
    "secretariat/import_progress.html",
    "secretariat/settings.html",
    "secretariat/support.html",
    "support/home.html",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    use handlers::*;
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member(
            "/secretariat/approvals",
            ManageApprovals,
            get(list_approvals),
        )
        .member(
            "/secretariat/approvals/{id}/approve",
            ManageApprovals,
            post(approve_member),
        )
        .member(
            "/secretariat/approvals/{id}/reject",
            ManageApprovals,
            post(reject_member),
        )
        .member(
            "/secretariat/invitations",
            ManageInvitations,
            get(list_invitations).post(create_invitations),
        )
        .member(
            "/secretariat/invitations/{id}/resend",
            ManageInvitations,
            post(resend_invitation),
        )
        .member(
            "/secretariat/invitations/{id}/revoke",
            ManageInvitations,
            post(revoke_invitation),
        )
        .member(
            "/secretariat/members",
            ManageMembers,
            get(members::list_members),
        )
        .member(
            "/secretariat/members.csv",
            ManageMembers,
            get(members::export_members),
        )
        .member(
            "/secretariat/members/{id}/role",
            ManageMembers,
            post(update_role),
        )
        .member(
            "/secretariat/members/{id}/remove",
            ManageMembers,
            get(members::confirm_remove),
        )
        .member(
            "/secretariat/members/{id}/status",
            ManageMembers,
            post(update_status),
        )
        .member(
            "/secretariat/settings",
            ManageSettings,
            get(settings::show_settings),
        )
        .member(
            "/secretariat/support",
            ManageSettings,
            get(support::show_support).post(support::grant_support),
        )
        .member(
            "/secretariat/support/{id}/revoke",
            ManageSettings,
            post(support::revoke_support),
        )
        .member(
            "/secretariat/support/requests/{id}/approve",
            ManageSettings,
            post(support::approve_request),
        )
        .member(
            "/secretariat/support/requests/{id}/decline",
            ManageSettings,
            post(support::decline_request),
        )
        // Platform staff within a support grant (docs/adr/0004-support-sessions.md): the
        // console's one-time handoff, the support page, leaving.
        .public("/support/enter", get(support::enter_as_support))
        .member("/support", VisitAsSupport, get(support::show_support_home))
        .member(
            "/support/leave",
            VisitAsSupport,
            post(support::leave_support),
        )
        .member(
            "/secretariat/settings/branding",
            ManageSettings,
            post(settings::save_branding),
        )
        .member(
            "/secretariat/settings/signup",
            ManageSettings,
            post(settings::save_signup),
        )
        .member(
            "/secretariat/settings/features",
            ManageSettings,
            post(settings::save_features),
        )
        .member(
            "/secretariat/settings/email",
            ManageSettings,
            post(settings::save_email_defaults),
        )
        .merge(
            tsunagu_web::routes::Routes::new()
                .member(
                    "/secretariat/settings/logo",
                    ManageSettings,
                    post(settings::save_logo),
                )
                // A file a little over the limit still arrives, so that the form can say so.
                .with_body_limit(tsunagu_web::media::MAX_UPLOAD_BYTES * 2),
        )
        .public("/branding/logo/{key}", get(settings::show_logo))
        .merge(
            tsunagu_web::routes::Routes::new()
                .member(
                    "/secretariat/import",
                    ManageMembers,
                    get(import::show_upload).post(import::upload),
                )
                // A file a little over the limit still arrives, so that the form can say so.
                .with_body_limit(import::parse::MAX_FILE_BYTES * 2),
        )
        .member(
            "/secretariat/import/{id}",
            ManageMembers,
            get(import::show_import),
        )
        .member(
            "/secretariat/import/{id}/progress",
            ManageMembers,
            get(import::show_progress),
        )
        .member(
            "/secretariat/import/{id}/mapping",
            ManageMembers,
            post(import::update_mapping),
        )
        .member(
            "/secretariat/import/{id}/start",
            ManageMembers,
            post(import::start),
        )
        .member(
            "/secretariat/import/{id}/failed.csv",
            ManageMembers,
            get(import::failed_csv),
        )
        .member("/secretariat/audit", ViewAudit, get(audit_log::list_audit))
        .member(
            "/secretariat/audit.csv",
            ViewAudit,
            get(audit_log::export_audit),
        )
}
