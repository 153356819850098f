//! Several replicas agree on tenants: a change announced over Redis pub/sub drops the cached
//! entry in every replica at once (well before the cache TTL).

use std::time::{Duration, Instant};

use tsunagu_tenancy::registry::publish_invalidation;
use tsunagu_tenancy::{TenantRegistry, TenantStatus};
use tsunagu_testkit::TestApp;

#[tokio::test]
async fn an_announced_change_reaches_every_replica() {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    let redis_url = tsunagu_testkit::redis_url();

    // Two "replicas": separate caches over the same database.
    let replicas = [
        TenantRegistry::new(app.state.db.clone()),
        TenantRegistry::new(app.state.db.clone()),
    ];
    let listeners: Vec<_> = replicas
        .iter()
        .map(|r| r.spawn_invalidation_listener(redis_url.clone()))
        .collect();
    for replica in &replicas {
        let acme = replica.resolve_slug("acme").await.unwrap().unwrap();
        assert_eq!(acme.status, TenantStatus::Active);
    }
    // Give the subscriptions a moment to be live (they drop the cache when they start).
    tokio::time::sleep(Duration::from_millis(300)).await;
    for replica in &replicas {
        replica.resolve_slug("acme").await.unwrap();
    }

    let mut tx = app.platform.begin_platform().await.unwrap();
    sqlx::query("update platform.tenants set status = 'suspended' where slug = 'acme'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    // Without an announcement the caches still hold the old answer...
    assert_eq!(
        replicas[0]
            .resolve_slug("acme")
            .await
            .unwrap()
            .unwrap()
            .status,
        TenantStatus::Active
    );

    publish_invalidation(&app.state.redis, "acme")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(3);
    for replica in &replicas {
        loop {
            let status = replica.resolve_slug("acme").await.unwrap().unwrap().status;
            if status == TenantStatus::Suspended {
                break;
            }
            assert!(
                Instant::now() < deadline,
                "replica did not see the change within 3 s"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
    for listener in listeners {
        listener.abort();
    }
}
