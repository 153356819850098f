//! One error type for handlers. Handlers use `?`; the response carries an [`ErrorPage`] marker and
//! the gateway's error-page layer renders the page in the visitor's language and the site's
//! branding. Internal errors are logged once here, with their cause chain, and the visitor sees
//! an opaque message.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

/// Marks a response whose body should be replaced by the branded error page for its status.
#[derive(Clone, Copy, Debug)]
pub struct ErrorPage(pub StatusCode);

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("not found")]
    NotFound,
    #[error("bad request: {0}")]
    BadRequest(String),
    #[error("forbidden")]
    Forbidden,
    /// Not signed in: redirect to the sign-in page, then back to this path.
    #[error("sign-in required")]
    SignInRequired(String),
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

impl From<tsunagu_kernel::DbError> for AppError {
    fn from(e: tsunagu_kernel::DbError) -> Self {
        AppError::Internal(e.into())
    }
}

impl From<tsunagu_authz::Denied> for AppError {
    fn from(_: tsunagu_authz::Denied) -> Self {
        AppError::Forbidden
    }
}

/// Percent-encodes everything but unreserved characters (for a `next=` parameter).
pub fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl From<tera::Error> for AppError {
    fn from(e: tera::Error) -> Self {
        AppError::Internal(e.into())
    }
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::SignInRequired(_) => StatusCode::SEE_OTHER,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(error) = &self {
            tracing::error!(error = format!("{error:#}"), "request failed");
        }
        if let AppError::SignInRequired(next) = &self {
            let target = format!("/sign-in?next={}", percent_encode(next));
            return axum::response::Redirect::to(&target).into_response();
        }
        error_response(self.status())
    }
}

/// A response for `status` that the gateway will render as the branded error page.
pub fn error_response(status: StatusCode) -> Response {
    let mut response = (status, status.canonical_reason().unwrap_or("error")).into_response();
    response.extensions_mut().insert(ErrorPage(status));
    response
}
