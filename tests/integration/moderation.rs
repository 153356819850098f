//! The moderation queue over HTTP: members report a post, a comment, a profile and a message;
//! the secretariat sees them in one queue grouped by subject, hides, shows again, dismisses and
//! suspends an author; every decision is kept (append-only) and audited; a hide straight from the
//! timeline is a decision too; members and other networks reach none of it.

use axum::http::StatusCode;
use tsunagu_kernel::Actor;
use tsunagu_testkit::TestApp;

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat};
use crate::messages::{demo_count, demo_value, location};

const HOST: &str = "demo.localhost";

/// One id from a statement run as the system in the demo network.
async fn demo_id(app: &TestApp, sql: &str) -> uuid::Uuid {
    demo_value(app, sql).await
}

#[tokio::test]
async fn reports_reach_one_queue_and_every_decision_is_kept() {
    let app = app().await;
    let hanako = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    member(&app, "demo", "ichiro@example.jp", "鈴木 一郎", "alumni").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    secretariat(&app, "acme", "office@acme.example.com").await;

    let mut author = signed_in(&app, HOST, "hanako@example.jp").await;
    let posted = author
        .post(
            "/posts",
            &[("body", "格安の副業セミナーはこちら"), ("kind", "post")],
        )
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER);
    let post = demo_id(
        &app,
        "select id from posts where body = '格安の副業セミナーはこちら'",
    )
    .await;
    author
        .post(
            &format!("/posts/{post}/comments"),
            &[("body", "申込は DM で")],
        )
        .await;
    let comment = demo_id(
        &app,
        "select id from post_comments where body = '申込は DM で'",
    )
    .await;

    // Members report what they can see; nobody reports their own; a second report by the same
    // member changes nothing.
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let page = ken.get(&format!("/posts/{post}")).await;
    assert!(page.body.contains("事務局に通報する"), "{}", page.body);
    let reported = ken
        .post(&format!("/posts/{post}/report"), &[("reason", "勧誘です")])
        .await;
    assert!(location(&reported).contains("notice=reported"));
    ken.post(&format!("/posts/{post}/report"), &[("reason", "二度目")])
        .await;
    let mut ichiro = signed_in(&app, HOST, "ichiro@example.jp").await;
    ichiro.post(&format!("/posts/{post}/report"), &[]).await;
    ken.post(
        &format!("/posts/{post}/comments/{comment}/report"),
        &[("reason", "コメントも勧誘")],
    )
    .await;
    ken.post(
        &format!("/members/{hanako}/report"),
        &[("reason", "プロフィールに宣伝")],
    )
    .await;
    assert_eq!(
        author
            .post(&format!("/posts/{post}/report"), &[("reason", "x")])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    let too_long = "あ".repeat(1001);
    assert_eq!(
        ken.post(
            &format!("/members/{hanako}/report"),
            &[("reason", &too_long)]
        )
        .await
        .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        demo_count(&app, "select count(*) from content_reports").await,
        4
    );

    // The secretariat's to-do counts subjects, the queue groups reports by subject.
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let home = office.get("/secretariat").await;
    assert!(home.body.contains("確認待ちの通報"), "{}", home.body);
    let queue = office.get("/secretariat/moderation").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("未対応（3）"), "{}", queue.body);
    assert!(queue.body.contains("格安の副業セミナーはこちら"));
    assert!(queue.body.contains("通報 2 件"));
    assert!(queue.body.contains("勧誘です"));
    assert!(!queue.body.contains("二度目"));
    assert!(queue.body.contains("コメントも勧誘"));
    assert!(queue.body.contains("プロフィールに宣伝"));

    // A member and another network reach none of it.
    for path in [
        "/secretariat/moderation".to_owned(),
        format!("/secretariat/moderation/post/{post}"),
    ] {
        let status = ken.get(&path).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    let status = ken
        .post(
            &format!("/secretariat/moderation/post/{post}"),
            &[("decision", "hide")],
        )
        .await
        .status;
    assert!(status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND);
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert!(!acme
        .get("/secretariat/moderation")
        .await
        .body
        .contains("格安の副業"));
    assert_eq!(
        acme.get(&format!("/secretariat/moderation/post/{post}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.post(
            &format!("/secretariat/moderation/post/{post}"),
            &[("decision", "hide")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from posts where hidden_at is not null"
        )
        .await,
        0
    );

    // Hide from the queue: members no longer see the post; its two reports are closed.
    let hidden = office
        .post(
            &format!("/secretariat/moderation/post/{post}"),
            &[("decision", "hide")],
        )
        .await;
    assert_eq!(
        location(&hidden),
        "/secretariat/moderation?notice=moderation_hide"
    );
    assert_eq!(
        ken.get(&format!("/posts/{post}")).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!ken.get("/timeline").await.body.contains("格安の副業"));
    assert_eq!(
        demo_count(
            &app,
            "select reports_resolved::bigint from moderation_decisions where decision = 'hide'"
        )
        .await,
        2
    );
    assert!(office
        .get("/secretariat/moderation")
        .await
        .body
        .contains("未対応（2）"));
    // Hiding twice changes nothing.
    let again = office
        .post(
            &format!("/secretariat/moderation/post/{post}"),
            &[("decision", "hide")],
        )
        .await;
    assert!(location(&again).contains("notice=nothing_changed"));

    // Shown again from its page, with a note; the history keeps both decisions.
    let shown = office
        .post(
            &format!("/secretariat/moderation/post/{post}"),
            &[
                ("decision", "unhide"),
                ("note", "誤解でした"),
                ("back", "subject"),
            ],
        )
        .await;
    assert_eq!(
        location(&shown),
        format!("/secretariat/moderation/post/{post}?notice=moderation_unhide")
    );
    assert_eq!(
        ken.get(&format!("/posts/{post}")).await.status,
        StatusCode::OK
    );
    let subject = office
        .get(&format!("/secretariat/moderation/post/{post}"))
        .await;
    assert!(subject.body.contains("誤解でした"), "{}", subject.body);
    assert!(subject.body.contains("再表示"));
    assert!(subject.body.contains("勧誘です"));

    // Dismiss the comment's report: it stays visible, the report is closed.
    office
        .post(
            &format!("/secretariat/moderation/comment/{comment}"),
            &[("decision", "dismiss")],
        )
        .await;
    assert!(ken
        .get(&format!("/posts/{post}"))
        .await
        .body
        .contains("申込は DM で"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from content_reports where subject_kind = 'comment' and resolved_at is null"
        )
        .await,
        0
    );

    // Suspend the profile's member: signed out at once, the report closed.
    let suspended = office
        .post(
            &format!("/secretariat/moderation/profile/{hanako}"),
            &[("decision", "suspend")],
        )
        .await;
    assert!(location(&suspended).contains("notice=moderation_suspend"));
    assert_eq!(
        demo_count(
            &app,
            &format!("select count(*) from members where id = '{hanako}' and status = 'suspended'")
        )
        .await,
        1
    );
    assert_eq!(author.get("/timeline").await.status, StatusCode::SEE_OTHER);
    // An unknown decision or subject kind is refused.
    assert_eq!(
        office
            .post(
                &format!("/secretariat/moderation/post/{post}"),
                &[("decision", "delete")]
            )
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        office
            .get(&format!("/secretariat/moderation/article/{post}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    // The history lists every decision; each is in the audit log.
    let history = office.get("/secretariat/moderation?view=decided").await;
    for word in [
        "非表示",
        "再表示",
        "対応不要",
        "投稿者を利用停止",
        "誤解でした",
    ] {
        assert!(history.body.contains(word), "{word}: {}", history.body);
    }
    assert!(office
        .get("/secretariat/moderation")
        .await
        .body
        .contains("未対応の通報はありません"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action like 'moderation.%'"
        )
        .await,
        4
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action in ('post.reported', 'comment.reported', 'profile.reported')"
        )
        .await,
        4
    );
}

#[tokio::test]
async fn decisions_are_append_only_for_the_app() {
    let app = app().await;
    let tenant = app.tenant_id("demo").await;
    for statement in [
        "update moderation_decisions set note = 'changed'",
        "delete from moderation_decisions",
    ] {
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, Actor::System)
            .await
            .unwrap();
        let error = sqlx::query(statement)
            .execute(tx.conn())
            .await
            .expect_err(statement);
        assert!(
            error.to_string().contains("permission denied"),
            "{statement}: {error}"
        );
        tx.rollback().await.unwrap();
    }
}

#[tokio::test]
async fn a_hide_from_the_timeline_is_a_decision_the_queue_can_undo() {
    let app = app().await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut author = signed_in(&app, HOST, "hanako@example.jp").await;
    author
        .post("/posts", &[("body", "言い過ぎた投稿"), ("kind", "post")])
        .await;
    let post = demo_id(&app, "select id from posts where body = '言い過ぎた投稿'").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    assert_eq!(
        office
            .post(&format!("/posts/{post}/hide"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let history = office.get("/secretariat/moderation?view=decided").await;
    assert!(history.body.contains("佐藤 花子"), "{}", history.body);
    let subject = office
        .get(&format!("/secretariat/moderation/post/{post}"))
        .await;
    assert!(subject.body.contains("言い過ぎた投稿"), "{}", subject.body);
    assert!(subject.body.contains("再表示する"));
    office
        .post(
            &format!("/secretariat/moderation/post/{post}"),
            &[("decision", "unhide")],
        )
        .await;
    assert_eq!(
        author.get(&format!("/posts/{post}")).await.status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn a_reported_message_can_be_hidden_without_opening_the_conversation() {
    let app = app().await;
    let alumna = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let started = ken
        .post("/messages/direct", &[("to", &alumna.to_string())])
        .await;
    let path = location(&started);
    ken.post(&path, &[("body", "しつこい営業メッセージ")]).await;
    let message = demo_id(
        &app,
        "select id from messages where body = 'しつこい営業メッセージ'",
    )
    .await;

    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    hanako
        .post(
            &format!("{path}/messages/{message}/report"),
            &[("reason", "営業")],
        )
        .await;
    // The author cannot report his own message.
    assert_eq!(
        ken.post(&format!("{path}/messages/{message}/report"), &[])
            .await
            .status,
        StatusCode::BAD_REQUEST
    );

    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let queue = office.get("/secretariat/moderation").await;
    assert!(
        queue.body.contains("しつこい営業メッセージ"),
        "{}",
        queue.body
    );
    assert_eq!(office.get(&path).await.status, StatusCode::NOT_FOUND);
    office
        .post(
            &format!("/secretariat/moderation/message/{message}"),
            &[("decision", "hide")],
        )
        .await;
    let conversation = hanako.get(&path).await;
    assert!(!conversation.body.contains("しつこい営業メッセージ"));
    assert!(conversation
        .body
        .contains("このメッセージは事務局により非表示になりました。"));
    assert!(!hanako.get("/messages").await.body.contains("しつこい営業"));
    // Its author can no longer edit it; shown again, it is back.
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from messages where hidden_at is not null"
        )
        .await,
        1
    );
    office
        .post(
            &format!("/secretariat/moderation/message/{message}"),
            &[("decision", "unhide")],
        )
        .await;
    assert!(hanako
        .get(&path)
        .await
        .body
        .contains("しつこい営業メッセージ"));
}

/// A member of another network reports nothing here: a post, a comment or a profile of demo,
/// named by its id from acme, is not found and no report is stored.
#[tokio::test]
async fn reports_of_another_networks_content_are_not_found() {
    let app = app().await;
    let hanako = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;
    let mut author = signed_in(&app, HOST, "hanako@example.jp").await;
    author
        .post("/posts", &[("body", "デモの投稿"), ("kind", "post")])
        .await;
    let post = demo_id(&app, "select id from posts where body = 'デモの投稿'").await;
    author
        .post(
            &format!("/posts/{post}/comments"),
            &[("body", "デモのコメント")],
        )
        .await;
    let comment = demo_id(
        &app,
        "select id from post_comments where body = 'デモのコメント'",
    )
    .await;
    let mut sam = signed_in(&app, "acme.localhost", "sam@example.org").await;
    for path in [
        format!("/posts/{post}/report"),
        format!("/posts/{post}/comments/{comment}/report"),
        format!("/members/{hanako}/report"),
    ] {
        assert_eq!(
            sam.post(&path, &[("reason", "from another network")])
                .await
                .status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(
        demo_count(&app, "select count(*) from content_reports").await,
        0
    );
}
