//! Private messages over HTTP: an employee writes to an alumna from her profile, only the two of
//! them can read it (not another member, not the secretariat, not another network), read marks,
//! edit within 15 minutes, delete with a mark, report, block, groups from a 募集's gathered list,
//! leaving a group, and the hourly limit on new conversations.

use axum::http::StatusCode;
use tsunagu_kernel::Actor;
use tsunagu_testkit::{TestApp, TestClient};

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat};

const HOST: &str = "demo.localhost";

pub(crate) fn location(response: &tsunagu_testkit::TestResponse) -> String {
    response
        .header("location")
        .unwrap_or_else(|| panic!("a redirect, not {}: {}", response.status, response.body))
        .to_owned()
}

/// One value from a statement run as the system in the demo network.
pub(crate) async fn demo_value<T>(app: &TestApp, sql: &str) -> T
where
    T: for<'r> sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres> + Send + Unpin,
{
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let value: T = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    value
}

/// One number from a statement run as the system in the demo network.
pub(crate) async fn demo_count(app: &TestApp, sql: &str) -> i64 {
    demo_value(app, sql).await
}

#[tokio::test]
async fn two_members_write_privately_and_no_one_else_can_read() {
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
    member(&app, "demo", "other@example.jp", "鈴木 一郎", "alumni").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;

    // From her card in the directory (not from his own) and from her profile, one form starts
    // (or reopens) the conversation.
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let directory = ken.get("/members").await;
    let card_form = format!("<input type=\"hidden\" name=\"to\" value=\"{alumna}\">");
    assert!(directory.body.contains(&card_form), "{}", directory.body);
    assert_eq!(
        directory
            .body
            .matches("action=\"/messages/direct\"")
            .count(),
        directory.body.matches("class=\"card member-card\"").count() - 1,
        "every card but his own offers to write"
    );
    let profile = ken.get(&format!("/members/{alumna}")).await;
    assert!(profile.body.contains("action=\"/messages/direct\""));
    let started = ken
        .post("/messages/direct", &[("to", &alumna.to_string())])
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER);
    let path = location(&started);
    let again = ken
        .post("/messages/direct", &[("to", &alumna.to_string())])
        .await;
    assert_eq!(location(&again), path, "one conversation per pair");

    // Nothing to send, or too much: the form says so and nothing is stored.
    let empty = ken.post(&path, &[("body", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("field-error"));
    let long = "あ".repeat(5001);
    assert_eq!(
        ken.post(&path, &[("body", &long)]).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(demo_count(&app, "select count(*) from messages").await, 0);

    let sent = ken
        .post(
            &path,
            &[("body", "はじめまして。詳しくは https://example.com/jobs?id=1 をご覧ください。\n\n<b>よろしく</b>")],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);

    // She sees it as new in her list and in the header's badge on every page, then read once
    // opened; links are links, markup is text.
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    let timeline = hanako.get("/timeline").await;
    assert!(
        timeline
            .body
            .contains("data-unread-messages role=\"img\" aria-label=\"未読 1件\">1</span>"),
        "{}",
        timeline.body
    );
    assert_eq!(hanako.get("/messages/unread").await.body, r#"{"unread":1}"#);
    let list = hanako.get("/messages").await;
    assert!(list.body.contains("田中 健"), "{}", list.body);
    assert!(list.body.contains("新着 1 件"));
    let page = hanako.get(&path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        !page.body.contains("data-unread-messages role"),
        "the page that read it shows no badge"
    );
    assert_eq!(hanako.get("/messages/unread").await.body, r#"{"unread":0}"#);
    assert_eq!(
        ken.get("/messages/unread").await.body,
        r#"{"unread":0}"#,
        "his own message is not unread for him"
    );
    assert!(page
        .body
        .contains("<a href=\"https:&#x2F;&#x2F;example.com&#x2F;jobs?id=1\" rel=\"noopener noreferrer nofollow\""));
    assert!(page.body.contains("&lt;b&gt;よろしく&lt;&#x2F;b&gt;"));
    assert!(!hanako.get("/messages").await.body.contains("新着 1 件"));
    let answered = hanako
        .post(&path, &[("body", "ありがとうございます！")])
        .await;
    assert_eq!(answered.status, StatusCode::SEE_OTHER);
    assert_eq!(
        ken.get("/messages/unread").await.body,
        r#"{"unread":1}"#,
        "her answer is new for him at once (the cached count was dropped)"
    );

    // Nobody else reaches it: another member, the secretariat, another network.
    let mut other = signed_in(&app, HOST, "other@example.jp").await;
    assert_eq!(other.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        other.post(&path, &[("body", "割り込み")]).await.status,
        StatusCode::NOT_FOUND
    );
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    assert_eq!(office.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!office.get("/messages").await.body.contains("田中 健"));
    let mut sam = signed_in(&app, "acme.localhost", "sam@example.org").await;
    assert_eq!(sam.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        sam.post("/messages/direct", &[("to", &alumna.to_string())])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(demo_count(&app, "select count(*) from messages").await, 2);

    // Edit within 15 minutes; another's message cannot be edited; deleting leaves a mark.
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let (first, second): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select (select id from messages where body like 'はじめまして%'), \
                (select id from messages where body like 'ありがとう%')",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let edited = ken
        .post(
            &format!("{path}/messages/{first}/edit"),
            &[("body", "はじめまして（訂正）")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER);
    assert!(hanako
        .get(&path)
        .await
        .body
        .contains("はじめまして（訂正）"));
    let not_mine = ken
        .post(
            &format!("{path}/messages/{second}/edit"),
            &[("body", "改ざん")],
        )
        .await;
    assert!(location(&not_mine).contains("message_not_editable"));
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    sqlx::query("update messages set created_at = now() - interval '16 minutes' where id = $1")
        .bind(first)
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let late = ken
        .post(
            &format!("{path}/messages/{first}/edit"),
            &[("body", "遅すぎ")],
        )
        .await;
    assert!(location(&late).contains("message_not_editable"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from messages where body like '%改ざん%' or body = '遅すぎ'"
        )
        .await,
        0
    );
    let deleted = hanako
        .post(&format!("{path}/messages/{second}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(ken
        .get(&path)
        .await
        .body
        .contains("このメッセージは削除されました。"));

    // A report goes to the secretariat with a copy of the text.
    let reported = hanako
        .post(
            &format!("{path}/messages/{first}/report"),
            &[("reason", "しつこい勧誘")],
        )
        .await;
    assert!(location(&reported).contains("message_reported"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from content_reports where subject_kind = 'message' and snapshot = 'はじめまして（訂正）' and reason = 'しつこい勧誘'"
        )
        .await,
        1
    );

    // Blocked: Ken can neither write here nor start again; unblocked, he can.
    assert_eq!(
        hanako.post(&format!("{path}/block"), &[]).await.status,
        StatusCode::SEE_OTHER
    );
    let refused = ken.post(&path, &[("body", "まだいますか？")]).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let restart = ken
        .post("/messages/direct", &[("to", &alumna.to_string())])
        .await;
    assert!(location(&restart).contains("message_refused"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from messages where body = 'まだいますか？'"
        )
        .await,
        0
    );
    hanako.post(&format!("{path}/unblock"), &[]).await;
    assert_eq!(
        ken.post(&path, &[("body", "まだいますか？")]).await.status,
        StatusCode::SEE_OTHER
    );
}

/// No route of the secretariat reads conversations: every messages route is a member route
/// bound to UseMessages, none under /secretariat, and no crate but messages names its tables
/// in SQL.
#[test]
fn no_secretariat_route_reaches_conversations() {
    for entry in tsunagu_messages::routes().entries() {
        assert!(!entry.path.starts_with("/secretariat"), "{}", entry.path);
        assert!(
            matches!(
                entry.access,
                tsunagu_web::access::Access::Member(tsunagu_authz::Permission::UseMessages)
            ),
            "{}",
            entry.path
        );
    }
    let services = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../services");
    let mut offenders = Vec::new();
    let mut stack = vec![services.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("messages") || !path.parent().unwrap().ends_with("services") {
                    stack.push(path);
                }
                continue;
            }
            if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).unwrap().to_lowercase();
                for table in [
                    "from messages",
                    "join messages",
                    "from conversation",
                    "join conversation",
                ] {
                    if text.contains(table) {
                        offenders.push(format!("{}: {table}", path.display()));
                    }
                }
            }
        }
    }
    assert!(offenders.is_empty(), "{offenders:?}");
}

#[tokio::test]
async fn groups_from_a_recruitment_and_leaving_them() {
    let app = app().await;
    member(
        &app,
        "demo",
        "author@demo.example.co.jp",
        "募集 主",
        "employee",
    )
    .await;
    let a = member(&app, "demo", "a@example.jp", "興味 あり", "alumni").await;
    let b = member(&app, "demo", "b@example.jp", "興味 びー", "alumni").await;
    member(&app, "demo", "c@example.jp", "関係 なし", "alumni").await;
    let mut author = signed_in(&app, HOST, "author@demo.example.co.jp").await;
    let opened = author
        .post(
            "/recruitments",
            &[
                ("title", "Rust エンジニア募集"),
                ("body", "一緒に作りませんか。"),
                ("deadline", ""),
            ],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    let recruitment = location(&opened)
        .trim_start_matches("/recruitments/")
        .split(['?', '#'])
        .next()
        .unwrap()
        .to_owned();
    for email in ["a@example.jp", "b@example.jp"] {
        let mut client = signed_in(&app, HOST, email).await;
        let reacted = client
            .post(
                &format!("/recruitments/{recruitment}/react"),
                &[("reaction", "interested")],
            )
            .await;
        assert_eq!(reacted.status, StatusCode::SEE_OTHER, "{}", reacted.body);
    }
    // Nobody gathered yet: nothing to open.
    let early = author
        .post(&format!("/recruitments/{recruitment}/conversation"), &[])
        .await;
    assert!(location(&early).contains("no_one_gathered"));
    author
        .post(&format!("/recruitments/{recruitment}/gather"), &[])
        .await;
    // Someone else may not open it.
    let mut c = signed_in(&app, HOST, "c@example.jp").await;
    assert_eq!(
        c.post(&format!("/recruitments/{recruitment}/conversation"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let group = author
        .post(&format!("/recruitments/{recruitment}/conversation"), &[])
        .await;
    let path = location(&group);
    assert!(path.starts_with("/messages/"), "{path}");
    let page = author.get(&path).await;
    assert!(page.body.contains("Rust エンジニア募集"));
    assert!(page.body.contains("興味 あり") && page.body.contains("興味 びー"));
    assert_eq!(c.get(&path).await.status, StatusCode::NOT_FOUND);

    // b leaves: no longer in it, and what is written after does not reach b.
    let mut client_b = signed_in(&app, HOST, "b@example.jp").await;
    assert_eq!(client_b.get(&path).await.status, StatusCode::OK);
    assert!(
        location(&client_b.post(&format!("{path}/leave"), &[]).await).contains("left_conversation")
    );
    author.post(&path, &[("body", "日程を決めましょう")]).await;
    assert_eq!(client_b.get(&path).await.status, StatusCode::NOT_FOUND);
    assert!(!client_b
        .get("/messages")
        .await
        .body
        .contains("Rust エンジニア募集"));
    let mut client_a = signed_in(&app, HOST, "a@example.jp").await;
    assert!(client_a
        .get(&path)
        .await
        .body
        .contains("日程を決めましょう"));
    let _ = (a, b);
}

#[tokio::test]
async fn new_conversations_are_limited_per_hour() {
    let app = app().await;
    let sender = member(&app, "demo", "busy@example.jp", "多忙 な人", "alumni").await;
    let target = member(&app, "demo", "target@example.jp", "相手 さん", "alumni").await;
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::Member(sender))
        .await
        .unwrap();
    for n in 0..tsunagu_messages::NEW_CONVERSATIONS_PER_HOUR {
        tsunagu_messages::queries::create_group(&mut tx, sender, &format!("group {n}"), &[target])
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
    let mut busy = signed_in(&app, HOST, "busy@example.jp").await;
    let refused = busy
        .post("/messages/direct", &[("to", &target.to_string())])
        .await;
    assert!(location(&refused).contains("too_many_conversations"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from conversations where kind = 'direct'"
        )
        .await,
        0
    );
}

/// Reads an event stream until `needle` arrives or `wait` passes; returns what was read.
async fn read_stream_until(
    body: &mut axum::body::BodyDataStream,
    needle: &str,
    wait: std::time::Duration,
) -> String {
    use futures_util::StreamExt as _;
    let mut seen = String::new();
    let deadline = tokio::time::Instant::now() + wait;
    while !seen.contains(needle) {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(bytes))) => seen.push_str(&String::from_utf8_lossy(&bytes)),
            _ => break,
        }
    }
    seen
}

async fn open_stream(
    router: &axum::Router,
    app: &TestApp,
    host: &str,
    client: &TestClient<'_>,
) -> axum::body::BodyDataStream {
    use tower::ServiceExt as _;
    let cookie = client
        .cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let mut request = axum::http::Request::get("/messages/stream")
        .header(axum::http::header::HOST, host)
        .header(axum::http::header::COOKIE, cookie)
        .body(axum::body::Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(app.peer));
    let response = router.clone().oneshot(request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.to_str().unwrap_or("").starts_with("text/event-stream")));
    response.into_body().into_data_stream()
}

/// A message posted through one server reaches the recipient's event stream on another (Redis
/// pub/sub between the two), and no stream carries another member's or another network's event.
#[tokio::test]
async fn a_new_message_reaches_a_stream_on_another_replica_and_only_its_members() {
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
    member(&app, "demo", "other@example.jp", "鈴木 一郎", "alumni").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;
    let replica = app.replica(&[]).await;
    let hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    let other = signed_in(&app, HOST, "other@example.jp").await;
    let sam = signed_in(&app, "acme.localhost", "sam@example.org").await;
    // Streams on the replica; the message goes through the app.
    let mut hanako_stream = open_stream(&replica.router, &app, HOST, &hanako).await;
    let mut other_stream = open_stream(&replica.router, &app, HOST, &other).await;
    let mut sam_stream = open_stream(&replica.router, &app, "acme.localhost", &sam).await;
    // The replica's subscription starts with its first stream.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let started = ken
        .post("/messages/direct", &[("to", &alumna.to_string())])
        .await;
    let path = location(&started);
    let conversation = path.trim_start_matches("/messages/").to_owned();
    let sent = ken.post(&path, &[("body", "届きましたか？")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);

    let seen = read_stream_until(
        &mut hanako_stream,
        &conversation,
        std::time::Duration::from_secs(5),
    )
    .await;
    assert!(seen.contains("event: message"), "{seen:?}");
    assert!(seen.contains(&format!("data: {conversation}")), "{seen:?}");
    for stream in [&mut other_stream, &mut sam_stream] {
        let seen =
            read_stream_until(stream, &conversation, std::time::Duration::from_secs(1)).await;
        assert!(!seen.contains(&conversation), "{seen:?}");
    }
    // Signed out: no stream.
    let anonymous = app.client(HOST);
    let mut request = axum::http::Request::get("/messages/stream")
        .header(axum::http::header::HOST, HOST)
        .body(axum::body::Body::empty())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(app.peer));
    let response = tower::ServiceExt::oneshot(replica.router.clone(), request)
        .await
        .unwrap();
    assert_ne!(response.status(), StatusCode::OK);
    drop(anonymous);
}

/// A new message is emailed to recipients who take message emails at once (the network's
/// default): once per conversation until they have read it, with the category's unsubscribe,
/// never to the author, not to a member who turned message emails off.
#[tokio::test]
async fn new_messages_are_emailed_once_until_read_and_only_with_consent() {
    let app = app().await;
    let hanako = member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let quiet = member(&app, "demo", "quiet@example.jp", "静か な人", "alumni").await;
    member(
        &app,
        "demo",
        "ken@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::Member(quiet))
        .await
        .unwrap();
    tsunagu_identity::queries::consent::set(
        &mut tx,
        quiet,
        &tsunagu_tenancy::EmailDefaults::default(),
        &[(
            tsunagu_tenancy::EmailCategory::Messages,
            tsunagu_tenancy::EmailDelivery::Off,
        )],
        tsunagu_identity::queries::consent::ConsentSource::Settings,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let emails_to = |address: &'static str| {
        let app = &app;
        async move {
            demo_count(
                app,
                &format!(
                    "select count(*) from email_outbox where kind = 'new_message' and to_address = '{address}' \
                     and list_unsubscribe like '%/email/unsubscribe/%/messages/%'"
                ),
            )
            .await
        }
    };

    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let path = location(
        &ken.post("/messages/direct", &[("to", &hanako.to_string())])
            .await,
    );
    ken.post(&path, &[("body", "1件目")]).await;
    ken.post(&path, &[("body", "2件目")]).await;
    assert_eq!(
        emails_to("hanako@example.jp").await,
        1,
        "one until she reads"
    );
    let mut client = signed_in(&app, HOST, "hanako@example.jp").await;
    client.get(&path).await;
    ken.post(&path, &[("body", "3件目")]).await;
    assert_eq!(
        emails_to("hanako@example.jp").await,
        2,
        "read, then a new one"
    );
    assert_eq!(emails_to("ken@demo.example.co.jp").await, 0);

    let quiet_path = location(
        &ken.post("/messages/direct", &[("to", &quiet.to_string())])
            .await,
    );
    ken.post(&quiet_path, &[("body", "こんにちは")]).await;
    assert_eq!(emails_to("quiet@example.jp").await, 0, "message emails off");
}

/// When the server begins to shut down its open streams end (a graceful shutdown waits for open
/// connections, and an event stream would never close by itself).
#[tokio::test]
async fn open_streams_end_when_the_server_shuts_down() {
    use futures_util::StreamExt as _;
    let app = app().await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    let mut stream = open_stream(&app.router, &app, HOST, &hanako).await;
    tsunagu_messages::live::close_streams(&app.state);
    let ended = tokio::time::timeout(std::time::Duration::from_secs(3), async {
        while let Some(frame) = stream.next().await {
            if frame.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream should end");
}

/// Every route that names a conversation or message, called from another network with this
/// network's ids: 404, and nothing changes.
#[tokio::test]
async fn conversation_routes_refuse_another_networks_ids() {
    let app = app().await;
    app.seed_demo_network().await;
    member(&app, "acme", "intruder@example.org", "Intruder", "alumni").await;
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let (direct, message): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select c.id, m.id from conversations c \
         join messages m on m.tenant_id = c.tenant_id and m.conversation_id = c.id \
         where c.kind = 'direct' limit 1",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    let group: uuid::Uuid =
        sqlx::query_scalar("select id from conversations where kind = 'group' limit 1")
            .fetch_one(tx.conn())
            .await
            .unwrap();
    let recruitment: uuid::Uuid = sqlx::query_scalar("select id from recruitments limit 1")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let snapshot = "select (select string_agg(body || coalesce(deleted_at::text, ''), ',' order by id) from messages) \
                    || '/' || (select count(*) from content_reports) \
                    || '/' || (select count(*) from member_blocks) \
                    || '/' || (select count(*) from conversations) \
                    || '/' || (select count(*) from conversation_members where left_at is null)";
    let before = text(&app, snapshot).await;

    let mut intruder = signed_in(&app, "acme.localhost", "intruder@example.org").await;
    assert_eq!(
        intruder.get(&format!("/messages/{direct}")).await.status,
        StatusCode::NOT_FOUND
    );
    let posts: Vec<(String, Vec<(&str, &str)>)> = vec![
        (format!("/messages/{direct}"), vec![("body", "割り込み")]),
        (
            format!("/messages/{direct}/messages/{message}/edit"),
            vec![("body", "改ざん")],
        ),
        (
            format!("/messages/{direct}/messages/{message}/delete"),
            vec![],
        ),
        (
            format!("/messages/{direct}/messages/{message}/report"),
            vec![("reason", "x")],
        ),
        (format!("/messages/{direct}/block"), vec![]),
        (format!("/messages/{direct}/unblock"), vec![]),
        (format!("/messages/{group}/leave"), vec![]),
        (format!("/recruitments/{recruitment}/conversation"), vec![]),
    ];
    for (path, fields) in &posts {
        assert_eq!(
            intruder.post(path, fields).await.status,
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    assert_eq!(text(&app, snapshot).await, before);
}

async fn text(app: &TestApp, sql: &str) -> String {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let text: String = sqlx::query_scalar(sql).fetch_one(tx.conn()).await.unwrap();
    tx.commit().await.unwrap();
    text
}

fn png(width: u32, height: u32) -> Vec<u8> {
    let img = image::RgbImage::from_pixel(width, height, image::Rgb([200, 80, 40]));
    let mut out = std::io::Cursor::new(Vec::new());
    image::DynamicImage::ImageRgb8(img)
        .write_to(&mut out, image::ImageFormat::Png)
        .unwrap();
    out.into_inner()
}

#[tokio::test]
async fn an_image_goes_to_the_conversation_only_and_leaves_with_its_message() {
    use tsunagu_testkit::Upload;
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
    member(&app, "demo", "other@example.jp", "鈴木 一郎", "alumni").await;
    member(&app, "acme", "sam@example.org", "Sam Patel", "alumni").await;
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let path = location(
        &ken.post("/messages/direct", &[("to", &alumna.to_string())])
            .await,
    );
    let tenant = app.tenant_id("demo").await;
    let stored = || {
        let dir = app
            .state
            .config
            .data_dir
            .join("tenants")
            .join(tenant.to_string())
            .join("messages");
        if dir.exists() {
            std::fs::read_dir(&dir).unwrap().count()
        } else {
            0
        }
    };

    // Neither text nor image, or a file that is not an image: the form says why, nothing stays.
    let nothing = ken.post_multipart(&path, &[("body", " ")], &[]).await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing
        .body
        .contains("メッセージを書くか、画像を添付してください。"));
    let not_image = ken
        .post_multipart(
            &path,
            &[("body", "見てください")],
            &[Upload {
                field: "image",
                filename: "notes.txt",
                content_type: "text/plain",
                bytes: b"not an image",
            }],
        )
        .await;
    assert_eq!(not_image.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(not_image.body.contains("field-error"), "{}", not_image.body);
    assert_eq!(demo_count(&app, "select count(*) from messages").await, 0);
    assert_eq!(stored(), 0);

    // An image alone is a message.
    let photo = png(64, 48);
    let sent = ken
        .post_multipart(
            &path,
            &[("body", "")],
            &[Upload {
                field: "image",
                filename: "reunion.png",
                content_type: "image/png",
                bytes: &photo,
            }],
        )
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER, "{}", sent.body);
    assert_eq!(stored(), 1);
    let message = location(&sent)
        .rsplit_once("#m-")
        .map(|(_, id)| id.to_owned())
        .unwrap();
    let image_path = format!("{path}/images/{message}");

    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    assert!(hanako
        .get("/messages")
        .await
        .body
        .contains("画像が送られました"));
    let page = hanako.get(&path).await;
    assert!(
        page.body.contains(&format!(
            "<img class=\"message-image\" src=\"{image_path}\""
        )),
        "{}",
        page.body
    );
    let image = hanako.get(&image_path).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.header("content-type"), Some("image/jpeg"));
    assert!(image
        .header("cache-control")
        .unwrap()
        .starts_with("private"));

    // Nobody outside the conversation loads it: another member, another network.
    let mut other = signed_in(&app, HOST, "other@example.jp").await;
    assert_eq!(other.get(&image_path).await.status, StatusCode::NOT_FOUND);
    let mut sam = signed_in(&app, "acme.localhost", "sam@example.org").await;
    assert_eq!(sam.get(&image_path).await.status, StatusCode::NOT_FOUND);

    // Deleting the message deletes the image.
    let deleted = ken
        .post(&format!("{path}/messages/{message}/delete"), &[])
        .await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert_eq!(hanako.get(&image_path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(), 0, "the file went with the message");
}

/// Two server processes: a message posted through a server in another OS process (this test
/// binary again, `message_sender_process`, on the same database and Redis) appears on an event
/// stream held open by this one: the fan-out goes through Redis pub/sub, not through memory.
#[tokio::test]
async fn a_message_posted_by_another_server_process_reaches_a_stream_here() {
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
    let hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    let mut stream = open_stream(&app.router, &app, HOST, &hanako).await;
    // This process's subscription starts with its first stream.
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;

    let database = app.db.name.clone();
    let sender = tokio::task::spawn_blocking(move || {
        std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "messages::message_sender_process",
                "--ignored",
                "--nocapture",
            ])
            .env("TSUNAGU_TEST_ATTACH_DB", database)
            .env("TSUNAGU_TEST_MESSAGE_TO", alumna.to_string())
            .output()
            .expect("the sender process")
    });
    let seen = read_stream_until(
        &mut stream,
        "event: message",
        std::time::Duration::from_secs(30),
    )
    .await;
    let output = sender.await.unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(output.status.success(), "{stdout}");
    let conversation = stdout
        .lines()
        .find_map(|l| l.strip_prefix("conversation "))
        .unwrap_or_else(|| panic!("no conversation from the sender: {stdout}"))
        .trim()
        .to_owned();
    let mut seen = seen;
    if !seen.contains(&conversation) {
        let more = read_stream_until(
            &mut stream,
            &conversation,
            std::time::Duration::from_secs(5),
        )
        .await;
        seen.push_str(&more);
    }
    assert!(seen.contains(&format!("data: {conversation}")), "{seen:?}");
}

/// The sending server of `a_message_posted_by_another_server_process_reaches_a_stream_here`:
/// signs in as Ken on the parent's database, writes to the member named in
/// `TSUNAGU_TEST_MESSAGE_TO` and prints the conversation. Does nothing when run on its own.
#[tokio::test]
#[ignore = "a child process of a_message_posted_by_another_server_process_reaches_a_stream_here"]
async fn message_sender_process() {
    let Ok(database) = std::env::var("TSUNAGU_TEST_ATTACH_DB") else {
        return;
    };
    let to = std::env::var("TSUNAGU_TEST_MESSAGE_TO").expect("the recipient");
    let app = TestApp::attach(&database).await;
    let mut ken = signed_in(&app, HOST, "ken@demo.example.co.jp").await;
    let started = ken.post("/messages/direct", &[("to", &to)]).await;
    let path = location(&started);
    let sent = ken
        .post(&path, &[("body", "別のサーバーから届きましたか？")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    println!("conversation {}", path.trim_start_matches("/messages/"));
}
