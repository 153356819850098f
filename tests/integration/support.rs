//! Support access grants over HTTP: the secretariat opens access for CS (24 hours or 7 days, with
//! a scope), sees the grants it gave, revokes one at once; bad input changes nothing; members and
//! other networks reach none of it; every grant and revocation is audited; the console's directory
//! shows whether CS may help a network now.

use axum::http::StatusCode;

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat, PASSWORD};
use crate::messages::{demo_count, demo_value};

const HOST: &str = "demo.localhost";

#[tokio::test]
async fn the_secretariat_opens_sees_and_revokes_support_access() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;

    let page = office.get("/secretariat/support").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("まだ CS にアクセスを許可していません"));

    // Refused: no scope, an unknown duration. Nothing is stored.
    let no_scope = office
        .post("/secretariat/support", &[("duration", "24h"), ("note", "")])
        .await;
    assert_eq!(no_scope.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(no_scope.body.contains("1 つ以上選んでください"));
    let too_long = office
        .post(
            "/secretariat/support",
            &[("duration", "30d"), ("scope", "surveys")],
        )
        .await;
    assert_eq!(too_long.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        demo_count(&app, "select count(*) from support_grants").await,
        0
    );

    // Opened for 24 hours, for surveys and content.
    let opened = office
        .post(
            "/secretariat/support",
            &[
                ("duration", "24h"),
                ("scope", "surveys"),
                ("scope", "content"),
                ("note", "春の同窓会のアンケート"),
            ],
        )
        .await;
    assert_eq!(
        opened.header("location"),
        Some("/secretariat/support?notice=support_granted")
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from support_grants where scopes = array['surveys', 'content'] \
             and expires_at between now() + interval '23 hours 59 minutes' and now() + interval '24 hours'"
        )
        .await,
        1
    );
    let page = office.get("/secretariat/support").await.body;
    assert!(page.contains("開いています") && page.contains("春の同窓会のアンケート"));
    assert!(page.contains("まで開いています"));

    // The console sees that CS may help demo now, and not acme.
    let mut console = app.client("console.localhost");
    crate::console::staff(&app, "cs-support@tsunagu.example").await;
    console
        .sign_in("cs-support@tsunagu.example", PASSWORD)
        .await;
    let open = console.get("/?filter=support").await.body;
    assert!(open.contains("demo.localhost") && !open.contains("acme.localhost"));

    // A member and another network reach none of it.
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    for status in [
        hanako.get("/secretariat/support").await.status,
        hanako
            .post(
                "/secretariat/support",
                &[("duration", "7d"), ("scope", "events")],
            )
            .await
            .status,
    ] {
        assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);
    }
    let grant: uuid::Uuid = demo_value(&app, "select id from support_grants").await;
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert_eq!(
        acme.post(&format!("/secretariat/support/{grant}/revoke"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // Revoked at once: the page says so, the console no longer shows it; twice is a 404.
    let revoked = office
        .post(&format!("/secretariat/support/{grant}/revoke"), &[])
        .await;
    assert_eq!(
        revoked.header("location"),
        Some("/secretariat/support?notice=support_revoked")
    );
    assert!(office
        .get("/secretariat/support")
        .await
        .body
        .contains("取り消し済み"));
    assert!(!console
        .get("/?filter=support")
        .await
        .body
        .contains("demo.localhost"));
    assert_eq!(
        office
            .post(&format!("/secretariat/support/{grant}/revoke"), &[])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action in ('support.granted', 'support.revoked')"
        )
        .await,
        2
    );

    // Seven days is a week to the second: the window is computed by the database, whose
    // transaction began before the request's own clock was read.
    let week = office
        .post(
            "/secretariat/support",
            &[("duration", "7d"), ("scope", "events")],
        )
        .await;
    assert_eq!(week.status, StatusCode::SEE_OTHER, "{}", week.body);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from support_grants where expires_at - starts_at = interval '7 days'"
        )
        .await,
        1
    );
}
