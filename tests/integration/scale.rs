//! The scale generator (`tsunagu seed scale`) at a tiny size: it loads through RLS, keeps each
//! tenant's rows in that tenant, keeps the counters true, and refuses to run twice.

use tsunagu_gateway::scale::{seed_scale, ScaleOptions};
use tsunagu_kernel::Actor;
use tsunagu_testkit::TestApp;

#[tokio::test]
async fn a_tiny_scale_load_is_consistent_and_isolated() {
    let app = TestApp::spawn().await;
    let options = ScaleOptions {
        tenants: 4,
        // Above 2 * 977 members the likes go in without de-duplication: both paths run here.
        large_members: 2_000,
        large_posts: 900,
        large_recruitments: 30,
        large_articles: 7,
        small_members: 10,
        small_posts: 20,
        small_recruitments: 2,
        small_articles: 1,
    };
    let report = seed_scale(&app.state.db, &options).await.unwrap();
    assert_eq!(report.tenants, 4);
    assert!(
        seed_scale(&app.state.db, &options).await.is_err(),
        "a second load is refused"
    );

    let large = app.tenant_id("scale-large").await;
    let small = app.tenant_id("scale-0001").await;
    for (tenant, members, posts, recruitments, articles) in [
        (large, 2_000i64, 900i64, 30i64, 7i64),
        (small, 10, 20, 2, 1),
    ] {
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, Actor::System)
            .await
            .unwrap();
        let (m, p, wrong_counts, tokens): (i64, i64, i64, i64) = sqlx::query_as(
            "select (select count(*) from members), (select count(*) from posts), \
                    (select count(*) from posts p where like_count <> (select count(*) from post_likes l where l.post_id = p.id) \
                       or comment_count <> (select count(*) from post_comments c where c.post_id = p.id)), \
                    (select count(*) from member_search_tokens)",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        assert_eq!((m, p, wrong_counts), (members, posts, 0));
        assert!(tokens > members * 5, "members are searchable");

        let (r, wrong_reactions, a, featured, wrong_comments): (i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "select (select count(*) from recruitments), \
                        (select count(*) from recruitments r where \
                           cheer_count <> (select count(*) from recruitment_reactions x where x.recruitment_id = r.id and reaction = 'cheer') \
                           or interested_count <> (select count(*) from recruitment_reactions x where x.recruitment_id = r.id and reaction = 'interested') \
                           or see_later_count <> (select count(*) from recruitment_reactions x where x.recruitment_id = r.id and reaction = 'see_later')), \
                        (select count(*) from articles where status = 'published'), \
                        (select count(*) from article_featured_members), \
                        (select count(*) from articles a where comment_count <> (select count(*) from article_comments c where c.article_id = a.id))",
            )
            .fetch_one(tx.conn())
            .await
            .unwrap();
        assert_eq!(
            (r, wrong_reactions, a, featured, wrong_comments),
            (recruitments, 0, articles, articles * 2, 0)
        );
        tx.commit().await.unwrap();
    }

    // The feed reads like the app's: 20 newest with authors.
    let mut tx = app
        .state
        .db
        .begin_tenant(large, Actor::System)
        .await
        .unwrap();
    let viewer: uuid::Uuid = sqlx::query_scalar("select id from members limit 1")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    let feed = tsunagu_community::timeline::queries::feed(&mut tx, viewer, None)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(feed.len(), 21, "a page of 20 plus the look-ahead row");
    assert!(feed.windows(2).all(|w| w[0].created_at >= w[1].created_at));
}
