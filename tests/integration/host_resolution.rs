//! Host → site resolution over HTTP: unknown hosts, case and port variants, reserved labels,
//! suspended tenants, custom domains, and `X-Forwarded-Host` only from trusted proxies.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use tsunagu_testkit::TestApp;

async fn app_with_tenants() -> TestApp {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    app
}

fn is_tenant_page(body: &str, tenant_name: &str) -> bool {
    body.contains(&format!("<span class=\"brand-name\">{tenant_name}</span>"))
}

const DEMO_NAME: &str = "デモ株式会社 アルムナイネットワーク";
const ACME_NAME: &str = "Acme Alumni Network";

#[tokio::test]
async fn unknown_hosts_get_the_404_page_in_both_languages() {
    let app = app_with_tenants().await;
    for host in [
        "nope.localhost",
        "nope.localhost:8080",
        "a.demo.localhost",
        "demo.evil.example",
    ] {
        let response = app.get(host, "/").await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{host}");
        assert!(
            response.body.contains("ページが見つかりません"),
            "{host}: {}",
            response.body
        );
        assert!(response.body.contains("Page not found"), "{host}");
        assert!(
            !is_tenant_page(&response.body, DEMO_NAME)
                && !is_tenant_page(&response.body, ACME_NAME)
        );
        assert_eq!(response.header("cache-control"), Some("no-store"));
    }
    // The link home goes to the apex, not back to the unknown host.
    let response = app.get("nope.localhost:8080", "/").await;
    assert!(
        response
            .body
            .contains("href=\"http:&#x2F;&#x2F;localhost:8080&#x2F;\""),
        "{}",
        response.body
    );
}

#[tokio::test]
async fn tenant_hosts_match_regardless_of_case_port_and_trailing_dot() {
    let app = app_with_tenants().await;
    for host in [
        "demo.localhost",
        "DEMO.LOCALHOST",
        "Demo.localhost:8080",
        "demo.localhost.",
        "demo.localhost.:8080",
    ] {
        let response = app.get(host, "/").await;
        assert_eq!(response.status, StatusCode::OK, "{host}");
        assert!(is_tenant_page(&response.body, DEMO_NAME), "{host}");
    }
    let response = app.get("acme.localhost:8080", "/").await;
    assert!(is_tenant_page(&response.body, ACME_NAME));
}

#[tokio::test]
async fn reserved_labels_apex_and_console() {
    let app = app_with_tenants().await;
    for label in ["api", "static", "admin"] {
        let response = app.get(&format!("{label}.localhost:8080"), "/").await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{label}");
    }
    let apex = app.get("localhost:8080", "/").await;
    assert_eq!(apex.status, StatusCode::OK);
    assert!(apex.body.contains("class=\"site site-apex\""));
    let www = app.get("www.localhost:8080", "/").await;
    assert!(www.body.contains("class=\"site site-apex\""));

    let console = app.get("console.localhost:8080", "/").await;
    assert_eq!(console.status, StatusCode::SEE_OTHER);
    assert_eq!(console.header("location"), Some("/sign-in"));
    let sign_in = app.get("console.localhost:8080", "/sign-in").await;
    assert_eq!(sign_in.status, StatusCode::OK);
    assert!(sign_in.body.contains("class=\"site site-console\""));

    // A tenant path on the apex is not served there.
    assert_eq!(
        app.get("localhost:8080", "/sign-in").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn requests_without_a_usable_host_are_not_found() {
    let app = app_with_tenants().await;
    let response = app
        .send(Request::get("/").body(Body::empty()).unwrap())
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("127.0.0.1:8080", "/").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("[::1]:8080", "/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn spoofed_forwarded_host_is_ignored_from_untrusted_peers() {
    let app = app_with_tenants().await;
    let response = app
        .send(
            Request::get("/")
                .header("host", "demo.localhost:8080")
                .header("x-forwarded-host", "acme.localhost:8080")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(
        is_tenant_page(&response.body, DEMO_NAME),
        "X-Forwarded-Host must be ignored"
    );

    let response = app
        .send(
            Request::get("/")
                .header("host", "nope.localhost")
                .header("x-forwarded-host", "acme.localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn forwarded_host_is_used_from_a_trusted_proxy() {
    let mut app = TestApp::spawn_with(&[("TSUNAGU_TRUSTED_PROXIES", "10.1.0.0/16")]).await;
    app.apply_repository_tenants().await;
    app.peer = "10.1.2.3:5555".parse().unwrap();
    let response = app
        .send(
            Request::get("/")
                .header("host", "internal-lb:80")
                .header("x-forwarded-host", "acme.localhost, demo.localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(is_tenant_page(&response.body, ACME_NAME));

    // The same header from a peer outside the trusted range is ignored.
    app.peer = "10.2.0.1:5555".parse().unwrap();
    let response = app
        .send(
            Request::get("/")
                .header("host", "demo.localhost")
                .header("x-forwarded-host", "acme.localhost")
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert!(is_tenant_page(&response.body, DEMO_NAME));
}

#[tokio::test]
async fn suspended_tenants_get_the_410_page() {
    let app = app_with_tenants().await;
    let mut tx = app.platform.begin_platform().await.unwrap();
    sqlx::query("update platform.tenants set status = 'suspended' where slug = 'acme'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    app.state.registry.invalidate("acme");

    let response = app.get("acme.localhost", "/").await;
    assert_eq!(response.status, StatusCode::GONE);
    assert!(response.body.contains("This network is not available"));
    assert!(
        response.body.contains("<html lang=\"en\">"),
        "tenant default language"
    );
    assert!(!is_tenant_page(&response.body, ACME_NAME));
    // Other tenants are unaffected.
    assert_eq!(app.get("demo.localhost", "/").await.status, StatusCode::OK);
}

#[tokio::test]
async fn verified_custom_domains_resolve_to_their_tenant() {
    let app = app_with_tenants().await;
    let acme = app.tenant_id("acme").await;
    let mut tx = app.platform.begin_platform().await.unwrap();
    sqlx::query(
        "insert into platform.custom_domains (hostname, tenant_id, verification_token, verified_at) \
         values ('alumni.acme.example', $1, 't1', now()), ('pending.acme.example', $1, 't2', null)",
    )
    .bind(acme)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let response = app.get("Alumni.Acme.Example", "/").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(is_tenant_page(&response.body, ACME_NAME));
    assert_eq!(
        app.get("pending.acme.example", "/").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_new_tenant_is_found_once_its_cache_entry_is_invalidated() {
    let app = app_with_tenants().await;
    assert_eq!(
        app.get("newco.localhost", "/").await.status,
        StatusCode::NOT_FOUND
    );
    app.create_tenant("newco", "en").await;
    let response = app.get("newco.localhost", "/").await;
    assert_eq!(response.status, StatusCode::OK);
    assert!(response.body.contains("newco network"));
}
