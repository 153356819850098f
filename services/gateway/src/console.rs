//! The customer-success console (`console.{base_domain}`). For now only the page where staff
//! will sign in; staff accounts arrive with the identity work.

use axum::extract::State;
use axum::response::{Html, Redirect};
use axum::routing::get;
use axum::Router;
use tsunagu_web::{AppError, Page};

use crate::state::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/sign-in") }))
        .route("/sign-in", get(show_sign_in))
}

async fn show_sign_in(State(state): State<AppState>, page: Page) -> Result<Html<String>, AppError> {
    let context = page.layout(&state.web.catalog).context();
    Ok(Html(state.web.render("console/sign_in.html", &context)?))
}
