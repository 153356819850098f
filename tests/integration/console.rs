//! Platform staff sign in at the console with accounts of their own; they are not tenant members
//! and tenant members are not staff.

use axum::http::StatusCode;

use crate::identity::{active_member, app, PASSWORD};

/// Gives the test's requests a loopback address of their own: the staff sign-in limit per address
/// is platform-wide (not per tenant), so every test signing staff in from 127.0.0.1 would draw on
/// one budget across tests and repeated runs.
pub(crate) fn own_address(app: &mut tsunagu_testkit::TestApp) {
    let [a, b, c, ..] = *uuid::Uuid::new_v4().as_bytes();
    app.peer = std::net::SocketAddr::from(([127, a, b, c.max(2)], 40000));
}

pub(crate) async fn staff(app: &tsunagu_testkit::TestApp, email: &str) {
    staff_with_role(app, email, "cs").await;
}

async fn staff_with_role(app: &tsunagu_testkit::TestApp, email: &str, role: &str) {
    let hash = tsunagu_identity::password::hash(PASSWORD.into())
        .await
        .unwrap();
    let email = tsunagu_identity::forms::EmailAddress::parse(email).unwrap();
    let mut tx = app.platform.begin_platform().await.unwrap();
    tsunagu_console::queries::upsert_staff(&mut tx, &email, "CS Staff", &hash, role)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn staff_sign_in_at_the_console_only() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    staff(&app, "cs@tsunagu.example").await;
    active_member(&app, "demo", "member@example.jp").await;

    let mut console = app.client("console.localhost");
    let home = console.get("/").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.header("location"), Some("/sign-in"));
    assert_eq!(
        console.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "members are not staff"
    );
    assert_eq!(
        console
            .sign_in("cs@tsunagu.example", "wrong password here")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        console.sign_in("cs@tsunagu.example", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    let dashboard = console.get("/").await;
    assert_eq!(dashboard.status, StatusCode::OK);
    assert!(dashboard.body.contains("Acme Alumni Network") && dashboard.body.contains("CS Staff"));

    // Staff cannot use their account or cookie on a tenant.
    let mut tenant = app.client("demo.localhost");
    assert_eq!(
        tenant.sign_in("cs@tsunagu.example", PASSWORD).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut carried = app.client("demo.localhost");
    carried.cookies = console.cookies.clone();
    assert_eq!(carried.get("/account").await.status, StatusCode::SEE_OTHER);

    assert_eq!(
        console.post("/sign-out", &[]).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(console.get("/").await.status, StatusCode::SEE_OTHER);
}

/// The directory's figures come from `platform.tenant_health()`, whose result holds no personal
/// column; the page shows counts, the level, secretariat activity and reports waiting, and no
/// member's name or email; filters find the quiet networks and those with reports.
#[tokio::test]
async fn the_tenant_directory_shows_health_and_no_personal_data() {
    use tsunagu_kernel::moderation::{self, NewReport, SubjectKind};
    use tsunagu_kernel::Actor;

    let mut app = app().await;
    crate::console::own_address(&mut app);
    staff(&app, "cs-directory@tsunagu.example").await;
    let secretary = crate::identity::secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let reporter = crate::community::member(
        &app,
        "demo",
        "hidden-name@example.jp",
        "秘密 太郎",
        "alumni",
    )
    .await;
    let author =
        crate::community::member(&app, "demo", "author@example.jp", "投稿 花子", "employee").await;
    crate::community::member(&app, "acme", "sam@example.org", "Sam Private", "alumni").await;

    // The secretariat did something today (an audited action); a report is waiting.
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::Member(secretary))
        .await
        .unwrap();
    tsunagu_kernel::audit::record(
        &mut tx,
        "settings.updated",
        "tenant",
        None,
        serde_json::json!({}),
    )
    .await
    .unwrap();
    moderation::file(
        &mut tx,
        &NewReport {
            kind: SubjectKind::Profile,
            subject: author.as_uuid(),
            author,
            reporter,
            reason: "個人的な理由",
            snapshot: "投稿 花子",
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    tsunagu_insights::rollup::run(&app.state.db, time::OffsetDateTime::now_utc(), None)
        .await
        .unwrap();

    // The function's result: figures and the tenant's own name, nothing about members.
    let mut conn = app.state.db.begin_platform().await.unwrap();
    let columns: Vec<String> = sqlx::query_scalar(
        "select unnest(proargnames[pronargs + 1:]) from pg_proc where oid = 'platform.tenant_health()'::regprocedure",
    )
    .fetch_all(conn.conn())
    .await
    .unwrap();
    conn.commit().await.unwrap();
    for column in &columns {
        assert!(
            ![
                "email",
                "name_kanji",
                "name_kana",
                "body",
                "snapshot",
                "reason"
            ]
            .iter()
            .any(|personal| column.contains(personal)),
            "{column}"
        );
    }
    assert!(columns.contains(&"open_reports".to_owned()), "{columns:?}");

    let mut console = app.client("console.localhost");
    console
        .sign_in("cs-directory@tsunagu.example", PASSWORD)
        .await;
    let directory = console.get("/").await;
    assert_eq!(directory.status, StatusCode::OK);
    let body = &directory.body;
    for personal in [
        "秘密 太郎",
        "hidden-name@example.jp",
        "投稿 花子",
        "Sam Private",
        "個人的な理由",
    ] {
        assert!(!body.contains(personal), "{personal} on the console");
    }
    // demo: 3 active members (2 alumni + 1 employee… and the secretariat), one report waiting.
    let demo_row = body
        .split("<tr>")
        .find(|row| row.contains("demo.localhost"))
        .expect("a row for demo");
    assert!(demo_row.contains("badge badge-warning\">1<"), "{demo_row}");
    assert!(
        !demo_row.contains("まだ数値なし") && !demo_row.contains("No figures yet"),
        "{demo_row}"
    );

    // Quiet networks: acme (no secretariat activity ever), not demo.
    let quiet = console.get("/?filter=quiet").await.body;
    assert!(quiet.contains("acme.localhost") && !quiet.contains("demo.localhost"));
    let reports = console.get("/?filter=reports").await.body;
    assert!(reports.contains("demo.localhost") && !reports.contains("acme.localhost"));
    // Sorted by reports waiting, demo comes before acme.
    let sorted = console.get("/?sort=reports").await.body;
    assert!(sorted.find("demo.localhost").unwrap() < sorted.find("acme.localhost").unwrap());

    // The role serving pages still reads no tenant's members without the tenant set.
    let mut platform = app.state.db.begin_platform().await.unwrap();
    let visible: i64 = sqlx::query_scalar("select count(*) from members")
        .fetch_one(platform.conn())
        .await
        .unwrap();
    platform.commit().await.unwrap();
    assert_eq!(visible, 0);
}

/// A network's page in the console: its figures, staff notes (console only) and a timeline of
/// support access, with no member's name.
#[tokio::test]
async fn a_networks_page_has_notes_and_a_timeline_without_personal_data() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    crate::identity::secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut office =
        crate::community::signed_in(&app, "demo.localhost", "office@demo.example.co.jp").await;
    office
        .post(
            "/secretariat/support",
            &[
                ("duration", "24h"),
                ("scope", "events"),
                ("note", "秘密のメモ"),
            ],
        )
        .await;
    staff(&app, "cs-notes@tsunagu.example").await;
    let mut console = app.client("console.localhost");
    console.sign_in("cs-notes@tsunagu.example", PASSWORD).await;

    let page = console.get("/tenants/demo").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("ネットワーク開設") && page.body.contains("サポートアクセスの許可"));
    assert!(page.body.contains("イベント"), "the grant's scope");
    let secretariat_name: String = crate::messages::demo_value(
        &app,
        "select name_kanji from members where email_normalized = 'office@demo.example.co.jp'",
    )
    .await;
    assert!(!page.body.contains(&secretariat_name), "no member's name");
    assert!(
        !page.body.contains("秘密のメモ"),
        "not the grant's note either"
    );

    let empty = console.post("/tenants/demo/notes", &[("body", "  ")]).await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = console
        .post(
            "/tenants/demo/notes",
            &[("body", "12月に春の同窓会の相談あり")],
        )
        .await;
    assert_eq!(
        added.header("location"),
        Some("/tenants/demo?notice=note_added")
    );
    assert!(console
        .get("/tenants/demo")
        .await
        .body
        .contains("12月に春の同窓会の相談あり"));
    assert_eq!(
        console.get("/tenants/nope").await.status,
        StatusCode::NOT_FOUND
    );
    // The network never sees the console's notes.
    assert!(!office
        .get("/secretariat/support")
        .await
        .body
        .contains("12月に春の同窓会の相談あり"));
}

/// The secret the enrolment page offers (shown in groups of four).
fn offered_secret(body: &str) -> String {
    let start = body
        .find("class=\"totp-secret\">")
        .expect("the offered key")
        + 20;
    let end = start + body[start..].find('<').unwrap();
    body[start..end].replace(' ', "")
}

fn now_unix() -> u64 {
    time::OffsetDateTime::now_utc().unix_timestamp() as u64
}

/// A staff member turns two-factor sign-in on; from then on the password alone opens nothing,
/// a wrong code is refused, and a code is accepted once.
#[tokio::test]
async fn staff_turn_on_two_factor_and_then_sign_in_with_a_code_once() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    let email = "cs-2fa@tsunagu.example";
    staff(&app, email).await;
    let mut console = app.client("console.localhost");
    assert_eq!(
        console.sign_in(email, PASSWORD).await.header("location"),
        Some("/")
    );
    let page = console.get("/two-factor").await;
    assert_eq!(page.status, StatusCode::OK);
    let secret = offered_secret(&page.body);
    assert!(page.body.replace("&#x2F;", "/").contains("otpauth://totp/"));
    let wrong = console.post("/two-factor", &[("code", "000000")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    let code = tsunagu_console::two_factor::code_at(&secret, now_unix()).unwrap();
    let on = console.post("/two-factor", &[("code", &code)]).await;
    assert_eq!(on.header("location"), Some("/?notice=two_factor_on"));
    // On once: the console cannot replace it.
    let mut tx = app.state.db.begin_platform().await.unwrap();
    let id: uuid::Uuid =
        sqlx::query_scalar("select id from platform.staff_users where email_normalized = $1")
            .bind(email)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    let replaced: bool = sqlx::query_scalar("select platform.enable_staff_totp($1, $2)")
        .bind(id)
        .bind("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(!replaced);

    // Signing in now needs the code; the password alone gives no session.
    console.post("/sign-out", &[]).await;
    let signed = console.sign_in(email, PASSWORD).await;
    assert_eq!(signed.header("location"), Some("/sign-in/code"));
    assert_eq!(console.get("/").await.header("location"), Some("/sign-in"));
    let wrong = console.post("/sign-in/code", &[("code", "123456")]).await;
    assert_eq!(wrong.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(wrong.body.contains("コードが正しくありません"));
    // The next step's code (within the accepted drift, and not the one used to enrol).
    let code = tsunagu_console::two_factor::code_at(&secret, now_unix() + 30).unwrap();
    let done = console.post("/sign-in/code", &[("code", &code)]).await;
    assert_eq!(done.header("location"), Some("/"));
    assert_eq!(console.get("/").await.status, StatusCode::OK);

    // The same code again, in a new sign-in: refused (RFC 6238 §5.2).
    console.post("/sign-out", &[]).await;
    console.sign_in(email, PASSWORD).await;
    let replay = console.post("/sign-in/code", &[("code", &code)]).await;
    assert_eq!(replay.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(replay.body.contains("使用済み"));
}

/// Where two-factor sign-in is required (always in production), a staff member without it can
/// reach nothing but the enrolment.
#[tokio::test]
async fn where_two_factor_is_required_staff_without_it_can_only_enrol() {
    let mut app =
        tsunagu_testkit::TestApp::spawn_with(&[("TSUNAGU_STAFF_2FA_REQUIRED", "true")]).await;
    app.apply_repository_tenants().await;
    crate::console::own_address(&mut app);
    let email = "cs-required@tsunagu.example";
    staff(&app, email).await;
    let mut console = app.client("console.localhost");
    assert_eq!(
        console.sign_in(email, PASSWORD).await.header("location"),
        Some("/two-factor")
    );
    for path in ["/", "/playbooks", "/tenants/demo"] {
        assert_eq!(
            console.get(path).await.header("location"),
            Some("/two-factor"),
            "{path}"
        );
    }
    let page = console.get("/two-factor").await;
    assert!(page.body.contains("2 段階認証が必須です"));
    let code =
        tsunagu_console::two_factor::code_at(&offered_secret(&page.body), now_unix()).unwrap();
    console.post("/two-factor", &[("code", &code)]).await;
    assert_eq!(console.get("/").await.status, StatusCode::OK);
}

async fn admin(app: &tsunagu_testkit::TestApp, email: &str) {
    staff_with_role(app, email, "admin").await;
}

/// An administrator adds a staff member, who sets a password through the one-time link and signs
/// in; a cs member cannot administer; disabling ends the account's sessions at once.
#[tokio::test]
async fn administrators_add_and_disable_staff() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    admin(&app, "admin-staff@tsunagu.example").await;
    let mut boss = app.client("console.localhost");
    boss.sign_in("admin-staff@tsunagu.example", PASSWORD).await;

    let refused = boss
        .post(
            "/admin/staff",
            &[("email", "not-an-address"), ("name", ""), ("role", "cs")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    let added = boss
        .post(
            "/admin/staff",
            &[
                ("email", "new-cs@tsunagu.example"),
                ("name", "新人 CS"),
                ("role", "cs"),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::OK);
    let body = added.body.replace("&#x2F;", "/");
    let at = body.find("/welcome?token=").expect("the setup link");
    let link: String = body[at..]
        .chars()
        .take_while(|c| *c != '<' && *c != '"')
        .collect();
    let taken = boss
        .post(
            "/admin/staff",
            &[
                ("email", "new-cs@tsunagu.example"),
                ("name", "x"),
                ("role", "cs"),
            ],
        )
        .await;
    assert_eq!(taken.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The new staff member cannot sign in before choosing a password; then can.
    let mut newcomer = app.client("console.localhost");
    assert_eq!(
        newcomer
            .sign_in("new-cs@tsunagu.example", "anything-at-all-1")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(newcomer.get(&link).await.status, StatusCode::OK);
    let token = link.trim_start_matches("/welcome?token=");
    let differ = newcomer
        .post(
            "/welcome",
            &[
                ("token", token),
                ("password", "a-long-new-password-1"),
                ("password_confirm", "something else"),
            ],
        )
        .await;
    assert_eq!(differ.status, StatusCode::UNPROCESSABLE_ENTITY);
    let set = newcomer
        .post(
            "/welcome",
            &[
                ("token", token),
                ("password", "a-long-new-password-1"),
                ("password_confirm", "a-long-new-password-1"),
            ],
        )
        .await;
    assert_eq!(
        set.header("location"),
        Some("/sign-in?notice=staff_welcome")
    );
    assert_eq!(
        newcomer.get(&link).await.status,
        StatusCode::NOT_FOUND,
        "once"
    );
    assert_eq!(
        newcomer
            .sign_in("new-cs@tsunagu.example", "a-long-new-password-1")
            .await
            .header("location"),
        Some("/")
    );
    // A cs member does not administer.
    assert_eq!(
        newcomer.get("/admin/staff").await.status,
        StatusCode::FORBIDDEN
    );

    // Disabled: the session ends at once and the password opens nothing.
    let id: uuid::Uuid = {
        let mut tx = app.state.db.begin_platform().await.unwrap();
        let id = sqlx::query_scalar(
            "select id from platform.staff_users where email_normalized = 'new-cs@tsunagu.example'",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    let disabled = boss.post(&format!("/admin/staff/{id}/disable"), &[]).await;
    assert_eq!(
        disabled.header("location"),
        Some("/admin/staff?notice=staff_disabled")
    );
    assert_eq!(newcomer.get("/").await.header("location"), Some("/sign-in"));
    assert_eq!(
        newcomer
            .sign_in("new-cs@tsunagu.example", "a-long-new-password-1")
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    // Not one's own account.
    let me: uuid::Uuid = {
        let mut tx = app.state.db.begin_platform().await.unwrap();
        let id = sqlx::query_scalar(
            "select id from platform.staff_users where email_normalized = 'admin-staff@tsunagu.example'",
        )
        .fetch_one(tx.conn())
        .await
        .unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert_eq!(
        boss.post(&format!("/admin/staff/{me}/disable"), &[])
            .await
            .header("location"),
        Some("/admin/staff?notice=cannot_change_self")
    );
    boss.post(&format!("/admin/staff/{id}/enable"), &[]).await;
    assert_eq!(
        newcomer
            .sign_in("new-cs@tsunagu.example", "a-long-new-password-1")
            .await
            .header("location"),
        Some("/")
    );
}

/// An administrator suspends a network (every page 410, nothing deleted), `tenant apply` keeps
/// the suspension, and resuming brings it back; both are in the network's timeline.
#[tokio::test]
async fn administrators_suspend_and_resume_a_network() {
    let mut app = app().await;
    crate::console::own_address(&mut app);
    admin(&app, "admin-tenants@tsunagu.example").await;
    staff(&app, "cs-tenants@tsunagu.example").await;
    let mut cs = app.client("console.localhost");
    cs.sign_in("cs-tenants@tsunagu.example", PASSWORD).await;
    assert_eq!(
        cs.post("/tenants/demo/suspend", &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let mut boss = app.client("console.localhost");
    boss.sign_in("admin-tenants@tsunagu.example", PASSWORD)
        .await;
    let suspended = boss.post("/tenants/demo/suspend", &[]).await;
    assert_eq!(
        suspended.header("location"),
        Some("/tenants/demo?notice=tenant_suspended")
    );
    assert_eq!(
        app.get("demo.localhost", "/").await.status,
        StatusCode::GONE
    );
    // The repository's files say active; the console's suspension stands.
    app.apply_repository_tenants().await;
    app.state.registry.invalidate("demo");
    assert_eq!(
        app.get("demo.localhost", "/").await.status,
        StatusCode::GONE
    );
    boss.post("/tenants/demo/resume", &[]).await;
    assert_eq!(app.get("demo.localhost", "/").await.status, StatusCode::OK);
    let page = boss.get("/tenants/demo").await.body;
    assert!(page.contains("Suspended the network.") && page.contains("Resumed the network."));
}
