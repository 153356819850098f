//! Secretariat SQL: reads of the audit log (written by `tsunagu_kernel::audit`) with the names
//! of who acted and on whom, filtered for the audit page and its CSV export.

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
    pub details: serde_json::Value,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// What the secretariat narrows the audit log to.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Matched, case-insensitively, within the actor's and the subject's names and the action.
    pub search: Option<String>,
    /// The action's first word (`member`, `survey`, `event`, …).
    pub area: Option<String>,
    pub from: Option<OffsetDateTime>,
    /// Exclusive.
    pub until: Option<OffsetDateTime>,
}

/// Up to `limit` audit events matching `filter`, newest first, with actor and subject names.
pub async fn audit_events(
    tx: &mut TenantTx,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditRow>, DbError> {
    let tenant_id = tx.tenant_id();
    let mut q = sqlx::QueryBuilder::new(
        "select e.actor_kind, \
                coalesce(a.name_kanji, 'Tsunagu CS · ' || su.name) as actor_name, \
                e.action, e.subject_type, \
                coalesce(s.name_kanji, i.email) as subject_name, e.details, e.created_at \
         from audit_events e \
         left join members a on a.tenant_id = e.tenant_id and a.id = e.actor_id \
           and e.actor_kind = 'member' \
         left join platform.staff_users su on e.actor_kind = 'staff' and su.id = e.actor_id \
         left join members s on s.tenant_id = e.tenant_id and s.id = e.subject_id \
         left join invitations i on i.tenant_id = e.tenant_id and i.id = e.subject_id \
         where e.tenant_id = ",
    );
    q.push_bind(tenant_id);
    if let Some(area) = filter.area.as_deref() {
        q.push(" and e.action like ")
            .push_bind(format!("{}.%", area.replace(['%', '_', '\\'], "")));
    }
    if let Some(from) = filter.from {
        q.push(" and e.created_at >= ").push_bind(from);
    }
    if let Some(until) = filter.until {
        q.push(" and e.created_at < ").push_bind(until);
    }
    if let Some(search) = filter.search.as_deref() {
        let search = search.to_lowercase();
        q.push(" and (strpos(lower(coalesce(a.name_kanji, '')), ")
            .push_bind(search.clone())
            .push(") > 0 or strpos(lower(coalesce(s.name_kanji, i.email, '')), ")
            .push_bind(search.clone())
            .push(") > 0 or strpos(e.action, ")
            .push_bind(search)
            .push(") > 0)");
    }
    q.push(" order by e.created_at desc, e.id desc limit ")
        .push_bind(limit);
    Ok(q.build_query_as().fetch_all(tx.conn()).await?)
}
