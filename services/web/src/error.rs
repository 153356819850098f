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
    /// Too much expensive work of this network at once (see `limits`), or a statement that ran
    /// out of its time: 503, try again in a moment.
    #[error("busy")]
    Busy,
    /// PostgreSQL or Redis cannot be reached right now (a restart, a failover): 503 with
    /// `Retry-After`, never the generic error page, since nothing about the request was wrong.
    #[error("unavailable: {0:#}")]
    Unavailable(anyhow::Error),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
}

/// Seconds a visitor is asked to wait after a 503.
pub const RETRY_AFTER_BUSY_SECONDS: u32 = 2;
pub const RETRY_AFTER_UNAVAILABLE_SECONDS: u32 = 5;

impl From<anyhow::Error> for AppError {
    fn from(e: anyhow::Error) -> Self {
        if is_unavailable(&e) {
            AppError::Unavailable(e)
        } else {
            AppError::Internal(e)
        }
    }
}

impl From<tsunagu_kernel::DbError> for AppError {
    fn from(e: tsunagu_kernel::DbError) -> Self {
        if e.is_timeout() {
            tracing::warn!(error = %e, "statement timed out");
            AppError::Busy
        } else if e.is_support_refused() {
            // Staff whose grant ended or was revoked: the network is not there for them.
            AppError::NotFound
        } else {
            AppError::from(anyhow::Error::from(e))
        }
    }
}

impl From<redis::RedisError> for AppError {
    fn from(e: redis::RedisError) -> Self {
        AppError::from(anyhow::Error::from(e))
    }
}

/// Does this error (anywhere in its chain) say that PostgreSQL or Redis is out of reach?
pub fn is_unavailable(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        if let Some(db) = cause.downcast_ref::<tsunagu_kernel::DbError>() {
            return db.is_unavailable();
        }
        if let Some(sqlx) = cause.downcast_ref::<sqlx::Error>() {
            return tsunagu_kernel::db::is_unavailable(sqlx);
        }
        if let Some(redis) = cause.downcast_ref::<redis::RedisError>() {
            return redis.is_io_error()
                || redis.is_connection_dropped()
                || redis.is_connection_refusal()
                || redis.is_timeout();
        }
        cause.downcast_ref::<deadpool_redis::PoolError>().is_some()
    })
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
            AppError::Busy | AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        match &self {
            AppError::Internal(error) => {
                tracing::error!(error = format!("{error:#}"), "request failed");
            }
            AppError::Unavailable(error) => {
                tracing::warn!(
                    error = format!("{error:#}"),
                    "a backing service is unavailable"
                );
                return unavailable_response(RETRY_AFTER_UNAVAILABLE_SECONDS);
            }
            AppError::Busy => return unavailable_response(RETRY_AFTER_BUSY_SECONDS),
            AppError::SignInRequired(next) => {
                let target = format!("/sign-in?next={}", percent_encode(next));
                return axum::response::Redirect::to(&target).into_response();
            }
            _ => {}
        }
        error_response(self.status())
    }
}

/// A 503 that asks the visitor (and any client or proxy) to try again after `seconds`.
pub fn unavailable_response(seconds: u32) -> Response {
    let mut response = error_response(StatusCode::SERVICE_UNAVAILABLE);
    response.headers_mut().insert(
        axum::http::header::RETRY_AFTER,
        axum::http::HeaderValue::from(seconds),
    );
    response
}

/// A response for `status` that the gateway will render as the branded error page.
pub fn error_response(status: StatusCode) -> Response {
    let mut response = (status, status.canonical_reason().unwrap_or("error")).into_response();
    response.extensions_mut().insert(ErrorPage(status));
    response
}
