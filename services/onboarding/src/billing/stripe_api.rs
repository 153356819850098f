//! The two calls this service makes to Stripe, through the `async-stripe` client: create a
//! Checkout Session for a paid plan, and a Customer Portal session for card changes and
//! cancellation. `STRIPE_API_BASE` points the client elsewhere (the stand-in server in
//! `services/testkit` in tests); otherwise it talks to Stripe's API.

use std::collections::HashMap;

use stripe_billing::billing_portal_session::CreateBillingPortalSession;
use stripe_checkout::checkout_session::{
    CreateCheckoutSession, CreateCheckoutSessionLineItems, CreateCheckoutSessionSubscriptionData,
};
use tsunagu_kernel::config::StripeConfig;
use tsunagu_kernel::TenantId;

fn client(config: &StripeConfig) -> anyhow::Result<stripe::Client> {
    let mut builder = stripe::ClientBuilder::new(config.secret_key.expose());
    if let Some(base) = &config.api_base {
        builder = builder.url(base.clone());
    }
    Ok(builder.build()?)
}

/// What a Checkout Session is for.
pub struct CheckoutRequest<'a> {
    pub tenant: TenantId,
    pub plan_key: &'a str,
    pub price: &'a str,
    /// The network's Stripe customer, once it has one (a second checkout reuses it).
    pub customer: Option<&'a str>,
    /// Prefilled for a first checkout.
    pub email: &'a str,
    pub lang: &'a str,
    pub success_url: String,
    pub cancel_url: String,
}

/// Creates a Checkout Session in subscription mode and returns the address to send the
/// secretariat to. The session and its subscription carry the network's id
/// (`client_reference_id`, `metadata.tenant_id`), which is how the webhook finds the network.
pub async fn create_checkout(
    config: &StripeConfig,
    request: &CheckoutRequest<'_>,
) -> anyhow::Result<String> {
    let metadata: HashMap<String, String> = HashMap::from([
        ("tenant_id".to_owned(), request.tenant.to_string()),
        ("plan".to_owned(), request.plan_key.to_owned()),
    ]);
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price = Some(request.price.to_owned());
    item.quantity = Some(1);
    let mut subscription = CreateCheckoutSessionSubscriptionData::new();
    subscription.metadata = Some(metadata.clone());
    let locale = if request.lang == "ja" {
        stripe_checkout::CheckoutSessionLocale::Ja
    } else {
        stripe_checkout::CheckoutSessionLocale::En
    };
    let mut create = CreateCheckoutSession::new()
        .mode(stripe_checkout::CheckoutSessionMode::Subscription)
        .line_items(vec![item])
        .client_reference_id(request.tenant.to_string())
        .metadata(metadata)
        .subscription_data(subscription)
        .locale(locale)
        .success_url(request.success_url.clone())
        .cancel_url(request.cancel_url.clone());
    create = match request.customer {
        Some(customer) => create.customer(customer),
        None => create.customer_email(request.email),
    };
    let session = create.send(&client(config)?).await?;
    session
        .url
        .ok_or_else(|| anyhow::anyhow!("Stripe returned a Checkout Session without a url"))
}

/// Creates a Customer Portal session for `customer` and returns its address.
pub async fn create_portal(
    config: &StripeConfig,
    customer: &str,
    return_url: String,
) -> anyhow::Result<String> {
    let session = CreateBillingPortalSession::new()
        .customer(customer)
        .return_url(return_url)
        .send(&client(config)?)
        .await?;
    Ok(session.url)
}
