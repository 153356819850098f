//! Development only: the emails this network "sent", so a person running `just dev` without an
//! SMTP server can click verification and invitation links. A 404 in production.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use tsunagu_kernel::Actor;
use tsunagu_web::{AppError, AppState, Page, Visitor};

use super::render_page;

#[derive(Serialize)]
struct MailView {
    to: String,
    kind: String,
    subject: String,
    text: String,
    links: Vec<String>,
    status: String,
    created_at: String,
}

/// URLs in a text body (ours are plain `http(s)://…` tokens on their own).
fn links(text: &str) -> Vec<String> {
    text.split_whitespace()
        .filter(|w| w.starts_with("http://") || w.starts_with("https://"))
        .map(|w| w.trim_end_matches(['.', ',', ')']).to_owned())
        .collect()
}

pub async fn list_mail(
    State(state): State<AppState>,
    tenant: Visitor,
    page: Page,
) -> Result<Response, AppError> {
    if !state.is_development() {
        return Err(AppError::NotFound);
    }
    let mut tx = tenant.begin(&state, Actor::System).await?;
    let entries = tsunagu_kernel::outbox::recent(&mut tx, 50).await?;
    tx.commit().await?;
    let mails: Vec<MailView> = entries
        .into_iter()
        .map(|e| MailView {
            links: links(&e.text_body),
            to: e.to_address,
            kind: e.kind,
            subject: e.subject,
            text: e.text_body,
            status: e.status,
            created_at: e
                .created_at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        })
        .collect();
    render_page(
        &state,
        &page,
        "identity/dev_mail.html",
        StatusCode::OK,
        |c| {
            c.insert("mails", &mails);
        },
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn finds_links_in_text() {
        let found =
            super::links("Open http://demo.localhost:8080/verify-email?token=ab12.\nThanks");
        assert_eq!(
            found,
            vec!["http://demo.localhost:8080/verify-email?token=ab12"]
        );
    }
}
