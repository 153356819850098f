//! The email outbox. [`enqueue`] writes the email in the caller's tenant transaction and marks the
//! tenant as having work (`platform.work_signals`), so the email exists if and only if the action
//! that caused it committed. The worker claims due tenants, delivers their due emails, and retries
//! failures with exponential backoff.

use time::{Duration, OffsetDateTime};
use uuid::Uuid;

use crate::db::{Db, DbError, PlatformTx, TenantTx};
use crate::ids::TenantId;

pub const EMAIL_QUEUE: &str = "email";
/// PostgreSQL channel the worker listens on to wake up early.
pub const WORK_CHANNEL: &str = "tsunagu_work";
/// After this many failed attempts an email is marked failed and left for a person to look at.
pub const MAX_ATTEMPTS: i32 = 8;

/// A rendered email, in the recipient's language.
#[derive(Clone, Debug)]
pub struct OutgoingEmail {
    pub to: String,
    /// What it is (`verify_email`, `password_reset`, …), for the dev mail page and metrics.
    pub kind: String,
    pub locale: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    /// The signed one-click unsubscribe address (RFC 8058) of an email sent under a consent
    /// category; `None` for account emails.
    pub list_unsubscribe: Option<String>,
    /// An iCalendar file (RFC 5545) sent as an attachment; `None` for most emails.
    pub calendar: Option<String>,
}

pub async fn enqueue(tx: &mut TenantTx, email: &OutgoingEmail) -> Result<Uuid, DbError> {
    let id = crate::ids::new_row_id();
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into email_outbox (tenant_id, id, to_address, kind, locale, subject, text_body, html_body, \
           list_unsubscribe, calendar) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&email.to)
    .bind(&email.kind)
    .bind(&email.locale)
    .bind(&email.subject)
    .bind(&email.text_body)
    .bind(&email.html_body)
    .bind(&email.list_unsubscribe)
    .bind(&email.calendar)
    .execute(tx.conn())
    .await?;
    signal(tx, EMAIL_QUEUE, OffsetDateTime::now_utc()).await?;
    Ok(id)
}

/// [`enqueue`] for many emails in one statement (the weekly digest writes a batch at a time).
pub async fn enqueue_many(tx: &mut TenantTx, emails: &[OutgoingEmail]) -> Result<(), DbError> {
    if emails.is_empty() {
        return Ok(());
    }
    let tenant_id = tx.tenant_id();
    let ids: Vec<Uuid> = emails.iter().map(|_| crate::ids::new_row_id()).collect();
    let column = |f: fn(&OutgoingEmail) -> &str| -> Vec<&str> { emails.iter().map(f).collect() };
    let unsubscribe: Vec<Option<&str>> = emails
        .iter()
        .map(|e| e.list_unsubscribe.as_deref())
        .collect();
    let calendars: Vec<Option<&str>> = emails.iter().map(|e| e.calendar.as_deref()).collect();
    sqlx::query(
        "insert into email_outbox (tenant_id, id, to_address, kind, locale, subject, text_body, html_body, \
           list_unsubscribe, calendar) \
         select $1, e.id, e.to_address, e.kind, e.locale, e.subject, e.text_body, e.html_body, e.list_unsubscribe, \
           e.calendar \
         from unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], \
           $10::text[]) \
           as e(id, to_address, kind, locale, subject, text_body, html_body, list_unsubscribe, calendar)",
    )
    .bind(tenant_id)
    .bind(&ids)
    .bind(column(|e| &e.to))
    .bind(column(|e| &e.kind))
    .bind(column(|e| &e.locale))
    .bind(column(|e| &e.subject))
    .bind(column(|e| &e.text_body))
    .bind(column(|e| &e.html_body))
    .bind(&unsubscribe)
    .bind(&calendars)
    .execute(tx.conn())
    .await?;
    signal(tx, EMAIL_QUEUE, OffsetDateTime::now_utc()).await
}

/// Marks `queue` of this tenant as due at `due_at` (or earlier if already due earlier) and wakes
/// the worker when the transaction commits (NOTIFY is transactional).
async fn signal(tx: &mut TenantTx, queue: &str, due_at: OffsetDateTime) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into platform.work_signals (tenant_id, queue, due_at) values ($1, $2, $3) \
         on conflict (tenant_id, queue) do update set due_at = least(work_signals.due_at, excluded.due_at)",
    )
    .bind(tenant_id)
    .bind(queue)
    .bind(due_at)
    .execute(tx.conn())
    .await?;
    sqlx::query("select pg_notify($1, $2)")
        .bind(WORK_CHANNEL)
        .bind(queue)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Tenants with email due now, locked for this worker (others skip them).
pub async fn claim_due_tenants(tx: &mut PlatformTx, limit: i64) -> Result<Vec<TenantId>, DbError> {
    Ok(sqlx::query_scalar(
        "select tenant_id from platform.work_signals where queue = $1 and due_at <= now() \
         order by due_at limit $2 for update skip locked",
    )
    .bind(EMAIL_QUEUE)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

#[derive(Debug, sqlx::FromRow)]
pub struct PendingEmail {
    pub id: Uuid,
    pub to_address: String,
    pub subject: String,
    pub text_body: String,
    pub html_body: String,
    pub list_unsubscribe: Option<String>,
    pub calendar: Option<String>,
    pub attempts: i32,
}

/// Takes up to `limit` due emails of the tenant for `lease`: their next attempt moves to the
/// end of the lease, so another worker skips them while this one sends, with no transaction
/// held open across the SMTP conversation. Commit, send, then [`mark_sent`] or
/// [`mark_failed_attempt`] each. A worker that dies mid-batch leaves its emails to be sent again
/// when the lease ends (at least once, never lost).
pub async fn lease_due_emails(
    tx: &mut TenantTx,
    limit: i64,
    lease: std::time::Duration,
) -> Result<Vec<PendingEmail>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "update email_outbox o set next_attempt_at = now() + make_interval(secs => $3) \
         from (select id from email_outbox \
               where tenant_id = $1 and status = 'pending' and next_attempt_at <= now() \
               order by next_attempt_at limit $2 for update skip locked) due \
         where o.tenant_id = $1 and o.id = due.id \
         returning o.id, o.to_address, o.subject, o.text_body, o.html_body, o.list_unsubscribe, \
           o.calendar, o.attempts",
    )
    .bind(tenant_id)
    .bind(limit)
    .bind(lease.as_secs_f64())
    .fetch_all(tx.conn())
    .await?)
}

pub async fn mark_sent(tx: &mut TenantTx, id: Uuid) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update email_outbox set status = 'sent', sent_at = now(), attempts = attempts + 1, last_error = null \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Backoff after the n-th failed attempt: 30 s, 1 min, 2 min, … capped at 1 hour.
pub fn retry_delay(attempts_so_far: i32) -> Duration {
    let seconds = 30i64 * (1i64 << attempts_so_far.clamp(0, 7));
    Duration::seconds(seconds.min(3600))
}

pub async fn mark_failed_attempt(
    tx: &mut TenantTx,
    email: &PendingEmail,
    error: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    let attempts = email.attempts + 1;
    let status = if attempts >= MAX_ATTEMPTS {
        "failed"
    } else {
        "pending"
    };
    sqlx::query(
        "update email_outbox set attempts = $3, status = $4, last_error = $5, next_attempt_at = $6 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(email.id)
    .bind(attempts)
    .bind(status)
    .bind(error.chars().take(500).collect::<String>())
    .bind(OffsetDateTime::now_utc() + retry_delay(email.attempts))
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// After a tenant's batch: move its signal to its next due email, or remove it.
pub async fn reschedule_tenant(
    platform: &mut PlatformTx,
    tenant: &mut TenantTx,
) -> Result<(), DbError> {
    let tenant_id = tenant.tenant_id();
    let next: Option<OffsetDateTime> = sqlx::query_scalar(
        "select min(next_attempt_at) from email_outbox where tenant_id = $1 and status = 'pending'",
    )
    .bind(tenant_id)
    .fetch_one(tenant.conn())
    .await?;
    match next {
        Some(due_at) => {
            sqlx::query(
                "update platform.work_signals set due_at = $3 where tenant_id = $1 and queue = $2",
            )
            .bind(tenant_id)
            .bind(EMAIL_QUEUE)
            .bind(due_at)
            .execute(platform.conn())
            .await?;
        }
        None => {
            sqlx::query("delete from platform.work_signals where tenant_id = $1 and queue = $2")
                .bind(tenant_id)
                .bind(EMAIL_QUEUE)
                .execute(platform.conn())
                .await?;
        }
    }
    Ok(())
}

/// Emails of one tenant, newest first (the development mail page).
#[derive(Debug, sqlx::FromRow)]
pub struct OutboxEntry {
    pub id: Uuid,
    pub to_address: String,
    pub kind: String,
    pub subject: String,
    pub text_body: String,
    pub status: String,
    pub created_at: OffsetDateTime,
}

pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<OutboxEntry>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, to_address, kind, subject, text_body, status, created_at from email_outbox \
         where tenant_id = $1 order by created_at desc, id desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Opens a listener on [`WORK_CHANNEL`] (same credentials as the pool).
pub async fn listen(db: &Db) -> Result<sqlx::postgres::PgListener, DbError> {
    let mut listener = sqlx::postgres::PgListener::connect_with(db.pool_for_listener()).await?;
    listener.listen(WORK_CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_back_off_exponentially_up_to_an_hour() {
        assert_eq!(retry_delay(0), Duration::seconds(30));
        assert_eq!(retry_delay(1), Duration::seconds(60));
        assert_eq!(retry_delay(3), Duration::seconds(240));
        assert_eq!(retry_delay(7), Duration::seconds(3600));
        assert_eq!(retry_delay(20), Duration::seconds(3600));
    }
}
