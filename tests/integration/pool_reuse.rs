//! Pool reuse: with one pooled connection shared by every transaction, the tenant setting never
//! outlives the transaction that set it: not after a commit, a rollback, an error, or a request
//! that was cancelled mid-query.

use std::time::Duration;

use tsunagu_kernel::{Actor, Db};
use tsunagu_testkit::TestApp;

/// What the next user of the (only) connection sees.
async fn leftover_tenant(db: &Db) -> (Option<String>, i64) {
    let mut tx = db
        .begin_platform()
        .await
        .expect("connection usable after the previous step");
    let (setting, rows): (Option<String>, i64) = sqlx::query_as(
        "select nullif(current_setting('app.tenant_id', true), ''), \
                (select count(*) from announcements)",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    (setting, rows)
}

#[tokio::test]
async fn the_tenant_setting_never_survives_on_a_pooled_connection() {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    tsunagu_demo::seed::seed_demo(&app.state.db).await.unwrap();
    let demo = app.tenant_id("demo").await;
    let acme = app.tenant_id("acme").await;
    let db = app.db.app_db(1).await;

    // Tenant A, committed.
    let mut tx = db.begin_tenant(demo, Actor::System).await.unwrap();
    let seen: i64 = sqlx::query_scalar("select count(*) from announcements")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(seen, 3, "control: A sees its own rows");
    tx.commit().await.unwrap();
    assert_eq!(leftover_tenant(&db).await, (None, 0), "after commit");

    // Tenant B, rolled back.
    let mut tx = db.begin_tenant(acme, Actor::System).await.unwrap();
    let current: Option<uuid::Uuid> = sqlx::query_scalar("select app.current_tenant_id()")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    assert_eq!(current, Some(acme.as_uuid()));
    tx.rollback().await.unwrap();
    assert_eq!(leftover_tenant(&db).await, (None, 0), "after rollback");

    // An error inside the transaction, then the transaction dropped without commit/rollback.
    let mut tx = db.begin_tenant(demo, Actor::System).await.unwrap();
    let failed = sqlx::query("select * from no_such_table")
        .execute(tx.conn())
        .await;
    assert!(failed.is_err());
    drop(tx);
    assert_eq!(leftover_tenant(&db).await, (None, 0), "after an error");

    // A request cancelled mid-query (its future dropped by a timeout).
    let cancelled = tokio::time::timeout(Duration::from_millis(200), async {
        let mut tx = db.begin_tenant(acme, Actor::System).await.unwrap();
        sqlx::query("select pg_sleep(5)")
            .execute(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
    })
    .await;
    assert!(cancelled.is_err(), "the query should have been cancelled");
    assert_eq!(
        leftover_tenant(&db).await,
        (None, 0),
        "after a cancelled transaction"
    );

    // Dropped straight after begin_tenant, with no query at all.
    let tx = db.begin_tenant(demo, Actor::System).await.unwrap();
    drop(tx);
    assert_eq!(
        leftover_tenant(&db).await,
        (None, 0),
        "after an unused transaction"
    );
}
