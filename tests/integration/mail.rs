//! The outbox and the worker: emails are written with the action, delivered over SMTP by the
//! worker, retried with backoff while the server is down, and never delivered for an action that
//! rolled back.

use tsunagu_kernel::outbox::{self, OutgoingEmail};
use tsunagu_kernel::Actor;
use tsunagu_testkit::{SmtpSink, TestApp};

fn email(to: &str) -> OutgoingEmail {
    OutgoingEmail {
        to: to.into(),
        kind: "test".into(),
        locale: "en".into(),
        subject: "Hello".into(),
        text_body: "Plain text".into(),
        html_body: "<p>HTML</p>".into(),
        list_unsubscribe: None,
        calendar: None,
    }
}

#[tokio::test]
async fn rolled_back_actions_send_nothing_and_failures_are_retried() {
    let app = TestApp::spawn().await;
    app.apply_repository_tenants().await;
    let tenant = app.tenant_id("acme").await;

    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    outbox::enqueue(&mut tx, &email("never@example.org"))
        .await
        .unwrap();
    tx.rollback().await.unwrap();

    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    outbox::enqueue(&mut tx, &email("later@example.org"))
        .await
        .unwrap();
    tx.commit().await.unwrap();

    // The SMTP server is down: the attempt is counted and rescheduled.
    let down = {
        let sink = SmtpSink::start();
        sink.mailer()
    };
    assert_eq!(
        tsunagu_mail::deliver_due(&app.state.db, &down)
            .await
            .unwrap(),
        0
    );
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let (status, attempts, delayed): (String, i32, bool) = sqlx::query_as(
        "select status, attempts, next_attempt_at > now() + interval '20 seconds' from email_outbox where to_address = 'later@example.org'",
    )
    .fetch_one(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!((status.as_str(), attempts, delayed), ("pending", 1, true));

    // Once due again and the server is up, it goes out, as text and HTML.
    let sink = SmtpSink::start();
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    sqlx::query("update email_outbox set next_attempt_at = now()")
        .execute(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut platform = app.state.db.begin_platform().await.unwrap();
    sqlx::query("update platform.work_signals set due_at = now()")
        .execute(platform.conn())
        .await
        .unwrap();
    platform.commit().await.unwrap();
    assert_eq!(app.deliver_mail(&sink).await, 1);
    let received = sink.messages();
    assert_eq!(received.len(), 1);
    assert_eq!(received[0].to, vec!["later@example.org"]);
    assert_eq!(received[0].text.trim(), "Plain text");
    assert!(received[0].html.contains("<p>HTML</p>"));
    assert!(received[0].from.contains("Acme Alumni Network"));
    assert!(sink.to("never@example.org").is_empty());

    // Nothing left due: the tenant's signal is gone.
    let mut platform = app.state.db.begin_platform().await.unwrap();
    let signals: i64 = sqlx::query_scalar("select count(*) from platform.work_signals")
        .fetch_one(platform.conn())
        .await
        .unwrap();
    platform.commit().await.unwrap();
    assert_eq!(signals, 0);
}
