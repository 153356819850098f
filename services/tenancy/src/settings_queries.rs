//! SQL of the settings page: read the editable sections, save one. `platform.tenants` has no
//! row-level security (it is the registry of tenants), so every statement names the tenant of
//! the transaction explicitly; it runs inside the tenant transaction of the request, so the change
//! and its audit record commit together.

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

/// Saves one section as the app's: from now on `tenant apply` keeps it.
pub async fn save(
    tx: &mut TenantTx,
    section: Section,
    value: &serde_json::Value,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    // The column is one of four fixed words (Section::column), never input.
    sqlx::query(&format!(
        "update platform.tenants set {column} = $2, \
           ui_edited = ui_edited || jsonb_build_object($3::text, to_char(now() at time zone 'utc', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')), \
           updated_at = now() \
         where id = $1",
        column = section.column()
    ))
    .bind(tenant_id)
    .bind(Json(value))
    .bind(section.as_str())
    .execute(tx.conn())
    .await?;
    Ok(())
}
