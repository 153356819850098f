//! Staff entering a network within a support grant (docs/adr/0004-support-sessions.md): from the
//! console through a one-time handoff, as the network's "Tsunagu CS" member with a staff actor;
//! only what the grant's scopes reach; refused on every route past the grant's end (to the
//! second, by a set clock) or once revoked, by the web tier and by the database; every support
//! action in the secretariat's audit log under the staff person's name.

use axum::http::StatusCode;
use time::OffsetDateTime;
use tsunagu_kernel::Actor;
use tsunagu_testkit::{TestApp, TestClient};
use tsunagu_web::Access;

use crate::community::{member, signed_in};
use crate::identity::{app, secretariat, PASSWORD};
use crate::messages::{demo_count, demo_value};

const HOST: &str = "demo.localhost";

/// Opens support access on demo for `scopes` (24 hours) as its secretariat.
async fn grant(office: &mut TestClient<'_>, scopes: &[&str]) {
    let mut fields = vec![("duration", "24h")];
    fields.extend(scopes.iter().map(|s| ("scope", *s)));
    let response = office.post("/secretariat/support", &fields).await;
    assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
}

/// The console's "Enter as support" for `slug`: the one-time path on the network's site.
async fn handoff(console: &mut TestClient<'_>, slug: &str) -> String {
    // A page with the link (a form may not redirect to another origin under our CSP).
    let response = console.post(&format!("/tenants/{slug}/enter"), &[]).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.body);
    let body = response.body.replace("&#x2F;", "/");
    let at = body
        .find("/support/enter?token=")
        .expect("the handoff link");
    assert!(
        body[..at].ends_with(&format!("http://{slug}.localhost")),
        "{body}"
    );
    let token: String = body[at + "/support/enter?token=".len()..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    format!("/support/enter?token={token}")
}

/// A staff person signed in at the console. Each test's own address: the sign-in rate limit
/// per account is platform-wide, and tests run at once.
async fn signed_in_staff(app: &TestApp) -> TestClient<'_> {
    let email = format!("cs-{}@tsunagu.example", app.db.name.replace('_', "-"));
    crate::console::staff(app, &email).await;
    let mut console = app.client("console.localhost");
    let signed_in = console.sign_in(&email, PASSWORD).await;
    assert_eq!(
        signed_in.header("location"),
        Some("/"),
        "{}",
        signed_in.body
    );
    console
}

/// A staff person's browser on demo, entered through the console.
async fn entered<'a>(app: &'a TestApp, console: &mut TestClient<'_>) -> TestClient<'a> {
    let path = handoff(console, "demo").await;
    let mut staff = app.client(HOST);
    let entered = staff.get(&path).await;
    assert_eq!(entered.status, StatusCode::SEE_OTHER, "{}", entered.body);
    assert_eq!(entered.header("location"), Some("/support"));
    staff
}

#[tokio::test]
async fn staff_enter_within_a_grant_and_reach_only_its_scopes() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut console = signed_in_staff(&app).await;

    // No grant: the handoff leads nowhere, and no session starts.
    let path = handoff(&mut console, "demo").await;
    let mut staff = app.client(HOST);
    assert_eq!(staff.get(&path).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        staff.get("/support").await.status,
        StatusCode::SEE_OTHER,
        "not signed in"
    );

    grant(&mut office, &["content"]).await;
    // The secretariat's banner says CS may help, on every page.
    let home = office.get("/").await.body;
    assert!(home.contains("Tsunagu CS が") && home.contains("までサポートしています"));

    let mut staff = entered(&app, &mut console).await;
    let support = staff.get("/support").await;
    assert_eq!(support.status, StatusCode::OK);
    assert!(
        support.body.contains("CS Staff"),
        "the bar names the staff person"
    );
    assert!(support.body.contains("/articles/new"));
    assert_eq!(staff.get("/articles/new").await.status, StatusCode::OK);
    // Outside the content scope, and never for support: refused.
    for path in [
        "/members",
        "/messages",
        "/secretariat/settings",
        "/secretariat/audit",
        "/secretariat/members",
        "/secretariat/surveys",
        "/account",
    ] {
        let status = staff.get(path).await.status;
        assert!(
            status == StatusCode::FORBIDDEN || status == StatusCode::NOT_FOUND,
            "{path}: {status}"
        );
    }
    assert_eq!(
        staff.post("/posts", &[("body", "CS です")]).await.status,
        StatusCode::FORBIDDEN
    );

    // A handoff works once, and only on its own network.
    let used = handoff(&mut console, "demo").await;
    assert_eq!(
        app.client(HOST).get(&used).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.client(HOST).get(&used).await.status,
        StatusCode::NOT_FOUND
    );
    let for_demo = handoff(&mut console, "demo").await;
    assert_eq!(
        app.client("acme.localhost").get(&for_demo).await.status,
        StatusCode::NOT_FOUND
    );

    // The CS member is nobody's member: not in the directory or the member count.
    let directory = signed_in(&app, HOST, "hanako@example.jp")
        .await
        .get("/members")
        .await
        .body;
    assert!(!directory.contains("Tsunagu CS"));

    // The secretariat sees the staff person's entries in its audit log.
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action = 'support.entered' \
             and actor_kind = 'staff'"
        )
        .await,
        2
    );
    let audit = office.get("/secretariat/audit").await.body;
    assert!(audit.contains("Tsunagu CS · CS Staff"), "{audit}");

    // Leaving ends the session.
    let left = staff.post("/support/leave", &[]).await;
    assert_eq!(left.header("location"), Some("/?notice=support_left"));
    assert_eq!(staff.get("/support").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_support_session_ends_at_the_grants_end_to_the_second_on_every_route() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut console = signed_in_staff(&app).await;
    grant(&mut office, &["content", "surveys", "members_read"]).await;
    let mut staff = entered(&app, &mut console).await;
    let until: OffsetDateTime = demo_value(&app, "select expires_at from support_grants").await;
    let until = until.replace_nanosecond(0).unwrap();

    app.state.clock.set(until - time::Duration::seconds(1));
    assert_eq!(staff.get("/support").await.status, StatusCode::OK);
    assert_eq!(staff.get("/members").await.status, StatusCode::OK);

    // At the end: every route of the network, public or not, GET or POST, is 404.
    app.state.clock.set(until);
    let routes: Vec<(&'static str, Access)> = tsunagu_gateway::app::tenant_routes()
        .entries()
        .iter()
        .map(|entry| (entry.path, entry.access))
        .collect();
    assert!(routes.len() > 40);
    let cookies = staff.cookies.clone();
    for (pattern, _) in &routes {
        let path = crate::routes::concrete(pattern);
        for post in [false, true] {
            staff.cookies = cookies.clone();
            let response = if post {
                staff.post(&path, &[]).await
            } else {
                staff.get(&path).await
            };
            assert_eq!(
                response.status,
                StatusCode::NOT_FOUND,
                "{} {path} past the grant's end",
                if post { "POST" } else { "GET" }
            );
        }
    }
    app.state.clock.release();
}

#[tokio::test]
async fn a_revoke_ends_a_live_support_session_at_once() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut console = signed_in_staff(&app).await;
    grant(&mut office, &["surveys"]).await;
    let mut staff = entered(&app, &mut console).await;
    assert_eq!(
        staff.get("/secretariat/surveys").await.status,
        StatusCode::OK
    );
    // A surveys-only grant reaches neither the timeline nor the member list.
    assert_eq!(staff.get("/timeline").await.status, StatusCode::FORBIDDEN);
    assert_eq!(staff.get("/members").await.status, StatusCode::FORBIDDEN);

    let grant_id: uuid::Uuid = demo_value(&app, "select id from support_grants").await;
    office
        .post(&format!("/secretariat/support/{grant_id}/revoke"), &[])
        .await;
    assert_eq!(
        staff.get("/secretariat/surveys").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(staff.get("/support").await.status, StatusCode::NOT_FOUND);
    // The banner is gone for the secretariat.
    assert!(!office
        .get("/")
        .await
        .body
        .contains("までサポートしています"));
}

/// The database refuses a staff actor's transaction unless its grant is live in this tenant,
/// whatever the application believes.
#[tokio::test]
async fn the_database_refuses_staff_without_a_live_grant() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    grant(&mut office, &["content"]).await;
    let demo = app.tenant_id("demo").await;
    let acme = app.tenant_id("acme").await;
    let grant_id: uuid::Uuid = demo_value(&app, "select id from support_grants").await;
    let staff_id = uuid::Uuid::now_v7();
    let as_staff = |grant_id| Actor::Staff { staff_id, grant_id };

    let tx = app.state.db.begin_tenant(demo, as_staff(grant_id)).await;
    assert!(tx.is_ok(), "a live grant opens the transaction");
    tx.unwrap().rollback().await.unwrap();
    for (tenant, grant) in [(demo, uuid::Uuid::now_v7()), (acme, grant_id)] {
        let refused = app.state.db.begin_tenant(tenant, as_staff(grant)).await;
        assert!(
            refused
                .as_ref()
                .err()
                .is_some_and(|e| e.is_support_refused()),
            "an unknown grant, or another network's"
        );
    }
    // Past its end (the database's clock), and revoked.
    let mut tx = app
        .state
        .db
        .begin_tenant(demo, Actor::System)
        .await
        .unwrap();
    sqlx::query("update support_grants set expires_at = now() - interval '1 second', starts_at = now() - interval '1 hour'")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let refused = app.state.db.begin_tenant(demo, as_staff(grant_id)).await;
    assert!(refused.err().is_some_and(|e| e.is_support_refused()));
    // The pool's connections are fine afterwards.
    for _ in 0..5 {
        let mut tx = app
            .state
            .db
            .begin_tenant(demo, Actor::System)
            .await
            .unwrap();
        sqlx::query("select 1").execute(tx.conn()).await.unwrap();
        tx.commit().await.unwrap();
    }
}

/// Staff draft articles and surveys; only the secretariat publishes them, in one click, and each
/// step is in the audit log under who took it.
#[tokio::test]
async fn drafts_by_support_wait_for_the_secretariats_one_click_approval() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut console = signed_in_staff(&app).await;
    grant(&mut office, &["content", "surveys"]).await;
    let mut staff = entered(&app, &mut console).await;

    // An article: publishing is refused with a message, a draft is kept.
    let form = staff.get("/articles/new").await.body;
    assert!(!form.contains("value=\"publish\""), "no publish choice");
    assert!(
        !form.contains("佐藤 花子"),
        "no member list in a content-only grant"
    );
    let refused = staff
        .post_multipart(
            "/articles",
            &[
                ("title", "OB 座談会"),
                ("body", "本文"),
                ("status", "publish"),
            ],
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("下書きとして保存してください"));
    let saved = staff
        .post_multipart(
            "/articles",
            &[
                ("title", "OB 座談会"),
                ("body", "本文"),
                ("status", "draft"),
            ],
            &[],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    let article: uuid::Uuid = demo_value(&app, "select id from articles").await;
    assert_eq!(
        staff
            .post(&format!("/articles/{article}/publish"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    // Members do not see it; the secretariat sees it marked, and approves it in one click.
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    assert_eq!(
        hanako.get(&format!("/articles/{article}")).await.status,
        StatusCode::NOT_FOUND
    );
    let draft = office.get(&format!("/articles/{article}")).await.body;
    assert!(draft.contains("Tsunagu CS が作成した下書き") && draft.contains("承認して公開"));
    let published = office
        .post(&format!("/articles/{article}/publish"), &[])
        .await;
    assert_eq!(published.status, StatusCode::SEE_OTHER);
    assert_eq!(
        hanako.get(&format!("/articles/{article}")).await.status,
        StatusCode::OK
    );
    // Once published, staff cannot change it.
    assert_eq!(
        staff
            .post_multipart(
                &format!("/articles/{article}/edit"),
                &[("title", "改題"), ("body", "本文"), ("status", "draft")],
                &[],
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );

    // A survey: built by staff, published by the secretariat only.
    let survey = crate::surveys::build(&mut staff, "キャリア調査", false).await;
    assert_eq!(
        staff
            .post(&format!("/secretariat/surveys/{survey}/publish"), &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let builder = office
        .get(&format!("/secretariat/surveys/{survey}"))
        .await
        .body;
    assert!(builder.contains("Tsunagu CS が作成した下書き"));
    let opened = office
        .post(&format!("/secretariat/surveys/{survey}/publish"), &[])
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER);
    assert_eq!(
        demo_value::<String>(&app, "select status from surveys").await,
        "open"
    );

    // From the library: a template of the grant's scopes becomes a draft by Tsunagu CS; one of
    // another scope is refused.
    assert_eq!(
        staff
            .post("/secretariat/playbooks/online-reunion", &[])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let pushed = staff
        .post("/secretariat/playbooks/welcome-survey", &[])
        .await;
    assert_eq!(pushed.status, StatusCode::SEE_OTHER);
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from surveys s join members m on m.tenant_id = s.tenant_id \
             and m.id = s.created_by where s.status = 'draft' and m.status = 'support'"
        )
        .await,
        1
    );

    // The audit log: staff's drafts under the staff actor, the approvals under the secretariat.
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where actor_kind = 'staff' \
             and action in ('article.saved', 'survey.created')"
        )
        .await,
        2
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where actor_kind = 'member' \
             and action in ('article.published', 'survey.published')"
        )
        .await,
        2
    );
}

/// Staff ask from the console; the secretariat hears of it and approves (exactly what was asked
/// becomes a grant) or declines; nobody else can answer.
#[tokio::test]
async fn staff_ask_for_access_and_the_secretariat_answers() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    member(&app, "demo", "hanako@example.jp", "佐藤 花子", "alumni").await;
    let mut office = signed_in(&app, HOST, "office@demo.example.co.jp").await;
    let mut console = signed_in_staff(&app).await;

    let form = console.get("/tenants/demo/request").await;
    assert_eq!(form.status, StatusCode::OK);
    let refused = console
        .post(
            "/tenants/demo/request",
            &[("duration", "30d"), ("note", "x")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        demo_count(&app, "select count(*) from support_requests").await,
        0
    );
    let sent = console
        .post(
            "/tenants/demo/request",
            &[
                ("duration", "7d"),
                ("scope", "surveys"),
                ("note", "春の同窓会アンケートの準備"),
            ],
        )
        .await;
    assert_eq!(sent.header("location"), Some("/?notice=support_requested"));
    assert!(console.get("/").await.body.contains("依頼中"));
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from notifications where kind = 'support_requested'"
        )
        .await,
        1,
        "the secretariat hears of it"
    );

    let page = office.get("/secretariat/support").await.body;
    assert!(
        page.contains("からアクセスの依頼があります")
            && page.contains("春の同窓会アンケートの準備")
    );
    let request: uuid::Uuid = demo_value(&app, "select id from support_requests").await;
    // Nobody but this network's secretariat answers.
    let mut hanako = signed_in(&app, HOST, "hanako@example.jp").await;
    assert_eq!(
        hanako
            .post(
                &format!("/secretariat/support/requests/{request}/approve"),
                &[]
            )
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let mut acme = signed_in(&app, "acme.localhost", "office@acme.example.com").await;
    assert_eq!(
        acme.post(
            &format!("/secretariat/support/requests/{request}/approve"),
            &[]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    let approved = office
        .post(
            &format!("/secretariat/support/requests/{request}/approve"),
            &[],
        )
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER, "{}", approved.body);
    assert_eq!(
        approved.header("location"),
        Some("/secretariat/support?notice=support_granted")
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from support_grants g join support_requests q \
             on q.tenant_id = g.tenant_id and q.grant_id = g.id \
             where g.scopes = array['surveys'] and q.answer = 'approved' \
             and g.expires_at > now() + interval '6 days 23 hours'"
        )
        .await,
        1
    );
    // Answered once only; the console now offers to enter.
    assert_eq!(
        office
            .post(
                &format!("/secretariat/support/requests/{request}/decline"),
                &[]
            )
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(console.get("/").await.body.contains("/tenants/demo/enter"));

    // A second request, declined: no grant comes of it.
    console
        .post(
            "/tenants/demo/request",
            &[("duration", "24h"), ("scope", "events")],
        )
        .await;
    let second: uuid::Uuid =
        demo_value(&app, "select id from support_requests where answer is null").await;
    office
        .post(
            &format!("/secretariat/support/requests/{second}/decline"),
            &[],
        )
        .await;
    assert_eq!(
        demo_count(&app, "select count(*) from support_grants").await,
        1
    );
    assert_eq!(
        demo_count(
            &app,
            "select count(*) from audit_events where action in \
             ('support.requested', 'support.request_declined', 'support.granted')"
        )
        .await,
        4
    );
}
