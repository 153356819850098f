//! The secretariat's billing page (`/secretariat/billing`, docs/BILLING.md): the plan and what
//! it includes, where the payment stands, the subscription's renewal and the last invoice; an
//! upgrade through Stripe Checkout and card changes or cancellation in Stripe's Customer Portal.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use serde::{Deserialize, Serialize};
use tsunagu_tenancy::plans::{self, PaymentStanding, Plan};
use tsunagu_web::access::Authorized;
use tsunagu_web::forms::render_page;
use tsunagu_web::{AppError, AppState, Page};

use super::stripe_api::{self, CheckoutRequest};
use crate::billing_queries::{self, BillingAccount};
use crate::start::group_thousands;

/// A plan the secretariat may move to on its own.
#[derive(Serialize)]
struct UpgradeOption {
    key: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    monthly_yen_text: String,
    /// The member cap with thousands separators (none: no cap).
    member_cap: Option<String>,
}

#[derive(Serialize)]
struct PlanView {
    key: &'static str,
    name_ja: &'static str,
    name_en: &'static str,
    paid: bool,
    monthly_yen_text: String,
    member_cap: Option<String>,
    surveys_export: bool,
    custom_domain: bool,
    cs_support_hours: u32,
}

fn plan_view(plan: &'static Plan) -> PlanView {
    PlanView {
        key: &plan.key,
        name_ja: &plan.name.ja,
        name_en: &plan.name.en,
        paid: plan.is_paid(),
        monthly_yen_text: group_thousands(plan.monthly_yen.unwrap_or(0)),
        member_cap: plan.member_cap.map(group_thousands),
        surveys_export: plan.surveys_export,
        custom_domain: plan.custom_domain,
        cs_support_hours: plan.cs_support_hours,
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct BillingQuery {
    #[serde(default)]
    checkout: String,
}

/// `GET /secretariat/billing`.
pub async fn show_billing(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Query(query): Query<BillingQuery>,
) -> Result<Response, AppError> {
    render_billing(
        &state,
        &member,
        &page,
        &query.checkout,
        None,
        StatusCode::OK,
    )
    .await
}

async fn render_billing(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    checkout: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Result<Response, AppError> {
    let tenant = &member.tenant;
    let mut tx = member.begin(state).await?;
    let account = billing_queries::account_of_transaction(&mut tx)
        .await?
        .unwrap_or_default();
    let active = tsunagu_identity::queries::active_members(&mut tx).await?;
    tx.commit().await?;
    let now = state.clock.now();
    let plan = plans::find(&tenant.plan).unwrap_or(&plans::plans()[0]);
    let entitlements = tenant.entitlements_at(now);
    let configured = state.config.stripe.is_some();
    let upgrades: Vec<UpgradeOption> = plans::plans()
        .iter()
        .filter(|p| p.is_paid() && p.is_self_serve() && p.key != plan.key)
        .filter(|p| {
            p.stripe_price_env
                .as_deref()
                .and_then(|v| state.config.stripe.as_ref()?.price(v))
                .is_some()
        })
        .map(|p| UpgradeOption {
            key: &p.key,
            name_ja: &p.name.ja,
            name_en: &p.name.en,
            monthly_yen_text: group_thousands(p.monthly_yen.unwrap_or(0)),
            member_cap: p.member_cap.map(group_thousands),
        })
        .collect();
    let checkout_notice = match checkout {
        "success" => Some("billing.checkout_success"),
        "cancelled" => Some("billing.checkout_cancelled"),
        _ => None,
    };
    let standing = tenant.payment_standing_at(now);
    let grace_until = match standing {
        PaymentStanding::Failed { grace_until } => Some(tsunagu_web::dates::date(
            grace_until,
            page.lang,
            tsunagu_web::dates::Zone::of(tenant),
        )),
        _ => None,
    };
    let zone = tsunagu_web::dates::Zone::of(tenant);
    let date = |at: Option<time::OffsetDateTime>| {
        at.map(|at| tsunagu_web::dates::date(at, page.lang, zone))
    };
    let account_view = AccountView::new(&account, &date);
    render_page(state, page, "onboarding/billing.html", status, |c| {
        c.insert("section", "billing");
        c.insert("plan", &plan_view(plan));
        c.insert("paused", &entitlements.is_paused());
        c.insert("standing", &standing);
        c.insert("grace_until", &grace_until);
        c.insert(
            "active_members",
            &group_thousands(u32::try_from(active).unwrap_or(u32::MAX)),
        );
        c.insert("account", &account_view);
        c.insert("upgrades", &upgrades);
        c.insert("configured", &configured);
        c.insert("checkout_notice", &checkout_notice);
        c.insert("error", &error);
    })
}

/// The billing page again, with `error_key` said at its top.
async fn refused(
    state: &AppState,
    member: &Authorized,
    page: &Page,
    error_key: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    render_billing(state, member, page, "", Some(error_key), status).await
}

/// The stored account as the page shows it.
#[derive(Serialize)]
struct AccountView {
    has_customer: bool,
    status: Option<String>,
    renews_on: Option<String>,
    cancel_at_period_end: bool,
    last_invoice_status: Option<String>,
    last_invoice_amount: Option<String>,
    last_invoice_on: Option<String>,
}

impl AccountView {
    fn new(
        account: &BillingAccount,
        date: &dyn Fn(Option<time::OffsetDateTime>) -> Option<String>,
    ) -> Self {
        let amount = match (
            account.last_invoice_amount,
            account.last_invoice_currency.as_deref(),
        ) {
            (Some(amount), Some("jpy")) => Some(format!(
                "¥{}",
                group_thousands(u32::try_from(amount).unwrap_or(u32::MAX))
            )),
            (Some(amount), Some(currency)) => Some(format!(
                "{}.{:02} {}",
                amount / 100,
                amount % 100,
                currency.to_uppercase()
            )),
            _ => None,
        };
        Self {
            has_customer: account.stripe_customer_id.is_some(),
            status: account.subscription_status.clone(),
            renews_on: date(account.current_period_end),
            cancel_at_period_end: account.cancel_at_period_end,
            last_invoice_status: account.last_invoice_status.clone(),
            last_invoice_amount: amount,
            last_invoice_on: date(account.last_invoice_at),
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct CheckoutForm {
    #[serde(default)]
    plan: String,
}

/// Sends the browser on to Stripe. A form's POST may not be redirected to another site under
/// this site's `form-action 'self'` policy, so the answer is a page that goes on by itself, with
/// the link for browsers that do not follow it.
fn continue_to(
    state: &AppState,
    page: &Page,
    url: &str,
    label_key: &str,
) -> Result<Response, AppError> {
    render_page(
        state,
        page,
        "onboarding/continue.html",
        StatusCode::OK,
        |c| {
            c.insert("url", url);
            c.insert("label_key", label_key);
        },
    )
}

/// `POST /secretariat/billing/checkout` (`plan`): a Stripe Checkout Session for a paid plan.
pub async fn start_checkout(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
    Form(form): Form<CheckoutForm>,
) -> Result<Response, AppError> {
    let Some(config) = state.config.stripe.as_ref() else {
        return refused(
            &state,
            &member,
            &page,
            "billing.not_configured",
            StatusCode::CONFLICT,
        )
        .await;
    };
    let plan = plans::find(&form.plan).filter(|p| p.is_paid() && p.is_self_serve());
    let price = plan
        .and_then(|p| p.stripe_price_env.as_deref())
        .and_then(|variable| config.price(variable));
    let (Some(plan), Some(price)) = (plan, price) else {
        return refused(
            &state,
            &member,
            &page,
            "billing.unknown_plan",
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    };
    let mut tx = member.begin(&state).await?;
    let account = billing_queries::account_of_transaction(&mut tx).await?;
    let email = tsunagu_identity::queries::find_by_id(&mut tx, member.id())
        .await?
        .map(|m| m.email)
        .unwrap_or_default();
    tx.commit().await?;
    let origin = state.config.tenant_origin(&member.tenant.slug);
    let request = CheckoutRequest {
        tenant: member.tenant.id,
        plan_key: &plan.key,
        price,
        customer: account
            .as_ref()
            .and_then(|a| a.stripe_customer_id.as_deref()),
        email: &email,
        lang: page.lang.as_str(),
        success_url: format!("{origin}/secretariat/billing?checkout=success"),
        cancel_url: format!("{origin}/secretariat/billing?checkout=cancelled"),
    };
    match stripe_api::create_checkout(config, &request).await {
        Ok(url) => {
            tracing::info!(tenant = %member.tenant.slug, plan = %plan.key, "checkout started");
            continue_to(&state, &page, &url, "billing.continue_to_checkout")
        }
        Err(error) => {
            tracing::error!(%error, "Stripe Checkout Session not created");
            refused(
                &state,
                &member,
                &page,
                "billing.stripe_unavailable",
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
    }
}

/// `POST /secretariat/billing/portal`: Stripe's Customer Portal, for the card, invoices and
/// cancellation.
pub async fn open_portal(
    State(state): State<AppState>,
    member: Authorized,
    page: Page,
) -> Result<Response, AppError> {
    let Some(config) = state.config.stripe.as_ref() else {
        return refused(
            &state,
            &member,
            &page,
            "billing.not_configured",
            StatusCode::CONFLICT,
        )
        .await;
    };
    let mut tx = member.begin(&state).await?;
    let customer = billing_queries::account_of_transaction(&mut tx)
        .await?
        .and_then(|a| a.stripe_customer_id);
    tx.commit().await?;
    let Some(customer) = customer else {
        return refused(
            &state,
            &member,
            &page,
            "billing.no_customer",
            StatusCode::CONFLICT,
        )
        .await;
    };
    let return_url = format!(
        "{}/secretariat/billing",
        state.config.tenant_origin(&member.tenant.slug)
    );
    match stripe_api::create_portal(config, &customer, return_url).await {
        Ok(url) => continue_to(&state, &page, &url, "billing.continue_to_portal"),
        Err(error) => {
            tracing::error!(%error, "Stripe Customer Portal session not created");
            refused(
                &state,
                &member,
                &page,
                "billing.stripe_unavailable",
                StatusCode::BAD_GATEWAY,
            )
            .await
        }
    }
}
