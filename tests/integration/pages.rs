//! The web kit over HTTP: languages, branding, security headers, static caching, error pages,
//! the language switch and its same-origin check, health endpoints.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tsunagu_testkit::{TestApp, TestResponse};

async fn app_with_content() -> TestApp {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    tsunagu_demo::seed::seed_demo(&app.state.db).await.unwrap();
    app
}

async fn get_with(app: &TestApp, host: &str, path: &str, headers: &[(&str, &str)]) -> TestResponse {
    let mut request = Request::get(path).header("host", host);
    for (k, v) in headers {
        request = request.header(*k, *v);
    }
    app.send(request.body(Body::empty()).unwrap()).await
}

#[tokio::test]
async fn each_tenant_renders_in_its_own_language_and_branding() {
    let app = app_with_content().await;
    let demo = get_with(
        &app,
        "demo.localhost",
        "/",
        &[("accept-language", "en-US,en;q=0.9")],
    )
    .await;
    assert_eq!(demo.status, StatusCode::OK);
    assert!(
        demo.body.contains("<html lang=\"ja\">"),
        "tenant default beats Accept-Language"
    );
    assert!(
        demo.body.contains("おかえりなさい"),
        "the tenant's welcome text"
    );
    assert!(
        !demo.body.contains("年末アルムナイ交流会"),
        "announcements are for members only"
    );

    let acme = get_with(&app, "acme.localhost", "/", &[("accept-language", "ja")]).await;
    assert!(acme.body.contains("<html lang=\"en\">"));
    assert!(acme.body.contains("Welcome back to Acme."));

    // Members see their network's announcements, and only those.
    crate::identity::active_member(&app, "demo", "reader@example.jp").await;
    crate::identity::active_member(&app, "acme", "reader@example.org").await;
    let mut demo_member = app.client("demo.localhost");
    demo_member
        .sign_in("reader@example.jp", crate::identity::PASSWORD)
        .await;
    let home = demo_member.get("/").await;
    assert!(home.body.contains("お知らせ") && home.body.contains("年末アルムナイ交流会"));
    let mut acme_member = app.client("acme.localhost");
    acme_member
        .sign_in("reader@example.org", crate::identity::PASSWORD)
        .await;
    let home = acme_member.get("/").await;
    assert!(home.body.contains("Announcements") && home.body.contains("Winter reunion"));
    assert!(
        !home.body.contains("年末アルムナイ交流会"),
        "no other tenant's content"
    );

    // Each page links its own theme, and the theme carries the tenant's colours.
    let theme_of = |body: &str| {
        let start = body
            .find("/theme.css?v=")
            .or_else(|| body.find("&#x2F;theme.css?v="))
            .unwrap();
        let rest = &body[start..];
        let v_start = rest.find("v=").unwrap() + 2;
        rest[v_start..v_start + 16].to_owned()
    };
    assert_ne!(theme_of(&demo.body), theme_of(&acme.body));
    let css = get_with(
        &app,
        "demo.localhost",
        &format!("/theme.css?v={}", theme_of(&demo.body)),
        &[],
    )
    .await;
    assert!(css.body.contains("--brand:#1d4e89"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let css = get_with(&app, "acme.localhost", "/theme.css", &[]).await;
    assert!(css.body.contains("--brand:#0f766e"));
    assert_eq!(css.header("cache-control"), Some("public, no-cache"));
}

#[tokio::test]
async fn the_visitors_choice_beats_the_tenant_default() {
    let app = app_with_content().await;
    let demo = get_with(
        &app,
        "demo.localhost",
        "/",
        &[("cookie", "tsunagu_lang=en")],
    )
    .await;
    assert!(demo.body.contains("<html lang=\"en\">"));
    assert!(demo.body.contains("Join"), "{}", demo.body);
    // The apex has no tenant default: Accept-Language decides, Japanese otherwise.
    let apex = get_with(&app, "localhost", "/", &[("accept-language", "en-GB")]).await;
    assert!(apex.body.contains("<html lang=\"en\">"));
    let apex = get_with(&app, "localhost", "/", &[]).await;
    assert!(apex.body.contains("<html lang=\"ja\">"));
}

#[tokio::test]
async fn the_landing_page_lists_demo_networks_in_development() {
    let app = app_with_content().await;
    let apex = get_with(&app, "localhost:8080", "/", &[]).await;
    assert!(
        apex.body
            .contains("http:&#x2F;&#x2F;demo.localhost:8080&#x2F;"),
        "{}",
        apex.body
    );
    assert!(apex.body.contains("Acme Alumni Network"));
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let app = app_with_content().await;
    for (host, path) in [
        ("demo.localhost", "/"),
        ("localhost", "/"),
        ("nope.localhost", "/"),
        ("demo.localhost", "/missing"),
        ("demo.localhost", "/static/app.css"),
        ("x", "/healthz"),
    ] {
        let response = get_with(&app, host, path, &[]).await;
        let csp = response
            .header("content-security-policy")
            .unwrap_or_default();
        assert!(
            csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'"),
            "{host}{path}: {csp}"
        );
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(
            response.header("x-content-type-options"),
            Some("nosniff"),
            "{host}{path}"
        );
        assert_eq!(
            response.header("referrer-policy"),
            Some("strict-origin-when-cross-origin")
        );
        assert_eq!(response.header("x-frame-options"), Some("DENY"));
        assert!(
            response
                .header("x-request-id")
                .is_some_and(|id| id.len() >= 32),
            "{host}{path}"
        );
        assert!(
            response.header("strict-transport-security").is_none(),
            "no HSTS over plain http"
        );
    }
}

#[tokio::test]
async fn static_assets_are_cached_by_version() {
    let app = app_with_content().await;
    let page = get_with(&app, "demo.localhost", "/", &[]).await;
    let start = page.body.find("app.css?v=").unwrap() + "app.css?v=".len();
    let version = &page.body[start..start + 16];
    let css = get_with(
        &app,
        "demo.localhost",
        &format!("/static/app.css?v={version}"),
        &[],
    )
    .await;
    assert_eq!(css.status, StatusCode::OK);
    assert_eq!(css.header("content-type"), Some("text/css; charset=utf-8"));
    assert_eq!(
        css.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );
    let etag = css.header("etag").unwrap().to_owned();
    let stale = get_with(&app, "demo.localhost", "/static/app.css?v=old", &[]).await;
    assert_eq!(stale.header("cache-control"), Some("public, no-cache"));
    let revalidated = get_with(
        &app,
        "demo.localhost",
        "/static/app.css",
        &[("if-none-match", &etag)],
    )
    .await;
    assert_eq!(revalidated.status, StatusCode::NOT_MODIFIED);
    assert!(revalidated.body.is_empty());
    assert_eq!(
        get_with(&app, "demo.localhost", "/static/../Cargo.toml", &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let htmx = get_with(&app, "demo.localhost", "/static/vendor/htmx.min.js", &[]).await;
    assert_eq!(htmx.status, StatusCode::OK);
}

#[tokio::test]
async fn error_pages_use_the_site_branding_and_language() {
    let app = app_with_content().await;
    let missing = get_with(&app, "acme.localhost", "/no-such-page", &[]).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(missing.body.contains("<html lang=\"en\">"));
    assert!(missing.body.contains("Page not found"));
    assert!(
        missing.body.contains("ページが見つかりません"),
        "the other language too"
    );
    assert!(
        missing.body.contains("Acme Alumni Network"),
        "tenant branding on its own 404"
    );

    let wrong_method = get_with(&app, "demo.localhost", "/sign-out", &[]).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert!(wrong_method.body.contains("この操作はできません"));
}

#[tokio::test]
async fn the_language_switch_sets_a_host_only_cookie_and_returns() {
    let app = app_with_content().await;
    let mut browser = app.client("demo.localhost:8080");
    let response = browser
        .post("/lang", &[("lang", "en"), ("next", "/?page=2")])
        .await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.header("location"), Some("/?page=2"));
    let cookie = response
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tsunagu_lang="))
        .unwrap()
        .to_owned();
    assert!(cookie.starts_with("tsunagu_lang=en;"));
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"));
    assert!(
        !cookie.to_ascii_lowercase().contains("domain="),
        "host-only: never shared across tenants"
    );
    assert!(browser.get("/").await.body.contains("<html lang=\"en\">"));

    // Not an open redirect.
    let response = browser
        .post("/lang", &[("lang", "en"), ("next", "https://evil.example")])
        .await;
    assert_eq!(response.header("location"), Some("/"));
    // Unknown languages are refused.
    let response = browser
        .post("/lang", &[("lang", "fr"), ("next", "/")])
        .await;
    assert_eq!(response.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn state_changes_from_another_origin_are_refused() {
    let app = app_with_content().await;
    let mut browser = app.client("demo.localhost");
    browser.get("/").await;
    let token = browser.cookies.get("tsunagu_csrf").cloned().unwrap();
    for origin in [
        Some("http://acme.localhost"),
        Some("https://evil.example"),
        Some("null"),
        None,
    ] {
        let response = browser
            .post_raw(
                "/lang",
                &[("_csrf", &token), ("lang", "en"), ("next", "/")],
                origin,
            )
            .await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "origin {origin:?}");
        assert!(response.header("set-cookie").is_none());
        assert!(response.body.contains("アクセスできません"));
    }
    // The right origin with the token passes.
    let ok = browser
        .post_raw(
            "/lang",
            &[("_csrf", &token), ("lang", "en"), ("next", "/")],
            Some("http://demo.localhost"),
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn health_endpoints_answer_on_any_host() {
    let app = app_with_content().await;
    let live = get_with(&app, "10.0.0.5:8080", "/healthz", &[]).await;
    assert_eq!((live.status, live.body.as_str()), (StatusCode::OK, "ok"));
    let ready = get_with(&app, "10.0.0.5:8080", "/readyz", &[]).await;
    assert_eq!(ready.status, StatusCode::OK, "{}", ready.body);
    let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(json["postgres"], "ok");
    assert_eq!(json["redis"], "ok");
}

#[tokio::test]
async fn readiness_reports_a_missing_redis() {
    let app = TestApp::spawn_with(&[("REDIS_URL", "redis://127.0.0.1:1")]).await;
    let ready = get_with(&app, "localhost", "/readyz", &[]).await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    let json: serde_json::Value = serde_json::from_str(&ready.body).unwrap();
    assert_eq!(json["postgres"], "ok");
    assert!(json["redis"].as_str().unwrap().starts_with("error"));
}

#[tokio::test]
async fn the_server_refuses_a_connection_that_bypasses_rls() {
    let app = TestApp::spawn().await;
    // As tsunagu_app: fine.
    assert_eq!(app.state.db.rls_escape_reason().await.unwrap(), None);
    // As the admin (a superuser locally): refused with the variable to fix.
    let admin = tsunagu_kernel::Db::connect_with(
        tsunagu_testkit::admin_options().database(&app.db.name),
        1,
    )
    .await
    .unwrap();
    let reason = admin.rls_escape_reason().await.unwrap();
    assert!(
        reason.is_some(),
        "a superuser or owner connection must be detected"
    );
}
