//! Identity over HTTP against real PostgreSQL, Redis and an SMTP server: joining, verification,
//! approval, sign-in and out, password reset, sessions and rate limits, and isolation between
//! tenants.

use axum::http::StatusCode;
use tsunagu_testkit::{MemberFixture, SmtpSink, TestApp, TestClient};

pub const PASSWORD: &str = "a long enough password";

pub async fn app() -> TestApp {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    app
}

pub async fn secretariat(app: &TestApp, slug: &str, email: &str) -> tsunagu_kernel::MemberId {
    app.create_member(
        slug,
        MemberFixture {
            email,
            password: PASSWORD,
            kind: "employee",
            role: "secretariat",
            status: "active",
            name: "事務局 花子",
        },
    )
    .await
}

pub async fn active_member(app: &TestApp, slug: &str, email: &str) -> tsunagu_kernel::MemberId {
    app.create_member(
        slug,
        MemberFixture {
            email,
            password: PASSWORD,
            kind: "alumni",
            role: "member",
            status: "active",
            name: "会員 一郎",
        },
    )
    .await
}

pub async fn join(
    client: &mut TestClient<'_>,
    email: &str,
    kind: &str,
    name: &str,
) -> tsunagu_testkit::TestResponse {
    client.get("/join").await;
    client
        .post(
            "/join",
            &[
                ("email", email),
                ("password", PASSWORD),
                ("kind", kind),
                ("name_kanji", name),
                ("name_kana", "やまだ たろう"),
                ("name_romaji", "Taro Yamada"),
                ("joined_year", "2012"),
                ("left_year", "2020"),
                ("department", "営業部"),
                ("current_organisation", "株式会社つぎ"),
            ],
        )
        .await
}

/// Follows the verification link of the newest email to `address`: GET the page, POST its form.
pub(crate) async fn verify_from_email(
    app: &TestApp,
    sink: &SmtpSink,
    client: &mut TestClient<'_>,
    address: &str,
) -> tsunagu_testkit::TestResponse {
    app.deliver_mail(sink).await;
    let mail = sink.to(address).pop().expect("a verification email");
    let link = mail
        .link_containing("/verify-email?token=")
        .expect("a verification link");
    let path = link
        .split_once(&client.host)
        .map(|(_, p)| p.to_owned())
        .expect("link to this host");
    let token = path.split_once("token=").unwrap().1.to_owned();
    let page = client.get(&path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    client.post("/verify-email", &[("token", &token)]).await
}

async fn member_status(app: &TestApp, slug: &str, email: &str) -> Option<String> {
    let tenant = app.tenant_id(slug).await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let m = tsunagu_identity::queries::find_by_email(&mut tx, &email.to_lowercase())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    m.map(|m| m.status.to_string())
}

#[tokio::test]
async fn alumni_join_verify_wait_for_approval_then_sign_in() {
    let app = app().await;
    let sink = SmtpSink::start();
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut alumni = app.client("demo.localhost");

    let joined = join(&mut alumni, "Taro@Example.jp", "alumni", "山田 太郎").await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    assert_eq!(joined.header("location"), Some("/join/check-email"));
    assert_eq!(
        member_status(&app, "demo", "taro@example.jp")
            .await
            .as_deref(),
        Some("pending_verification")
    );

    // Cannot sign in before verifying.
    let early = alumni.sign_in("taro@example.jp", PASSWORD).await;
    assert_eq!(early.status, StatusCode::FORBIDDEN);

    let verified = verify_from_email(&app, &sink, &mut alumni, "Taro@Example.jp").await;
    assert_eq!(verified.status, StatusCode::OK);
    assert_eq!(
        member_status(&app, "demo", "taro@example.jp")
            .await
            .as_deref(),
        Some("pending_approval")
    );
    // The verification email was in Japanese (the page language), with text and HTML parts.
    let mail = &sink.to("Taro@Example.jp")[0];
    assert!(
        mail.subject
            .chars()
            .any(|c| ('\u{3040}'..='\u{30ff}').contains(&c)),
        "{}",
        mail.subject
    );
    assert!(mail.html.contains("<html") && mail.html.contains("verify-email?token="));
    assert!(mail.from.contains("デモ株式会社"), "{}", mail.from);

    // Waiting for the secretariat.
    let waiting = alumni.sign_in("taro@example.jp", PASSWORD).await;
    assert_eq!(waiting.status, StatusCode::FORBIDDEN);

    let mut office = app.client("demo.localhost");
    assert_eq!(
        office
            .sign_in("office@demo.example.co.jp", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let queue = office.get("/secretariat/approvals").await;
    assert_eq!(queue.status, StatusCode::OK);
    assert!(queue.body.contains("山田 太郎"));
    let id = {
        let tenant = app.tenant_id("demo").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
            .await
            .unwrap();
        let m = tsunagu_identity::queries::find_by_email(&mut tx, "taro@example.jp")
            .await
            .unwrap()
            .unwrap();
        tx.commit().await.unwrap();
        m.id
    };
    let approved = office
        .post(&format!("/secretariat/approvals/{id}/approve"), &[])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);
    app.deliver_mail(&sink).await;
    assert_eq!(
        sink.to("Taro@Example.jp").len(),
        2,
        "verification, then approval"
    );

    let signed_in = alumni.sign_in("TARO@example.jp", PASSWORD).await;
    assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tsunagu_session="))
        .expect("a session cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax") && cookie.contains("Path=/")
    );
    assert!(
        !cookie.to_ascii_lowercase().contains("domain="),
        "host-only"
    );
    let session_id = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    assert_eq!(session_id.len(), 64, "256-bit session ids");

    let home = alumni.get("/").await;
    assert!(
        home.body.contains("山田 太郎"),
        "the member's name in the header"
    );
    assert!(home.body.contains("お知らせ"), "members see the network");

    // The audit log has the approval.
    let audit = office.get("/secretariat/audit").await;
    assert!(audit.body.contains("山田 太郎"));
}

#[tokio::test]
async fn employees_at_a_company_domain_are_active_after_verifying() {
    let app = app().await;
    let sink = SmtpSink::start();
    let mut employee = app.client("demo.localhost");
    let refused = join(
        &mut employee,
        "hanako@gmail.example",
        "employee",
        "鈴木 花子",
    )
    .await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.body.contains("aria-invalid=\"true\""));
    assert_eq!(
        member_status(&app, "demo", "hanako@gmail.example").await,
        None,
        "nothing created"
    );

    let joined = join(
        &mut employee,
        "hanako@demo.example.co.jp",
        "employee",
        "鈴木 花子",
    )
    .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    verify_from_email(&app, &sink, &mut employee, "hanako@demo.example.co.jp").await;
    assert_eq!(
        member_status(&app, "demo", "hanako@demo.example.co.jp")
            .await
            .as_deref(),
        Some("active")
    );
    assert_eq!(
        employee
            .sign_in("hanako@demo.example.co.jp", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert!(employee
        .get("/account")
        .await
        .body
        .contains("hanako@demo.example.co.jp"));
}

#[tokio::test]
async fn invalid_join_forms_show_errors_and_change_nothing() {
    let app = app().await;
    let mut visitor = app.client("acme.localhost");
    visitor.get("/join").await;
    let long_name = "x".repeat(101);
    for (field, value) in [
        ("email", "not-an-address"),
        ("password", "short"),
        ("name_kanji", ""),
        ("name_kanji", long_name.as_str()),
        ("joined_year", "1700"),
        ("kind", "ceo"),
    ] {
        let mut fields = vec![
            ("email", "ok@example.org"),
            ("password", PASSWORD),
            ("kind", "alumni"),
            ("name_kanji", "Pat Doe"),
        ];
        fields.retain(|(k, _)| *k != field);
        fields.push((field, value));
        let response = visitor.post("/join", &fields).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}={value}"
        );
        assert!(
            response.body.contains("field-error"),
            "{field}: a message next to the field"
        );
    }
    assert_eq!(member_status(&app, "acme", "ok@example.org").await, None);
}

#[tokio::test]
async fn an_address_in_use_gets_the_same_answer_and_its_owner_an_email() {
    let app = app().await;
    let sink = SmtpSink::start();
    active_member(&app, "demo", "kenji@example.jp").await;
    let mut visitor = app.client("demo.localhost");
    let again = join(&mut visitor, "KENJI@example.jp", "alumni", "偽 健二").await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(again.header("location"), Some("/join/check-email"));
    app.deliver_mail(&sink).await;
    let mails = sink.to("kenji@example.jp");
    assert_eq!(mails.len(), 1);
    assert!(mails[0].link_containing("/sign-in").is_some());

    // The same address may hold a separate account in another tenant.
    let mut elsewhere = app.client("acme.localhost");
    assert_eq!(
        join(&mut elsewhere, "kenji@example.jp", "alumni", "Kenji")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        member_status(&app, "acme", "kenji@example.jp")
            .await
            .as_deref(),
        Some("pending_verification")
    );
    assert_eq!(
        member_status(&app, "demo", "kenji@example.jp")
            .await
            .as_deref(),
        Some("active")
    );
}

#[tokio::test]
async fn wrong_address_and_wrong_password_look_the_same() {
    let app = app().await;
    active_member(&app, "demo", "real@example.jp").await;
    let mut a = app.client("demo.localhost");
    let wrong_password = a
        .sign_in("real@example.jp", "not the password at all")
        .await;
    let mut b = app.client("demo.localhost");
    let unknown = b
        .sign_in("nobody@example.jp", "not the password at all")
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status, wrong_password.status);
    let message = |body: &str| {
        body.split("role=\"alert\"")
            .nth(1)
            .and_then(|s| s.split("</div>").next())
            .map(str::to_owned)
    };
    assert!(message(&unknown.body).is_some());
    assert_eq!(message(&wrong_password.body), message(&unknown.body));
    assert!(!a.cookies.contains_key("tsunagu_session"));
}

#[tokio::test]
async fn sign_in_is_rate_limited_per_account_and_per_client() {
    use tsunagu_identity::handlers::sign_in::{CLIENT_LIMIT, PAIR};
    let app = app().await;
    active_member(&app, "demo", "target@example.jp").await;
    let mut attacker = app.client("demo.localhost");
    for _ in 0..PAIR.free {
        let r = attacker
            .sign_in("target@example.jp", "wrong password guess")
            .await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let limited = attacker
        .sign_in("target@example.jp", "wrong password guess")
        .await;
    assert_eq!(limited.status, StatusCode::TOO_MANY_REQUESTS);
    // From the same address even the right password waits: the throttle is per account and
    // address, so guessing cannot go on (a member elsewhere is unaffected, see
    // a_stranger_cannot_lock_a_member_out).
    let mut same_address = app.client("demo.localhost");
    assert_eq!(
        same_address
            .sign_in("target@example.jp", PASSWORD)
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another tenant's account with no failures is unaffected.
    active_member(&app, "acme", "target@example.jp").await;
    let mut other = app.client("acme.localhost");
    assert_eq!(
        other.sign_in("target@example.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );

    // Per client address: many accounts from one address.
    let mut sprayer = app.client("acme.localhost");
    let mut last = StatusCode::OK;
    for i in 0..=CLIENT_LIMIT {
        last = sprayer
            .sign_in(&format!("user{i}@example.org"), "guess guess guess")
            .await
            .status;
    }
    assert_eq!(last, StatusCode::TOO_MANY_REQUESTS);
}

/// An app that believes `X-Forwarded-For` from the in-process peer, so that clients made with
/// `.from_address(…)` are different visitors.
async fn app_behind_proxy() -> TestApp {
    let app = TestApp::spawn_with(&[("TSUNAGU_TRUSTED_PROXIES", "127.0.0.1")]).await;
    app.apply_repository_tenants().await;
    app
}

/// The text of the form's alert.
fn alert(body: &str) -> String {
    body.split("role=\"alert\"")
        .nth(1)
        .and_then(|s| s.split("</div>").next())
        .map(|s| s.rsplit('>').next().unwrap_or_default().trim().to_owned())
        .unwrap_or_default()
}

fn retry_after(response: &tsunagu_testkit::TestResponse) -> u64 {
    response
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("a Retry-After header: {:?}", response.headers))
}

/// Lets the open wait of `email` from `ip` run out (instead of sleeping through it).
async fn let_the_wait_pass(app: &TestApp, slug: &str, email: &str, ip: &str) {
    let key = tsunagu_identity::handlers::sign_in::pair_key(
        app.tenant_id(slug).await,
        email,
        ip.parse().unwrap(),
    );
    let mut conn = app.state.redis.get().await.unwrap();
    let removed: i64 = redis::cmd("DEL")
        .arg(tsunagu_web::rate_limit::wait_key(&key))
        .query_async(&mut *conn)
        .await
        .unwrap();
    assert_eq!(removed, 1, "a wait was open");
}

#[tokio::test]
async fn a_stranger_cannot_lock_a_member_out() {
    use tsunagu_identity::handlers::sign_in::PAIR;
    let app = app_behind_proxy().await;
    active_member(&app, "demo", "member@example.jp").await;

    let mut stranger = app.client("demo.localhost").from_address("203.0.113.66");
    let mut statuses = Vec::new();
    for _ in 0..20 {
        statuses.push(
            stranger
                .sign_in("member@example.jp", "is it this one?")
                .await
                .status,
        );
    }
    let failed = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNPROCESSABLE_ENTITY)
        .count();
    assert_eq!(failed as u32, PAIR.free, "{statuses:?}");
    assert_eq!(statuses[19], StatusCode::TOO_MANY_REQUESTS);
    // The stranger's own address stays throttled, right password or not.
    assert_eq!(
        stranger.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The member, from home, on a browser that never signed in before, is not affected.
    let mut member = app.client("demo.localhost").from_address("198.51.100.7");
    let signed_in = member.sign_in("member@example.jp", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    assert_eq!(member.get("/account").await.status, StatusCode::OK);
    // Nor is the member with an IPv6 address whose neighbour in the same /64 is the stranger.
    let mut v6_stranger = app
        .client("demo.localhost")
        .from_address("2001:db8:5:6::bad");
    for _ in 0..=PAIR.free {
        v6_stranger.sign_in("member@example.jp", "guess").await;
    }
    let mut v6_neighbour = app.client("demo.localhost").from_address("2001:db8:5:6::1");
    assert_eq!(
        v6_neighbour
            .sign_in("member@example.jp", "guess")
            .await
            .status,
        StatusCode::TOO_MANY_REQUESTS,
        "one /64 is one visitor"
    );
}

#[tokio::test]
async fn failures_from_one_address_wait_longer_each_time() {
    use tsunagu_identity::handlers::sign_in::PAIR;
    let app = app_behind_proxy().await;
    active_member(&app, "demo", "slow@example.jp").await;
    let ip = "203.0.113.9";
    let mut guesser = app.client("demo.localhost").from_address(ip);
    for _ in 0..PAIR.free {
        let r = guesser.sign_in("slow@example.jp", "not it").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    // 30 s, then 1 min, then 2 min: each further failure doubles the wait.
    for (expected, message) in [
        (30, "30秒ほどたってから"),
        (60, "1分ほどたってから"),
        (120, "2分ほどたってから"),
    ] {
        let refused = guesser.sign_in("slow@example.jp", "not it").await;
        assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
        let wait = retry_after(&refused);
        assert!(
            (expected - 2..=expected).contains(&wait),
            "waited {wait} s, expected {expected}"
        );
        let text = alert(&refused.body);
        assert!(text.contains(message), "{text}");
        // A refused attempt is not counted: refused again, the wait does not grow.
        let again = guesser.sign_in("slow@example.jp", "not it").await;
        assert!(retry_after(&again) <= expected);
        let_the_wait_pass(&app, "demo", "slow@example.jp", ip).await;
        let r = guesser.sign_in("slow@example.jp", "not it").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let refused = guesser.sign_in("slow@example.jp", "not it").await;
    assert!((238..=240).contains(&retry_after(&refused)));

    // Once the wait is over, the right password signs in and the slate is clean.
    let_the_wait_pass(&app, "demo", "slow@example.jp", ip).await;
    assert_eq!(
        guesser.sign_in("slow@example.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    for _ in 0..PAIR.free {
        let r = guesser.sign_in("slow@example.jp", "a typo").await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    }

    // In English, in seconds under a minute.
    active_member(&app, "acme", "slow@example.org").await;
    let mut english = app.client("acme.localhost").from_address("203.0.113.10");
    for _ in 0..PAIR.free {
        english.sign_in("slow@example.org", "not it").await;
    }
    let refused = english.sign_in("slow@example.org", "not it").await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        alert(&refused.body),
        "Too many attempts. Please try again in 30 seconds."
    );
}

#[tokio::test]
async fn the_account_ceiling_spares_browsers_that_signed_in_before() {
    use tsunagu_identity::handlers::sign_in::{ACCOUNT_CEILING, PAIR};
    let app = app_behind_proxy().await;
    let sink = SmtpSink::start();
    active_member(&app, "demo", "famous@example.jp").await;

    // The member's laptop signs in once: it is remembered, by a host-only cookie.
    let mut laptop = app.client("demo.localhost").from_address("198.51.100.20");
    let first = laptop.sign_in("famous@example.jp", PASSWORD).await;
    assert_eq!(first.status, StatusCode::SEE_OTHER);
    let device = first
        .headers
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("tsunagu_device="))
        .expect("a known-device cookie")
        .to_owned();
    assert!(
        device.contains("HttpOnly") && device.contains("SameSite=Lax") && device.contains("Path=/"),
        "{device}"
    );
    assert!(
        !device.to_ascii_lowercase().contains("domain="),
        "host-only"
    );
    let max_age: u64 = device
        .split("Max-Age=")
        .nth(1)
        .and_then(|v| v.split(';').next())
        .and_then(|v| v.parse().ok())
        .unwrap();
    assert!(max_age >= 180 * 24 * 3600, "long-lived: {max_age}");
    laptop.post("/sign-out", &[]).await;
    assert!(
        laptop.cookies.contains_key("tsunagu_device"),
        "kept after signing out"
    );

    // Many addresses, each within its own free attempts, reach the account's ceiling.
    let addresses = ACCOUNT_CEILING.div_ceil(PAIR.free);
    for i in 0..addresses {
        let mut bot = app
            .client("demo.localhost")
            .from_address(&format!("203.0.113.{}", i + 1));
        for _ in 0..PAIR.free {
            let r = bot.sign_in("famous@example.jp", "password123").await;
            assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
        }
    }

    // A browser that never signed in to the account is refused, even with the right password.
    let mut new_phone = app.client("demo.localhost").from_address("192.0.2.50");
    let refused = new_phone.sign_in("famous@example.jp", PASSWORD).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(retry_after(&refused) > 3600);
    assert!(
        alert(&refused.body).contains("時間ほどたってから"),
        "{}",
        alert(&refused.body)
    );
    // The laptop is not: a typo is just a typo, and the right password signs in.
    assert_eq!(
        laptop.sign_in("famous@example.jp", "a typo").await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        laptop.sign_in("famous@example.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    // A mark copied from another account's browser does not count for this one.
    active_member(&app, "demo", "someone@example.jp").await;
    let mut someone = app.client("demo.localhost").from_address("198.51.100.30");
    someone.sign_in("someone@example.jp", PASSWORD).await;
    let mut borrowed = app.client("demo.localhost").from_address("192.0.2.52");
    borrowed.cookies.insert(
        "tsunagu_device".into(),
        someone.cookies["tsunagu_device"].clone(),
    );
    assert_eq!(
        borrowed.sign_in("famous@example.jp", PASSWORD).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    // The new phone gets in through a password reset: the emailed link proves the mailbox and
    // marks the browser that uses it.
    new_phone
        .post("/forgot-password", &[("email", "famous@example.jp")])
        .await;
    app.deliver_mail(&sink).await;
    let link = sink.to("famous@example.jp")[0]
        .link_containing("/reset-password?token=")
        .unwrap();
    let token = link.split_once("token=").unwrap().1.to_owned();
    let reset = new_phone
        .post(
            "/reset-password",
            &[("token", &token), ("password", "a fresh password here")],
        )
        .await;
    assert_eq!(reset.status, StatusCode::SEE_OTHER);
    assert_eq!(
        new_phone
            .sign_in("famous@example.jp", "a fresh password here")
            .await
            .status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn emailed_links_use_the_configured_origin_not_the_request_host() {
    let app = TestApp::spawn_with(&[("TSUNAGU_PUBLIC_PORT", "8443")]).await;
    app.apply_repository_tenants().await;
    let sink = SmtpSink::start();
    active_member(&app, "demo", "existing@example.jp").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let forged = "demo.localhost:1337";

    // Password reset, "account exists", verification (and its resend).
    let mut visitor = app.client(forged);
    visitor
        .post("/forgot-password", &[("email", "existing@example.jp")])
        .await;
    join(&mut visitor, "existing@example.jp", "alumni", "偽 太郎").await;
    let joined = join(&mut visitor, "fresh@example.jp", "alumni", "新規 花子").await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER);
    visitor
        .post("/verify-email/resend", &[("email", "fresh@example.jp")])
        .await;

    // The secretariat's invitation and approval emails, from a forged host too.
    let mut office = app.client(forged);
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    office
        .post(
            "/secretariat/invitations",
            &[("emails", "guest@example.jp"), ("kind", "alumni")],
        )
        .await;
    let pending = app
        .create_member(
            "demo",
            MemberFixture {
                email: "waiting@example.jp",
                password: PASSWORD,
                kind: "alumni",
                role: "member",
                status: "pending_approval",
                name: "承認 待子",
            },
        )
        .await;
    let approved = office
        .post(&format!("/secretariat/approvals/{pending}/approve"), &[])
        .await;
    assert_eq!(approved.status, StatusCode::SEE_OTHER);

    app.deliver_mail(&sink).await;
    let origin = "http://demo.localhost:8443/";
    for (to, needle) in [
        ("existing@example.jp", "/reset-password?token="),
        ("existing@example.jp", "/sign-in"),
        ("fresh@example.jp", "/verify-email?token="),
        ("guest@example.jp", "/join?invitation="),
        ("waiting@example.jp", "/sign-in"),
    ] {
        let mails = sink.to(to);
        let links: Vec<String> = mails
            .iter()
            .filter_map(|m| m.link_containing(needle))
            .collect();
        assert!(!links.is_empty(), "{to}: no {needle} link in {mails:?}");
        for link in links {
            assert!(link.starts_with(origin), "{to}: {link}");
        }
    }
    let fresh = sink.to("fresh@example.jp");
    assert_eq!(fresh.len(), 2, "the verification email and its resend");
    for mail in sink.messages() {
        assert!(
            !mail.text.contains("1337") && !mail.html.contains("1337"),
            "the request's port leaked into {}: {}",
            mail.subject,
            mail.text
        );
        assert!(
            mail.html.replace("&#x2F;", "/").contains(origin),
            "the HTML part links to the origin too: {}",
            mail.subject
        );
    }
}

#[tokio::test]
async fn a_member_of_one_tenant_is_a_stranger_in_another() {
    let app = app().await;
    active_member(&app, "demo", "only-demo@example.jp").await;
    let mut at_acme = app.client("acme.localhost");
    assert_eq!(
        at_acme
            .sign_in("only-demo@example.jp", PASSWORD)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // A's session cookie presented at B is anonymous there.
    let mut at_demo = app.client("demo.localhost");
    assert_eq!(
        at_demo
            .sign_in("only-demo@example.jp", PASSWORD)
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(at_demo.get("/account").await.status, StatusCode::OK);
    let mut stolen = app.client("acme.localhost");
    stolen.cookies = at_demo.cookies.clone();
    let response = stolen.get("/account").await;
    assert_eq!(response.status, StatusCode::SEE_OTHER);
    assert_eq!(response.header("location"), Some("/sign-in?next=/account"));
    assert!(!stolen.get("/").await.body.contains("会員 一郎"));
}

#[tokio::test]
async fn sign_out_and_sign_out_everywhere() {
    let app = app().await;
    active_member(&app, "demo", "two@example.jp").await;
    let mut laptop = app.client("demo.localhost");
    let mut phone = app.client("demo.localhost");
    laptop.sign_in("two@example.jp", PASSWORD).await;
    phone.sign_in("two@example.jp", PASSWORD).await;
    assert_ne!(
        laptop.cookies.get("tsunagu_session"),
        phone.cookies.get("tsunagu_session")
    );

    let out = laptop.post("/sign-out", &[]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        phone.get("/account").await.status,
        StatusCode::OK,
        "the other session lives on"
    );

    laptop.sign_in("two@example.jp", PASSWORD).await;
    let everywhere = phone.post("/account/sign-out-everywhere", &[]).await;
    assert_eq!(everywhere.status, StatusCode::SEE_OTHER);
    assert_eq!(laptop.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(phone.get("/account").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn a_session_id_from_before_sign_in_is_never_reused() {
    let app = app().await;
    active_member(&app, "demo", "fixation@example.jp").await;
    let mut victim = app.client("demo.localhost");
    let planted = "ab".repeat(32);
    victim
        .cookies
        .insert("tsunagu_session".into(), planted.clone());
    victim.sign_in("fixation@example.jp", PASSWORD).await;
    assert_ne!(victim.cookies.get("tsunagu_session"), Some(&planted));
    let mut attacker = app.client("demo.localhost");
    attacker.cookies.insert("tsunagu_session".into(), planted);
    assert_eq!(attacker.get("/account").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn password_reset_is_single_use_and_ends_sessions() {
    let app = app().await;
    let sink = SmtpSink::start();
    active_member(&app, "acme", "forgetful@example.org").await;
    let mut old_session = app.client("acme.localhost");
    old_session.sign_in("forgetful@example.org", PASSWORD).await;

    let mut visitor = app.client("acme.localhost");
    visitor.get("/forgot-password").await;
    let known = visitor
        .post("/forgot-password", &[("email", "forgetful@example.org")])
        .await;
    let unknown = visitor
        .post("/forgot-password", &[("email", "ghost@example.org")])
        .await;
    assert_eq!(known.status, StatusCode::OK);
    assert_eq!(unknown.status, StatusCode::OK);
    assert_eq!(
        known.body.replace(char::is_whitespace, "").len(),
        unknown.body.replace(char::is_whitespace, "").len()
    );
    app.deliver_mail(&sink).await;
    assert!(sink.to("ghost@example.org").is_empty());
    let mail = sink
        .to("forgetful@example.org")
        .pop()
        .expect("a reset email");
    assert!(
        mail.subject.is_ascii(),
        "acme emails are in English: {}",
        mail.subject
    );
    let link = mail.link_containing("/reset-password?token=").unwrap();
    let token = link.split_once("token=").unwrap().1.to_owned();

    assert_eq!(
        visitor
            .get(&format!("/reset-password?token={token}"))
            .await
            .status,
        StatusCode::OK
    );
    let weak = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", "short")],
        )
        .await;
    assert_eq!(weak.status, StatusCode::UNPROCESSABLE_ENTITY);
    let done = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", "a brand new password")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    let reused = visitor
        .post(
            "/reset-password",
            &[("token", &token), ("password", "another new password")],
        )
        .await;
    assert_eq!(reused.status, StatusCode::NOT_FOUND, "single use");

    assert_eq!(
        old_session.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "sessions ended"
    );
    let mut fresh = app.client("acme.localhost");
    assert_eq!(
        fresh
            .sign_in("forgetful@example.org", PASSWORD)
            .await
            .status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        fresh
            .sign_in("forgetful@example.org", "a brand new password")
            .await
            .status,
        StatusCode::SEE_OTHER
    );

    // Tokens are stored hashed, and an expired one does not work.
    let tenant = app.tenant_id("acme").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let stored: i64 = sqlx::query_scalar(
        "select count(*) from member_tokens where token_hash = decode($1, 'escape')",
    )
    .bind(&token)
    .fetch_one(tx.conn())
    .await
    .unwrap();
    assert_eq!(stored, 0, "the raw token is not stored");
    tx.commit().await.unwrap();
    visitor
        .post("/forgot-password", &[("email", "forgetful@example.org")])
        .await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    sqlx::query(
        "update member_tokens set expires_at = now() - interval '1 minute' where used_at is null",
    )
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.deliver_mail(&sink).await;
    let link = sink
        .to("forgetful@example.org")
        .pop()
        .unwrap()
        .link_containing("token=")
        .unwrap();
    let token = link.split_once("token=").unwrap().1.to_owned();
    assert_eq!(
        visitor
            .get(&format!("/reset-password?token={token}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_members_language_choice_follows_them() {
    let app = app().await;
    active_member(&app, "demo", "polyglot@example.jp").await;
    let mut member = app.client("demo.localhost");
    member.sign_in("polyglot@example.jp", PASSWORD).await;
    assert!(member.get("/").await.body.contains("<html lang=\"ja\">"));
    member.post("/account/language", &[("lang", "en")]).await;
    assert!(member.get("/").await.body.contains("<html lang=\"en\">"));
    // A new session (another device) starts in the member's language.
    let mut other_device = app.client("demo.localhost");
    other_device.sign_in("polyglot@example.jp", PASSWORD).await;
    assert!(other_device
        .get("/account")
        .await
        .body
        .contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn links_from_one_tenant_do_nothing_at_another() {
    let app = app().await;
    let sink = SmtpSink::start();
    active_member(&app, "demo", "links@example.jp").await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let mut demo = app.client("demo.localhost");
    demo.post("/forgot-password", &[("email", "links@example.jp")])
        .await;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    office
        .post(
            "/secretariat/invitations",
            &[("emails", "guest@example.jp"), ("kind", "alumni")],
        )
        .await;
    let mut joiner = app.client("demo.localhost");
    join(&mut joiner, "newbie@example.jp", "alumni", "新人 太郎").await;
    app.deliver_mail(&sink).await;

    let token_of = |address: &str, needle: &str| {
        let link = sink
            .to(address)
            .pop()
            .unwrap()
            .link_containing(needle)
            .unwrap();
        link.split_once('=').unwrap().1.to_owned()
    };
    let reset = token_of("links@example.jp", "reset-password");
    let invitation = token_of("guest@example.jp", "invitation=");
    let verify = token_of("newbie@example.jp", "verify-email");

    let mut acme = app.client("acme.localhost");
    assert_eq!(
        acme.get(&format!("/reset-password?token={reset}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.post(
            "/reset-password",
            &[("token", &reset), ("password", "hijacked password")]
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.get(&format!("/join?invitation={invitation}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.get(&format!("/verify-email?token={verify}"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        acme.post("/verify-email", &[("token", &verify)])
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // At home they still work.
    assert_eq!(
        demo.get(&format!("/reset-password?token={reset}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        demo.get(&format!("/join?invitation={invitation}"))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        member_status(&app, "demo", "newbie@example.jp")
            .await
            .as_deref(),
        Some("pending_verification")
    );
}

#[tokio::test]
async fn sessions_live_under_the_tenants_redis_prefix() {
    let app = app().await;
    let member = active_member(&app, "acme", "keys@example.org").await;
    let mut client = app.client("acme.localhost");
    client.sign_in("keys@example.org", PASSWORD).await;
    let id = client.cookies.get("tsunagu_session").cloned().unwrap();
    let tenant = app.tenant_id("acme").await;
    let mut conn = app.state.redis.get().await.unwrap();
    let key = format!(
        "t:{{{tenant}}}:session:{}",
        tsunagu_kernel::tokens::token_hash_hex(&id)
    );
    let stored: Option<String> = redis::cmd("GET")
        .arg(&key)
        .query_async(&mut *conn)
        .await
        .unwrap();
    let stored = stored.expect("the session is stored under the tenant's prefix, by hash");
    assert!(stored.contains(&member.to_string()));
    assert!(!stored.contains(&id), "the raw id is not stored");
    let ttl: i64 = redis::cmd("TTL")
        .arg(&key)
        .query_async(&mut *conn)
        .await
        .unwrap();
    assert!(ttl > 0 && ttl <= tsunagu_web::session::IDLE_TIMEOUT.as_secs() as i64);
}

/// Sign-up checks the address and then inserts; two sign-ups with one address at the same moment
/// both pass the check, and the unique constraint decides. Every one of them gets the ordinary
/// "check your email" page (never a 500, and no hint of which won), and one member exists.
#[tokio::test]
async fn concurrent_sign_ups_with_one_address_make_one_member() {
    let app = app().await;
    let mut clients: Vec<TestClient<'_>> = (0..4).map(|_| app.client("demo.localhost")).collect();
    for client in &mut clients {
        client.get("/join").await;
    }
    let answers = futures_util::future::join_all(
        clients
            .iter_mut()
            .map(|client| join(client, "Twice@Example.jp", "alumni", "同時 登録")),
    )
    .await;
    for answer in &answers {
        assert_eq!(answer.status, StatusCode::SEE_OTHER, "{}", answer.body);
        assert_eq!(answer.header("location"), Some("/join/check-email"));
    }
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let count: i64 = sqlx::query_scalar(
        "select count(*) from members where email_normalized = 'twice@example.jp'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(count, 1);
}
