//! SQL of billing (docs/BILLING.md): `platform.billing_accounts` (a network's Stripe customer and
//! subscription as last applied) and `platform.stripe_events` (every webhook event processed,
//! the idempotency key). The webhook writes as `tsunagu_platform`; the secretariat's billing page
//! reads its own network's row in its tenant transaction.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, PlatformTx, TenantId, TenantTx};

/// A network's billing account as stored.
#[derive(Debug, Clone, Default, sqlx::FromRow, serde::Serialize)]
pub struct BillingAccount {
    pub stripe_customer_id: Option<String>,
    pub stripe_subscription_id: Option<String>,
    pub subscription_status: Option<String>,
    pub subscription_plan: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_period_start: Option<OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
    #[serde(skip)]
    pub applied_event_created: Option<OffsetDateTime>,
    pub last_invoice_status: Option<String>,
    pub last_invoice_amount: Option<i64>,
    pub last_invoice_currency: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_invoice_at: Option<OffsetDateTime>,
}

const ACCOUNT_COLUMNS: &str = "stripe_customer_id, stripe_subscription_id, subscription_status, \
    subscription_plan, current_period_start, current_period_end, cancel_at_period_end, \
    applied_event_created, last_invoice_status, last_invoice_amount, last_invoice_currency, \
    last_invoice_at";

/// Claims `event_id` for this transaction: false when it was processed before (a replay or a
/// redelivery), and then nothing may change. A concurrent delivery of the same event waits here
/// for the first to commit.
pub async fn claim_event(
    tx: &mut PlatformTx,
    event_id: &str,
    event_type: &str,
    created: OffsetDateTime,
) -> Result<bool, DbError> {
    let claimed: Option<String> = sqlx::query_scalar(
        "insert into platform.stripe_events (event_id, event_type, outcome, event_created) \
         values ($1, $2, 'processing', $3) on conflict (event_id) do nothing returning event_id",
    )
    .bind(event_id)
    .bind(event_type)
    .bind(created)
    .fetch_optional(tx.conn())
    .await?;
    Ok(claimed.is_some())
}

/// What processing the claimed event came to.
pub async fn finish_event(
    tx: &mut PlatformTx,
    event_id: &str,
    tenant: Option<TenantId>,
    outcome: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "update platform.stripe_events set outcome = $2, tenant_id = $3 where event_id = $1",
    )
    .bind(event_id)
    .bind(outcome)
    .bind(tenant)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Whether a network with this id exists.
pub async fn network_exists(tx: &mut PlatformTx, tenant: TenantId) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("select exists (select 1 from platform.tenants where id = $1)")
            .bind(tenant)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The network a Stripe customer pays for.
pub async fn network_of_customer(
    tx: &mut PlatformTx,
    customer: &str,
) -> Result<Option<TenantId>, DbError> {
    Ok(sqlx::query_scalar(
        "select tenant_id from platform.billing_accounts where stripe_customer_id = $1",
    )
    .bind(customer)
    .fetch_optional(tx.conn())
    .await?)
}

/// The network's account, locked for this transaction's update (created empty when missing, so
/// two events for one network are applied one after the other).
pub async fn lock_account(
    tx: &mut PlatformTx,
    tenant: TenantId,
) -> Result<BillingAccount, DbError> {
    sqlx::query(
        "insert into platform.billing_accounts (tenant_id) values ($1) \
         on conflict (tenant_id) do nothing",
    )
    .bind(tenant)
    .execute(tx.conn())
    .await?;
    Ok(sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from platform.billing_accounts where tenant_id = $1 for update"
    ))
    .bind(tenant)
    .fetch_one(tx.conn())
    .await?)
}

/// Links the network to its Stripe customer (and subscription, when known).
pub async fn link_customer(
    tx: &mut PlatformTx,
    tenant: TenantId,
    customer: &str,
    subscription: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query(
        "update platform.billing_accounts set stripe_customer_id = $2, \
           stripe_subscription_id = coalesce(stripe_subscription_id, $3), updated_at = now() \
         where tenant_id = $1",
    )
    .bind(tenant)
    .bind(customer)
    .bind(subscription)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// A subscription's state, as one event's object describes it.
pub struct SubscriptionRow<'a> {
    pub customer: &'a str,
    pub subscription: &'a str,
    pub status: &'a str,
    pub plan: Option<&'a str>,
    pub current_period_start: Option<OffsetDateTime>,
    pub current_period_end: Option<OffsetDateTime>,
    pub cancel_at_period_end: bool,
    pub event_created: OffsetDateTime,
}

pub async fn store_subscription(
    tx: &mut PlatformTx,
    tenant: TenantId,
    row: &SubscriptionRow<'_>,
) -> Result<(), DbError> {
    sqlx::query(
        "update platform.billing_accounts set stripe_customer_id = $2, stripe_subscription_id = $3, \
           subscription_status = $4, subscription_plan = coalesce($5, subscription_plan), \
           current_period_start = $6, current_period_end = $7, cancel_at_period_end = $8, \
           applied_event_created = $9, updated_at = now() \
         where tenant_id = $1",
    )
    .bind(tenant)
    .bind(row.customer)
    .bind(row.subscription)
    .bind(row.status)
    .bind(row.plan)
    .bind(row.current_period_start)
    .bind(row.current_period_end)
    .bind(row.cancel_at_period_end)
    .bind(row.event_created)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Records the latest invoice Stripe reported.
pub async fn store_invoice(
    tx: &mut PlatformTx,
    tenant: TenantId,
    status: &str,
    amount: i64,
    currency: &str,
    at: OffsetDateTime,
) -> Result<(), DbError> {
    sqlx::query(
        "update platform.billing_accounts set last_invoice_status = $2, last_invoice_amount = $3, \
           last_invoice_currency = $4, last_invoice_at = $5, updated_at = now() \
         where tenant_id = $1",
    )
    .bind(tenant)
    .bind(status)
    .bind(amount)
    .bind(currency)
    .bind(at)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The billing account of the transaction's network (the secretariat's billing page).
pub async fn account_of_transaction(tx: &mut TenantTx) -> Result<Option<BillingAccount>, DbError> {
    let tenant = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {ACCOUNT_COLUMNS} from platform.billing_accounts where tenant_id = $1"
    ))
    .bind(tenant)
    .fetch_optional(tx.conn())
    .await?)
}

/// A completed, paid Checkout Session provisions its plan at once, unless a subscription event
/// was applied already (it knows more: its status and period).
pub async fn provision_from_checkout(
    tx: &mut PlatformTx,
    tenant: TenantId,
    plan: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "update platform.billing_accounts set subscription_status = 'active', \
           subscription_plan = $2, updated_at = now() \
         where tenant_id = $1 and applied_event_created is null",
    )
    .bind(tenant)
    .bind(plan)
    .execute(tx.conn())
    .await?;
    Ok(())
}
