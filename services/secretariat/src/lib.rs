//! The secretariat's area of a network (`/secretariat`): the approval queue, invitations (one or
//! many pasted addresses, with expiry, resend and revoke), the member list with role and status
//! changes, and the audit log. Every handler checks its permission explicitly; ids of another
//! tenant are invisible under RLS and answer 404. Every change is audited in the same
//! transaction, and every email goes through the outbox in it.

pub mod handlers;

use axum::routing::{get, post};

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "secretariat/dashboard.html",
    "secretariat/approvals.html",
    "secretariat/invitations.html",
    "secretariat/members.html",
    "secretariat/audit.html",
    "secretariat/tabs.html",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    use handlers::*;
    tsunagu_web::routes::Routes::new()
        .route("/secretariat", get(show_dashboard))
        .route("/secretariat/approvals", get(list_approvals))
        .route("/secretariat/approvals/{id}/approve", post(approve_member))
        .route("/secretariat/approvals/{id}/reject", post(reject_member))
        .route(
            "/secretariat/invitations",
            get(list_invitations).post(create_invitations),
        )
        .route(
            "/secretariat/invitations/{id}/resend",
            post(resend_invitation),
        )
        .route(
            "/secretariat/invitations/{id}/revoke",
            post(revoke_invitation),
        )
        .route("/secretariat/members", get(list_members))
        .route("/secretariat/members/{id}/role", post(update_role))
        .route("/secretariat/members/{id}/status", post(update_status))
        .route("/secretariat/audit", get(list_audit))
}
