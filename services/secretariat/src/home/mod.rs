//! A network's home page (`/`): the tenant's welcome text (from its branding) and the secretariat's
//! latest announcements (a tenant table, read through a `TenantTx`).

pub mod queries;

use axum::extract::State;
use axum::response::Html;
use axum::routing::get;
use serde::Serialize;
use tsunagu_web::{AppError, MaybeMember, Page, Visitor};

use tsunagu_web::AppState;

pub fn routes() -> tsunagu_web::routes::Routes {
    tsunagu_web::routes::Routes::new().public("/", get(show_home))
}

#[derive(Serialize)]
struct AnnouncementView {
    title: String,
    body_paragraphs: Vec<String>,
    published_on: String,
    published_iso: String,
}

async fn show_home(
    State(state): State<AppState>,
    tenant: Visitor,
    MaybeMember(member): MaybeMember,
    page: Page,
) -> Result<Html<String>, AppError> {
    // The network is for its members: visitors see the welcome and the way in, nothing else.
    let (announcements, for_you) = match &member {
        Some(member) => {
            let mut tx = tenant.begin(&state, member.actor()).await?;
            let rows = queries::list_recent_announcements(&mut tx, 10).await?;
            let items = (state.home_items)(&mut tx, member.id(), member.data.kind).await?;
            tx.commit().await?;
            (rows, items)
        }
        None => (Vec::new(), Vec::new()),
    };

    let views: Vec<AnnouncementView> = announcements
        .into_iter()
        .map(|a| AnnouncementView {
            title: a.title,
            body_paragraphs: a
                .body
                .split("\n\n")
                .map(|p| p.trim().to_owned())
                .filter(|p| !p.is_empty())
                .collect(),
            published_on: state.web.catalog.t(
                page.lang,
                "home.published_on",
                &[(
                    "date",
                    &tsunagu_web::dates::date(a.published_at, page.lang, page.zone()),
                )],
            ),
            published_iso: a
                .published_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        })
        .collect();

    let mut context = page.layout(&state.web.catalog).context();
    let welcome_title = if tenant.branding.welcome_title.is_empty() {
        state.web.catalog.t(
            page.lang,
            "home.welcome_fallback",
            &[("name", &tenant.name)],
        )
    } else {
        tenant.branding.welcome_title.clone()
    };
    context.insert("welcome_title", &welcome_title);
    context.insert("welcome_body", &tenant.branding.welcome_body);
    context.insert("announcements", &views);
    context.insert("for_you", &for_you);
    context.insert("signed_in", &member.is_some());
    Ok(Html(state.web.render("home/index.html", &context)?))
}
