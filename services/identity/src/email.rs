//! Emails of the identity flows, rendered in the recipient's language (ja/en) as HTML and text
//! from one view, and written to the outbox in the caller's transaction.

use serde::Serialize;
use tera::Context;
use tsunagu_kernel::config::ServerConfig;
use tsunagu_kernel::outbox::{self, OutgoingEmail};
use tsunagu_kernel::{DbError, MemberId, TenantId, TenantTx};
use tsunagu_tenancy::{EmailCategory, EmailDelivery, Tenant};
use tsunagu_web::{Locale, WebKit};

/// One email to render: `kind` selects the strings `email.<kind>.subject|body|action`.
pub struct EmailSpec<'a> {
    pub kind: &'static str,
    pub to: &'a str,
    pub recipient_name: Option<&'a str>,
    pub locale: Locale,
    /// Extra placeholders for the strings (`{network}` and `{name}` are always there).
    pub args: Vec<(&'static str, String)>,
    pub action_url: Option<String>,
}

#[derive(Serialize)]
struct EmailView {
    lang: &'static str,
    network: String,
    brand_color: String,
    greeting: String,
    paragraphs: Vec<String>,
    action_label: Option<String>,
    action_url: Option<String>,
    footer: String,
    unsubscribe_label: Option<String>,
    unsubscribe_url: Option<String>,
}

pub fn render(
    web: &WebKit,
    tenant: &Tenant,
    spec: &EmailSpec<'_>,
) -> anyhow::Result<OutgoingEmail> {
    render_email(web, tenant, spec, None)
}

/// Renders an email sent under a consent category: its footer says how to stop these emails
/// and its `List-Unsubscribe` headers carry `unsubscribe_url` (RFC 8058 one-click).
fn render_email(
    web: &WebKit,
    tenant: &Tenant,
    spec: &EmailSpec<'_>,
    unsubscribe_url: Option<String>,
) -> anyhow::Result<OutgoingEmail> {
    let lang = spec.locale;
    let name = spec.recipient_name.unwrap_or_default().to_owned();
    let mut args: Vec<(&str, String)> =
        vec![("network", tenant.name.clone()), ("name", name.clone())];
    args.extend(spec.args.iter().map(|(k, v)| (*k, v.clone())));
    let borrowed: Vec<(&str, &str)> = args.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let t = |key: &str| web.catalog.t(lang, key, &borrowed);

    let greeting = if name.is_empty() {
        t("email.common.greeting_anonymous")
    } else {
        t("email.common.greeting")
    };
    let view = EmailView {
        lang: lang.as_str(),
        network: tenant.name.clone(),
        brand_color: tenant.branding.primary_color.clone(),
        greeting,
        paragraphs: t(&format!("email.{}.body", spec.kind))
            .split("\n\n")
            .map(|p| p.trim().to_owned())
            .filter(|p| !p.is_empty())
            .collect(),
        action_label: spec
            .action_url
            .as_ref()
            .map(|_| t(&format!("email.{}.action", spec.kind))),
        action_url: spec.action_url.clone(),
        footer: t("email.common.footer"),
        unsubscribe_label: unsubscribe_url
            .as_ref()
            .map(|_| t("email.common.unsubscribe")),
        unsubscribe_url: unsubscribe_url.clone(),
    };
    let context = Context::from_serialize(&view)?;
    Ok(OutgoingEmail {
        to: spec.to.to_owned(),
        kind: spec.kind.to_owned(),
        locale: lang.as_str().to_owned(),
        subject: t(&format!("email.{}.subject", spec.kind)),
        text_body: web.render("email/layout.txt", &context)?,
        html_body: web.render("email/layout.html", &context)?,
        list_unsubscribe: unsubscribe_url,
        calendar: None,
    })
}

/// Renders and enqueues in `tx`: the email goes out if and only if `tx` commits.
pub async fn send(
    tx: &mut TenantTx,
    web: &WebKit,
    tenant: &Tenant,
    spec: &EmailSpec<'_>,
) -> anyhow::Result<()> {
    let email = render(web, tenant, spec)?;
    outbox::enqueue(tx, &email)
        .await
        .map_err(|e: DbError| anyhow::anyhow!(e))?;
    Ok(())
}

/// The recipient's language: their own choice, else the network's default.
pub fn member_locale(preferred: Option<&str>, tenant: &Tenant) -> Locale {
    preferred
        .and_then(Locale::parse)
        .or_else(|| Locale::parse(&tenant.default_locale))
        .unwrap_or(Locale::Ja)
}

/// The signature of an unsubscribe link: which network, which member, which category. It
/// stands in for signing in, so the link works from any device, once or many times.
pub fn unsubscribe_signature(
    secret: &str,
    tenant: TenantId,
    member: MemberId,
    category: EmailCategory,
) -> String {
    let message = format!("tsunagu unsubscribe v1\n{tenant}\n{member}\n{category}");
    let mac = tsunagu_kernel::tokens::hmac_sha256(secret.as_bytes(), message.as_bytes());
    hex::encode(&mac[..16])
}

/// The signed address that turns `category` off for `member` (a page signed out, and the
/// RFC 8058 one-click POST).
pub fn unsubscribe_url(
    config: &ServerConfig,
    tenant: &Tenant,
    member: MemberId,
    category: EmailCategory,
) -> String {
    format!(
        "{}/email/unsubscribe/{member}/{category}/{}",
        config.tenant_origin(&tenant.slug),
        unsubscribe_signature(config.secret_key.expose(), tenant.id, member, category)
    )
}

/// Renders and enqueues an email of `category` for `member`, with its unsubscribe link and
/// headers. The caller has checked the member's consent (see [`send_to_consenting`]).
pub async fn send_consented(
    tx: &mut TenantTx,
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    category: EmailCategory,
    member: MemberId,
    spec: &EmailSpec<'_>,
) -> anyhow::Result<()> {
    enqueue_consented(tx, web, config, tenant, category, member, spec, None).await
}

/// [`send_consented`] with an optional calendar file attached.
#[allow(clippy::too_many_arguments)]
async fn enqueue_consented(
    tx: &mut TenantTx,
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    category: EmailCategory,
    member: MemberId,
    spec: &EmailSpec<'_>,
    calendar: Option<&str>,
) -> anyhow::Result<()> {
    let url = unsubscribe_url(config, tenant, member, category);
    let mut email = render_email(web, tenant, spec, Some(url))?;
    email.calendar = calendar.map(str::to_owned);
    outbox::enqueue(tx, &email)
        .await
        .map_err(|e: DbError| anyhow::anyhow!(e))?;
    Ok(())
}

/// One email of `category` with the same content for several members.
pub struct ConsentEmail {
    pub kind: &'static str,
    pub args: Vec<(&'static str, String)>,
    pub action_url: Option<String>,
    /// An iCalendar file attached to every copy (an event's confirmation or change).
    pub calendar: Option<String>,
}

/// Who of `members` got the email now, and who chose to have it in the weekly digest or not at
/// all.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct ConsentOutcome {
    pub emailed: usize,
    pub digest: usize,
    pub off: usize,
}

/// Emails those of `members` whose choice for `category` (their own, else the network's
/// default) is "immediately", each in their language, in `tx`.
pub async fn send_to_consenting(
    tx: &mut TenantTx,
    web: &WebKit,
    config: &ServerConfig,
    tenant: &Tenant,
    category: EmailCategory,
    members: &[MemberId],
    email: &ConsentEmail,
) -> anyhow::Result<ConsentOutcome> {
    let recipients = crate::queries::consent::recipients(tx, members, category).await?;
    let mut outcome = ConsentOutcome::default();
    for recipient in &recipients {
        match recipient.delivery(category, &tenant.email_defaults) {
            EmailDelivery::Off => outcome.off += 1,
            EmailDelivery::Digest => outcome.digest += 1,
            EmailDelivery::Immediately => {
                let spec = EmailSpec {
                    kind: email.kind,
                    to: &recipient.email,
                    recipient_name: Some(&recipient.name_kanji),
                    locale: member_locale(recipient.preferred_locale.as_deref(), tenant),
                    args: email.args.clone(),
                    action_url: email.action_url.clone(),
                };
                enqueue_consented(
                    tx,
                    web,
                    config,
                    tenant,
                    category,
                    recipient.id,
                    &spec,
                    email.calendar.as_deref(),
                )
                .await?;
                outcome.emailed += 1;
            }
        }
    }
    Ok(outcome)
}
