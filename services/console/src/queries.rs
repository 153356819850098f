//! Console SQL: staff accounts (`platform.staff_users`, owned here) and the tenant directory,
//! read through `platform.tenant_health()`: figures only, computed by a function whose owner may
//! read no personal column (docs/CONSOLE.md).

use tsunagu_kernel::{DbError, PlatformTx};
use tsunagu_web::forms::EmailAddress;
use uuid::Uuid;

#[derive(sqlx::FromRow)]
pub struct StaffRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: String,
    pub disabled: bool,
    pub has_second_factor: bool,
}

pub async fn find_staff(
    tx: &mut PlatformTx,
    normalized_email: &str,
) -> Result<Option<StaffRecord>, DbError> {
    Ok(sqlx::query_as(
        "select id, email, name, password_hash, role, disabled_at is not null as disabled, \
                totp_secret is not null as has_second_factor \
         from platform.staff_users where email_normalized = $1",
    )
    .bind(normalized_email)
    .fetch_optional(tx.conn())
    .await?)
}

/// Creates or updates a staff account (CLI and development seed).
pub async fn upsert_staff(
    tx: &mut PlatformTx,
    email: &EmailAddress,
    name: &str,
    password_hash: &str,
    role: &str,
) -> Result<Uuid, DbError> {
    Ok(sqlx::query_scalar(
        "insert into platform.staff_users (id, email, email_normalized, name, password_hash, role) \
         values ($1, $2, $3, $4, $5, $6) \
         on conflict (email_normalized) do update set name = excluded.name, \
           password_hash = excluded.password_hash, role = excluded.role, disabled_at = null \
         returning id",
    )
    .bind(Uuid::now_v7())
    .bind(&email.address)
    .bind(&email.normalized)
    .bind(name)
    .bind(password_hash)
    .bind(role)
    .fetch_one(tx.conn())
    .await?)
}

/// One tenant of the directory.
#[derive(sqlx::FromRow)]
pub struct TenantSummary {
    pub name: String,
    pub slug: String,
    pub status: String,
    pub plan: String,
    pub default_locale: String,
}

/// Every tenant, by slug.
pub async fn tenant_directory(tx: &mut PlatformTx) -> Result<Vec<TenantSummary>, DbError> {
    Ok(sqlx::query_as(
        "select name, slug, status, plan, default_locale from platform.tenants order by slug",
    )
    .fetch_all(tx.conn())
    .await?)
}

/// One tenant's health, as `platform.tenant_health()` returns it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TenantHealth {
    pub tenant_id: Uuid,
    pub slug: String,
    pub name: String,
    pub status: String,
    pub plan: String,
    pub level3: sqlx::types::Json<tsunagu_tenancy::Level3Thresholds>,
    pub created_at: time::OffsetDateTime,
    pub rollup_day: Option<time::Date>,
    pub alumni: Option<i32>,
    pub employees: Option<i32>,
    pub active_30d: Option<i32>,
    pub month_member_started: i64,
    pub month_secretariat_started: i64,
    pub month_first_contacts: i64,
    pub last_month_member_started: i64,
    pub last_month_secretariat_started: i64,
    pub last_month_first_contacts: i64,
    pub last_secretariat_activity: Option<time::OffsetDateTime>,
    pub open_reports: i64,
    /// The end of the latest live support grant (None: CS may not enter now).
    pub support_until: Option<time::OffsetDateTime>,
    /// Requests for access the secretariat has not answered yet.
    pub support_requests: i64,
}

/// Every tenant's health, by slug.
pub async fn tenant_health(tx: &mut PlatformTx) -> Result<Vec<TenantHealth>, DbError> {
    Ok(
        sqlx::query_as("select * from platform.tenant_health() order by slug")
            .fetch_all(tx.conn())
            .await?,
    )
}

/// A staff note about a network.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Note {
    pub staff_name: String,
    pub body: String,
    pub created_at: time::OffsetDateTime,
}

/// The notes about `tenant`, newest first.
pub async fn notes(tx: &mut PlatformTx, tenant: Uuid) -> Result<Vec<Note>, DbError> {
    Ok(sqlx::query_as(
        "select staff_name, body, created_at from platform.tenant_notes \
         where tenant_id = $1 order by created_at desc, id desc limit 200",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?)
}

/// Adds a note about `tenant`.
pub async fn add_note(
    tx: &mut PlatformTx,
    tenant: Uuid,
    staff_id: Uuid,
    staff_name: &str,
    body: &str,
) -> Result<(), DbError> {
    sqlx::query(
        "insert into platform.tenant_notes (id, tenant_id, staff_id, staff_name, body) \
         values ($1, $2, $3, $4, $5)",
    )
    .bind(Uuid::now_v7())
    .bind(tenant)
    .bind(staff_id)
    .bind(staff_name)
    .bind(body)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One event of a network's support history (`platform.tenant_support_history`).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SupportEvent {
    pub at: time::OffsetDateTime,
    pub event: String,
    pub scopes: Vec<String>,
    pub until: Option<time::OffsetDateTime>,
    pub staff_name: Option<String>,
}

pub async fn support_history(
    tx: &mut PlatformTx,
    tenant: Uuid,
) -> Result<Vec<SupportEvent>, DbError> {
    Ok(sqlx::query_as(
        "select at, event, scopes, until, staff_name \
         from platform.tenant_support_history($1) order by at desc limit 200",
    )
    .bind(tenant)
    .fetch_all(tx.conn())
    .await?)
}

/// A staff member's second-factor secret (base32), if the account is enabled and has one.
pub async fn totp_secret(tx: &mut PlatformTx, staff: Uuid) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar(
        "select totp_secret from platform.staff_users \
         where id = $1 and disabled_at is null and totp_secret is not null",
    )
    .bind(staff)
    .fetch_optional(tx.conn())
    .await?)
}

/// Turns a staff member's second factor on, once (`platform.enable_staff_totp`); false when it
/// was already on or the account is disabled.
pub async fn enable_totp(tx: &mut PlatformTx, staff: Uuid, secret: &str) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("select platform.enable_staff_totp($1, $2)")
            .bind(staff)
            .bind(secret)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Turns a staff member's second factor off (`tsunagu staff reset-2fa`, as tsunagu_platform);
/// false when there was none.
pub async fn reset_totp(tx: &mut PlatformTx, normalized_email: &str) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "update platform.staff_users set totp_secret = null, totp_enabled_at = null \
         where email_normalized = $1 and totp_secret is not null",
    )
    .bind(normalized_email)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// A staff account as the administration lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct StaffListing {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
    pub disabled: bool,
    pub two_factor: bool,
    /// Created by an administrator and not set up yet (no password).
    pub pending_setup: bool,
    pub created_at: time::OffsetDateTime,
}

pub async fn staff_list(tx: &mut PlatformTx) -> Result<Vec<StaffListing>, DbError> {
    Ok(sqlx::query_as(
        "select id, email, name, role, disabled_at is not null as disabled, \
                totp_secret is not null as two_factor, password_hash = '!' as pending_setup, \
                created_at \
         from platform.staff_users order by disabled_at is not null, name, email",
    )
    .fetch_all(tx.conn())
    .await?)
}

/// A staff account an administrator adds: no password yet (`'!'` matches no hash), set through
/// the one-time setup link. `None` when the address is taken.
pub async fn add_staff(
    tx: &mut PlatformTx,
    email: &EmailAddress,
    name: &str,
    role: &str,
) -> Result<Option<Uuid>, DbError> {
    Ok(sqlx::query_scalar(
        "insert into platform.staff_users (id, email, email_normalized, name, password_hash, role) \
         values ($1, $2, $3, $4, '!', $5) on conflict (email_normalized) do nothing returning id",
    )
    .bind(Uuid::now_v7())
    .bind(&email.address)
    .bind(&email.normalized)
    .bind(name)
    .bind(role)
    .fetch_optional(tx.conn())
    .await?)
}

/// Sets the first password of an account added by an administrator; false once it has one.
pub async fn set_first_password(
    tx: &mut PlatformTx,
    staff: Uuid,
    hash: &str,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "update platform.staff_users set password_hash = $2 \
         where id = $1 and password_hash = '!' and disabled_at is null",
    )
    .bind(staff)
    .bind(hash)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Disables or enables a staff account; false when nothing changed.
pub async fn set_staff_disabled(
    tx: &mut PlatformTx,
    staff: Uuid,
    disabled: bool,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "update platform.staff_users set disabled_at = case when $2 then now() end \
         where id = $1 and (disabled_at is not null) <> $2",
    )
    .bind(staff)
    .bind(disabled)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Every network's billing at a glance, by tenant id: the Stripe subscription's status (None:
/// never paid through Stripe) and whether a payment failed and was not recovered.
pub async fn billing_overview(
    tx: &mut PlatformTx,
) -> Result<std::collections::HashMap<Uuid, (Option<String>, bool)>, DbError> {
    let rows: Vec<(Uuid, Option<String>, bool)> = sqlx::query_as(
        "select t.id, b.subscription_status, t.payment_failed_at is not null \
         from platform.tenants t left join platform.billing_accounts b on b.tenant_id = t.id",
    )
    .fetch_all(tx.conn())
    .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status, failed)| (id, (status, failed)))
        .collect())
}
