//! Email with consent: each member chooses per category, every change is kept with its time and
//! source, senders email only those who chose "at once", and every such email carries a signed
//! one-click unsubscribe (RFC 8058) that works signed out and turns off only its category.

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use tsunagu_identity::email::{send_to_consenting, ConsentEmail};
use tsunagu_identity::queries::consent;
use tsunagu_kernel::{Actor, MemberId};
use tsunagu_tenancy::{EmailCategory, EmailDelivery, Tenant};
use tsunagu_testkit::{SmtpSink, TestApp};

use crate::community::member;
use crate::identity::{app, PASSWORD};

const HOST: &str = "demo.localhost";

async fn tenant(app: &TestApp, slug: &str) -> Tenant {
    let mut platform = app.state.db.begin_platform().await.unwrap();
    let tenant = tsunagu_tenancy::registry::find_by_slug(&mut platform, slug)
        .await
        .unwrap()
        .unwrap();
    platform.commit().await.unwrap();
    tenant
}

pub(crate) async fn choices(
    app: &TestApp,
    who: MemberId,
) -> std::collections::HashMap<EmailCategory, EmailDelivery> {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let own = consent::choices(&mut tx, who).await.unwrap();
    tx.commit().await.unwrap();
    own
}

async fn history(app: &TestApp, who: MemberId) -> Vec<consent::ConsentChange> {
    let tenant = app.tenant_id("demo").await;
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let changes = consent::history(&mut tx, who, 50).await.unwrap();
    tx.commit().await.unwrap();
    changes
}

#[tokio::test]
async fn members_choose_per_category_and_every_change_is_kept() {
    let app = app().await;
    let who = member(&app, "demo", "choose@example.jp", "配信 花子", "alumni").await;
    let mut client = app.client(HOST);
    client.sign_in("choose@example.jp", PASSWORD).await;

    let page = client.get("/account").await;
    assert_eq!(page.status, StatusCode::OK);
    for category in EmailCategory::ALL {
        assert!(
            page.body.contains(&format!("name=\"c_{category}\"")),
            "{category}"
        );
    }
    // The digest offers on/off only; nothing is chosen yet, so the defaults are checked.
    assert!(!page.body.contains("id=\"email-digest-immediately\""));
    assert!(page.body.contains("id=\"email-surveys-immediately\" type=\"radio\" name=\"c_surveys\" value=\"immediately\" checked"));

    let saved = client
        .post(
            "/account/email",
            &[
                ("c_surveys", "off"),
                ("c_digest", "off"),
                ("c_messages", "immediately"),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER);
    let own = choices(&app, who).await;
    assert_eq!(own.get(&EmailCategory::Surveys), Some(&EmailDelivery::Off));
    assert_eq!(own.get(&EmailCategory::Digest), Some(&EmailDelivery::Off));
    // "immediately" is already the default for messages: no row, no change recorded.
    assert_eq!(own.get(&EmailCategory::Messages), None);
    let changes = history(&app, who).await;
    assert_eq!(changes.len(), 2);
    assert!(changes
        .iter()
        .all(|c| c.source == consent::ConsentSource::Settings));

    // A choice the category does not offer is refused and changes nothing.
    let refused = client
        .post(
            "/account/email",
            &[("c_digest", "immediately"), ("c_events", "off")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(choices(&app, who).await.len(), 2);
    assert_eq!(history(&app, who).await.len(), 2);

    // The page shows the choices and the history.
    let page = client.get("/account").await;
    assert!(page.body.contains(
        "id=\"email-surveys-off\" type=\"radio\" name=\"c_surveys\" value=\"off\" checked"
    ));
    assert!(page.body.contains("class=\"consent-history\""));
}

#[tokio::test]
async fn category_email_carries_a_one_click_unsubscribe_that_works_signed_out() {
    let app = app().await;
    let who = member(&app, "demo", "hanako@example.jp", "配信 花子", "alumni").await;
    let other = member(&app, "demo", "ken@example.jp", "配信 花子", "alumni").await;
    let demo = tenant(&app, "demo").await;

    // Ken turned survey emails off: only Hanako is emailed; both are counted.
    let mut tx = app
        .state
        .db
        .begin_tenant(demo.id, Actor::Member(other))
        .await
        .unwrap();
    consent::set(
        &mut tx,
        other,
        &demo.email_defaults,
        &[(EmailCategory::Surveys, EmailDelivery::Off)],
        consent::ConsentSource::Settings,
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    let invitation = ConsentEmail {
        kind: "outreach",
        args: vec![
            ("subject", "インタビューのお願い".to_owned()),
            ("message", "30分ほどお話を聞かせてください。".to_owned()),
        ],
        action_url: Some("http://demo.localhost/invitations/x".to_owned()),
        calendar: None,
    };
    let send = |tenant: Tenant| {
        let app = &app;
        let invitation = &invitation;
        async move {
            let mut tx = app
                .state
                .db
                .begin_tenant(tenant.id, Actor::System)
                .await
                .unwrap();
            let outcome = send_to_consenting(
                &mut tx,
                &app.state.web,
                &app.state.config,
                &tenant,
                EmailCategory::Surveys,
                &[who, other],
                invitation,
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
            outcome
        }
    };
    let outcome = send(demo.clone()).await;
    assert_eq!((outcome.emailed, outcome.digest, outcome.off), (1, 0, 1));

    let sink = SmtpSink::start();
    assert_eq!(app.deliver_mail(&sink).await, 1);
    let received = sink.to("hanako@example.jp");
    assert_eq!(received.len(), 1);
    let mail = &received[0];
    assert!(sink.to("ken@example.jp").is_empty());
    let list_unsubscribe = mail
        .headers
        .get("list-unsubscribe")
        .expect("List-Unsubscribe");
    assert_eq!(
        mail.headers
            .get("list-unsubscribe-post")
            .map(String::as_str),
        Some("List-Unsubscribe=One-Click")
    );
    assert!(mail.headers.contains_key("message-id"));
    assert!(mail.headers.contains_key("date"));
    // The Japanese subject travels as RFC 2047 encoded words and decodes back.
    assert!(
        mail.headers["subject"]
            .to_ascii_lowercase()
            .contains("=?utf-8?"),
        "{}",
        mail.headers["subject"]
    );
    assert_eq!(mail.subject, "インタビューのお願い");
    assert!(mail.text.contains("30分ほどお話を聞かせてください。"));
    assert!(!mail.html.is_empty());
    let url = list_unsubscribe
        .trim()
        .trim_start_matches('<')
        .trim_end_matches('>')
        .to_owned();
    assert!(
        mail.text.contains(&url),
        "the footer links the same address"
    );
    let path = url
        .split_once("://")
        .and_then(|(_, rest)| rest.split_once('/'))
        .map(|(_, path)| format!("/{path}"))
        .unwrap();
    assert!(path.starts_with(&format!("/email/unsubscribe/{who}/surveys/")));

    // Signed out, the link shows what it will do and changes nothing yet.
    let page = app.get(HOST, &path).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("method=\"post\""));
    assert!(choices(&app, who).await.is_empty());

    // A tampered signature, another member or the same link at another network: not found.
    let mut tampered = path.clone();
    tampered.pop();
    tampered.push('0');
    if tampered == path {
        tampered.pop();
        tampered.push('1');
    }
    for (host, wrong) in [
        (HOST, tampered),
        (HOST, path.replace(&who.to_string(), &other.to_string())),
        (HOST, path.replace("/surveys/", "/messages/")),
        ("acme.localhost", path.clone()),
    ] {
        assert_eq!(
            app.get(host, &wrong).await.status,
            StatusCode::NOT_FOUND,
            "{host}{wrong}"
        );
        let posted = one_click(&app, host, &wrong).await;
        assert_eq!(posted.status, StatusCode::NOT_FOUND, "{host}{wrong}");
    }
    assert!(choices(&app, who).await.is_empty());

    // The mail client's one-click POST: no cookie, no CSRF token, no Origin.
    let done = one_click(&app, HOST, &path).await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    let own = choices(&app, who).await;
    assert_eq!(own.len(), 1, "only that category changed: {own:?}");
    assert_eq!(own.get(&EmailCategory::Surveys), Some(&EmailDelivery::Off));
    let changes = history(&app, who).await;
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].source, consent::ConsentSource::UnsubscribeLink);
    // Again: still fine, nothing new recorded.
    assert_eq!(one_click(&app, HOST, &path).await.status, StatusCode::OK);
    assert_eq!(history(&app, who).await.len(), 1);

    // The next invitation emails nobody.
    let outcome = send(demo).await;
    assert_eq!((outcome.emailed, outcome.off), (0, 2));
}

pub(crate) async fn one_click(
    app: &TestApp,
    host: &str,
    path: &str,
) -> tsunagu_testkit::TestResponse {
    app.send(
        Request::post(path)
            .header(header::HOST, host)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from("List-Unsubscribe=One-Click"))
            .unwrap(),
    )
    .await
}

/// Only the unsubscribe address is let through without a CSRF token: a state change elsewhere
/// under `/email/` is still refused.
#[tokio::test]
async fn the_csrf_exemption_covers_the_unsubscribe_address_only() {
    let app = app().await;
    let response = app
        .send(
            Request::post("/account/email")
                .header(header::HOST, HOST)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from("c_surveys=off"))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
    let response = app
        .send(
            Request::post("/email/unsubscribe")
                .header(header::HOST, HOST)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status, StatusCode::FORBIDDEN);
}
