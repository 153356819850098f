//! The tenant registry's columns billing changes (docs/BILLING.md), written as
//! `tsunagu_platform` by the Stripe webhook on the server's platform pool.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, PlatformTx, TenantId};

/// Sets the plan Stripe says is paid for, marked as set in the app (`ui_edited.plan`, ADR 0005)
/// so `tenant apply` keeps it. `(slug, plan before)`, or `None` when there is no such network.
pub async fn set_plan_from_billing(
    tx: &mut PlatformTx,
    tenant: TenantId,
    plan: &str,
) -> Result<Option<(String, String)>, DbError> {
    Ok(sqlx::query_as(
        "update platform.tenants t set plan = $2, \
           ui_edited = t.ui_edited || jsonb_build_object('plan', now()::text), updated_at = now() \
         from platform.tenants before \
         where t.id = $1 and before.id = t.id \
         returning t.slug, before.plan",
    )
    .bind(tenant)
    .bind(plan)
    .fetch_optional(tx.conn())
    .await?)
}

/// Records a failed payment (keeping the first failure's time while it is not recovered), or
/// with `None` clears it. Whether anything changed.
pub async fn set_payment_failed(
    tx: &mut PlatformTx,
    tenant: TenantId,
    failed_at: Option<OffsetDateTime>,
) -> Result<bool, DbError> {
    let changed = match failed_at {
        Some(at) => sqlx::query(
            "update platform.tenants set payment_failed_at = $2, updated_at = now() \
             where id = $1 and payment_failed_at is null",
        )
        .bind(tenant)
        .bind(at)
        .execute(tx.conn())
        .await?
        .rows_affected(),
        None => sqlx::query(
            "update platform.tenants set payment_failed_at = null, updated_at = now() \
             where id = $1 and payment_failed_at is not null",
        )
        .bind(tenant)
        .execute(tx.conn())
        .await?
        .rows_affected(),
    };
    Ok(changed == 1)
}

/// The slug of a network by id, if it exists.
pub async fn slug_of(tx: &mut PlatformTx, tenant: TenantId) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("select slug from platform.tenants where id = $1")
            .bind(tenant)
            .fetch_optional(tx.conn())
            .await?,
    )
}
