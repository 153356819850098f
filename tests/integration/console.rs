//! Platform staff sign in at the console with accounts of their own; they are not tenant members
//! and tenant members are not staff.

use axum::http::StatusCode;

use crate::identity::{active_member, app, PASSWORD};

async fn staff(app: &tsunagu_testkit::TestApp, email: &str) {
    let hash = tsunagu_identity::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let email = tsunagu_identity::forms::EmailAddress::parse(email).unwrap();
    let mut tx = app.state.db.begin_platform().await.unwrap();
    tsunagu_console::queries::upsert_staff(&mut tx, &email, "CS Staff", &hash, "cs")
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn staff_sign_in_at_the_console_only() {
    let app = app().await;
    staff(&app, "cs@tsunagu.example").await;
    active_member(&app, "demo", "member@example.jp").await;

    let mut console = app.client("console.localhost");
    let home = console.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.header("location"), Some("/sign-in"));
    assert_eq!(
        console.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "members are not staff"
    );
    assert_eq!(
        console
            .sign_in("cs@tsunagu.example", "wrong password here")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        console.sign_in("cs@tsunagu.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let dashboard = console.get("/").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("Acme Alumni Network") && dashboard.body.contains("CS Staff"));

    // Staff cannot use their account or cookie on a tenant.
    let mut tenant = app.client("demo.localhost");
    assert_eq!(
        tenant.sign_in("cs@tsunagu.example", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut carried = app.client("demo.localhost");
    carried.cookies = console.cookies.clone();
    assert_eq!(carried.get("/account").await.status, StatusCode::SEE_OTHER);

    assert_eq!(
        console.post("/sign-out", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(console.get("/").await.status, StatusCode::SEE_OTHER);
}
