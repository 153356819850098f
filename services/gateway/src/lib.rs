//! The `tsunagu` binary's library: the application router composed by host (apex landing,
//! customer-success console, tenant networks), the middleware stack (request id, tracing,
//! security headers, tenancy, same-origin checks, error pages), the CLI commands and the
//! worker's job registry. `main.rs` only parses the command line and calls in here.

pub mod apex;
pub mod app;
pub mod cli;
pub mod common;
pub mod preflight;
pub mod security;
pub mod serve;
pub mod tenancy_layer;
pub mod worker;

pub use app::router;
pub use tsunagu_web::AppState;

/// Templates of the sites this crate serves, compiled in.
const GATEWAY_TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] =
    tsunagu_web::templates!["site/landing.html"];

/// What the feature crates give the shared state (templates and hooks).
pub const FEATURES: tsunagu_web::state::Features = tsunagu_web::state::Features {
    templates: TEMPLATES,
    unread_notifications: tsunagu_community::notifications::unread_counter,
    unread_messages: tsunagu_messages::unread_counter,
    home_items: tsunagu_surveys::answering::home_items,
    member_seen: tsunagu_identity::member_seen,
};

/// Every template of every crate the binary serves.
pub const TEMPLATES: &[&[tsunagu_web::templates::EmbeddedTemplate]] = &[
    GATEWAY_TEMPLATES,
    tsunagu_identity::TEMPLATES,
    tsunagu_secretariat::TEMPLATES,
    tsunagu_community::TEMPLATES,
    tsunagu_console::TEMPLATES,
    tsunagu_surveys::TEMPLATES,
    tsunagu_messages::TEMPLATES,
    tsunagu_digest::TEMPLATES,
    tsunagu_insights::TEMPLATES,
    tsunagu_moderation::TEMPLATES,
    tsunagu_events::TEMPLATES,
    tsunagu_playbooks::TEMPLATES,
    tsunagu_onboarding::TEMPLATES,
];
