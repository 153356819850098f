//! SQL of the settings page: read the editable sections, save one. `platform.tenants` has no
//! row-level security (it is the registry of tenants), so the read names the tenant of the
//! transaction explicitly and the write goes through a function that takes the tenant from the
//! transaction; both run inside the request's tenant transaction, so the change and its audit
//! record commit together.

use sqlx::types::Json;
use tsunagu_kernel::{DbError, TenantTx};

use crate::registry::{Branding, Features, Signup};
use crate::settings::{EditableSettings, Section};
use crate::EmailDefaults;

type Row = (
    Json<Branding>,
    Json<Signup>,
    Json<Features>,
    Json<EmailDefaults>,
    Json<std::collections::BTreeMap<String, String>>,
);

/// The tenant's editable settings as stored (not the registry's cached copy).
pub async fn editable(tx: &mut TenantTx) -> Result<EditableSettings, DbError> {
    let tenant_id = tx.tenant_id();
    let (branding, signup, features, email_defaults, ui_edited): Row = sqlx::query_as(
        "select branding, signup, features, email_defaults, ui_edited \
         from platform.tenants where id = $1",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?;
    Ok(EditableSettings {
        branding: branding.0,
        signup: signup.0,
        features: features.0,
        email_defaults: email_defaults.0,
        ui_edited: ui_edited.0,
    })
}

/// Saves one section as the app's: from now on `tenant apply` keeps it. The role serving pages
/// cannot write `platform.tenants`; `platform.save_tenant_settings` (owned by tsunagu_platform)
/// changes only the editable sections of the transaction's own tenant.
pub async fn save(
    tx: &mut TenantTx,
    section: Section,
    value: &serde_json::Value,
) -> Result<(), DbError> {
    sqlx::query("select platform.save_tenant_settings($1, $2)")
        .bind(section.column())
        .bind(Json(value))
        .execute(tx.conn())
        .await?;
    Ok(())
}

/// Suspends or resumes a network from the console's administration (as `tsunagu_platform`, on the
/// console's own pool). The status is marked as set in the app (`ui_edited.status`), so `tenant
/// apply` keeps it until `--take-file`. False when there is no such network or nothing changed.
/// A pending self-serve network (its first secretariat has not confirmed the address yet) is
/// neither suspended nor resumed here: only that confirmation opens it.
pub async fn set_status_from_console(
    tx: &mut tsunagu_kernel::PlatformTx,
    slug: &str,
    status: crate::TenantStatus,
) -> Result<bool, DbError> {
    Ok(sqlx::query(
        "update platform.tenants set status = $2, \
           ui_edited = ui_edited || jsonb_build_object('status', now()::text), updated_at = now() \
         where slug = $1 and status <> $2 and status <> 'pending'",
    )
    .bind(slug)
    .bind(status.as_str())
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Changes a network's plan from the console's administration (as `tsunagu_platform`), marked as
/// set in the app (`ui_edited.plan`) so `tenant apply` keeps it until `--take-file`. Its plan
/// before, or `None` when there is no such network.
pub async fn set_plan_from_console(
    tx: &mut tsunagu_kernel::PlatformTx,
    slug: &str,
    plan: &str,
) -> Result<Option<String>, DbError> {
    Ok(sqlx::query_scalar(
        "update platform.tenants t set plan = $2, \
           ui_edited = t.ui_edited || jsonb_build_object('plan', now()::text), updated_at = now() \
         from platform.tenants before \
         where t.slug = $1 and before.id = t.id \
         returning before.plan",
    )
    .bind(slug)
    .bind(plan)
    .fetch_optional(tx.conn())
    .await?)
}
