//! Cross-site request forgery: every state change needs the same origin and the visitor's token.
//! The template scan fails for any new form that forgets the token; the HTTP checks run against
//! every POST route of the tenant site.

use axum::http::StatusCode;

use crate::identity::{active_member, app, PASSWORD};

/// Every `<form … method="post">` in every template carries the `_csrf` field.
#[test]
fn every_post_form_in_every_template_carries_the_token() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut stack = vec![root];
    let mut checked = 0;
    let mut problems = Vec::new();
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "html")
                || !path.to_string_lossy().contains("/templates/")
            {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            for form in text.split("<form").skip(1) {
                let open_tag = form
                    .split('>')
                    .next()
                    .unwrap_or_default()
                    .to_ascii_lowercase();
                if !open_tag.contains("method=\"post\"") {
                    continue;
                }
                checked += 1;
                let body = form.split("</form>").next().unwrap_or_default();
                if !body.contains("name=\"_csrf\" value=\"{{ csrf_token }}\"") {
                    problems.push(format!(
                        "{}: a POST form without the _csrf field",
                        path.display()
                    ));
                }
            }
        }
    }
    assert!(
        checked >= 10,
        "found only {checked} POST forms: is the scan looking in the right place?"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every POST route of the tenant site (keep in sync with the routers; a route missing here is
/// still protected, since the layer wraps the whole site router).
const TENANT_POST_ROUTES: &[&str] = &[
    "/lang",
    "/join",
    "/verify-email",
    "/verify-email/resend",
    "/sign-in",
    "/sign-out",
    "/forgot-password",
    "/reset-password",
    "/account/language",
    "/account/sign-out-everywhere",
    "/secretariat/approvals/00000000-0000-0000-0000-000000000000/approve",
    "/secretariat/approvals/00000000-0000-0000-0000-000000000000/reject",
    "/secretariat/invitations",
    "/secretariat/invitations/00000000-0000-0000-0000-000000000000/resend",
    "/secretariat/invitations/00000000-0000-0000-0000-000000000000/revoke",
    "/secretariat/members/00000000-0000-0000-0000-000000000000/role",
    "/secretariat/members/00000000-0000-0000-0000-000000000000/status",
    "/a-route-that-does-not-exist-yet",
];

#[tokio::test]
async fn posts_without_the_token_or_with_a_wrong_one_are_refused_everywhere() {
    let app = app().await;
    active_member(&app, "demo", "member@example.jp").await;
    let mut browser = app.client("demo.localhost");
    assert_eq!(
        browser.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let origin = Some("http://demo.localhost");
    for route in TENANT_POST_ROUTES {
        let missing = browser.post_raw(route, &[("lang", "en")], origin).await;
        assert_eq!(
            missing.status,
            StatusCode::FORBIDDEN,
            "{route} without a token"
        );
        let wrong = browser
            .post_raw(route, &[("_csrf", &"0".repeat(64)), ("lang", "en")], origin)
            .await;
        assert_eq!(
            wrong.status,
            StatusCode::FORBIDDEN,
            "{route} with a wrong token"
        );
    }
    // Still signed in: nothing above signed us out.
    assert_eq!(browser.get("/account").await.status, StatusCode::OK);
    // Console and apex too.
    let mut console = app.client("console.localhost");
    assert_eq!(
        console
            .post_raw(
                "/sign-in",
                &[("email", "a@b.jp")],
                Some("http://console.localhost")
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut apex = app.client("localhost");
    assert_eq!(
        apex.post_raw("/lang", &[("lang", "en")], Some("http://localhost"))
            .await
            .status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn the_token_also_works_as_a_header_for_htmx() {
    let app = app().await;
    let mut browser = app.client("demo.localhost");
    browser.get("/").await;
    let token = browser.cookies.get("tsunagu_csrf").cloned().unwrap();
    let request = axum::http::Request::post("/lang")
        .header("host", "demo.localhost")
        .header("origin", "http://demo.localhost")
        .header("cookie", format!("tsunagu_csrf={token}"))
        .header("x-csrf-token", &token)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(axum::body::Body::from("lang=en&next=%2F"))
        .unwrap();
    assert_eq!(app.send(request).await.status, StatusCode::SEE_OTHER);
    // Pages hand the token to htmx.
    assert!(browser
        .get("/")
        .await
        .body
        .contains(&format!("\"X-CSRF-Token\": \"{token}\"")));
}
