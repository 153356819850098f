//! A company starts its own network (issue #19, docs/ONBOARDING.md): on the apex site `/start`
//! takes the company's name, its subdomain, the first secretariat's account, the language and
//! the plan; the network is created pending and opens when that secretariat confirms the email
//! address (identity's `/verify-email`), landing them signed in with the first-week checklist.

pub mod billing;
pub mod billing_queries;
pub mod start;

use axum::routing::{get, post};

/// The onboarding pages' templates (embedded; the gateway hands them to the web kit).
pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] = tsunagu_web::templates![
    "onboarding/start.html",
    "onboarding/availability.html",
    "onboarding/check_email.html",
    "onboarding/billing.html",
    "onboarding/continue.html",
];

/// The route Stripe delivers webhooks to (apex site; exempt from CSRF checks, its signature is
/// the credential).
pub const STRIPE_WEBHOOK_ROUTE: &str = tsunagu_web::csrf::STRIPE_WEBHOOK_ROUTE;

/// The apex site's sign-up (public: the company has no account yet).
pub fn apex_routes() -> tsunagu_web::routes::Routes {
    tsunagu_web::routes::Routes::new()
        .public("/start", get(start::show_start).post(start::create_network))
        .public("/start/availability", get(start::check_availability))
        .public("/start/check-email", get(start::show_check_email))
        .public(STRIPE_WEBHOOK_ROUTE, post(billing::webhook::receive))
}

/// The secretariat's billing page in a network.
pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::ManageBilling;
    tsunagu_web::routes::Routes::new()
        .member(
            "/secretariat/billing",
            ManageBilling,
            get(billing::pages::show_billing),
        )
        .member(
            "/secretariat/billing/checkout",
            ManageBilling,
            post(billing::pages::start_checkout),
        )
        .member(
            "/secretariat/billing/portal",
            ManageBilling,
            post(billing::pages::open_portal),
        )
}
