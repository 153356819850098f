//! Membership and identity for a tenant's network: joining (as alumni or employee, or by
//! invitation), email verification, signing in and out (also everywhere), password reset, the
//! member's own account page, and the development mail page. Sessions and CSRF live in the web
//! kit; this crate decides who gets in.

pub mod email;
pub mod forms;
pub mod handlers;
pub mod password;
pub mod queries;

use axum::routing::{get, post};

/// Templates of this crate, compiled in.
pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "identity/join.html",
    "identity/verify_email.html",
    "identity/sign_in.html",
    "identity/forgot_password.html",
    "identity/reset_password.html",
    "identity/account.html",
    "identity/message.html",
    "identity/dev_mail.html",
    "identity/unsubscribe.html",
    "email/layout.html",
    "email/layout.txt",
];

/// The session layer's hook for a member's first request of the day
/// ([`tsunagu_web::session::MemberSeen`]).
pub fn member_seen(
    tx: &mut tsunagu_kernel::TenantTx,
    member: tsunagu_kernel::MemberId,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), tsunagu_kernel::DbError>> + Send + '_>,
> {
    Box::pin(queries::activity::record_seen(tx, member))
}

pub fn routes() -> tsunagu_web::routes::Routes {
    use handlers::*;
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .public("/join", get(join::show_join).post(join::create_member))
        .public("/join/check-email", get(join::show_check_email))
        .public(
            "/verify-email",
            get(verify::show_verify).post(verify::verify_email),
        )
        .public("/verify-email/resend", post(verify::resend_verification))
        .public(
            "/sign-in",
            get(sign_in::show_sign_in).post(sign_in::sign_in),
        )
        .public("/sign-out", post(sign_in::sign_out))
        .public(
            "/forgot-password",
            get(reset::show_forgot).post(reset::request_reset),
        )
        .public(
            "/reset-password",
            get(reset::show_reset).post(reset::reset_password),
        )
        .member("/account", ManageOwnAccount, get(account::show_account))
        .member(
            "/account/email",
            ManageOwnAccount,
            post(email_consent::update_email_preferences),
        )
        // Signed links from emails: they work signed out (see web::csrf for the one-click POST).
        .public(
            tsunagu_web::csrf::UNSUBSCRIBE_ROUTE,
            get(email_consent::show_unsubscribe).post(email_consent::unsubscribe),
        )
        .member(
            "/account/language",
            ManageOwnAccount,
            post(account::update_language),
        )
        .member(
            "/account/sign-out-everywhere",
            ManageOwnAccount,
            post(account::sign_out_everywhere),
        )
        // Development only: answers 404 unless the outbox is shown (TSUNAGU_DEV_MAIL).
        .public("/_dev/mail", get(dev_mail::list_mail))
}
