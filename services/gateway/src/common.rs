//! Pieces every site shares: branded error pages in the visitor's language, the language switch,
//! the branding stylesheet, static assets and the health endpoints.

use std::time::Duration;

use axum::extract::{Path, Query, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Form, Json};
use serde::Deserialize;
use tsunagu_kernel::tokens::looks_like_token;
use tsunagu_web::csrf::CSRF_COOKIE;
use tsunagu_web::error::ErrorPage;
use tsunagu_web::site::request_locale;
use tsunagu_web::{Layout, Locale, MaybeMember, Site, LANG_COOKIE};

use tsunagu_web::AppState;

fn error_keys(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 | 422 => ("errors.bad_request_title", "errors.bad_request_body"),
        403 => ("errors.forbidden_title", "errors.forbidden_body"),
        404 => ("errors.not_found_title", "errors.not_found_body"),
        405 => ("errors.method_title", "errors.method_body"),
        413 => ("errors.too_large_title", "errors.too_large_body"),
        410 => ("errors.gone_title", "errors.gone_body"),
        503 => ("errors.unavailable_title", "errors.unavailable_body"),
        _ => ("errors.server_title", "errors.server_body"),
    }
}

/// Renders the error page for `status`. `home_url` replaces the default `/` link; `None` for
/// request_id hides the reference line.
pub fn render_error_page(
    state: &AppState,
    status: StatusCode,
    site: &Site,
    lang: Locale,
    request_id: Option<&str>,
    home_url: Option<&str>,
    csrf_token: Option<&str>,
) -> Response {
    let (title_key, body_key) = error_keys(status);
    let mut layout = Layout::new(lang, site.view(lang, &state.web.catalog), "/");
    layout.csrf_token = csrf_token.unwrap_or_default().to_owned();
    let mut context = layout.context();
    context.insert("status", &status.as_u16());
    context.insert("title_key", title_key);
    context.insert("body_key", body_key);
    context.insert(
        "request_id",
        &request_id.filter(|_| status.is_server_error()),
    );
    context.insert("show_home_link", &(status != StatusCode::GONE));
    if let Some(url) = home_url {
        context.insert("home_url", url);
    }
    let body = match state.web.render("errors/error.html", &context) {
        Ok(html) => html,
        Err(error) => {
            tracing::error!(error = ?error, "error page failed to render");
            format!(
                "{} {}",
                status.as_u16(),
                status.canonical_reason().unwrap_or("")
            )
        }
    };
    let mut response = (status, Html(body)).into_response();
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

/// Replaces the body of responses marked with [`ErrorPage`] by the branded page.
pub async fn render_error_pages(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let site = request
        .extensions()
        .get::<Site>()
        .cloned()
        .unwrap_or(Site::Apex);
    let lang = request_locale(request.headers(), Some(&site));
    let request_id = request
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let existing_token = tsunagu_web::site::cookie(request.headers(), CSRF_COOKIE)
        .filter(|t| looks_like_token(t))
        .map(str::to_owned);
    let response = next.run(request).await;
    let marked = response.extensions().get::<ErrorPage>().map(|page| page.0);
    match marked.or_else(|| bare_rejection(&response)) {
        Some(status) => {
            // The page's own forms (the language switch) need the visitor's token: the one the
            // inner layers just issued, or the one the browser already has.
            let issued_token = response
                .headers()
                .get_all(header::SET_COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|c| c.strip_prefix(&format!("{CSRF_COOKIE}=")))
                .and_then(|rest| rest.split(';').next())
                .map(str::to_owned);
            let token = issued_token.or(existing_token);
            let mut page = render_error_page(
                &state,
                status,
                &site,
                lang,
                request_id.as_deref(),
                None,
                token.as_deref(),
            );
            // Keep headers the handler set on purpose (cookies, Allow on a 405).
            for cookie in response.headers().get_all(header::SET_COOKIE) {
                page.headers_mut()
                    .append(header::SET_COOKIE, cookie.clone());
            }
            for kept in [header::ALLOW, header::RETRY_AFTER] {
                if let Some(value) = response.headers().get(&kept) {
                    page.headers_mut().insert(kept, value.clone());
                }
            }
            page.extensions_mut().insert(ErrorPage(status));
            page
        }
        None => response,
    }
}

/// A plain-text error that axum or tower answered on its own (a body over its limit, a form or
/// query that does not parse, a path parameter of the wrong shape): it gets the branded page too,
/// so no visitor ever sees a bare "length limit exceeded".
fn bare_rejection(response: &Response) -> Option<StatusCode> {
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    ((status.is_client_error() || status.is_server_error()) && plain).then_some(status)
}

/// Fallback for unknown paths in every site router.
pub async fn not_found() -> Response {
    tsunagu_web::error::error_response(StatusCode::NOT_FOUND)
}

/// Fallback for a known path with the wrong method.
pub async fn method_not_allowed() -> Response {
    tsunagu_web::error::error_response(StatusCode::METHOD_NOT_ALLOWED)
}

#[derive(Deserialize)]
pub struct LanguageForm {
    lang: String,
    #[serde(default)]
    next: String,
}

/// `POST /lang`: remembers the chosen language in a host-only cookie and goes back.
pub async fn switch_language(
    State(state): State<AppState>,
    MaybeMember(member): MaybeMember,
    Form(form): Form<LanguageForm>,
) -> Response {
    let Some(lang) = Locale::parse(&form.lang) else {
        return tsunagu_web::error::error_response(StatusCode::BAD_REQUEST);
    };
    // A member's choice is kept in their account too, so it follows them to other devices.
    if let Some(member) = member {
        let saved = async {
            let member = tsunagu_web::Authorized::check(
                &state,
                member,
                tsunagu_authz::Permission::ManageOwnAccount,
            )
            .await?;
            tsunagu_identity::handlers::account::set_member_language(&state, &member, lang).await
        };
        if let Err(error) = saved.await {
            return error.into_response();
        }
    }
    let secure = if state.config.https { "; Secure" } else { "" };
    let cookie =
        format!("{LANG_COOKIE}={lang}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax{secure}");
    let mut response =
        Redirect::to(tsunagu_identity::handlers::safe_next(&form.next)).into_response();
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().insert(header::SET_COOKIE, value);
    }
    response
}

#[derive(Deserialize)]
pub struct VersionQuery {
    v: Option<String>,
}

fn cache_control(versioned: bool) -> HeaderValue {
    if versioned {
        HeaderValue::from_static("public, max-age=31536000, immutable")
    } else {
        HeaderValue::from_static("public, no-cache")
    }
}

fn not_modified(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag))
}

/// `GET /theme.css`: the site's brand colours as CSS variables.
pub async fn theme_stylesheet(
    site: Site,
    headers: HeaderMap,
    Query(query): Query<VersionQuery>,
) -> Response {
    let (primary, accent) = site.colours();
    let css = tsunagu_web::theme::theme_css(primary, accent);
    let current = site.theme_url();
    let versioned = query
        .v
        .is_some_and(|v| current.ends_with(&format!("v={v}")));
    let etag = format!("\"{}\"", tsunagu_web::assets::content_hash(css.as_bytes()));
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], css).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control(versioned));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// `GET /static/{path}`: embedded assets.
pub async fn static_asset(
    State(state): State<AppState>,
    Path(path): Path<String>,
    headers: HeaderMap,
    Query(query): Query<VersionQuery>,
) -> Response {
    let Some(asset) = state.web.assets.get(&path) else {
        return StatusCode::NOT_FOUND.into_response();
    };
    let etag = format!("\"{}\"", asset.hash);
    let versioned = query.v.as_deref() == Some(asset.hash.as_str());
    let mut response = if not_modified(&headers, &etag) {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, asset.content_type)], asset.bytes).into_response()
    };
    let h = response.headers_mut();
    h.insert(header::CACHE_CONTROL, cache_control(versioned));
    if let Ok(v) = HeaderValue::from_str(&etag) {
        h.insert(header::ETAG, v);
    }
    response
}

/// `GET /healthz`: the process is up (liveness). No dependencies checked.
pub async fn healthz() -> &'static str {
    "ok"
}

/// `GET /readyz`: PostgreSQL and Redis answer (readiness). 503 with the failing part otherwise.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let limit = Duration::from_secs(2);
    let postgres = match tokio::time::timeout(limit, state.db.ping()).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_owned(),
    };
    let redis = match tokio::time::timeout(limit, ping_redis(&state.redis)).await {
        Ok(Ok(())) => "ok".to_owned(),
        Ok(Err(e)) => format!("error: {e}"),
        Err(_) => "error: timed out".to_owned(),
    };
    let ready = postgres == "ok" && redis == "ok";
    let status = if ready {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !ready {
        tracing::warn!(postgres = %postgres, redis = %redis, "not ready");
    }
    let body = serde_json::json!({
        "status": if ready { "ok" } else { "unavailable" },
        "postgres": postgres,
        "redis": redis,
    });
    (status, Json(body)).into_response()
}

async fn ping_redis(pool: &deadpool_redis::Pool) -> anyhow::Result<()> {
    let mut conn = pool.get().await?;
    let _: String = redis::cmd("PING").query_async(&mut *conn).await?;
    Ok(())
}
