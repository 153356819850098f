//! Secretariat SQL: reads of the audit log (written by `tsunagu_kernel::audit`) with the names
//! of who acted and on whom.

use serde::Serialize;
use time::OffsetDateTime;
use tsunagu_kernel::{DbError, TenantTx};

#[derive(Serialize, sqlx::FromRow)]
pub struct AuditRow {
    pub actor_kind: String,
    pub actor_name: Option<String>,
    pub action: String,
    pub subject_type: String,
    pub subject_name: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// The latest 200 audit events, newest first, with actor and subject names.
pub async fn recent_audit_events(tx: &mut TenantTx) -> Result<Vec<AuditRow>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select e.actor_kind, a.name_kanji as actor_name, e.action, e.subject_type, \
                coalesce(s.name_kanji, i.email) as subject_name, e.created_at \
         from audit_events e \
         left join members a on a.tenant_id = e.tenant_id and a.id = e.actor_id \
         left join members s on s.tenant_id = e.tenant_id and s.id = e.subject_id \
         left join invitations i on i.tenant_id = e.tenant_id and i.id = e.subject_id \
         where e.tenant_id = $1 order by e.created_at desc, e.id desc limit 200",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}
