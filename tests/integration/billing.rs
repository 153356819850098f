//! Billing with Stripe (issue #19, docs/BILLING.md), against the stand-in Stripe of
//! `tsunagu_testkit::stripe_standin`: the webhook's signature, tolerance, idempotency and order
//! independence; Checkout and the Customer Portal from the billing page; a failed payment's
//! banner, grace period and pause; an upgrade letting in the sign-ups the Free cap held; and the
//! official `stripe` npm package's signing accepted by our verifier.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use serde_json::{json, Value};
use tsunagu_kernel::{Actor, TenantId};
use tsunagu_testkit::stripe_standin::{self, StripeStandIn, STANDARD_PRICE, WEBHOOK_SECRET};
use tsunagu_testkit::{TestApp, TestResponse};

use crate::identity::{secretariat, PASSWORD};

async fn billing_app(standin: &StripeStandIn) -> TestApp {
    let config = standin.config();
    let overrides: Vec<(&str, &str)> = config.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut app = TestApp::spawn_with(&overrides).await;
    app.apply_repository_tenants().await;
    crate::console::own_address(&mut app);
    app
}

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// Posts `payload` to the webhook with `signature`, as Stripe would (no cookie, no Origin).
async fn post_webhook(app: &TestApp, payload: &[u8], signature: &str) -> TestResponse {
    app.send(
        Request::post("/stripe/webhook")
            .header("host", "localhost")
            .header("content-type", "application/json; charset=utf-8")
            .header("stripe-signature", signature)
            .body(Body::from(payload.to_vec()))
            .unwrap(),
    )
    .await
}

/// Signs `event` now and delivers it; the app's answer.
async fn deliver(app: &TestApp, event: &Value) -> TestResponse {
    let payload = serde_json::to_vec(event).unwrap();
    let signature = tsunagu_onboarding::billing::signature::sign(&payload, WEBHOOK_SECRET, now());
    post_webhook(app, &payload, &signature).await
}

fn outcome(response: &TestResponse) -> String {
    let body: Value = serde_json::from_str(&response.body).unwrap_or(Value::Null);
    body["outcome"].as_str().unwrap_or_default().to_owned()
}

async fn plan_of(app: &TestApp, slug: &str) -> (String, Option<time::OffsetDateTime>) {
    let mut tx = app.platform.begin_platform().await.unwrap();
    let row =
        sqlx::query_as("select plan, payment_failed_at from platform.tenants where slug = $1")
            .bind(slug)
            .fetch_one(tx.conn())
            .await
            .unwrap();
    tx.commit().await.unwrap();
    row
}

async fn subscription_status(app: &TestApp, tenant: TenantId) -> Option<String> {
    let mut tx = app.platform.begin_platform().await.unwrap();
    let status: Option<Option<String>> = sqlx::query_scalar(
        "select subscription_status from platform.billing_accounts where tenant_id = $1",
    )
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    status.flatten()
}

async fn audit_count(app: &TestApp, tenant: TenantId, action: &str) -> i64 {
    let mut tx = app
        .state
        .db
        .begin_tenant(tenant, Actor::System)
        .await
        .unwrap();
    let n = sqlx::query_scalar("select count(*) from audit_events where action = $1")
        .bind(action)
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    n
}

fn metadata(tenant: TenantId) -> Value {
    json!({ "tenant_id": tenant.to_string(), "plan": "standard" })
}

/// A paid Checkout Session of `tenant` for Standard, with its customer and subscription.
fn checkout_completed(tenant: TenantId, customer: &str, subscription: &str) -> Value {
    stripe_standin::event(
        "checkout.session.completed",
        now(),
        json!({
            "id": "cs_test_1", "object": "checkout.session",
            "client_reference_id": tenant.to_string(),
            "customer": customer, "subscription": subscription,
            "mode": "subscription", "status": "complete", "payment_status": "paid",
            "metadata": metadata(tenant), "currency": "jpy", "livemode": false
        }),
    )
}

#[tokio::test]
async fn bad_signatures_stale_timestamps_and_malformed_payloads_are_refused_and_change_nothing() {
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let network = app.tenant_id("acme").await;
    let event = checkout_completed(network, "cus_sig", "sub_sig");
    let payload = serde_json::to_vec(&event).unwrap();

    let forged =
        tsunagu_onboarding::billing::signature::sign(&payload, "whsec_someone_else", now());
    let refused = post_webhook(&app, &payload, &forged).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("error"));

    let stale = tsunagu_onboarding::billing::signature::sign(&payload, WEBHOOK_SECRET, now() - 600);
    assert_eq!(
        post_webhook(&app, &payload, &stale).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(
        post_webhook(&app, &payload, "").await.status,
        StatusCode::BAD_REQUEST
    );
    // A body changed after signing.
    let signed = tsunagu_onboarding::billing::signature::sign(&payload, WEBHOOK_SECRET, now());
    let mut tampered = payload.clone();
    let at = tampered.iter().position(|b| *b == b'c').unwrap();
    tampered[at] = b'C';
    assert_eq!(
        post_webhook(&app, &tampered, &signed).await.status,
        StatusCode::BAD_REQUEST
    );
    // Signed, but not an event.
    let junk = b"{\"hello\": true}";
    let junk_signature = tsunagu_onboarding::billing::signature::sign(junk, WEBHOOK_SECRET, now());
    assert_eq!(
        post_webhook(&app, junk, &junk_signature).await.status,
        StatusCode::BAD_REQUEST
    );
    assert_eq!(plan_of(&app, "acme").await.0, "free");
    let mut tx = app.platform.begin_platform().await.unwrap();
    let recorded: i64 = sqlx::query_scalar("select count(*) from platform.stripe_events")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(recorded, 0);

    // The same event, properly signed, is taken (and the CSRF checks do not stand in the way of
    // a server-to-server POST without cookie or Origin).
    let accepted = post_webhook(&app, &payload, &signed).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(outcome(&accepted), "applied");
    assert_eq!(plan_of(&app, "acme").await.0, "standard");

    // The webhook is the apex site's only: a network's site has no such route.
    let on_network = app
        .send(
            Request::post("/stripe/webhook")
                .header("host", "acme.localhost")
                .header("stripe-signature", &signed)
                .body(Body::from(payload.clone()))
                .unwrap(),
        )
        .await;
    assert_ne!(on_network.status, StatusCode::OK);
}

#[tokio::test]
async fn without_stripe_configured_the_webhook_is_not_found() {
    let app = TestApp::spawn().await;
    let payload = b"{}";
    let signature = tsunagu_onboarding::billing::signature::sign(payload, WEBHOOK_SECRET, now());
    assert_eq!(
        post_webhook(&app, payload, &signature).await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_replayed_event_is_acknowledged_once_and_has_no_second_effect() {
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let network = app.tenant_id("acme").await;
    let completed = checkout_completed(network, "cus_replay", "sub_replay");
    assert_eq!(outcome(&deliver(&app, &completed).await), "applied");
    assert_eq!(audit_count(&app, network, "plan.changed").await, 1);

    // A failed renewal, then the retry that paid.
    let failed = stripe_standin::event(
        "invoice.payment_failed",
        now(),
        stripe_standin::invoice("cus_replay", "sub_replay", false, now() - 10),
    );
    let paid = stripe_standin::event(
        "invoice.paid",
        now(),
        stripe_standin::invoice("cus_replay", "sub_replay", true, now() - 5),
    );
    assert_eq!(outcome(&deliver(&app, &failed).await), "applied");
    assert!(plan_of(&app, "acme").await.1.is_some());
    assert_eq!(outcome(&deliver(&app, &paid).await), "applied");
    assert!(plan_of(&app, "acme").await.1.is_none());

    // Stripe redelivers both (it does when an answer is lost): nothing changes again.
    let replayed = deliver(&app, &failed).await;
    assert_eq!(replayed.status, StatusCode::OK);
    assert_eq!(outcome(&replayed), "replayed");
    assert!(
        plan_of(&app, "acme").await.1.is_none(),
        "the failure came back"
    );
    assert_eq!(outcome(&deliver(&app, &completed).await), "replayed");
    assert_eq!(audit_count(&app, network, "plan.changed").await, 1);

    // Two deliveries of one event at the same moment: one applies, one is a replay.
    let another_failure = stripe_standin::event(
        "invoice.payment_failed",
        now(),
        stripe_standin::invoice("cus_replay", "sub_replay", false, now()),
    );
    let (a, b) = tokio::join!(
        deliver(&app, &another_failure),
        deliver(&app, &another_failure)
    );
    let mut outcomes = [outcome(&a), outcome(&b)];
    outcomes.sort();
    assert_eq!(outcomes, ["applied".to_owned(), "replayed".to_owned()]);
}

#[tokio::test]
async fn subscription_events_in_any_order_end_in_the_subscriptions_true_state() {
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let network = app.tenant_id("acme").await;
    let start = now() - 3600;
    let active = |created: i64, period_start: i64| {
        stripe_standin::event(
            "customer.subscription.updated",
            created,
            stripe_standin::subscription(
                "sub_order",
                "cus_order",
                "active",
                STANDARD_PRICE,
                period_start,
                metadata(network),
            ),
        )
    };
    let deleted = stripe_standin::event(
        "customer.subscription.deleted",
        start + 100,
        stripe_standin::subscription(
            "sub_order",
            "cus_order",
            "canceled",
            STANDARD_PRICE,
            start,
            metadata(network),
        ),
    );
    // The deletion arrives first, then the update that preceded it.
    assert_eq!(outcome(&deliver(&app, &deleted).await), "applied");
    assert_eq!(
        outcome(&deliver(&app, &active(start + 50, start)).await),
        "stale"
    );
    assert_eq!(plan_of(&app, "acme").await.0, "free");
    assert_eq!(
        subscription_status(&app, network).await.as_deref(),
        Some("canceled")
    );

    // A new subscription: its update for the next period arrives before the one for this one.
    let renewed = |created: i64, period_start: i64, status: &str| {
        stripe_standin::event(
            "customer.subscription.updated",
            created,
            stripe_standin::subscription(
                "sub_next",
                "cus_order",
                status,
                STANDARD_PRICE,
                period_start,
                metadata(network),
            ),
        )
    };
    assert_eq!(
        outcome(&deliver(&app, &renewed(start + 300, start + 2_592_000, "active")).await),
        "applied"
    );
    assert_eq!(
        outcome(&deliver(&app, &renewed(start + 200, start + 200, "past_due")).await),
        "stale"
    );
    assert_eq!(plan_of(&app, "acme").await.0, "standard");
    assert_eq!(
        subscription_status(&app, network).await.as_deref(),
        Some("active")
    );
    // The old subscription's deletion, delivered again late, does not end the new one.
    let late_end = stripe_standin::event(
        "customer.subscription.deleted",
        start + 400,
        stripe_standin::subscription(
            "sub_order",
            "cus_order",
            "canceled",
            STANDARD_PRICE,
            start,
            metadata(network),
        ),
    );
    assert_eq!(outcome(&deliver(&app, &late_end).await), "stale");
    assert_eq!(plan_of(&app, "acme").await.0, "standard");

    // A type the endpoint does not act on is acknowledged and recorded, and changes nothing.
    let unknown = stripe_standin::event(
        "charge.refunded",
        now(),
        json!({ "id": "ch_1", "object": "charge", "customer": "cus_order" }),
    );
    let answer = deliver(&app, &unknown).await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(outcome(&answer), "unknown_type");
    assert_eq!(plan_of(&app, "acme").await.0, "standard");
    // So is an event for a customer no network has.
    let stranger = stripe_standin::event(
        "invoice.paid",
        now(),
        stripe_standin::invoice("cus_nobody", "sub_nobody", true, now()),
    );
    assert_eq!(outcome(&deliver(&app, &stranger).await), "no_network");
}

/// Signs in the acme network's secretariat.
async fn acme_secretariat(app: &TestApp) -> tsunagu_testkit::TestClient<'_> {
    secretariat(app, "acme", "office@acme.example.com").await;
    let mut client = app.client("acme.localhost");
    let signed_in = client.sign_in("office@acme.example.com", PASSWORD).await;
    assert_eq!(
        signed_in.status,
        StatusCode::SEE_OTHER,
        "{}",
        signed_in.body
    );
    client
}

/// The address the continue page sends the browser to.
fn continue_url(body: &str) -> String {
    let start = body
        .find("data-continue")
        .map(|_| body.find("href=\"http").unwrap())
        .unwrap();
    let rest = &body[start + 6..];
    rest[..rest.find('"').unwrap()].replace("&#x2F;", "/")
}

#[tokio::test]
async fn the_secretariat_upgrades_through_checkout_and_cancels_in_the_portal() {
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let server = app.serve().await;
    standin.deliver_to(server.port);
    let network = app.tenant_id("acme").await;
    let mut office = acme_secretariat(&app).await;

    let page = office.get("/secretariat/billing").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-plan=\"free\""), "{}", page.body);
    assert!(page
        .body
        .contains("action=\"/secretariat/billing/checkout\""));
    // Nothing to manage before a first payment.
    assert!(!page.body.contains("action=\"/secretariat/billing/portal\""));

    let unknown = office
        .post("/secretariat/billing/checkout", &[("plan", "enterprise")])
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);

    let started = office
        .post("/secretariat/billing/checkout", &[("plan", "standard")])
        .await;
    assert_eq!(started.status, StatusCode::OK, "{}", started.body);
    let checkout = continue_url(&started.body);
    assert!(checkout.starts_with(&standin.base_url), "{checkout}");
    let success = standin.pay(&checkout).await.expect("a checkout session");
    assert_eq!(
        success,
        format!("http://acme.localhost/secretariat/billing?checkout=success")
    );
    assert!(
        standin
            .deliveries()
            .iter()
            .all(|(_, status)| *status == 200),
        "{:?}",
        standin.deliveries()
    );
    assert_eq!(plan_of(&app, "acme").await.0, "standard");
    let after = office.get("/secretariat/billing?checkout=success").await;
    assert!(
        after.body.contains("data-plan=\"standard\""),
        "{}",
        after.body
    );
    assert!(after
        .body
        .contains("action=\"/secretariat/billing/portal\""));
    // The console's directory shows the subscription in its billing column.
    crate::console::staff(&app, "cs-billing@tsunagu.example").await;
    let mut console = app.client("console.localhost");
    console
        .sign_in("cs-billing@tsunagu.example", PASSWORD)
        .await;
    let directory = console.get("/").await;
    assert!(
        directory.body.contains("data-billing=\"active\""),
        "{}",
        directory.body
    );

    // A renewal fails: the banner and the grace period.
    let customer = standin.customer_of(&network.to_string()).unwrap();
    assert_eq!(standin.fail_renewal(&customer).await, 200);
    let warned = office.get("/secretariat/billing").await;
    assert!(
        warned.body.contains("Your last payment failed"),
        "{}",
        warned.body
    );
    let home = office.get("/secretariat").await;
    assert!(home.body.contains("/secretariat/billing"), "{}", home.body);
    assert!(home.body.contains("billing-bar"), "{}", home.body);
    // Past the grace period the paid features pause (the plan is kept): the survey export is
    // Standard's, so it is refused now.
    let mut tx = app.platform.begin_platform().await.unwrap();
    sqlx::query(
        "update platform.tenants set payment_failed_at = now() - interval '15 days' where id = $1",
    )
    .bind(network)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();
    app.state.registry.invalidate("acme");
    let paused = office.get("/secretariat/billing").await;
    assert!(
        paused
            .body
            .contains("Paid features are paused because the payment failed"),
        "{}",
        paused.body
    );
    assert_eq!(plan_of(&app, "acme").await.0, "standard");

    // The portal: cancelling ends the subscription and the network is back on Free.
    let portal = office.post("/secretariat/billing/portal", &[]).await;
    assert_eq!(portal.status, StatusCode::OK, "{}", portal.body);
    assert!(continue_url(&portal.body).starts_with(&standin.base_url));
    assert_eq!(standin.cancel(&customer).await, 200);
    assert_eq!(plan_of(&app, "acme").await, ("free".to_owned(), None));
    assert_eq!(
        subscription_status(&app, network).await.as_deref(),
        Some("canceled")
    );
    drop(server);
}

#[tokio::test]
async fn an_upgrade_paid_through_stripe_lets_in_the_sign_ups_the_free_cap_held() {
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let acme = app.tenant_id("acme").await;
    // acme on Free with 50 active members, and two sign-ups held for the plan.
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    sqlx::query(
        "insert into members (tenant_id, id, email, email_normalized, password_hash, kind, status, \
           name_kanji, held_for_plan) \
         select $1, gen_random_uuid(), 'm' || i || '@example.org', 'm' || i || '@example.org', '!', \
           'alumni', case when i <= 50 then 'active' else 'pending_approval' end, 'Member ' || i, \
           i > 50 \
         from generate_series(1, 52) i",
    )
    .bind(acme)
    .execute(tx.conn())
    .await
    .unwrap();
    tx.commit().await.unwrap();

    let created = stripe_standin::event(
        "customer.subscription.created",
        now(),
        stripe_standin::subscription(
            "sub_acme",
            "cus_acme",
            "active",
            STANDARD_PRICE,
            now(),
            json!({ "tenant_id": acme.to_string() }),
        ),
    );
    assert_eq!(outcome(&deliver(&app, &created).await), "applied");
    assert_eq!(plan_of(&app, "acme").await.0, "standard");
    let mut tx = app
        .state
        .db
        .begin_tenant(acme, Actor::System)
        .await
        .unwrap();
    let active: i64 = sqlx::query_scalar("select count(*) from members where status = 'active'")
        .fetch_one(tx.conn())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(active, 52);
}

#[tokio::test]
async fn the_official_stripe_library_signs_payloads_our_verifier_accepts() {
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("browser");
    assert!(
        root.join("node_modules/stripe").exists(),
        "the stripe npm package is missing: run `npm ci` in tests/browser (just test does)"
    );
    let standin = StripeStandIn::start().await;
    let app = billing_app(&standin).await;
    let network = app.tenant_id("acme").await;
    let payload = serde_json::to_vec(&checkout_completed(network, "cus_npm", "sub_npm")).unwrap();
    let sign = |payload: Vec<u8>| {
        let root = root.clone();
        async move {
            tokio::task::spawn_blocking(move || {
                use std::io::Write;
                let mut child = std::process::Command::new("node")
                    .arg("stripe_sign.mjs")
                    .current_dir(&root)
                    .env("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
                    .stdin(std::process::Stdio::piped())
                    .stdout(std::process::Stdio::piped())
                    .spawn()
                    .expect("node");
                child.stdin.take().unwrap().write_all(&payload).unwrap();
                let output = child.wait_with_output().unwrap();
                assert!(output.status.success());
                String::from_utf8(output.stdout).unwrap()
            })
            .await
            .unwrap()
        }
    };
    let header = sign(payload.clone()).await;
    assert!(
        header.starts_with("t=") && header.contains(",v1="),
        "{header}"
    );
    // A tampered copy under the same header is refused; the payload it was made for is taken.
    let mut tampered = payload.clone();
    tampered.extend_from_slice(b" ");
    assert_eq!(
        post_webhook(&app, &tampered, &header).await.status,
        StatusCode::BAD_REQUEST
    );
    let accepted = post_webhook(&app, &payload, &header).await;
    assert_eq!(accepted.status, StatusCode::OK, "{}", accepted.body);
    assert_eq!(plan_of(&app, "acme").await.0, "standard");
}
