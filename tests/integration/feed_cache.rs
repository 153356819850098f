//! The timeline's feed cache (community::timeline::cache) over HTTP, with two replicas sharing
//! PostgreSQL and Redis but each with caches of its own: every change a member or the
//! secretariat makes shows on the next page of either replica; what differs per viewer (like,
//! actions, CSRF token) is right for each viewer; the cached page is the uncached page; and a
//! Redis that lost its versions does not leave a stale page behind.

use axum::http::StatusCode;
use tsunagu_community::timeline::cache::FeedCache;
use tsunagu_testkit::TestClient;
use uuid::Uuid;

use crate::community::{member, profile_fields, signed_in};
use crate::identity::{app, secretariat};

/// The card of post `id` on a timeline page.
fn card(page: &str, id: Uuid) -> Option<&str> {
    let start = page.find(&format!("<article class=\"card post\" id=\"post-{id}\""))?;
    let end = page[start..].find("</article>")? + start;
    Some(&page[start..end])
}

fn post_ids(page: &str) -> Vec<Uuid> {
    page.match_indices("<article class=\"card post\" id=\"post-")
        .filter_map(|(at, m)| page.get(at + m.len()..at + m.len() + 36)?.parse().ok())
        .collect()
}

fn like_count(card: &str) -> &str {
    let start = card
        .find("<span class=\"reaction-count\">")
        .expect("like count")
        + 29;
    &card[start..start + card[start..].find('<').unwrap()]
}

fn liked(card: &str) -> bool {
    card.contains("aria-pressed=\"true\"")
}

/// The timeline page, with the composer's one-time form token (fresh on every rendering, by
/// design) replaced by a fixed mark, so two renderings compare equal when all else is.
async fn timeline(client: &mut TestClient<'_>) -> String {
    let page = client.get("/timeline").await;
    assert_eq!(page.status, StatusCode::OK);
    let marker = "name=\"_form\" value=\"";
    let Some(start) = page.body.find(marker).map(|i| i + marker.len()) else {
        return page.body;
    };
    let token: String = page.body[start..]
        .chars()
        .take_while(|c| *c != '"')
        .collect();
    assert!(
        uuid::Uuid::parse_str(&token).is_ok(),
        "a fresh form token: {token}"
    );
    page.body.replacen(&token, "FORM-TOKEN", 1)
}

/// Every form on the page carries this client's own token, and the cache's placeholder never
/// reaches a page.
fn assert_tokens(page: &str, client: &TestClient<'_>, markers: &[&str]) {
    let token = client.cookies.get("tsunagu_csrf").expect("csrf cookie");
    let forms = page.matches("name=\"_csrf\" value=\"").count();
    let ours = page
        .matches(&format!("name=\"_csrf\" value=\"{token}\""))
        .count();
    assert!(
        forms > 0 && forms == ours,
        "{ours} of {forms} forms carry the viewer's token"
    );
    for marker in markers {
        assert!(!page.contains(marker), "the placeholder leaked into a page");
    }
}

#[tokio::test]
async fn every_change_shows_on_the_next_page_of_every_replica() {
    let app = app().await;
    let other = app.replica(&[]).await;
    let markers = [
        app.state
            .local_caches
            .get::<FeedCache>()
            .marker()
            .to_owned(),
        other
            .state
            .local_caches
            .get::<FeedCache>()
            .marker()
            .to_owned(),
    ];
    let markers: Vec<&str> = markers.iter().map(String::as_str).collect();
    member(&app, "demo", "author@example.jp", "投稿 者", "alumni").await;
    member(&app, "demo", "reader@example.jp", "読者 二", "employee").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut author = signed_in(&app, "demo.localhost", "author@example.jp").await;
    let mut reader = signed_in(&app, "demo.localhost", "reader@example.jp").await;
    let mut office = signed_in(&app, "demo.localhost", "office@demo.example.co.jp").await;
    let catalog = &app.state.web.catalog;
    let comments = |n: &str| {
        catalog.t(
            tsunagu_web::Locale::Ja,
            "timeline.comments",
            &[("count", n)],
        )
    };

    // A post appears on both replicas (each loads its cache here).
    author
        .post("/posts", &[("body", "最初の投稿です"), ("kind", "post")])
        .await;
    let first = timeline(&mut reader).await;
    let id = post_ids(&first)[0];
    reader.switch_to(&other);
    assert!(card(&timeline(&mut reader).await, id)
        .unwrap()
        .contains("最初の投稿です"));

    // A like on one replica: the count on both, "liked" only for the one who liked.
    assert_eq!(
        reader.post(&format!("/posts/{id}/like"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let on_other = timeline(&mut reader).await;
    assert_tokens(&on_other, &reader, &markers);
    let mine = card(&on_other, id).unwrap();
    assert!(liked(mine) && like_count(mine) == "1");
    let theirs_page = timeline(&mut author).await;
    assert_tokens(&theirs_page, &author, &markers);
    let theirs = card(&theirs_page, id).unwrap();
    assert!(!liked(theirs) && like_count(theirs) == "1");

    // Actions per viewer from the same cached cards: the author edits and deletes, the
    // secretariat hides, a reader does neither.
    assert!(theirs.contains(&format!("/posts/{id}/edit")) && !theirs.contains("/hide\""));
    assert!(!mine.contains("/edit\"") && !mine.contains("/hide\""));
    office.switch_to(&other);
    let office_page = timeline(&mut office).await;
    assert_tokens(&office_page, &office, &markers);
    let moderated = card(&office_page, id).unwrap();
    assert!(moderated.contains(&format!("/posts/{id}/hide")) && !moderated.contains("/edit\""));

    // A comment, an edit and a new name each show on the other replica.
    reader.switch_back();
    reader
        .post(&format!("/posts/{id}/comments"), &[("body", "いいですね")])
        .await;
    author.switch_to(&other);
    assert!(card(&timeline(&mut author).await, id)
        .unwrap()
        .contains(&comments("1")));
    author
        .post(
            &format!("/posts/{id}/edit"),
            &[("body", "編集した投稿です")],
        )
        .await;
    author.switch_back();
    assert!(card(&timeline(&mut reader).await, id)
        .unwrap()
        .contains("編集した投稿です"));
    author.get("/profile").await;
    let renamed = author
        .post(
            "/profile",
            &profile_fields(
                "改名 した",
                "かいめい した",
                "Kaimei Shita",
                "株式会社つなぐ",
                "members",
            ),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::SEE_OTHER, "{}", renamed.body);
    reader.switch_to(&other);
    assert!(card(&timeline(&mut reader).await, id)
        .unwrap()
        .contains("改名 した"));

    // An unlike, then the secretariat hides the post: gone from both replicas.
    reader.switch_back();
    reader.post(&format!("/posts/{id}/like"), &[]).await;
    reader.switch_to(&other);
    let unliked = timeline(&mut reader).await;
    let unliked = card(&unliked, id).unwrap();
    assert!(!liked(unliked) && like_count(unliked) == "0");
    office.post(&format!("/posts/{id}/hide"), &[]).await;
    reader.switch_back();
    assert!(card(&timeline(&mut reader).await, id).is_none());
    reader.switch_to(&other);
    assert!(card(&timeline(&mut reader).await, id).is_none());

    // A deleted post leaves both replicas too.
    author
        .post("/posts", &[("body", "すぐ消す投稿"), ("kind", "post")])
        .await;
    let second = post_ids(&timeline(&mut reader).await)[0];
    reader.switch_back();
    assert!(card(&timeline(&mut reader).await, second).is_some());
    author.post(&format!("/posts/{second}/delete"), &[]).await;
    assert!(card(&timeline(&mut reader).await, second).is_none());
    reader.switch_to(&other);
    assert!(card(&timeline(&mut reader).await, second).is_none());
}

#[tokio::test]
async fn the_cached_page_is_the_uncached_page() {
    let app = app().await;
    let uncached = app.replica(&[("TSUNAGU_FEED_CACHE", "false")]).await;
    member(&app, "demo", "one@example.jp", "一 人目", "alumni").await;
    member(&app, "demo", "two@example.jp", "二 人目", "employee").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut one = signed_in(&app, "demo.localhost", "one@example.jp").await;
    let mut two = signed_in(&app, "demo.localhost", "two@example.jp").await;
    let mut office = signed_in(&app, "demo.localhost", "office@demo.example.co.jp").await;
    for n in 0..25 {
        let client = if n % 2 == 0 { &mut one } else { &mut two };
        client
            .post(
                "/posts",
                &[
                    ("body", &format!("投稿 {n} https://example.com/{n}")),
                    ("kind", if n % 5 == 0 { "casual" } else { "post" }),
                    ("expires_in_days", "3"),
                ],
            )
            .await;
    }
    let page = timeline(&mut two).await;
    for id in post_ids(&page).into_iter().step_by(3) {
        two.post(&format!("/posts/{id}/like"), &[]).await;
    }

    for client in [&mut one, &mut two, &mut office] {
        // A miss (which fills the cache), a hit, and the same page never cached.
        let missed = timeline(client).await;
        let hit = timeline(client).await;
        client.switch_to(&uncached);
        let fresh = timeline(client).await;
        client.switch_back();
        assert_eq!(post_ids(&hit).len(), 20);
        assert_eq!(missed, hit);
        assert_eq!(hit, fresh, "the cached timeline must be the uncached one");
    }

    // In English too (acme's language).
    member(&app, "acme", "en@example.org", "Ann English", "alumni").await;
    let mut english = signed_in(&app, "acme.localhost", "en@example.org").await;
    english
        .post("/posts", &[("body", "Hello from Acme"), ("kind", "post")])
        .await;
    let cached = timeline(&mut english).await;
    assert!(cached.contains("Hello from Acme") && cached.contains("lang=\"en\""));
    english.switch_to(&uncached);
    assert_eq!(cached, timeline(&mut english).await);
    assert!(
        !app.state.local_caches.get::<FeedCache>().is_empty()
            && uncached.state.local_caches.get::<FeedCache>().is_empty(),
        "TSUNAGU_FEED_CACHE=false keeps nothing"
    );
}

#[tokio::test]
async fn a_redis_that_lost_the_versions_does_not_leave_a_stale_page() {
    let app = app().await;
    member(&app, "demo", "author@example.jp", "投稿 者", "alumni").await;
    let mut author = signed_in(&app, "demo.localhost", "author@example.jp").await;
    author
        .post("/posts", &[("body", "元の文です"), ("kind", "post")])
        .await;
    assert!(timeline(&mut author).await.contains("元の文です"));

    // A change nobody announced, then Redis restarts empty (it keeps nothing on disk): the
    // versions are gone, and with them any way to trust what the process holds.
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    sqlx::query("update posts set body = '直した文です'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut redis = app.state.redis.get().await.unwrap();
    let _: i64 = redis::cmd("DEL")
        .arg(tsunagu_web::versions::versions_key(tenant))
        .query_async(&mut *redis)
        .await
        .unwrap();
    drop(redis);
    let page = timeline(&mut author).await;
    assert!(page.contains("直した文です") && !page.contains("元の文です"));
}
