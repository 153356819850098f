//! A stand-in for the few parts of Stripe that Tsunagu uses, for tests and browser journeys on a
//! machine that cannot reach Stripe (docs/BILLING.md "Testing without the network"). It serves
//! the two API calls the app makes (`POST /v1/checkout/sessions`,
//! `POST /v1/billing_portal/sessions`) with objects shaped like Stripe's (field names from
//! Stripe's API reference), hosts plain pages standing in for Checkout and the Customer Portal,
//! and delivers signed webhook events to the app as Stripe would. Object builders are public so
//! tests can sign events of their own.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};

/// The signing secret the stand-in signs webhooks with (the app's `STRIPE_WEBHOOK_SECRET`).
pub const WEBHOOK_SECRET: &str = "whsec_standin_0123456789abcdef";
/// The secret key the app presents (`STRIPE_SECRET_KEY`).
pub const SECRET_KEY: &str = "sk_test_standin";
/// The Standard plan's price (`STRIPE_PRICE_STANDARD`).
pub const STANDARD_PRICE: &str = "price_standin_standard";
/// The Enterprise plan's price (`STRIPE_PRICE_ENTERPRISE`).
pub const ENTERPRISE_PRICE: &str = "price_standin_enterprise";
/// The API version the objects are shaped after (async-stripe 1.0.0-rc.10's).
pub const API_VERSION: &str = "2026-09-30.endive";

fn now() -> i64 {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

fn new_id(prefix: &str) -> String {
    format!("{prefix}_{}", uuid::Uuid::new_v4().simple())
}

/// An Event wrapping `object`.
pub fn event(event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": new_id("evt"),
        "object": "event",
        "api_version": API_VERSION,
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "request": { "id": null, "idempotency_key": null },
        "type": event_type,
        "data": { "object": object }
    })
}

/// A Subscription with one item on `price`, for the billing period starting at `period_start`.
pub fn subscription(
    id: &str,
    customer: &str,
    status: &str,
    price: &str,
    period_start: i64,
    metadata: Value,
) -> Value {
    let period_end = period_start + 30 * 86_400;
    json!({
        "id": id,
        "object": "subscription",
        "customer": customer,
        "status": status,
        "cancel_at_period_end": false,
        "canceled_at": if status == "canceled" { json!(now()) } else { Value::Null },
        "collection_method": "charge_automatically",
        "created": period_start,
        "currency": "jpy",
        "livemode": false,
        "metadata": metadata,
        "items": {
            "object": "list",
            "data": [{
                "id": format!("si_{}", &id[4..]),
                "object": "subscription_item",
                "created": period_start,
                "current_period_start": period_start,
                "current_period_end": period_end,
                "quantity": 1,
                "subscription": id,
                "price": {
                    "id": price,
                    "object": "price",
                    "active": true,
                    "currency": "jpy",
                    "type": "recurring",
                    "unit_amount": 30000,
                    "recurring": { "interval": "month", "interval_count": 1, "usage_type": "licensed" }
                }
            }],
            "has_more": false,
            "url": format!("/v1/subscription_items?subscription={id}")
        }
    })
}

/// An Invoice of `customer` for `subscription`, `paid` or not.
pub fn invoice(customer: &str, subscription: &str, paid: bool, created: i64) -> Value {
    json!({
        "id": new_id("in"),
        "object": "invoice",
        "customer": customer,
        "currency": "jpy",
        "amount_due": 30000,
        "amount_paid": if paid { 30000 } else { 0 },
        "amount_remaining": if paid { 0 } else { 30000 },
        "attempt_count": 1,
        "billing_reason": "subscription_cycle",
        "collection_method": "charge_automatically",
        "created": created,
        "livemode": false,
        "status": if paid { "paid" } else { "open" },
        "parent": {
            "type": "subscription_details",
            "quote_details": null,
            "subscription_details": { "subscription": subscription, "metadata": {} }
        }
    })
}

#[derive(Clone)]
struct CheckoutSession {
    object: Value,
    price: String,
    metadata: HashMap<String, String>,
}

#[derive(Default)]
struct Books {
    sessions: HashMap<String, CheckoutSession>,
    /// Customer → its subscription id, price and metadata.
    subscriptions: HashMap<String, (String, String, Value)>,
    portals: HashMap<String, (String, String)>,
    /// Where webhooks go: the app's port (apex host `localhost`).
    webhook_port: Option<u16>,
    /// Every delivery: (event type, the app's status).
    deliveries: Vec<(String, u16)>,
}

/// The running stand-in. Dropping it stops nothing (its task lives as long as the runtime).
#[derive(Clone)]
pub struct StripeStandIn {
    pub base_url: String,
    books: Arc<Mutex<Books>>,
}

type Shared = Arc<Mutex<Books>>;

#[derive(Clone)]
struct StandInState {
    books: Shared,
    base_url: String,
}

impl StripeStandIn {
    /// Starts it on a free loopback port.
    pub async fn start() -> StripeStandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a loopback port");
        let base_url = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
        let books: Shared = Arc::default();
        let state = StandInState {
            books: books.clone(),
            base_url: base_url.clone(),
        };
        let router = Router::new()
            .route("/v1/checkout/sessions", post(create_checkout_session))
            .route("/v1/billing_portal/sessions", post(create_portal_session))
            .route("/checkout/{id}", get(show_checkout))
            .route("/checkout/{id}/pay", post(pay))
            .route("/portal/{id}", get(show_portal))
            .route("/portal/{id}/cancel", post(cancel_in_portal))
            .with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, router).await;
        });
        StripeStandIn { base_url, books }
    }

    /// The app's configuration for talking to this stand-in.
    pub fn config(&self) -> Vec<(&'static str, String)> {
        vec![
            ("STRIPE_SECRET_KEY", SECRET_KEY.to_owned()),
            ("STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET.to_owned()),
            ("STRIPE_API_BASE", format!("{}/", self.base_url)),
            ("STRIPE_PRICE_STANDARD", STANDARD_PRICE.to_owned()),
            ("STRIPE_PRICE_ENTERPRISE", ENTERPRISE_PRICE.to_owned()),
        ]
    }

    /// Delivers webhooks to the app served on `port`.
    pub fn deliver_to(&self, port: u16) {
        self.books.lock().unwrap().webhook_port = Some(port);
    }

    /// Every delivery so far: (event type, the app's answer).
    pub fn deliveries(&self) -> Vec<(String, u16)> {
        self.books.lock().unwrap().deliveries.clone()
    }

    /// The subscription of `customer`, if it has one.
    pub fn subscription_of(&self, customer: &str) -> Option<String> {
        self.books
            .lock()
            .unwrap()
            .subscriptions
            .get(customer)
            .map(|(id, _, _)| id.clone())
    }

    /// Pays the Checkout Session at `url` (its hosted page's address) as the Pay button does;
    /// the success address.
    pub async fn pay(&self, url: &str) -> Option<String> {
        let id = url.rsplit('/').next()?;
        complete(&self.books, id).await
    }

    /// Cancels `customer`'s subscription as the portal's button does.
    pub async fn cancel(&self, customer: &str) -> u16 {
        cancel_subscription(&self.books, customer).await
    }

    /// The customer created for the network `tenant` (by its subscription's metadata).
    pub fn customer_of(&self, tenant: &str) -> Option<String> {
        self.books
            .lock()
            .unwrap()
            .subscriptions
            .iter()
            .find(|(_, (_, _, metadata))| metadata["tenant_id"] == tenant)
            .map(|(customer, _)| customer.clone())
    }

    /// Stripe's retry of a renewal failed: sends `invoice.payment_failed` for `customer`.
    pub async fn fail_renewal(&self, customer: &str) -> u16 {
        let subscription = self.subscription_of(customer).unwrap_or_default();
        let object = invoice(customer, &subscription, false, now());
        deliver(&self.books, &event("invoice.payment_failed", now(), object)).await
    }
}

/// Signs and posts `event` to the app, as Stripe delivers webhooks; the app's status.
async fn deliver(books: &Shared, event: &Value) -> u16 {
    let port = books.lock().unwrap().webhook_port;
    let Some(port) = port else {
        return 0;
    };
    let payload = serde_json::to_vec(event).unwrap();
    let header = tsunagu_onboarding::billing::signature::sign(&payload, WEBHOOK_SECRET, now());
    let status = post_json(port, "/stripe/webhook", &payload, &header).await;
    books.lock().unwrap().deliveries.push((
        event["type"].as_str().unwrap_or_default().to_owned(),
        status,
    ));
    status
}

/// A minimal HTTP/1.1 POST to the app on loopback (host `localhost`, the apex site).
pub async fn post_json(port: u16, path: &str, payload: &[u8], signature: &str) -> u16 {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Ok(mut stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
        return 0;
    };
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json; charset=utf-8\r\n\
         Stripe-Signature: {signature}\r\nUser-Agent: Stripe/1.0 (+https://stripe.com/docs/webhooks)\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n",
        payload.len()
    );
    if stream.write_all(head.as_bytes()).await.is_err() || stream.write_all(payload).await.is_err()
    {
        return 0;
    }
    let mut response = Vec::new();
    let _ = stream.read_to_end(&mut response).await;
    String::from_utf8_lossy(&response)
        .split_whitespace()
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0)
}

fn stripe_error(status: StatusCode, message: &str) -> Response {
    (
        status,
        Json(json!({ "error": { "type": "invalid_request_error", "message": message } })),
    )
        .into_response()
}

fn authorised(headers: &HeaderMap) -> bool {
    headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == format!("Bearer {SECRET_KEY}"))
}

/// Form fields as Stripe's API takes them (`line_items[0][price]`, `metadata[tenant_id]`).
fn fields(body: &str) -> HashMap<String, String> {
    serde_urlencoded::from_str::<Vec<(String, String)>>(body)
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn metadata_of(fields: &HashMap<String, String>, prefix: &str) -> HashMap<String, String> {
    fields
        .iter()
        .filter_map(|(key, value)| {
            key.strip_prefix(prefix)
                .and_then(|rest| rest.strip_prefix('['))
                .and_then(|rest| rest.strip_suffix(']'))
                .map(|name| (name.to_owned(), value.clone()))
        })
        .collect()
}

async fn create_checkout_session(
    State(state): State<StandInState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorised(&headers) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let fields = fields(&body);
    let Some(price) = fields.get("line_items[0][price]").cloned() else {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            "Missing required param: line_items.",
        );
    };
    if ![STANDARD_PRICE, ENTERPRISE_PRICE].contains(&price.as_str()) {
        return stripe_error(
            StatusCode::BAD_REQUEST,
            &format!("No such price: '{price}'"),
        );
    }
    let id = new_id("cs_test");
    let created = now();
    let metadata = metadata_of(&fields, "metadata");
    let object = json!({
        "id": id,
        "object": "checkout.session",
        "automatic_tax": { "enabled": false, "liability": null, "provider": null, "status": null },
        "cancel_url": fields.get("cancel_url"),
        "client_reference_id": fields.get("client_reference_id"),
        "created": created,
        "currency": "jpy",
        "custom_fields": [],
        "custom_text": { "after_submit": null, "shipping_address": null, "submit": null, "terms_of_service_acceptance": null },
        "customer": fields.get("customer"),
        "customer_email": fields.get("customer_email"),
        "expires_at": created + 86_400,
        "livemode": false,
        "locale": fields.get("locale"),
        "metadata": metadata,
        "mode": fields.get("mode").map_or("payment", String::as_str),
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "shipping_options": [],
        "status": "open",
        "subscription": null,
        "success_url": fields.get("success_url"),
        "url": format!("{}/checkout/{id}", state.base_url)
    });
    state.books.lock().unwrap().sessions.insert(
        id,
        CheckoutSession {
            object: object.clone(),
            price,
            metadata: metadata_of(&fields, "subscription_data[metadata]"),
        },
    );
    Json(object).into_response()
}

const PAGE_STYLE: &str = "font-family: system-ui, sans-serif; max-width: 32rem; margin: 3rem auto; padding: 2rem; border: 1px solid #ccd; border-radius: 12px";

async fn show_checkout(State(state): State<StandInState>, Path(id): Path<String>) -> Response {
    let Some(session) = state.books.lock().unwrap().sessions.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "No such checkout session").into_response();
    };
    let email = session.object["customer_email"].as_str().unwrap_or("");
    let cancel = session.object["cancel_url"].as_str().unwrap_or("/");
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stand-in Checkout</title></head>\
         <body><main style=\"{PAGE_STYLE}\"><p>Stripe stand-in (tests only)</p><h1>Subscribe</h1>\
         <p>Plan price <code>{price}</code> · ¥30,000 / month</p><p>{email}</p>\
         <form method=\"post\" action=\"/checkout/{id}/pay\"><label>Card number <input name=\"card\" value=\"4242 4242 4242 4242\"></label>\
         <p><button type=\"submit\">Pay and subscribe</button></p></form>\
         <p><a href=\"{cancel}\">Cancel</a></p></main></body></html>",
        price = session.price
    ))
    .into_response()
}

async fn pay(
    State(state): State<StandInState>,
    Path(id): Path<String>,
    Form(_card): Form<HashMap<String, String>>,
) -> Response {
    match complete(&state.books, &id).await {
        Some(success) => Redirect::to(&success).into_response(),
        None => (StatusCode::NOT_FOUND, "No such checkout session").into_response(),
    }
}

/// Pays the session: a customer and an active subscription, the webhooks delivered, and the
/// address Checkout would send the browser back to.
async fn complete(books: &Shared, id: &str) -> Option<String> {
    let session = books.lock().unwrap().sessions.get(id).cloned()?;
    let customer = session.object["customer"]
        .as_str()
        .map_or_else(|| new_id("cus"), str::to_owned);
    let subscription_id = new_id("sub");
    let started = now();
    let metadata = json!(session.metadata);
    books.lock().unwrap().subscriptions.insert(
        customer.clone(),
        (
            subscription_id.clone(),
            session.price.clone(),
            metadata.clone(),
        ),
    );
    let mut completed = session.object.clone();
    completed["customer"] = json!(customer);
    completed["subscription"] = json!(subscription_id);
    completed["status"] = json!("complete");
    completed["payment_status"] = json!("paid");
    completed["url"] = Value::Null;
    let subscription_object = subscription(
        &subscription_id,
        &customer,
        "active",
        &session.price,
        started,
        metadata,
    );
    // Stripe sends these in no guaranteed order; the app must not care.
    for event in [
        event(
            "customer.subscription.created",
            started,
            subscription_object,
        ),
        event("checkout.session.completed", started, completed),
        event(
            "invoice.paid",
            started,
            invoice(&customer, &subscription_id, true, started),
        ),
    ] {
        deliver(books, &event).await;
    }
    Some(
        session.object["success_url"]
            .as_str()
            .unwrap_or("/")
            .replace("{CHECKOUT_SESSION_ID}", id),
    )
}

async fn create_portal_session(
    State(state): State<StandInState>,
    headers: HeaderMap,
    body: String,
) -> Response {
    if !authorised(&headers) {
        return stripe_error(StatusCode::UNAUTHORIZED, "Invalid API Key provided");
    }
    let fields = fields(&body);
    let Some(customer) = fields.get("customer").cloned() else {
        return stripe_error(StatusCode::BAD_REQUEST, "Missing required param: customer.");
    };
    let return_url = fields.get("return_url").cloned().unwrap_or_default();
    let id = new_id("bps");
    state
        .books
        .lock()
        .unwrap()
        .portals
        .insert(id.clone(), (customer.clone(), return_url.clone()));
    Json(json!({
        "id": id,
        "object": "billing_portal.session",
        "configuration": "bpc_standin",
        "created": now(),
        "customer": customer,
        "customer_account": null,
        "flow": null,
        "livemode": false,
        "locale": null,
        "on_behalf_of": null,
        "return_url": return_url,
        "url": format!("{}/portal/{id}", state.base_url)
    }))
    .into_response()
}

async fn show_portal(State(state): State<StandInState>, Path(id): Path<String>) -> Response {
    let Some((customer, return_url)) = state.books.lock().unwrap().portals.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "No such portal session").into_response();
    };
    Html(format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Stand-in Customer Portal</title></head>\
         <body><main style=\"{PAGE_STYLE}\"><p>Stripe stand-in (tests only)</p><h1>Customer portal</h1><p>{customer}</p>\
         <form method=\"post\" action=\"/portal/{id}/cancel\"><button type=\"submit\">Cancel subscription</button></form>\
         <p><a href=\"{return_url}\">Return to Tsunagu</a></p></main></body></html>"
    ))
    .into_response()
}

async fn cancel_in_portal(State(state): State<StandInState>, Path(id): Path<String>) -> Response {
    let Some((customer, return_url)) = state.books.lock().unwrap().portals.get(&id).cloned() else {
        return (StatusCode::NOT_FOUND, "No such portal session").into_response();
    };
    cancel_subscription(&state.books, &customer).await;
    Redirect::to(&return_url).into_response()
}

/// Ends `customer`'s subscription and delivers `customer.subscription.deleted`; the app's status
/// (0 when the customer has none).
async fn cancel_subscription(books: &Shared, customer: &str) -> u16 {
    let row = books.lock().unwrap().subscriptions.get(customer).cloned();
    let Some((subscription_id, price, metadata)) = row else {
        return 0;
    };
    let object = subscription(
        &subscription_id,
        customer,
        "canceled",
        &price,
        now(),
        metadata,
    );
    deliver(
        books,
        &event("customer.subscription.deleted", now(), object),
    )
    .await
}
