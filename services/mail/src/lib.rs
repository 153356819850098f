//! Email delivery: the outbox (`tsunagu_kernel::outbox`) handed to SMTP, or kept in the
//! development outbox. `tsunagu worker` runs [`deliver_due`] whenever email is enqueued.
//!
//! The worker claims tenants with due work from `platform.work_signals` (`for update skip locked`,
//! so several workers share the load), opens each tenant's own transaction (`begin_tenant` as the
//! system actor: jobs carry their tenant and RLS applies), sends that tenant's due emails, and
//! reschedules failures with exponential backoff. It wakes on `NOTIFY tsunagu_work` (sent when an
//! email is enqueued) or every few seconds.

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::header::ContentType;
use lettre::message::header::{HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use tsunagu_kernel::config::{Environment, Secret};
use tsunagu_kernel::outbox::{self, PendingEmail};
use tsunagu_kernel::{Actor, Db};

/// How mail leaves: over SMTP, or (development only, without `SMTP_URL`) into the development
/// outbox page `/_dev/mail`.
pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    DevOutbox,
}

pub struct Mailer {
    transport: Transport,
    from: lettre::Address,
}

/// Mail settings from the environment: `SMTP_URL` (e.g. `smtp://127.0.0.1:1025`,
/// `smtp://user:pass@host:587?tls=required`, `smtps://host`) and `TSUNAGU_MAIL_FROM`
/// (default `no-reply@{base_domain}`).
pub fn mailer_from_env(environment: Environment, base_domain: &str) -> anyhow::Result<Mailer> {
    let smtp_url = std::env::var("SMTP_URL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .map(Secret::new);
    let from_text = std::env::var("TSUNAGU_MAIL_FROM")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| format!("no-reply@{base_domain}"));
    let from: lettre::Address = from_text.parse().map_err(|e| {
        anyhow::anyhow!("TSUNAGU_MAIL_FROM: {from_text:?} is not an email address ({e})")
    })?;
    let transport = match smtp_url {
        Some(url) => Transport::Smtp(smtp_transport(&url)?),
        None if environment == Environment::Development => Transport::DevOutbox,
        None => anyhow::bail!("SMTP_URL: is not set; required in production, e.g. smtp://user:pass@smtp.example.com:587?tls=required"),
    };
    Ok(Mailer { transport, from })
}

pub fn smtp_transport(url: &Secret) -> anyhow::Result<AsyncSmtpTransport<Tokio1Executor>> {
    Ok(AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose())
        .map_err(|e| anyhow::anyhow!("SMTP_URL: not a usable SMTP URL ({e})"))?
        .timeout(Some(Duration::from_secs(15)))
        .build())
}

impl Mailer {
    pub fn new(transport: Transport, from: lettre::Address) -> Self {
        Self { transport, from }
    }

    pub fn is_dev_outbox(&self) -> bool {
        matches!(self.transport, Transport::DevOutbox)
    }

    async fn send(&self, sender_name: &str, email: &PendingEmail) -> anyhow::Result<()> {
        let Transport::Smtp(smtp) = &self.transport else {
            return Ok(());
        };
        let to: Mailbox = email
            .to_address
            .parse()
            .with_context(|| "recipient address rejected by the mail library")?;
        let mut builder = Message::builder()
            .from(Mailbox::new(
                Some(sender_name.to_owned()),
                self.from.clone(),
            ))
            .to(to)
            .subject(&email.subject)
            // The outbox row's id: a retried delivery is the same message to the receiver.
            .message_id(Some(format!("<{}@{}>", email.id, self.from.domain())));
        if let Some(url) = &email.list_unsubscribe {
            // RFC 8058: mail clients offer "unsubscribe" and POST to the address themselves.
            builder = builder
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe"),
                    format!("<{url}>"),
                ))
                .raw_header(HeaderValue::new(
                    HeaderName::new_from_ascii_str("List-Unsubscribe-Post"),
                    "List-Unsubscribe=One-Click".to_owned(),
                ));
        }
        let body =
            MultiPart::alternative_plain_html(email.text_body.clone(), email.html_body.clone());
        let message = match &email.calendar {
            // An event's calendar file: mail apps offer "add to calendar" for it.
            Some(calendar) => {
                let method = calendar
                    .lines()
                    .find_map(|l| l.strip_prefix("METHOD:"))
                    .unwrap_or("PUBLISH")
                    .trim()
                    .to_owned();
                let content_type =
                    ContentType::parse(&format!("text/calendar; charset=utf-8; method={method}"))?;
                builder.multipart(MultiPart::mixed().multipart(body).singlepart(
                    Attachment::new("event.ics".to_owned()).body(calendar.clone(), content_type),
                ))?
            }
            None => builder.multipart(body)?,
        };
        smtp.send(message).await?;
        Ok(())
    }
}

/// How long a worker holds the emails it is sending (`outbox::lease_due_emails`); longer than a
/// batch of SMTP conversations takes, shorter than anyone should wait for a lost one.
pub const SEND_LEASE: Duration = Duration::from_secs(300);

/// One pass: every tenant with due email, up to a batch each. Returns the number sent. No
/// transaction is open while a message is handed to SMTP: the batch is leased in one short
/// transaction, each result recorded in another.
pub async fn deliver_due(db: &Db, mailer: &Mailer) -> anyhow::Result<usize> {
    let mut platform = db.begin_platform().await?;
    let mut tenants = Vec::new();
    for tenant_id in outbox::claim_due_tenants(&mut platform, 20).await? {
        let sender = tsunagu_tenancy::registry::name_of(&mut platform, tenant_id)
            .await?
            .unwrap_or_else(|| "Tsunagu".to_owned());
        tenants.push((tenant_id, sender));
    }
    platform.commit().await?;
    let mut sent = 0;
    for (tenant_id, sender) in tenants {
        let mut tx = db.begin_tenant(tenant_id, Actor::System).await?;
        let batch = outbox::lease_due_emails(&mut tx, 50, SEND_LEASE).await?;
        tx.commit().await?;
        for email in batch {
            let result = mailer.send(&sender, &email).await;
            let mut tx = db.begin_tenant(tenant_id, Actor::System).await?;
            match result {
                Ok(()) => {
                    outbox::mark_sent(&mut tx, email.id).await?;
                    sent += 1;
                    if mailer.is_dev_outbox() {
                        tracing::info!(tenant.id = %tenant_id, "email kept in the development outbox (see /_dev/mail)");
                    }
                }
                Err(error) => {
                    tracing::warn!(tenant.id = %tenant_id, attempts = email.attempts + 1, error = format!("{error:#}"), "email delivery failed; will retry");
                    outbox::mark_failed_attempt(&mut tx, &email, &format!("{error:#}")).await?;
                }
            }
            tx.commit().await?;
        }
        let mut platform = db.begin_platform().await?;
        let mut tx = db.begin_tenant(tenant_id, Actor::System).await?;
        outbox::reschedule_tenant(&mut platform, &mut tx).await?;
        tx.commit().await?;
        platform.commit().await?;
    }
    Ok(sent)
}
