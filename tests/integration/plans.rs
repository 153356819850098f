//! Plans and entitlements (docs/BILLING.md): over the Free plan's member cap a sign-up waits in
//! the approval queue (nothing refused, nothing deleted) and the secretariat is told why; an
//! upgrade lets the held sign-ups in; the survey export follows the plan.

use axum::http::StatusCode;
use tsunagu_kernel::Actor;
use tsunagu_testkit::SmtpSink;

use crate::identity::{app, join, secretariat, verify_from_email, PASSWORD};

const ACME: &str = "acme.localhost";

async fn acme_count(app: &tsunagu_testkit::TestApp, sql: &str) -> i64 {
    let tenant = app.tenant_id("acme").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let n: i64 = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    n
}

#[tokio::test]
async fn the_51st_member_on_free_waits_and_an_upgrade_lets_them_in() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    let sink = SmtpSink::start();
    // acme is on Free (50 active members): its secretariat and 49 more.
    secretariat(&app, "acme", "office@acme.example.com").await;
    let acme = app.tenant_id("acme").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    sqlx::query(
        "insert into members (tenant_id, id, email, email_normalized, password_hash, kind, status, \
           name_kanji) \
         select $1, gen_random_uuid(), 'filler' || i || '@example.org', 'filler' || i || '@example.org', \
           '!', 'alumni', 'active', 'Filler ' || i from generate_series(1, 49) i",
    )
    .bind(acme)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        acme_count(&app, "select count(*) from members where status = 'active'").await,
        50
    );

    // The 51st: an employee whose verified address would make them active waits instead.
    let mut newcomer = app.client(ACME);
    join(
        &mut newcomer,
        "newhire@acme.example.com",
        "employee",
        "New Hire",
    )
    .await;
    let verified = verify_from_email(&app, &sink, &mut newcomer, "newhire@acme.example.com").await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        acme_count(
            &app,
            "select count(*) from members where email_normalized = 'newhire@acme.example.com' \
             and status = 'pending_approval' and held_for_plan"
        )
        .await,
        1
    );
    // An alumna in the queue cannot be approved past the cap; the page says why.
    let mut alumna = app.client(ACME);
    join(&mut alumna, "alumna@example.org", "alumni", "Alumna").await;
    verify_from_email(&app, &sink, &mut alumna, "alumna@example.org").await;
    let mut office = app.client(ACME);
    office.sign_in("office@acme.example.com", PASSWORD).await;
    let queue = office.get("/secretariat/approvals").await;
    assert!(
        queue.body.contains("allows 50 active members"),
        "{}",
        queue.body
    );
    let alumna_id: uuid::Uuid = {
        let mut tx = app
            .state
            .db
            .begin_tenant(acme, Actor::System)
            .await
            .unwrap();
        let id = sqlx::query_scalar(
            "select id from members where email_normalized = 'alumna@example.org'",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let refused = office
        .post(&format!("/secretariat/approvals/{alumna_id}/approve"), &[])
        .await;
    assert_eq!(
        refused.header("location"),
        Some("/secretariat/approvals?notice=plan_member_cap")
    );
    assert_eq!(
        acme_count(&app, "select count(*) from members where status = 'active'").await,
        50,
        "nobody past the cap"
    );

    // Free does not export survey answers.
    let export = office
        .get(&format!(
            "/secretariat/surveys/{}/export.csv",
            uuid::Uuid::now_v7()
        ))
        .await;
    assert!(matches!(
        export.status,
        StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
    ));

    // An administrator upgrades acme: the held employee is let in, and the alumna can be approved.
    let email = "admin-plans@tsunagu.example";
    let hash = tsunagu_identity::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let address = tsunagu_identity::forms::EmailAddress::parse(email).unwrap();
    let mut tx = app.platform.begin_platform().await.unwrap();
    tsunagu_console::queries::upsert_staff(&mut tx, &address, "Admin", &hash, "admin")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut console = app.client("console.localhost");
    console.sign_in(email, PASSWORD).await;
    let upgraded = console
        .post("/tenants/acme/plan", &[("plan", "standard")])
        .await;
    assert_eq!(
        upgraded.header("location"),
        Some("/tenants/acme?notice=plan_changed")
    );
    assert_eq!(
        acme_count(
            &app,
            "select count(*) from members where email_normalized = 'newhire@acme.example.com' \
             and status = 'active' and not held_for_plan"
        )
        .await,
        1
    );
    let approved = office
        .post(&format!("/secretariat/approvals/{alumna_id}/approve"), &[])
        .await;
    assert_ne!(
        approved.header("location"),
        Some("/secretariat/approvals?notice=plan_member_cap")
    );
    assert_eq!(
        acme_count(&app, "select count(*) from members where status = 'active'").await,
        52
    );
    // The change is audited in the network and kept by `tenant apply`.
    assert_eq!(
        acme_count(
            &app,
            "select count(*) from audit_events where action = 'plan.changed'"
        )
        .await,
        1
    );
    app.apply_repository_tenants().await;
    app.state.registry.invalidate("acme");
    let tenant = app
        .state
        .registry
        .resolve_slug("acme")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(tenant.plan, "standard");
}
