//! The scale generator (`tsunagu seed scale`) at a tiny size: it loads through RLS, keeps each
//! tenant's rows in that tenant, keeps the counters true, and refuses to run twice.

use tsunagu_demo::scale::{seed_scale, ScaleOptions};
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
        large_survey_responses: 300,
        large_conversations: 500,
    };
    let report = seed_scale(&app.state.db, &app.platform, &options)
        .await
        .unwrap();
    assert_eq!(report.tenants, 4);
    assert!(
        seed_scale(&app.state.db, &app.platform, &options)
            .await
            .is_err(),
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
        // The large tenant's open survey: 20 questions, each response named and complete.
        let (surveys, respondents, named, answers): (i64, i64, i64, i64) = sqlx::query_as(
            "select (select count(*) from surveys where status = 'open'), \
                    (select count(*) from survey_respondents), \
                    (select count(*) from survey_response_members), \
                    (select count(*) from survey_answers)",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        let expected = if tenant == large {
            (1, 300, 300, 6_000)
        } else {
            (0, 0, 0, 0)
        };
        assert_eq!((surveys, respondents, named, answers), expected);
        // The large tenant's conversations: two members each, every message by one of them,
        // the busy inboxes of m1–m20 (a skipped pair, already among the 500, costs one).
        let (conversations, wrong_members, strangers, busy, messages): (i64, i64, i64, i64, i64) =
            sqlx::query_as(
                "select (select count(*) from conversations), \
                        (select count(*) from conversations c where 2 <> (select count(*) from conversation_members cm where cm.conversation_id = c.id)), \
                        (select count(*) from messages m where not exists (select 1 from conversation_members cm \
                           where cm.conversation_id = m.conversation_id and cm.member_id = m.author_id)), \
                        (select count(*) from conversation_members cm join members m on m.id = cm.member_id \
                           where m.email = 'm1@scale.example'), \
                        (select count(*) from messages)",
            )
            .fetch_one(tx.conn())
            .await
            .unwrap();
        if tenant == large {
            let generated = 500 + 20 * tsunagu_demo::scale::BUSY_CONVERSATIONS;
            assert!(
                conversations > generated - 20 && conversations <= generated,
                "{conversations}"
            );
            assert_eq!((wrong_members, strangers), (0, 0));
            assert!(busy >= tsunagu_demo::scale::BUSY_CONVERSATIONS, "{busy}");
            assert!(messages >= conversations * tsunagu_demo::scale::MESSAGES_PER_CONVERSATION);
        } else {
            assert_eq!((conversations, messages), (0, 0));
        }
        tx.commit().await.unwrap();
    }

    // The feed reads like the app's (generic plans, as the timeline opens it): 20 newest with
    // authors, then the next page after the cursor.
    let mut tx = app
        .state
        .db
        .begin_tenant_generic_plans(large, Actor::System)
        .await
        .unwrap();
    let viewer: tsunagu_kernel::MemberId = sqlx::query_scalar("select id from members limit 1")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    let newest: Vec<(
        time::OffsetDateTime,
        tsunagu_community::timeline::queries::PostId,
    )> = sqlx::query_as(
        "select created_at, id from posts where hidden_at is null \
         and (expires_at is null or expires_at > now()) order by created_at desc, id desc limit 41",
    )
    .fetch_all(tx.conn())
    .await
    .unwrap();
    let first = tsunagu_community::timeline::queries::feed_head(&mut tx)
        .await
        .unwrap();
    let cursor = (first[19].post.created_at, first[19].post.id);
    let second = tsunagu_community::timeline::queries::feed_after(&mut tx, viewer, cursor)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(first.len(), 21, "a page of 20 plus the look-ahead row");
    let ids = |page: Vec<&tsunagu_community::timeline::queries::Post>| {
        page.iter()
            .map(|p| (p.created_at, p.id))
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(first.iter().map(|p| &p.post).collect()), newest[..21]);
    assert_eq!(
        ids(second.iter().map(|p| &p.post).collect()),
        newest[20..41],
        "the next page starts after the cursor"
    );
    // The head carries each post's likers, and they agree with the counters.
    for post in &first {
        assert_eq!(
            post.likers.len() as i32,
            post.post.like_count,
            "likers of {}",
            post.post.id
        );
    }

    // Those generic plans must seek in the feed index, to the cursor on later pages, whatever
    // the tenant's size: a plan that filters the tenant's posts instead of seeking costs
    // seconds in the large tenant (it did once, docs/PERFORMANCE.md).
    let mut admin =
        sqlx::ConnectOptions::connect(&tsunagu_testkit::admin_options().database(&app.db.name))
            .await
            .unwrap();
    sqlx::Executor::execute(&mut admin, "vacuum analyze posts, post_likes, members")
        .await
        .unwrap();
    drop(admin);
    for (name, sql, args) in [
        (
            "feed_head",
            tsunagu_community::timeline::queries::FEED_HEAD_SQL,
            "(uuid, int8, int8)",
        ),
        (
            "feed_next",
            tsunagu_community::timeline::queries::FEED_NEXT_PAGE_SQL,
            "(uuid, uuid, int8, timestamptz, uuid)",
        ),
    ] {
        let mut tx = app
            .state
            .db
            .begin_tenant_generic_plans(large, Actor::System)
            .await
            .unwrap();
        sqlx::raw_sql(&format!("prepare {name}{args} as {sql}"))
            .execute(tx.conn())
            .await
            .unwrap();
        let call = if name == "feed_head" {
            format!("explain execute {name}('{large}', 2000, 21)")
        } else {
            format!("explain execute {name}('{large}', '{viewer}', 21, now(), '{viewer}')")
        };
        let plan: Vec<String> = sqlx::query_scalar(&call)
            .fetch_all(tx.conn())
            .await
            .unwrap();
        let plan = plan.join("\n");
        // Prepared statements outlive transactions: leave the pooled connection as it was.
        sqlx::raw_sql(&format!("deallocate {name}"))
            .execute(tx.conn())
            .await
            .unwrap();
        tx.rollback().await.unwrap();
        assert!(plan.contains("posts_feed_idx"), "{name}:\n{plan}");
        assert!(!plan.contains("Seq Scan"), "{name}:\n{plan}");
        let seek = plan
            .lines()
            .skip_while(|l| !l.contains("posts_feed_idx"))
            .nth(1)
            .unwrap_or_default();
        if name == "feed_next" {
            assert!(
                seek.contains("Index Cond") && seek.contains("created_at"),
                "{name}: the generic plan must seek to the cursor:\n{plan}"
            );
        }
        // Only the page of 21 is sorted (the decorated rows), never the tenant's posts.
        assert_eq!(plan.matches("Sort Key").count(), 1, "{name}:\n{plan}");
    }
}
