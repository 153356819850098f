//! The audit log: what the secretariat (and later support staff) did in a tenant, written in the
//! same transaction as the action and visible to the tenant.

use serde_json::Value;
use uuid::Uuid;

use crate::db::{Actor, DbError, TenantTx};

pub async fn record(
    tx: &mut TenantTx,
    action: &str,
    subject_type: &str,
    subject_id: Option<Uuid>,
    details: Value,
) -> Result<(), DbError> {
    let (actor_kind, actor_id) = match tx.actor() {
        Actor::System => ("system", None),
        Actor::Anonymous => ("anonymous", None),
        Actor::Member(id) => ("member", Some(id.as_uuid())),
        Actor::Staff { staff_id, .. } => ("staff", Some(staff_id)),
    };
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into audit_events (tenant_id, id, actor_kind, actor_id, action, subject_type, subject_id, details) \
         values ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(tenant_id)
    .bind(crate::ids::new_row_id())
    .bind(actor_kind)
    .bind(actor_id)
    .bind(action)
    .bind(subject_type)
    .bind(subject_id)
    .bind(sqlx::types::Json(details))
    .execute(tx.conn())
    .await?;
    Ok(())
}
