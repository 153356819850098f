//! `POST /stripe/webhook` on the apex site (docs/BILLING.md). Stripe's signature is the
//! credential (the route is exempt from CSRF checks, which a server-to-server POST cannot pass).
//! Each event is processed once: its id is claimed in `platform.stripe_events` in the same
//! transaction as its effect, so a replay or redelivery changes nothing. Subscription objects
//! are applied by their own state (`events::decide`), so the order of delivery does not matter.
//! Written as `tsunagu_platform` on the server's platform pool: the role serving pages cannot
//! change a plan.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tsunagu_kernel::{PlatformTx, TenantId};
use tsunagu_web::{AppError, AppState};

use super::events::{self, Decision, Event, Kind};
use super::signature;
use crate::billing_queries::{self as queries, SubscriptionRow};

/// What processing an event came to (recorded with it, and answered to Stripe).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Applied,
    /// An older picture than the one stored: nothing changed.
    Stale,
    /// A type this endpoint does not act on.
    UnknownType,
    /// No network matches the event (e.g. a customer created outside Tsunagu).
    NoNetwork,
    /// Processed before: nothing changed this time.
    Replayed,
}

impl Outcome {
    fn as_str(self) -> &'static str {
        match self {
            Outcome::Applied => "applied",
            Outcome::Stale => "stale",
            Outcome::UnknownType => "unknown_type",
            Outcome::NoNetwork => "no_network",
            Outcome::Replayed => "replayed",
        }
    }
}

fn refuse(status: StatusCode, error: &str) -> Response {
    (status, Json(serde_json::json!({ "error": error }))).into_response()
}

/// `POST /stripe/webhook`.
pub async fn receive(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let Some(config) = state.config.stripe.as_ref() else {
        return refuse(
            StatusCode::NOT_FOUND,
            "billing is not configured on this server",
        );
    };
    let header = headers
        .get("stripe-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let now = state.clock.now().unix_timestamp();
    if let Err(error) = signature::verify(&body, header, config.webhook_secret.expose(), now) {
        tracing::warn!(%error, "Stripe webhook refused");
        return refuse(StatusCode::BAD_REQUEST, &error.to_string());
    }
    let event: Event = match serde_json::from_slice(&body) {
        Ok(event) => event,
        Err(error) => {
            tracing::warn!(%error, "Stripe webhook with a payload that is not an event");
            return refuse(StatusCode::BAD_REQUEST, "the payload is not a Stripe event");
        }
    };
    let kind = match event.kind() {
        Ok(kind) => kind,
        Err(error) => {
            // Signed by Stripe but not the object its type names: Stripe retries, and the log
            // says what to look at.
            tracing::error!(%error, event.id = %event.id, "Stripe event object unreadable");
            return refuse(
                StatusCode::BAD_REQUEST,
                "the event's object could not be read",
            );
        }
    };
    match process(&state, &event, kind).await {
        Ok(outcome) => {
            tracing::info!(event.id = %event.id, event.type = %event.event_type, outcome = outcome.as_str(), "Stripe event");
            (
                StatusCode::OK,
                Json(serde_json::json!({ "received": true, "outcome": outcome })),
            )
                .into_response()
        }
        Err(error) => {
            tracing::error!(%error, event.id = %event.id, "Stripe event not processed; Stripe will retry");
            refuse(
                StatusCode::INTERNAL_SERVER_ERROR,
                "not processed; retry later",
            )
        }
    }
}

/// A plan change an applied event made, carried out after the commit.
struct PlanChange {
    tenant: TenantId,
    slug: String,
    from: String,
    to: String,
}

async fn process(state: &AppState, event: &Event, kind: Kind) -> Result<Outcome, AppError> {
    let db = state.platform_db.get().ok_or_else(|| {
        AppError::Internal(anyhow::anyhow!(
            "the server has no platform pool (PLATFORM_DATABASE_URL) for billing"
        ))
    })?;
    let mut tx = db.begin_platform().await?;
    if !queries::claim_event(&mut tx, &event.id, &event.event_type, event.created_at()).await? {
        tx.rollback().await?;
        return Ok(Outcome::Replayed);
    }
    let (tenant, outcome, change, standing_changed) = match kind {
        Kind::CheckoutCompleted(session) => checkout_completed(&mut tx, &session).await?,
        Kind::Subscription(subscription) => {
            subscription_changed(state, &mut tx, &subscription, event).await?
        }
        Kind::InvoicePaid(invoice) => invoice_reported(&mut tx, &invoice, event, true).await?,
        Kind::InvoiceFailed(invoice) => invoice_reported(&mut tx, &invoice, event, false).await?,
        Kind::Other => (None, Outcome::UnknownType, None, None),
    };
    queries::finish_event(&mut tx, &event.id, tenant, outcome.as_str()).await?;
    tx.commit().await?;
    if let Some(slug) = standing_changed {
        state.tenant_changed(&slug).await;
    }
    if let Some(change) = change {
        apply_plan_change(state, &change, &event.id).await?;
    }
    Ok(outcome)
}

type Processed = (
    Option<TenantId>,
    Outcome,
    Option<PlanChange>,
    Option<String>,
);

fn parse_tenant(value: Option<&str>) -> Option<TenantId> {
    value
        .and_then(|v| v.parse::<uuid::Uuid>().ok())
        .map(TenantId)
}

async fn set_plan(
    tx: &mut PlatformTx,
    tenant: TenantId,
    plan: &str,
) -> Result<Option<PlanChange>, AppError> {
    let Some((slug, from)) =
        tsunagu_tenancy::billing_queries::set_plan_from_billing(tx, tenant, plan).await?
    else {
        return Ok(None);
    };
    Ok((from != plan).then(|| PlanChange {
        tenant,
        slug,
        from,
        to: plan.to_owned(),
    }))
}

async fn checkout_completed(
    tx: &mut PlatformTx,
    session: &events::CheckoutSession,
) -> Result<Processed, AppError> {
    let Some(tenant) = parse_tenant(session.client_reference_id.as_deref()) else {
        return Ok((None, Outcome::NoNetwork, None, None));
    };
    if !queries::network_exists(tx, tenant).await? {
        return Ok((None, Outcome::NoNetwork, None, None));
    }
    let account = queries::lock_account(tx, tenant).await?;
    if let Some(customer) = &session.customer {
        queries::link_customer(
            tx,
            tenant,
            customer.id(),
            session.subscription.as_ref().map(|s| s.id()),
        )
        .await?;
    }
    // Provision at once when paid, unless a subscription event already said more.
    let plan = session
        .metadata
        .get("plan")
        .and_then(|key| tsunagu_tenancy::plans::find(key))
        .filter(|plan| plan.is_paid());
    let change = match plan {
        Some(plan)
            if session.mode == "subscription"
                && session.payment_status == "paid"
                && account.applied_event_created.is_none() =>
        {
            queries::provision_from_checkout(tx, tenant, &plan.key).await?;
            set_plan(tx, tenant, &plan.key).await?
        }
        _ => None,
    };
    Ok((Some(tenant), Outcome::Applied, change, None))
}

/// The plan a Stripe price is for, through the price variables of `plans.toml`.
fn plan_of_price(state: &AppState, price: &str) -> Option<&'static tsunagu_tenancy::plans::Plan> {
    let variable = state.config.stripe.as_ref()?.variable_of_price(price)?;
    tsunagu_tenancy::plans::plans()
        .iter()
        .find(|plan| plan.stripe_price_env.as_deref() == Some(variable))
}

async fn subscription_changed(
    state: &AppState,
    tx: &mut PlatformTx,
    subscription: &events::Subscription,
    event: &Event,
) -> Result<Processed, AppError> {
    let mut tenant = parse_tenant(subscription.metadata.get("tenant_id").map(String::as_str));
    if let Some(id) = tenant {
        if !queries::network_exists(tx, id).await? {
            tenant = None;
        }
    }
    if tenant.is_none() {
        tenant = queries::network_of_customer(tx, subscription.customer.id()).await?;
    }
    let Some(tenant) = tenant else {
        return Ok((None, Outcome::NoNetwork, None, None));
    };
    let account = queries::lock_account(tx, tenant).await?;
    if events::decide(&account, subscription, event.created_at()) == Decision::Stale {
        return Ok((Some(tenant), Outcome::Stale, None, None));
    }
    let plan = subscription
        .price_id()
        .and_then(|price| plan_of_price(state, price));
    if plan.is_none() {
        tracing::warn!(subscription = %subscription.id, price = ?subscription.price_id(), "a subscription's price is not one of the configured plans'");
    }
    let (period_start, period_end) = subscription.period();
    queries::store_subscription(
        tx,
        tenant,
        &SubscriptionRow {
            customer: subscription.customer.id(),
            subscription: &subscription.id,
            status: &subscription.status,
            plan: plan.map(|p| p.key.as_str()),
            current_period_start: period_start,
            current_period_end: period_end,
            cancel_at_period_end: subscription.cancel_at_period_end,
            event_created: event.created_at(),
        },
    )
    .await?;
    let mut standing_changed = None;
    let change = if subscription.grants_plan() {
        match plan {
            Some(plan) => set_plan(tx, tenant, &plan.key).await?,
            None => None,
        }
    } else if subscription.has_ended() || subscription.status == "unpaid" {
        // Ended or given up on: back to the free plan. Nothing is deleted; sign-ups beyond its
        // cap wait in the approval queue until the network pays again.
        if tsunagu_tenancy::billing_queries::set_payment_failed(tx, tenant, None).await? {
            standing_changed = tsunagu_tenancy::billing_queries::slug_of(tx, tenant).await?;
        }
        set_plan(tx, tenant, &tsunagu_tenancy::plans::plans()[0].key).await?
    } else {
        None
    };
    Ok((Some(tenant), Outcome::Applied, change, standing_changed))
}

async fn invoice_reported(
    tx: &mut PlatformTx,
    invoice: &events::Invoice,
    event: &Event,
    paid: bool,
) -> Result<Processed, AppError> {
    let Some(tenant) = queries::network_of_customer(tx, invoice.customer.id()).await? else {
        return Ok((None, Outcome::NoNetwork, None, None));
    };
    let account = queries::lock_account(tx, tenant).await?;
    // An invoice older than the last one reported says nothing about now (a late "paid" of
    // last month's invoice does not clear this month's failure).
    if account
        .last_invoice_at
        .is_some_and(|last| invoice.created_at() < last)
    {
        return Ok((Some(tenant), Outcome::Stale, None, None));
    }
    let (status, amount) = if paid {
        ("paid", invoice.amount_paid)
    } else {
        ("failed", invoice.amount_due)
    };
    queries::store_invoice(
        tx,
        tenant,
        status,
        amount,
        &invoice.currency,
        invoice.created_at(),
    )
    .await?;
    let failed_at = (!paid).then(|| event.created_at());
    let changed =
        tsunagu_tenancy::billing_queries::set_payment_failed(tx, tenant, failed_at).await?;
    let standing_changed = if changed {
        tsunagu_tenancy::billing_queries::slug_of(tx, tenant).await?
    } else {
        None
    };
    Ok((Some(tenant), Outcome::Applied, None, standing_changed))
}

/// After a plan change: every replica learns it, a plan with more room lets in the sign-ups the
/// member cap held (oldest first), and the network's audit log records it.
async fn apply_plan_change(
    state: &AppState,
    change: &PlanChange,
    event_id: &str,
) -> Result<(), AppError> {
    state.tenant_changed(&change.slug).await;
    let mut tx = tsunagu_web::access::begin_console_delivery(state, change.tenant).await?;
    let active = tsunagu_identity::queries::active_members_locked(&mut tx).await?;
    let room = tsunagu_tenancy::plans::Entitlements::of(&change.to).room(active);
    let released = tsunagu_identity::queries::release_held(&mut tx, room).await?;
    tsunagu_kernel::audit::record(
        &mut tx,
        "plan.changed",
        "tenant",
        Some(change.tenant.as_uuid()),
        serde_json::json!({
            "from": change.from,
            "to": change.to,
            "released": released.len(),
            "by": "Stripe",
            "event": event_id,
        }),
    )
    .await?;
    tx.commit().await?;
    tracing::info!(tenant = %change.slug, from = %change.from, to = %change.to, released = released.len(), "plan changed by billing");
    Ok(())
}
