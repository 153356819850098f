//! Emails of the identity flows, rendered in the recipient's language (ja/en) as HTML and text
//! from one view, and written to the outbox in the caller's transaction.

use serde::Serialize;
use tera::Context;
use tsunagu_kernel::outbox::{self, OutgoingEmail};
use tsunagu_kernel::{DbError, TenantTx};
use tsunagu_tenancy::Tenant;
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
}

pub fn render(
    web: &WebKit,
    tenant: &Tenant,
    spec: &EmailSpec<'_>,
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
    };
    let context = Context::from_serialize(&view)?;
    Ok(OutgoingEmail {
        to: spec.to.to_owned(),
        kind: spec.kind.to_owned(),
        locale: lang.as_str().to_owned(),
        subject: t(&format!("email.{}.subject", spec.kind)),
        text_body: web.render("email/layout.txt", &context)?,
        html_body: web.render("email/layout.html", &context)?,
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
