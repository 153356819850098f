//! The application router. Requests flow, outermost first:
//! request id → tracing span → security headers → tenancy (Host → site, or 404/410) → error
//! pages → CSRF (same origin + token) → session → input cleaning (no control characters) → panic
//! guard → the site's own router (apex, console or tenant: home, identity, secretariat).
//! Health checks and static assets sit before the tenancy layer: they answer on any host.

use std::time::Duration;

use axum::extract::Request;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::Router;
use tower::ServiceExt as _;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::trace::TraceLayer;
use tsunagu_web::routes::Routes;
use tsunagu_web::Site;

use crate::common;
use tsunagu_web::AppState;

/// One router per kind of site; a request goes to exactly one of them.
#[derive(Clone)]
struct Sites {
    apex: Router,
    console: Router,
    tenant: Router,
}

/// Routes every site has.
fn site_common(routes: Routes) -> Routes {
    routes
        .public("/theme.css", get(common::theme_stylesheet))
        .public("/lang", post(common::switch_language))
}

fn site_router(routes: Routes) -> Router<AppState> {
    routes
        .into_router()
        .fallback(common::not_found)
        .method_not_allowed_fallback(common::method_not_allowed)
}

/// Every route of a tenant's site (home, identity, secretariat, community).
pub fn tenant_routes() -> Routes {
    site_common(
        tsunagu_secretariat::home::routes()
            .merge(tsunagu_identity::routes())
            .merge(tsunagu_secretariat::routes())
            .merge(tsunagu_community::routes())
            .merge(tsunagu_surveys::routes())
            .merge(tsunagu_messages::routes())
            .merge(tsunagu_events::routes())
            .merge(tsunagu_insights::routes())
            .merge(tsunagu_moderation::routes())
            .merge(tsunagu_playbooks::routes())
            .merge(tsunagu_onboarding::routes()),
    )
}

/// Every route of the customer-success console.
pub fn console_routes() -> Routes {
    site_common(tsunagu_console::routes().merge(tsunagu_playbooks::console_routes()))
}

/// Every route of the apex (landing) site.
pub fn apex_routes() -> Routes {
    site_common(crate::apex::routes().merge(tsunagu_onboarding::apex_routes()))
}

fn panic_response(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("handler panicked");
    tsunagu_web::error::error_response(StatusCode::INTERNAL_SERVER_ERROR)
}

pub fn router(state: AppState) -> Router {
    let sites = Sites {
        apex: site_router(apex_routes()).with_state(state.clone()),
        console: site_router(console_routes()).with_state(state.clone()),
        tenant: site_router(tenant_routes()).with_state(state.clone()),
    };

    let site_stack = Router::new()
        .fallback(move |request: Request| {
            let router = match request.extensions().get::<Site>() {
                Some(Site::Tenant(_)) => sites.tenant.clone(),
                Some(Site::Console) => sites.console.clone(),
                _ => sites.apex.clone(),
            };
            async move { router.oneshot(request).await.into_response() }
        })
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(axum::middleware::from_fn(tsunagu_web::input::clean_input))
        .layer(from_fn_with_state(
            state.clone(),
            tsunagu_web::session::load_session,
        ))
        .layer(from_fn_with_state(
            tsunagu_web::csrf::CsrfConfig {
                https: state.config.https,
            },
            tsunagu_web::csrf::protect,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            common::render_error_pages,
        ))
        .layer(from_fn_with_state(
            state.clone(),
            crate::tenancy_layer::resolve_site,
        ));

    let mut app = Router::new()
        .route("/healthz", get(common::healthz))
        .route("/readyz", get(common::readyz))
        .route("/static/{*path}", get(common::static_asset))
        .with_state(state.clone())
        .fallback_service(site_stack);

    for layer in crate::security::header_layers(state.config.https) {
        app = app.layer(layer);
    }
    app.layer(
        TraceLayer::new_for_http()
            .make_span_with(|request: &Request| {
                let request_id = request
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or_default();
                tracing::info_span!(
                    "request",
                    method = %request.method(),
                    path = %request.uri().path(),
                    request_id = %request_id,
                    tenant.id = tracing::field::Empty,
                    member.id = tracing::field::Empty,
                )
            })
            .on_response(
                |response: &Response, latency: Duration, _span: &tracing::Span| {
                    tracing::info!(
                        status = response.status().as_u16(),
                        duration_ms = latency.as_secs_f64() * 1000.0,
                        "served"
                    );
                },
            ),
    )
    .layer(PropagateRequestIdLayer::x_request_id())
    .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
}
