//! The weekly digest: who gets it and what it says (new articles, open 募集 with reaction counts,
//! newcomers from the reader's department or year, unread conversations), in each reader's
//! language, HTML and text, with one-click unsubscribe for the digest only; at most once per
//! member and week, also when two workers run at once.

use axum::http::StatusCode;
use time::{Duration, OffsetDateTime};
use tsunagu_kernel::Actor;
use tsunagu_tenancy::{EmailCategory, EmailDelivery};
use tsunagu_testkit::{SmtpSink, TestApp};
use tsunagu_web::dates::Zone;

use crate::community::{member, signed_in};
use crate::email_consent::{choices, one_click};
use crate::identity::app;
use crate::messages::demo_count;

const HOST: &str = "demo.localhost";

/// A statement run as the system in the demo network (fixtures).
pub(crate) async fn exec(app: &TestApp, sql: &str) {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    sqlx::query(sql).execute(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
}

async fn run(app: &TestApp, at: OffsetDateTime) -> tsunagu_digest::DigestRun {
    tsunagu_digest::run(
        &app.state.db,
        &app.state.web,
        &app.state.config,
        at,
        Some("demo"),
    )
    .await
    .unwrap()
}

/// A moment of this week at which the digest is due (Monday before 08:00 in Japan is not).
pub(crate) fn due_now() -> OffsetDateTime {
    let now = OffsetDateTime::now_utc();
    if tsunagu_digest::due(now, Zone::JAPAN) {
        now
    } else {
        now + Duration::hours(9)
    }
}

#[tokio::test]
async fn the_weekly_digest_tells_each_member_what_is_new_for_them_once_a_week() {
    let app = app().await;
    let hanako = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let ken = member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    let quiet = member(&app, "demo", "quiet@example.jp", "山本 静", "alumni").await;
    let emma = member(&app, "demo", "emma@example.org", "Emma Brown", "alumni").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;
    // Hanako and Ken share a department; Emma joined the company the year Hanako did.
    exec(
        &app,
        &format!("update members set department = '営業部' where id in ('{hanako}', '{ken}')"),
    )
    .await;
    exec(
        &app,
        &format!("update members set joined_year = 2010 where id in ('{hanako}', '{emma}')"),
    )
    .await;
    exec(
        &app,
        &format!("update members set preferred_locale = 'en' where id = '{emma}'"),
    )
    .await;
    exec(
        &app,
        &format!(
            "insert into articles (tenant_id, id, author_id, title, summary, body_html, status, publish_at) \
             select tenant_id, gen_random_uuid(), id, '営業の十年を振り返る', '元営業部長へのインタビュー', '<p>本文</p>', \
               'published', now() - interval '1 hour' from members where id = '{ken}'"
        ),
    )
    .await;
    exec(
        &app,
        &format!(
            "insert into recruitments (tenant_id, id, author_id, title, body, interested_count, cheer_count) \
             select tenant_id, gen_random_uuid(), id, '同窓会の登壇者募集', '10分ほど話してください', 3, 2 \
             from members where id = '{ken}'"
        ),
    )
    .await;
    // Ken writes to Hanako; she has not read it.
    let mut ken_client = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let started = ken_client
        .post("/messages/direct", &[("to", &hanako.to_string())])
        .await;
    let conversation = started.header("location").unwrap().to_owned();
    ken_client
        .post(&conversation, &[("body", "ご無沙汰しています")])
        .await;
    // Quiet turned the digest off.
    let mut quiet_client = signed_in(&app, HOST, "quiet@example.jp").await;
    assert_eq!(
        quiet_client
            .post("/account/email", &[("c_digest", "off")])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    // The message email (immediately, by default) is not the digest: clear the outbox first.
    exec(&app, "delete from email_outbox").await;

    let at = due_now();
    let first = run(&app, at).await;
    assert_eq!(
        first.members, 4,
        "every active member of the network is dealt with"
    );
    assert_eq!(
        first.sent, 3,
        "all but the one who turned it off: {first:?}"
    );
    assert_eq!(
        run(&app, at).await.sent,
        0,
        "once a week, whatever runs again"
    );
    assert_eq!(
        demo_count(&app, "select count(*) from digest_weeks").await,
        1,
        "the finished week is remembered"
    );

    let sink = SmtpSink::start();
    assert_eq!(app.deliver_mail(&sink).await, 3);
    assert!(sink.to("quiet@example.jp").is_empty());
    assert!(
        sink.to("sam@example.org").is_empty(),
        "another network's members are not in it"
    );

    let mail = &sink.to("hanako@example.jp")[0];
    assert!(mail.subject.contains("今週のダイジェスト"));
    assert!(mail.headers["subject"]
        .to_ascii_lowercase()
        .contains("=?utf-8?"));
    for part in [&mail.text, &mail.html] {
        assert!(part.contains("営業の十年を振り返る"), "{part}");
        assert!(part.contains("同窓会の登壇者募集"));
        assert!(part.contains("興味あり 3 人・応援 2 人"));
        assert!(part.contains("田中 健"), "a newcomer from her department");
        assert!(part.contains("未読のメッセージがある会話が 1 件あります"));
    }
    assert!(mail.html.contains("<h2"), "the HTML part has its sections");
    let list_unsubscribe = mail
        .headers
        .get("list-unsubscribe")
        .expect("List-Unsubscribe");
    assert!(list_unsubscribe.contains(&format!("/email/unsubscribe/{hanako}/digest/")));

    let ken_mail = &sink.to("ken@demo.example.co.jp")[0];
    assert!(
        !ken_mail.text.contains("同窓会の登壇者募集"),
        "not his own 募集"
    );
    assert!(
        ken_mail.text.contains("佐藤 花子"),
        "a newcomer from his department"
    );
    assert!(
        !ken_mail.text.contains("未読のメッセージ"),
        "he has read his conversation"
    );

    let emma_mail = &sink.to("emma@example.org")[0];
    assert!(
        emma_mail.subject.contains("Your weekly digest"),
        "{}",
        emma_mail.subject
    );
    assert!(emma_mail
        .text
        .contains("New members from your department or year"));
    assert!(
        emma_mail.text.contains("佐藤 花子"),
        "joined the company the same year"
    );
    assert!(emma_mail.text.contains("3 interested · 2 cheering"));

    // One click in the mail client turns off the digest and nothing else.
    let path = list_unsubscribe
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| format!("/{path}"))
        .unwrap();
    assert_eq!(one_click(&app, HOST, &path).await.status, StatusCode::OK);
    let own = choices(&app, hanako).await;
    assert_eq!(own.len(), 1, "{own:?}");
    assert_eq!(own.get(&EmailCategory::Digest), Some(&EmailDelivery::Off));

    // Next week, two workers at once: nobody gets two digests.
    let next_week = at + Duration::days(7);
    let (a, b) = tokio::join!(run(&app, next_week), run(&app, next_week));
    // Every email has its delivery row and no member has two rows a week (the key): so nobody
    // got a week's digest twice.
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from email_outbox where kind = 'digest'"
        )
        .await,
        demo_count(&app, "select count(*) from digest_deliveries where sent").await,
    );
    // Only the 募集 is still news, and only for Emma: Hanako turned the digest off, Ken wrote
    // it, Quiet is off; the week's newcomers and article were last week's.
    assert_eq!(a.sent + b.sent, 1, "{a:?} {b:?}");
    assert_eq!(
        a.members + b.members,
        4,
        "each member dealt with by one of the two"
    );
    assert_eq!(
        demo_count(&app, "select count(*) from digest_deliveries where sent").await,
        4
    );
    assert_eq!(
        demo_count(
            &app,
            &format!(
                "select count(*) from digest_deliveries where member_id = '{quiet}' and not sent"
            )
        )
        .await,
        2,
        "a member without a digest is still dealt with, each week"
    );
}
