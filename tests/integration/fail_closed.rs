//! Fail-closed: with no tenant set, tenant tables read as empty and refuse writes; with tenant A
//! set, B's rows are invisible and cannot be written, even when a query forgets its predicate.

use time::OffsetDateTime;
use tsunagu_kernel::{Actor, TenantId};
use tsunagu_secretariat::home::queries;
use tsunagu_testkit::TestApp;

use crate::catalog::tenant_tables;

async fn two_tenants_with_data(app: &TestApp) -> (TenantId, TenantId) {
    app.apply_repository_tenants().await;
    tsunagu_demo::seed::seed_demo(&app.state.db).await.unwrap();
    (app.tenant_id("demo").await, app.tenant_id("acme").await)
}

#[tokio::test]
async fn without_a_tenant_every_tenant_table_reads_zero_rows() {
    let app = TestApp::spawn().await;
    let (demo, _) = two_tenants_with_data(&app).await;

    // Control: the data is there when the tenant is set.
    let mut tx = app
        .state
        .db
        .begin_tenant(demo, Actor::System)
        .await
        .unwrap();
    assert!(queries::count_announcements(&mut tx).await.unwrap() > 0);
    tx.commit().await.unwrap();

    let mut conn = app.db.app_connection().await;
    let tables = tenant_tables(&mut conn).await;
    let mut tx = app.state.db.begin_platform().await.unwrap();
    for table in &tables {
        // No predicate at all: only RLS stands between this query and every tenant's rows.
        let rows: i64 = sqlx::query_scalar(&format!("select count(*) from {table}"))
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(rows, 0, "{table} leaks {rows} rows with no tenant set");
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn without_a_tenant_inserts_are_rejected() {
    let app = TestApp::spawn().await;
    let (demo, _) = two_tenants_with_data(&app).await;
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let error = sqlx::query(
        "insert into announcements (tenant_id, id, title, body) values ($1, gen_random_uuid(), 'x', 'y')",
    )
    .bind(demo)
    .execute(tx.conn())
    .await
    .expect_err("insert without tenant must fail");
    let code = error
        .as_database_error()
        .and_then(|e| e.code())
        .map(|c| c.into_owned());
    assert_eq!(
        code.as_deref(),
        Some("42501"),
        "expected an RLS violation, got {error}"
    );
}

#[tokio::test]
async fn tenant_a_cannot_read_or_write_tenant_b() {
    let app = TestApp::spawn().await;
    let (demo, acme) = two_tenants_with_data(&app).await;

    let mut tx = app
        .state
        .db
        .begin_tenant(demo, Actor::System)
        .await
        .unwrap();
    // Even a query that names B explicitly sees nothing of B.
    let visible: i64 =
        sqlx::query_scalar("select count(*) from announcements where tenant_id = $1")
            .bind(acme)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    assert_eq!(visible, 0);
    let all: Vec<TenantId> = sqlx::query_scalar("select distinct tenant_id from announcements")
        .fetch_all(tx.conn())
        .await
        .unwrap();
    assert_eq!(all, vec![demo]);

    let updated = sqlx::query("update announcements set title = 'hijacked' where tenant_id = $1")
        .bind(acme)
        .execute(tx.conn())
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(updated, 0);
    let deleted = sqlx::query("delete from announcements where tenant_id = $1")
        .bind(acme)
        .execute(tx.conn())
        .await
        .unwrap()
        .rows_affected();
    assert_eq!(deleted, 0);

    let error = sqlx::query(
        "insert into announcements (tenant_id, id, title, body) values ($1, gen_random_uuid(), 'x', 'y')",
    )
    .bind(acme)
    .execute(tx.conn())
    .await
    .expect_err("writing B's tenant_id from A must fail");
    assert!(error.to_string().contains("row-level security"), "{error}");
    tx.rollback().await.unwrap();

    // Moving one of A's rows to B is refused by WITH CHECK.
    let mut tx = app
        .state
        .db
        .begin_tenant(demo, Actor::System)
        .await
        .unwrap();
    let moved = sqlx::query("update announcements set tenant_id = $1")
        .bind(acme)
        .execute(tx.conn())
        .await;
    assert!(
        moved.is_err(),
        "WITH CHECK must refuse moving rows to another tenant"
    );
    tx.rollback().await.unwrap();

    // And B's data is intact.
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    let titles: Vec<String> =
        sqlx::query_scalar("select title from announcements where tenant_id = $1")
            .bind(acme)
            .fetch_all(tx.conn())
            .await
            .unwrap();
    assert_eq!(titles.len(), 3);
    assert!(titles.iter().all(|t| t != "hijacked"));
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn writes_through_a_tenant_transaction_land_in_that_tenant_only() {
    let app = TestApp::spawn().await;
    let (demo, acme) = two_tenants_with_data(&app).await;
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    queries::insert_announcement(&mut tx, "Acme only", "Body", OffsetDateTime::now_utc())
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let mut tx = app
        .state
        .db
        .begin_tenant(demo, Actor::System)
        .await
        .unwrap();
    let demo_titles: Vec<String> = queries::list_recent_announcements(&mut tx, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|a| a.title)
        .collect();
    tx.commit().await.unwrap();
    assert!(!demo_titles.contains(&"Acme only".to_string()));
}
