//! The apex site (`{base_domain}`): the public landing page. Company onboarding comes later. In
//! development it also lists the demo networks, so a person running `just dev` can click through.

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;
use tsunagu_kernel::config::Environment;
use tsunagu_web::{AppError, Page};

use tsunagu_web::AppState;

pub fn routes() -> tsunagu_web::routes::Routes {
    tsunagu_web::routes::Routes::new().public("/", get(show_landing))
}

#[derive(Serialize)]
struct NetworkLink {
    name: String,
    url: String,
    logo_text: String,
}

/// `http(s)://{slug}.{base}{:port}/`, keeping the port the visitor used: the landing lists the
/// networks in development only, where the visitor reached this very server. Links that leave
/// the request (emails, the console) use the configured origin, `ServerConfig::tenant_origin`.
pub fn tenant_url(state: &AppState, headers: &HeaderMap, slug: &str) -> String {
    let port = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .and_then(|h| h.rsplit_once(':'))
        .map(|(_, p)| format!(":{p}"))
        .unwrap_or_default();
    let scheme = if state.config.https { "https" } else { "http" };
    format!("{scheme}://{slug}.{}{port}/", state.config.base_domain)
}

async fn show_landing(
    State(state): State<AppState>,
    page: Page,
    headers: HeaderMap,
) -> Result<Html<String>, AppError> {
    let mut networks = Vec::new();
    if state.config.environment == Environment::Development {
        let mut tx = state.db.begin_platform().await?;
        for tenant in tsunagu_tenancy::registry::list_active(&mut tx).await? {
            networks.push(NetworkLink {
                url: tenant_url(&state, &headers, &tenant.slug),
                name: tenant.name,
                logo_text: tenant.branding.logo_text,
            });
        }
        tx.commit().await?;
    }
    let mut context = page.layout(&state.web.catalog).context();
    context.insert("networks", &networks);
    Ok(Html(state.web.render("site/landing.html", &context)?))
}
