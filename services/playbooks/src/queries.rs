//! Playbook SQL: what a network made from which template (`playbook_uses`, owned here), and the
//! outcomes across networks through `platform.playbook_outcomes()`, which returns nothing for a
//! template used by fewer than 5 networks (k-anonymity, enforced in the function).

use sqlx::PgConnection;
use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, TenantTx};
use uuid::Uuid;

/// Records that `subject` was made from version `version` of template `key`.
pub async fn record_use(
    tx: &mut TenantTx,
    key: &str,
    version: i32,
    kind: &str,
    subject: Uuid,
    used_by: MemberId,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "insert into playbook_uses (tenant_id, id, playbook_key, playbook_version, subject_kind, \
           subject_id, used_by) values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(Uuid::now_v7())
    .bind(key)
    .bind(version)
    .bind(kind)
    .bind(subject)
    .bind(used_by)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// One thing this network made from the library.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Use {
    pub playbook_key: String,
    pub playbook_version: i32,
    pub subject_kind: String,
    pub subject_id: Uuid,
    pub used_by_name: Option<String>,
    pub created_at: OffsetDateTime,
}

/// What this network made from the library, newest first.
pub async fn uses(tx: &mut TenantTx, limit: i64) -> Result<Vec<Use>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select u.playbook_key, u.playbook_version, u.subject_kind, u.subject_id, \
                m.name_kanji as used_by_name, u.created_at \
         from playbook_uses u \
         left join members m on m.tenant_id = u.tenant_id and m.id = u.used_by \
         where u.tenant_id = $1 order by u.created_at desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// How a template performed across networks.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Outcome {
    pub playbook_key: String,
    pub subject_kind: String,
    pub networks: i64,
    pub uses: i64,
    pub median: Option<f64>,
}

/// The outcomes of every template used by at least 5 networks (the function returns no row
/// for the others). Runs in any transaction: the function reads past row-level security as its
/// owner, which may read counts only.
pub async fn outcomes(conn: &mut PgConnection) -> Result<Vec<Outcome>, DbError> {
    Ok(sqlx::query_as(
        "select playbook_key, subject_kind, networks, uses, median::float8 as median \
         from platform.playbook_outcomes()",
    )
    .fetch_all(conn)
    .await?)
}
