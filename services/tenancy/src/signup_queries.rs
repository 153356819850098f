//! SQL of self-serve sign-up (docs/ONBOARDING.md, ADR 0005). The app role cannot write the tenant
//! registry; it creates a pending network and opens it through two functions that act only on the
//! tenant the calling transaction is set to (migration `..._self_serve_signup.sql`).

use tsunagu_kernel::{DbError, PlatformTx, TenantTx};

use crate::Slug;

/// The constraint that decides which of two sign-ups (or a sign-up and a file) gets a slug.
pub const SLUG_TAKEN_CONSTRAINT: &str = "tenants_slug_key";

/// What the sign-up asked for.
pub struct NewNetwork<'a> {
    pub slug: &'a Slug,
    pub name: &'a str,
    pub default_locale: &'a str,
    pub time_zone: &'a str,
    /// The plan the company chose (it starts on Free until Stripe says a paid plan is paid).
    pub chosen_plan: &'a str,
}

/// Creates the pending network whose id is the transaction's tenant. A slug someone else holds
/// fails with the unique violation of [`SLUG_TAKEN_CONSTRAINT`] (the transaction is then
/// aborted: roll it back).
pub async fn create_pending(tx: &mut TenantTx, network: &NewNetwork<'_>) -> Result<(), DbError> {
    sqlx::query("select platform.create_self_serve_tenant($1, $2, $3, $4, $5)")
        .bind(network.slug.as_str())
        .bind(network.name)
        .bind(network.default_locale)
        .bind(network.time_zone)
        .bind(network.chosen_plan)
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Opens the transaction's network if it is a pending self-serve one; whether this call did.
pub async fn open_pending(tx: &mut TenantTx) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("select platform.open_self_serve_tenant()")
            .fetch_one(tx.conn())
            .await?,
    )
}

/// Whether a network (of any status or origin) holds `slug`: the answer shown as the company
/// types. Only advice: the insert's unique constraint decides.
pub async fn slug_is_taken(tx: &mut PlatformTx, slug: &str) -> Result<bool, DbError> {
    Ok(
        sqlx::query_scalar("select exists (select 1 from platform.tenants where slug = $1)")
            .bind(slug)
            .fetch_one(tx.conn())
            .await?,
    )
}

/// The plan chosen at sign-up of the transaction's network, if it was self-serve.
pub async fn chosen_plan(tx: &mut TenantTx) -> Result<Option<String>, DbError> {
    let id = tx.tenant_id();
    Ok(sqlx::query_scalar::<_, Option<String>>(
        "select signup_plan from platform.tenants where id = $1",
    )
    .bind(id)
    .fetch_optional(tx.conn())
    .await?
    .flatten())
}

/// The pending self-serve network at `slug`, if that is what holds it (its sign-up may be
/// repeated for a new confirmation link).
pub async fn pending_network(
    tx: &mut PlatformTx,
    slug: &str,
) -> Result<Option<tsunagu_kernel::TenantId>, DbError> {
    Ok(sqlx::query_scalar(
        "select id from platform.tenants \
         where slug = $1 and status = 'pending' and origin = 'self_serve'",
    )
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?)
}
