//! The playbook library (issue #18, docs/CONSOLE.md "Playbooks"): templates that worked in other
//! networks — an interview article, a 募集 for a reunion speaker, a welcome survey, a career
//! survey, an online reunion — kept bilingual and versioned in `library/`. The secretariat picks
//! one in its workspace, and CS staff within a support grant push one into the network, as a
//! draft that the secretariat publishes. The console lists the library with its outcomes across
//! networks, shown only where at least 5 networks used a template.

pub mod apply;
pub mod handlers;
pub mod library;
pub mod queries;

use axum::routing::{get, post};

/// The playbooks' templates (embedded; the gateway hands them to the web kit).
pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] =
    tsunagu_web::templates!["playbooks/library.html", "console/playbooks.html"];

/// The library in a network's secretariat workspace.
pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new()
        .member(
            "/secretariat/playbooks",
            UsePlaybooks,
            get(handlers::show_library),
        )
        .member(
            "/secretariat/playbooks/{key}",
            UsePlaybooks,
            post(handlers::make_draft),
        )
}

/// The library in the console.
pub fn console_routes() -> tsunagu_web::routes::Routes {
    tsunagu_web::routes::Routes::new().staff(
        "/playbooks",
        tsunagu_web::access::StaffRole::Cs,
        get(handlers::show_console_library),
    )
}
