//! The secretariat area: permissions, the other tenant's ids, invitations, member status and
//! role changes, audit.

use axum::http::StatusCode;
use tsunagu_testkit::{SmtpSink, TestApp};

use crate::identity::{active_member, app, secretariat, PASSWORD};

async fn find_member(app: &TestApp, slug: &str, email: &str) -> tsunagu_identity::queries::Member {
    let tenant = app.tenant_id(slug).await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, tsunagu_kernel::Actor::System)
        .await
        .unwrap();
    let m = tsunagu_identity::queries::find_by_email(&mut tx, email)
        .await
        .unwrap()
        .unwrap();
    tx.commit().await.unwrap();
    m
}

const PAGES: &[&str] = &[
    "/secretariat",
    "/secretariat/approvals",
    "/secretariat/invitations",
    "/secretariat/members",
    "/secretariat/members.csv",
    "/secretariat/audit",
    "/secretariat/audit.csv",
];

#[tokio::test]
async fn only_the_secretariat_may_enter() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    active_member(&app, "demo", "member@example.jp").await;

    let mut anonymous = app.client("demo.localhost");
    for page in PAGES {
        let r = anonymous.get(page).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{page}");
        assert!(r.header("location").unwrap().starts_with("/sign-in?next="));
    }
    let mut member = app.client("demo.localhost");
    member.sign_in("member@example.jp", PASSWORD).await;
    for page in PAGES {
        assert_eq!(
            member.get(page).await.status,
            StatusCode::FORBIDDEN,
            "{page}"
        );
    }
    let target = find_member(&app, "demo", "office@demo.example.co.jp")
        .await
        .id;
    let r = member
        .post(
            &format!("/secretariat/members/{target}/status"),
            &[("action", "suspend")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = member
        .post(
            "/secretariat/invitations",
            &[("emails", "x@example.jp"), ("kind", "alumni")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);

    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    for page in PAGES {
        assert_eq!(office.get(page).await.status, StatusCode::OK, "{page}");
    }
}

#[tokio::test]
async fn the_other_tenants_ids_are_not_found() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    secretariat(&app, "acme", "office@acme.example.com").await;
    let acme_member = active_member(&app, "acme", "victim@example.org").await;
    let acme_pending = app
        .create_member(
            "acme",
            tsunagu_testkit::MemberFixture {
                email: "pending@example.org",
                password: PASSWORD,
                kind: "alumni",
                role: "member",
                status: "pending_approval",
                name: "Pending",
            },
        )
        .await;
    let mut acme_office = app.client("acme.localhost");
    acme_office
        .sign_in("office@acme.example.com", PASSWORD)
        .await;
    acme_office
        .post(
            "/secretariat/invitations",
            &[("emails", "invitee@example.org"), ("kind", "alumni")],
        )
        .await;
    let invitation_id: uuid::Uuid = {
        let tenant = app.tenant_id("acme").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
            .await
            .unwrap();
        let id = sqlx::query_scalar("select id from invitations")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };

    let mut demo_office = app.client("demo.localhost");
    demo_office
        .sign_in("office@demo.example.co.jp", PASSWORD)
        .await;
    for (path, fields) in [
        (
            format!("/secretariat/approvals/{acme_pending}/approve"),
            vec![],
        ),
        (
            format!("/secretariat/approvals/{acme_pending}/reject"),
            vec![("reason", "no")],
        ),
        (
            format!("/secretariat/members/{acme_member}/status"),
            vec![("action", "suspend")],
        ),
        (
            format!("/secretariat/members/{acme_member}/role"),
            vec![("role", "secretariat")],
        ),
        (
            format!("/secretariat/invitations/{invitation_id}/resend"),
            vec![],
        ),
        (
            format!("/secretariat/invitations/{invitation_id}/revoke"),
            vec![],
        ),
    ] {
        let r = demo_office.post(&path, &fields).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
    }
    let confirm = format!("/secretariat/members/{acme_member}/remove");
    assert_eq!(
        demo_office.get(&confirm).await.status,
        StatusCode::NOT_FOUND
    );
    // Nothing changed in acme.
    assert_eq!(
        find_member(&app, "acme", "victim@example.org").await.status,
        "active"
    );
    assert_eq!(
        find_member(&app, "acme", "victim@example.org").await.role,
        "member"
    );
    assert_eq!(
        find_member(&app, "acme", "pending@example.org")
            .await
            .status,
        "pending_approval"
    );
    // Control: the same requests from acme's own secretariat work.
    let r = acme_office
        .post(
            &format!("/secretariat/approvals/{acme_pending}/approve"),
            &[],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn rejecting_needs_a_reason_and_emails_it() {
    let app = app().await;
    let sink = SmtpSink::start();
    secretariat(&app, "acme", "office@acme.example.com").await;
    let pending = app
        .create_member(
            "acme",
            tsunagu_testkit::MemberFixture {
                email: "maybe@example.org",
                password: PASSWORD,
                kind: "alumni",
                role: "member",
                status: "pending_approval",
                name: "Maybe",
            },
        )
        .await;
    let mut office = app.client("acme.localhost");
    office.sign_in("office@acme.example.com", PASSWORD).await;
    let empty = office
        .post(
            &format!("/secretariat/approvals/{pending}/reject"),
            &[("reason", "  ")],
        )
        .await;
    assert_eq!(empty.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(empty.body.contains("field-error"));
    assert_eq!(
        find_member(&app, "acme", "maybe@example.org").await.status,
        "pending_approval"
    );
    let done = office
        .post(
            &format!("/secretariat/approvals/{pending}/reject"),
            &[("reason", "We could not confirm your time at Acme.")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER);
    assert_eq!(
        find_member(&app, "acme", "maybe@example.org").await.status,
        "rejected"
    );
    app.deliver_mail(&sink).await;
    let mail = sink.to("maybe@example.org").pop().unwrap();
    assert!(mail
        .text
        .contains("We could not confirm your time at Acme."));
    let mut rejected = app.client("acme.localhost");
    assert_eq!(
        rejected.sign_in("maybe@example.org", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn invitations_single_bulk_resend_revoke_and_join() {
    let app = app().await;
    let sink = SmtpSink::start();
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    active_member(&app, "demo", "already@example.jp").await;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;

    // One bad address refuses the whole batch, and says which.
    let bad = office
        .post(
            "/secretariat/invitations",
            &[
                (
                    "emails",
                    "good@example.jp\nnot an address, other@example.jp",
                ),
                ("kind", "alumni"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.body.contains("not"), "{}", bad.body);
    app.deliver_mail(&sink).await;
    assert!(sink.messages().is_empty(), "nothing sent");

    let ok = office
        .post(
            "/secretariat/invitations",
            &[
                (
                    "emails",
                    "one@example.jp, two@example.jp\nthree@example.jp\nalready@example.jp",
                ),
                ("kind", "alumni"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    app.deliver_mail(&sink).await;
    assert_eq!(
        sink.messages().len(),
        3,
        "members already in the network are skipped"
    );
    let list = office.get("/secretariat/invitations").await;
    assert!(list.body.contains("one@example.jp") && list.body.contains("three@example.jp"));

    // Resend: a new link, the old one stops working.
    let first_link = sink.to("two@example.jp")[0]
        .link_containing("invitation=")
        .unwrap();
    let two_id: uuid::Uuid = {
        let tenant = app.tenant_id("demo").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
            .await
            .unwrap();
        let id = sqlx::query_scalar("select id from invitations where email = 'two@example.jp'")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert_eq!(
        office
            .post(&format!("/secretariat/invitations/{two_id}/resend"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    app.deliver_mail(&sink).await;
    let second_link = sink.to("two@example.jp")[1]
        .link_containing("invitation=")
        .unwrap();
    assert_ne!(first_link, second_link);
    let mut invitee = app.client("demo.localhost");
    let old_path = first_link
        .split_once("demo.localhost")
        .unwrap()
        .1
        .to_owned();
    assert_eq!(invitee.get(&old_path).await.status, StatusCode::NOT_FOUND);

    // Joining through the invitation: active at once, signed in, email fixed by the invitation.
    let path = second_link
        .split_once("demo.localhost")
        .unwrap()
        .1
        .to_owned();
    let form = invitee.get(&path).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form.body.contains("two@example.jp"));
    let token = path.split_once("invitation=").unwrap().1.to_owned();
    let joined = invitee
        .post(
            "/join",
            &[
                ("email", "someone-else@example.jp"),
                ("password", PASSWORD),
                ("kind", "employee"),
                ("name_kanji", "招待 二郎"),
                ("invitation", &token),
            ],
        )
        .await;
    assert_eq!(joined.status, StatusCode::SEE_OTHER, "{}", joined.body);
    let member = find_member(&app, "demo", "two@example.jp").await;
    assert_eq!(
        (member.status.as_str(), member.kind.as_str()),
        ("active", "alumni")
    );
    assert_eq!(invitee.get("/account").await.status, StatusCode::OK);
    // The invitation is used up.
    let mut late = app.client("demo.localhost");
    assert_eq!(late.get(&path).await.status, StatusCode::NOT_FOUND);

    // Revoke.
    let three_id: uuid::Uuid = {
        let tenant = app.tenant_id("demo").await;
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
            .await
            .unwrap();
        let id = sqlx::query_scalar("select id from invitations where email = 'three@example.jp'")
            .fetch_one(tx.conn())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        id
    };
    assert_eq!(
        office
            .post(&format!("/secretariat/invitations/{three_id}/revoke"), &[])
            .await
            .status,
        StatusCode::SEE_OTHER
    );
    let three_link = sink.to("three@example.jp")[0]
        .link_containing("invitation=")
        .unwrap();
    let mut revoked = app.client("demo.localhost");
    assert_eq!(
        revoked
            .get(three_link.split_once("demo.localhost").unwrap().1)
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let audit = office.get("/secretariat/audit").await;
    assert!(audit.body.contains("three@example.jp"));
}

#[tokio::test]
async fn suspending_or_removing_ends_sessions_and_roles_apply_at_once() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let member_id = active_member(&app, "demo", "member@example.jp").await;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    let mut member = app.client("demo.localhost");
    member.sign_in("member@example.jp", PASSWORD).await;
    assert_eq!(
        member.get("/secretariat").await.status,
        StatusCode::FORBIDDEN
    );

    // Promotion reaches the live session.
    office
        .post(
            &format!("/secretariat/members/{member_id}/role"),
            &[("role", "secretariat")],
        )
        .await;
    assert_eq!(member.get("/secretariat").await.status, StatusCode::OK);
    office
        .post(
            &format!("/secretariat/members/{member_id}/role"),
            &[("role", "member")],
        )
        .await;
    assert_eq!(
        member.get("/secretariat").await.status,
        StatusCode::FORBIDDEN
    );

    let suspended = office
        .post(
            &format!("/secretariat/members/{member_id}/status"),
            &[("action", "suspend")],
        )
        .await;
    assert_eq!(suspended.status, StatusCode::SEE_OTHER);
    assert_eq!(
        member.get("/account").await.status,
        StatusCode::SEE_OTHER,
        "signed out at once"
    );
    assert_eq!(
        member.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::FORBIDDEN
    );
    office
        .post(
            &format!("/secretariat/members/{member_id}/status"),
            &[("action", "reactivate")],
        )
        .await;
    assert_eq!(
        member.sign_in("member@example.jp", PASSWORD).await.status,
        StatusCode::SEE_OTHER
    );
    office
        .post(
            &format!("/secretariat/members/{member_id}/status"),
            &[("action", "remove")],
        )
        .await;
    assert_eq!(member.get("/account").await.status, StatusCode::SEE_OTHER);
    assert_eq!(
        find_member(&app, "demo", "member@example.jp").await.status,
        "removed"
    );

    // The secretariat cannot lock itself out.
    let own = find_member(&app, "demo", "office@demo.example.co.jp")
        .await
        .id;
    office
        .post(
            &format!("/secretariat/members/{own}/status"),
            &[("action", "suspend")],
        )
        .await;
    assert_eq!(
        find_member(&app, "demo", "office@demo.example.co.jp")
            .await
            .status,
        "active"
    );

    let audit = office.get("/secretariat/audit").await;
    assert!(
        audit.body.matches("<tr").count() >= 5,
        "role, suspend, reactivate and remove are audited"
    );
}

#[tokio::test]
async fn the_member_list_filters_pages_and_exports_what_it_shows() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let sato =
        crate::community::member(&app, "demo", "sato@example.jp", "佐藤 花子", "alumni").await;
    let tanaka = crate::community::member(
        &app,
        "demo",
        "tanaka@demo.example.co.jp",
        "田中 健",
        "employee",
    )
    .await;
    // A name a spreadsheet would run as a formula.
    crate::community::member(
        &app,
        "demo",
        "formula@example.jp",
        "=HYPERLINK(\"x\")",
        "alumni",
    )
    .await;
    crate::community::member(&app, "acme", "sato@example.org", "佐藤 Other", "alumni").await;
    crate::digest::exec(
        &app,
        &format!(
            "update members set last_seen_at = now() - interval '100 days' where id = '{sato}'"
        ),
    )
    .await;
    crate::digest::exec(
        &app,
        &format!(
            "update members set last_seen_at = now() - interval '1 day' where id = '{tanaka}'"
        ),
    )
    .await;

    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    let page = office.get("/secretariat/members?q=佐藤&kind=alumni").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("佐藤 花子"));
    assert!(!page.body.contains("田中 健") && !page.body.contains("佐藤 Other"));
    let employees = office
        .get("/secretariat/members?kind=employee&role=member")
        .await;
    assert!(employees.body.contains("田中 健") && !employees.body.contains("佐藤 花子"));
    let idle = office.get("/secretariat/members?seen=idle90").await.body;
    assert!(idle.contains("佐藤 花子"), "not seen for 100 days");
    let recent = office.get("/secretariat/members?seen=30d").await.body;
    assert!(!recent.contains("佐藤 花子") && recent.contains("田中 健"));
    let never = office.get("/secretariat/members?seen=never").await.body;
    assert!(never.contains("formula@example.jp") && !never.contains("田中 健"));
    // Nonsense filters are ignored, not refused.
    let lenient = office
        .get("/secretariat/members?kind=robot&joined=1y&after=x.y")
        .await;
    assert_eq!(lenient.status, StatusCode::OK);
    assert!(lenient.body.contains("田中 健"));

    let csv = office.get("/secretariat/members.csv?kind=alumni").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv.body.starts_with('\u{feff}'), "a BOM for Excel");
    let lines: Vec<&str> = csv.body.trim_start_matches('\u{feff}').lines().collect();
    assert!(lines[0].starts_with("氏名,ふりがな"), "{}", lines[0]);
    assert_eq!(lines.len(), 3, "a header and the two alumni: {lines:?}");
    assert!(
        csv.body.contains("\"'=HYPERLINK(\"\"x\"\")\""),
        "the formula is defused"
    );
    assert!(!csv.body.contains("田中 健") && !csv.body.contains("Other"));
    let audit = office.get("/secretariat/audit?area=member").await.body;
    assert!(
        audit.contains("メンバー一覧をエクスポート"),
        "the export is audited"
    );
}

#[tokio::test]
async fn pages_of_members_follow_each_other_without_gaps() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    crate::digest::exec(
        &app,
        "insert into members (tenant_id, id, email, email_normalized, password_hash, kind, status, \
           name_kanji, created_at) \
         select app.current_tenant_id(), gen_random_uuid(), 'p' || n || '@example.jp', \
           'p' || n || '@example.jp', 'x', 'alumni', 'active', '会員' || n, \
           now() - n * interval '1 minute' \
         from generate_series(1, 150) n",
    )
    .await;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    let first = office.get("/secretariat/members?kind=alumni").await.body;
    let count = |body: &str| {
        (1..=150)
            .filter(|n| body.contains(&format!(": 会員{n}</span>")))
            .count()
    };
    assert_eq!(count(&first), 100);
    let next = first
        .split("href=\"")
        // Autoescaped as every template value is.
        .find_map(|s| s.strip_prefix("&#x2F;secretariat&#x2F;members?kind=alumni&amp;after="))
        .and_then(|s| s.split('"').next())
        .expect("a next-page link keeping the filter");
    let second = office
        .get(&format!("/secretariat/members?kind=alumni&after={next}"))
        .await
        .body;
    assert_eq!(count(&second), 50);
    assert!(
        (1..=150).all(|n| {
            let needle = format!(": 会員{n}</span>");
            first.contains(&needle) != second.contains(&needle)
        }),
        "every member on exactly one page"
    );
}

#[tokio::test]
async fn the_audit_log_is_append_only_searchable_and_exported() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let member = active_member(&app, "demo", "member@example.jp").await;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    let r = office
        .post(
            &format!("/secretariat/members/{member}/role"),
            &[("role", "secretariat")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);

    // The application may add to the log and read it, never change or delete it.
    let tenant = app.tenant_id("demo").await;
    for statement in [
        "update audit_events set action = 'member.approved'",
        "delete from audit_events",
        "truncate audit_events",
    ] {
        let mut tx = app
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
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
    }

    let log = office.get("/secretariat/audit?q=会員").await.body;
    assert!(log.contains("権限を変更"), "found by the subject's name");
    assert!(log.contains("member → secretariat"), "before and after");
    let none = office.get("/secretariat/audit?area=survey").await.body;
    assert!(!none.contains("権限を変更"));
    let future = office.get("/secretariat/audit?from=2999-01-01").await.body;
    assert!(future.contains("条件に合う記録はありません"));
    let csv = office.get("/secretariat/audit.csv?area=member").await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with('\u{feff}'));
    assert!(csv.body.contains("権限を変更") && csv.body.contains("会員 一郎"));
    assert!(csv
        .body
        .contains("\"{\"\"from\"\":\"\"member\"\",\"\"to\"\":\"\"secretariat\"\"}\""));
}

#[tokio::test]
async fn removing_a_member_says_what_it_does_first() {
    let app = app().await;
    secretariat(&app, "demo", "office@demo.example.co.jp").await;
    let target = active_member(&app, "demo", "member@example.jp").await;
    let office_id = find_member(&app, "demo", "office@demo.example.co.jp")
        .await
        .id;
    let mut office = app.client("demo.localhost");
    office.sign_in("office@demo.example.co.jp", PASSWORD).await;
    let list = office.get("/secretariat/members").await.body;
    assert!(
        list.contains(&format!(
            "href=\"&#x2F;secretariat&#x2F;members&#x2F;{target}&#x2F;remove\""
        )) || list.contains(&format!("href=\"/secretariat/members/{target}/remove\"")),
        "the list's Remove leads to the confirmation"
    );
    let page = office
        .get(&format!("/secretariat/members/{target}/remove"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    for said in [
        "会員 一郎さんを削除しますか",
        "サインインできなくなります",
        "本人の名前のまま残ります",
        "利用停止",
    ] {
        assert!(page.body.contains(said), "{said}");
    }
    // Nothing changed by looking.
    assert_eq!(
        find_member(&app, "demo", "member@example.jp")
            .await
            .status
            .as_str(),
        "active"
    );
    let r = office
        .post(
            &format!("/secretariat/members/{target}/status"),
            &[("action", "remove")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    assert_eq!(
        find_member(&app, "demo", "member@example.jp")
            .await
            .status
            .as_str(),
        "removed"
    );
    // Already removed, or oneself: back to the list.
    for id in [target, office_id] {
        let r = office
            .get(&format!("/secretariat/members/{id}/remove"))
            .await;
        assert_eq!(r.status, StatusCode::SEE_OTHER);
    }
    let unknown = uuid::Uuid::new_v4();
    assert_eq!(
        office
            .get(&format!("/secretariat/members/{unknown}/remove"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}
