//! Self-serve sign-up on the apex site (issue #19, docs/ONBOARDING.md): a company creates its
//! network, confirms the address and lands signed in with the first-week checklist; two
//! companies racing for one subdomain; reserved and malformed subdomains; a pending network
//! serves nothing but its confirmation.

use axum::http::StatusCode;
use tsunagu_testkit::{SmtpSink, TestApp, TestClient};

use crate::identity::PASSWORD;

const APEX: &str = "localhost";

async fn app() -> TestApp {
    let mut app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    // The sign-up limit is per address and platform-wide: each test signs up from its own.
    crate::console::own_address(&mut app);
    app
}

fn form<'a>(company: &'a str, slug: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("company", company),
        ("slug", slug),
        ("name", "山田 花子"),
        ("email", email),
        ("password", PASSWORD),
        ("language", "ja"),
        ("plan", "free"),
    ]
}

async fn sign_up(
    client: &mut TestClient<'_>,
    fields: &[(&str, &str)],
) -> tsunagu_testkit::TestResponse {
    let page = client.get("/start").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    client.post("/start", fields).await
}

/// `(status, origin)` of the network at `slug`, if there is one.
async fn network(app: &TestApp, slug: &str) -> Option<(String, String, String)> {
    let mut tx = app.platform.begin_platform().await.unwrap();
    let row: Option<(String, String, String)> =
        sqlx::query_as("select status, origin, name from platform.tenants where slug = $1")
            .bind(slug)
            .fetch_optional(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    row
}

async fn network_count(app: &TestApp) -> i64 {
    let mut tx = app.platform.begin_platform().await.unwrap();
    let count: i64 = sqlx::query_scalar("select count(*) from platform.tenants")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    count
}

#[tokio::test]
async fn a_company_signs_up_confirms_its_address_and_lands_in_its_network_with_the_checklist() {
    let app = app().await;
    let sink = SmtpSink::start();
    let mut apex = app.client(APEX);

    let landing = apex.get("/").await;
    assert!(landing.body.contains("href=\"/start\""), "{}", landing.body);
    let available = apex.get("/start/availability?slug=Example-Corp").await;
    assert_eq!(available.status, StatusCode::OK);
    assert!(
        available.body.contains("data-availability=\"available\"")
            && available.body.contains("example-corp.localhost"),
        "{}",
        available.body
    );

    let created = sign_up(
        &mut apex,
        &form(
            "Example Corp アルムナイ",
            "example-corp",
            "hanako@example.com",
        ),
    )
    .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    assert_eq!(
        created.header("location"),
        Some("/start/check-email?network=example-corp")
    );
    let check = apex.get("/start/check-email?network=example-corp").await;
    assert!(
        check.body.contains("example-corp.localhost"),
        "{}",
        check.body
    );
    assert_eq!(
        network(&app, "example-corp").await,
        Some((
            "pending".into(),
            "self_serve".into(),
            "Example Corp アルムナイ".into()
        ))
    );
    let taken = apex.get("/start/availability?slug=example-corp").await;
    assert!(
        taken.body.contains("data-availability=\"taken\""),
        "{}",
        taken.body
    );

    // Until the address is confirmed the network shows nothing, and is not listed.
    let mut network_site = app.client("example-corp.localhost");
    assert_eq!(network_site.get("/").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        network_site.get("/sign-in").await.status,
        StatusCode::NOT_FOUND
    );
    assert!(!apex.get("/").await.body.contains("example-corp.localhost"));

    app.deliver_mail(&sink).await;
    let mail = sink
        .to("hanako@example.com")
        .pop()
        .expect("a confirmation email");
    assert!(
        mail.subject.contains("Example Corp アルムナイ"),
        "{}",
        mail.subject
    );
    let link = mail
        .link_containing("/verify-email?token=")
        .expect("a confirmation link");
    let path = link
        .split_once("example-corp.localhost")
        .map(|(_, p)| p.to_owned())
        .expect("a link to the new network");
    let token = path.split_once("token=").unwrap().1.to_owned();
    let confirm = network_site.get(&path).await;
    assert_eq!(confirm.status, StatusCode::OK, "{}", confirm.body);
    assert!(
        confirm.body.contains("name=\"password\""),
        "{}",
        confirm.body
    );
    // Whoever holds the link must also know the password chosen at sign-up: someone who typed
    // another person's address cannot have them open a network whose password they know.
    let refused = network_site
        .post(
            "/verify-email",
            &[("token", &token), ("password", "not the password at all")],
        )
        .await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    assert!(refused.body.contains("password-error"));
    assert_eq!(
        network(&app, "example-corp").await.map(|n| n.0),
        Some("pending".into())
    );
    let opened = network_site
        .post(
            "/verify-email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert_eq!(
        opened.header("location"),
        Some("/secretariat?notice=network_ready")
    );
    assert_eq!(
        network(&app, "example-corp").await.map(|n| n.0),
        Some("active".into())
    );

    // Signed in as the secretariat, with the first-week checklist.
    let workspace = network_site.get("/secretariat?notice=network_ready").await;
    assert_eq!(workspace.status, StatusCode::OK, "{}", workspace.body);
    assert!(workspace.body.contains("最初の1週間"), "{}", workspace.body);
    assert!(workspace.body.contains("ネットワークを開設しました"));
    let home = network_site.get("/").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Example Corp アルムナイ"));

    // The link is used up: a second confirmation opens nothing again.
    let again = network_site
        .post(
            "/verify-email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);

    // The sign-up and the opening are in the network's audit log.
    let tenant = app.tenant_id("example-corp").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let actions: Vec<String> =
        sqlx::query_scalar("select action from audit_events order by action")
            .fetch_all(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert!(
        actions.contains(&"network.signed_up".to_owned()),
        "{actions:?}"
    );
    assert!(
        actions.contains(&"network.opened".to_owned()),
        "{actions:?}"
    );
}

#[tokio::test]
async fn a_company_that_chose_a_paid_plan_lands_on_the_billing_page_on_free() {
    let app = app().await;
    let sink = SmtpSink::start();
    let mut apex = app.client(APEX);
    let mut fields = form("Paid Corp", "paid-corp", "owner@paid.example");
    fields.retain(|(k, _)| *k != "plan");
    fields.push(("plan", "standard"));
    let created = sign_up(&mut apex, &fields).await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let mut site = app.client("paid-corp.localhost");
    let opened = open_from_email(&app, &sink, &mut site, "owner@paid.example").await;
    assert_eq!(
        opened.header("location"),
        Some("/secretariat/billing?notice=network_ready")
    );
    // Nothing is paid yet: the network is on Free.
    let mut tx = app.platform.begin_platform().await.unwrap();
    let plan: String =
        sqlx::query_scalar("select plan from platform.tenants where slug = 'paid-corp'")
            .fetch_one(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(plan, "free");
}

/// Follows the newest confirmation link to `address` and opens the network with the password.
async fn open_from_email(
    app: &TestApp,
    sink: &SmtpSink,
    client: &mut TestClient<'_>,
    address: &str,
) -> tsunagu_testkit::TestResponse {
    app.deliver_mail(sink).await;
    let mail = sink.to(address).pop().expect("a confirmation email");
    let link = mail
        .link_containing("/verify-email?token=")
        .expect("a confirmation link");
    let token = link.split_once("token=").unwrap().1.to_owned();
    let page = client.get(&format!("/verify-email?token={token}")).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    client
        .post(
            "/verify-email",
            &[("token", &token), ("password", PASSWORD)],
        )
        .await
}

#[tokio::test]
async fn signing_up_again_with_the_same_address_and_password_sends_a_new_link() {
    let app = app().await;
    let sink = SmtpSink::start();
    let mut apex = app.client(APEX);
    let fields = form("Again Corp", "again-corp", "owner@again.example");
    assert_eq!(
        sign_up(&mut apex, &fields).await.status,
        StatusCode::SEE_OTHER
    );
    app.deliver_mail(&sink).await;
    assert_eq!(sink.to("owner@again.example").len(), 1);

    // The same person: a second link, nothing else changes.
    let again = sign_up(&mut apex, &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
    app.deliver_mail(&sink).await;
    assert_eq!(sink.to("owner@again.example").len(), 2);
    // Anyone else (another password, another address) finds the address taken.
    let mut other = fields.clone();
    other.retain(|(k, _)| *k != "password");
    other.push(("password", "someone else's password"));
    assert_eq!(
        sign_up(&mut apex, &other).await.status,
        StatusCode::CONFLICT
    );
    let stranger = form("Again Corp", "again-corp", "stranger@again.example");
    assert_eq!(
        sign_up(&mut apex, &stranger).await.status,
        StatusCode::CONFLICT
    );
    app.deliver_mail(&sink).await;
    assert_eq!(sink.to("owner@again.example").len(), 2);
    assert!(sink.to("stranger@again.example").is_empty());

    // The newest link opens it.
    let mut site = app.client("again-corp.localhost");
    let opened = open_from_email(&app, &sink, &mut site, "owner@again.example").await;
    assert_eq!(opened.status, StatusCode::SEE_OTHER, "{}", opened.body);
    assert_eq!(
        network(&app, "again-corp").await.map(|n| n.0),
        Some("active".into())
    );
    // Open now: the address is simply taken.
    assert_eq!(
        sign_up(&mut apex, &fields).await.status,
        StatusCode::CONFLICT
    );
}

#[tokio::test]
async fn two_companies_racing_for_one_subdomain_one_wins_and_the_other_keeps_what_it_typed() {
    let app = app().await;
    let mut first = app.client(APEX);
    let mut second = app.client(APEX);
    first.get("/start").await;
    second.get("/start").await;
    let first_form = form("First Racer KK", "race-corp", "first@racer.example");
    let second_form = form("Second Racer KK", "race-corp", "second@racer.example");
    let (a, b) = tokio::join!(
        first.post("/start", &first_form),
        second.post("/start", &second_form)
    );
    let outcomes = [a.status, b.status];
    assert_eq!(
        outcomes
            .iter()
            .filter(|s| **s == StatusCode::SEE_OTHER)
            .count(),
        1,
        "{outcomes:?}"
    );
    let (loser, loser_company, loser_email) = if a.status == StatusCode::SEE_OTHER {
        (b, "Second Racer KK", "second@racer.example")
    } else {
        (a, "First Racer KK", "first@racer.example")
    };
    assert_eq!(loser.status, StatusCode::CONFLICT, "{}", loser.body);
    assert!(
        loser.body.contains("はすでに使われています"),
        "{}",
        loser.body
    );
    assert!(loser.body.contains(loser_company), "{}", loser.body);
    assert!(loser.body.contains(loser_email));
    assert!(loser.body.contains("value=\"race-corp\""));
    // Never the password.
    assert!(!loser.body.contains(PASSWORD));
    let winner = network(&app, "race-corp").await.unwrap();
    assert_ne!(winner.2, loser_company);
}

/// The unique constraint itself decides when both sign-ups pass the early check: the second
/// insert waits for the first transaction and then fails on `tenants_slug_key`.
#[tokio::test]
async fn the_unique_constraint_decides_a_race_the_early_check_missed() {
    let app = app().await;
    let slug = tsunagu_tenancy::Slug::parse("tie-corp").unwrap();
    let network = |name: &'static str| tsunagu_tenancy::signup_queries::NewNetwork {
        slug: &slug,
        name,
        default_locale: "en",
        time_zone: "Asia/Tokyo",
        chosen_plan: "free",
    };
    let mut first = tsunagu_web::access::begin_new_network(&app.state)
        .await
        .unwrap();
    let mut second = tsunagu_web::access::begin_new_network(&app.state)
        .await
        .unwrap();
    tsunagu_tenancy::signup_queries::create_pending(&mut first, &network("First"))
        .await
        .unwrap();
    let second_insert = tokio::spawn(async move {
        let outcome =
            tsunagu_tenancy::signup_queries::create_pending(&mut second, &network_static()).await;
        let _ = second.rollback().await;
        outcome
            .err()
            .and_then(|e| e.constraint().map(str::to_owned))
    });
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    first.commit().await.unwrap();
    assert_eq!(
        second_insert.await.unwrap().as_deref(),
        Some(tsunagu_tenancy::signup_queries::SLUG_TAKEN_CONSTRAINT)
    );
}

fn network_static() -> tsunagu_tenancy::signup_queries::NewNetwork<'static> {
    static SLUG: std::sync::OnceLock<tsunagu_tenancy::Slug> = std::sync::OnceLock::new();
    tsunagu_tenancy::signup_queries::NewNetwork {
        slug: SLUG.get_or_init(|| tsunagu_tenancy::Slug::parse("tie-corp").unwrap()),
        name: "Second",
        default_locale: "en",
        time_zone: "Asia/Tokyo",
        chosen_plan: "free",
    }
}

#[tokio::test]
async fn reserved_taken_and_malformed_subdomains_are_refused_and_change_nothing() {
    let app = app().await;
    let mut apex = app.client(APEX);
    let before = network_count(&app).await;
    for (slug, message, status) in [
        (
            "console",
            "予約されています",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("www", "予約されています", StatusCode::UNPROCESSABLE_ENTITY),
        ("a", "2〜40文字", StatusCode::UNPROCESSABLE_ENTITY),
        (
            "bad_name",
            "ハイフンのみ使えます",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "bad--name",
            "ハイフンのみ使えます",
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        ("demo", "はすでに使われています", StatusCode::CONFLICT),
    ] {
        let refused = sign_up(
            &mut apex,
            &form("Refused Corp", slug, "refused@refused.example"),
        )
        .await;
        assert_eq!(refused.status, status, "{slug}: {}", refused.body);
        assert!(refused.body.contains(message), "{slug}: {}", refused.body);
        assert!(refused.body.contains("Refused Corp"));
        assert!(refused.body.contains("aria-invalid=\"true\""));
    }
    // Other fields are checked too, and answered together.
    let mut fields = form("", "fine-corp", "not-an-address");
    fields.retain(|(k, _)| *k != "password");
    let refused = sign_up(&mut apex, &fields).await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    for id in ["company-error", "email-error", "password-error"] {
        assert!(refused.body.contains(id), "{id}: {}", refused.body);
    }
    assert_eq!(network_count(&app).await, before);

    for (slug, state) in [("console", "invalid"), ("x", "invalid"), ("demo", "taken")] {
        let answer = apex.get(&format!("/start/availability?slug={slug}")).await;
        assert!(
            answer
                .body
                .contains(&format!("data-availability=\"{state}\"")),
            "{slug}: {}",
            answer.body
        );
    }
}

#[tokio::test]
async fn the_sign_up_is_only_on_the_apex_site() {
    let app = app().await;
    let mut tenant_site = app.client("demo.localhost");
    assert_eq!(
        tenant_site.get("/start").await.status,
        StatusCode::NOT_FOUND
    );
    let mut console = app.client("console.localhost");
    assert_eq!(console.get("/start").await.status, StatusCode::NOT_FOUND);
}
