//! The secretariat's workspace home (`/secretariat`): the to-do, the engagement dashboard and the
//! level-3 indicator (docs/SECRETARIAT.md, docs/LEVEL3.md). The worker writes daily rollups per
//! network ([`rollup`]); the page reads them. Each feature crate reports its own activity
//! (`activity` modules, shapes in `tsunagu_kernel::activity`), so nothing here names another
//! crate's tables, and the secretariat still cannot read a private conversation.

pub mod chart;
pub mod dashboard;
pub mod level;
pub mod queries;
pub mod rollup;

use axum::routing::get;

pub const TEMPLATES: &[tsunagu_web::templates::EmbeddedTemplate] =
    tsunagu_web::templates!["insights/workspace.html", "insights/charts.html",];

pub fn routes() -> tsunagu_web::routes::Routes {
    use tsunagu_authz::Permission::*;
    tsunagu_web::routes::Routes::new().member(
        "/secretariat",
        ManageMembers,
        get(dashboard::show_workspace),
    )
}
