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
    "email/layout.html",
    "email/layout.txt",
];

pub fn routes() -> tsunagu_web::routes::Routes {
    use handlers::*;
    tsunagu_web::routes::Routes::new()
        .route("/join", get(join::show_join).post(join::create_member))
        .route("/join/check-email", get(join::show_check_email))
        .route(
            "/verify-email",
            get(verify::show_verify).post(verify::verify_email),
        )
        .route("/verify-email/resend", post(verify::resend_verification))
        .route(
            "/sign-in",
            get(sign_in::show_sign_in).post(sign_in::sign_in),
        )
        .route("/sign-out", post(sign_in::sign_out))
        .route(
            "/forgot-password",
            get(reset::show_forgot).post(reset::request_reset),
        )
        .route(
            "/reset-password",
            get(reset::show_reset).post(reset::reset_password),
        )
        .route("/account", get(account::show_account))
        .route("/account/language", post(account::update_language))
        .route(
            "/account/sign-out-everywhere",
            post(account::sign_out_everywhere),
        )
        .route("/_dev/mail", get(dev_mail::list_mail))
}
