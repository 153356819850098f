//! SQL of the member imports: the import, its rows as read, the mapping, the run's claim and
//! progress, and the rows that failed.

use serde::Serialize;
use sqlx::types::Json;
use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, TenantTx};

use super::parse::Field;

tsunagu_kernel::entity_id!(
    /// One CSV import of members.
    ImportId
);

/// How long a run may go without reporting progress before another worker takes it over.
pub const LEASE: time::Duration = time::Duration::minutes(2);

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Import {
    pub id: ImportId,
    pub created_by: MemberId,
    pub file_name: String,
    pub encoding: String,
    pub delimiter: String,
    pub headers: Json<Vec<String>>,
    pub mapping: Json<Vec<Option<Field>>>,
    pub total_rows: i32,
    pub status: String,
    pub send_invitations: bool,
    pub processed_rows: i32,
    pub invited: i32,
    pub skipped: i32,
    pub failed: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "id, created_by, file_name, encoding, delimiter, headers, mapping, \
    total_rows, status, send_invitations, processed_rows, invited, skipped, failed, created_at";

/// A new import in preview, with its data rows (the header excluded).
#[allow(clippy::too_many_arguments)]
pub async fn create(
    tx: &mut TenantTx,
    created_by: MemberId,
    file_name: &str,
    encoding: &str,
    delimiter: &str,
    headers: &[String],
    mapping: &[Option<Field>],
    rows: &[Vec<String>],
) -> Result<ImportId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = ImportId::new();
    sqlx::query(
        "insert into member_imports (tenant_id, id, created_by, file_name, encoding, delimiter, \
           headers, mapping, total_rows) values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(created_by)
    .bind(file_name)
    .bind(encoding)
    .bind(delimiter)
    .bind(Json(headers))
    .bind(Json(mapping))
    .bind(rows.len() as i32)
    .execute(tx.conn())
    .await?;
    sqlx::query(
        "insert into member_import_rows (tenant_id, import_id, row_number, fields) \
         select $1, $2, ord::int, value from jsonb_array_elements($3::jsonb) with ordinality as t(value, ord)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(Json(rows))
    .execute(tx.conn())
    .await?;
    Ok(id)
}

pub async fn find(tx: &mut TenantTx, id: ImportId) -> Result<Option<Import>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from member_imports where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// The network's latest imports.
pub async fn recent(tx: &mut TenantTx, limit: i64) -> Result<Vec<Import>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {COLUMNS} from member_imports where tenant_id = $1 \
         order by created_at desc, id desc limit $2"
    ))
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Every row of the import, in file order: (row number, fields).
pub async fn rows(tx: &mut TenantTx, id: ImportId) -> Result<Vec<(i32, Vec<String>)>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(i32, Json<Vec<String>>)> = sqlx::query_as(
        "select row_number, fields from member_import_rows \
         where tenant_id = $1 and import_id = $2 order by row_number",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|(n, f)| (n, f.0)).collect())
}

/// Changes the mapping while the import is a preview; false otherwise.
pub async fn set_mapping(
    tx: &mut TenantTx,
    id: ImportId,
    mapping: &[Option<Field>],
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update member_imports set mapping = $3 where tenant_id = $1 and id = $2 \
           and status = 'preview'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(Json(mapping))
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Preview → queued (once: a second confirmation changes nothing).
pub async fn queue(
    tx: &mut TenantTx,
    id: ImportId,
    send_invitations: bool,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update member_imports set status = 'queued', send_invitations = $3 \
         where tenant_id = $1 and id = $2 and status = 'preview'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(send_invitations)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Imports waiting for a runner: queued, or running with an expired lease (a stopped worker).
pub async fn claimable(tx: &mut TenantTx) -> Result<Vec<ImportId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from member_imports where tenant_id = $1 \
           and (status = 'queued' or (status = 'running' and lease_until < now())) \
         order by created_at",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Takes the import for this runner until the lease ends; `None` when another runner has it or
/// it is finished.
pub async fn claim(tx: &mut TenantTx, id: ImportId) -> Result<Option<Import>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "update member_imports set status = 'running', lease_until = now() + $3, \
           started_at = coalesce(started_at, now()) \
         where tenant_id = $1 and id = $2 \
           and (status = 'queued' or (status = 'running' and lease_until < now())) \
         returning {COLUMNS}"
    ))
    .bind(tenant_id)
    .bind(id)
    .bind(LEASE)
    .fetch_optional(tx.conn())
    .await?)
}

/// The next rows not yet imported, locked for this run.
pub async fn next_rows(
    tx: &mut TenantTx,
    id: ImportId,
    limit: i64,
) -> Result<Vec<(i32, Vec<String>)>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(i32, Json<Vec<String>>)> = sqlx::query_as(
        "select row_number, fields from member_import_rows \
         where tenant_id = $1 and import_id = $2 and outcome is null \
         order by row_number limit $3 for update",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|(n, f)| (n, f.0)).collect())
}

/// One row's result.
pub struct Outcome {
    pub row_number: i32,
    /// invited, skipped or failed.
    pub outcome: &'static str,
    pub errors: Vec<String>,
}

/// Stores a batch's results and moves the counts and the lease on, in the batch's transaction.
pub async fn record(tx: &mut TenantTx, id: ImportId, outcomes: &[Outcome]) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update member_import_rows r set outcome = o.outcome, \
           errors = array(select jsonb_array_elements_text(o.errors)) \
         from unnest($3::int[], $4::text[], $5::jsonb[]) as o(row_number, outcome, errors) \
         where r.tenant_id = $1 and r.import_id = $2 and r.row_number = o.row_number",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(outcomes.iter().map(|o| o.row_number).collect::<Vec<i32>>())
    .bind(outcomes.iter().map(|o| o.outcome).collect::<Vec<&str>>())
    .bind(
        outcomes
            .iter()
            .map(|o| Json(o.errors.clone()))
            .collect::<Vec<_>>(),
    )
    .execute(tx.conn())
    .await?;
    let count = |what: &str| outcomes.iter().filter(|o| o.outcome == what).count() as i32;
    sqlx::query(
        "update member_imports set processed_rows = processed_rows + $3, \
           invited = invited + $4, skipped = skipped + $5, failed = failed + $6, \
           lease_until = now() + $7 \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(outcomes.len() as i32)
    .bind(count("invited"))
    .bind(count("skipped"))
    .bind(count("failed"))
    .bind(LEASE)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn finish(tx: &mut TenantTx, id: ImportId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update member_imports set status = 'done', finished_at = now(), lease_until = null \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Rows that were not imported because of a problem: (row number, fields, problems).
pub async fn failed_rows(
    tx: &mut TenantTx,
    id: ImportId,
) -> Result<Vec<(i32, Vec<String>, Vec<String>)>, DbError> {
    let tenant_id = tx.tenant_id();
    let rows: Vec<(i32, Json<Vec<String>>, Vec<String>)> = sqlx::query_as(
        "select row_number, fields, errors from member_import_rows \
         where tenant_id = $1 and import_id = $2 and outcome = 'failed' order by row_number",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(|(n, f, e)| (n, f.0, e)).collect())
}
