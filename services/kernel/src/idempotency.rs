//! Create forms that act once. Every create form carries a random token; the handler claims it
//! with [`claim`] inside the transaction that creates the thing. The claim and the creation
//! commit together, so a second submission of the same form (a resubmission after an error
//! page, a double click) finds the token taken and creates nothing, while a submission whose
//! transaction failed left no token behind and may simply be sent again. Two submissions at the
//! same moment meet at the primary key: the second waits for the first and then sees it.

use uuid::Uuid;

use crate::db::{DbError, TenantTx};

/// Records `token` as acted on by `member`; false when it already was. Also forgets the member's
/// tokens older than a day, which no browser will resubmit.
pub async fn claim(
    tx: &mut TenantTx,
    token: Uuid,
    member: crate::MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "delete from form_submissions where tenant_id = $1 and member_id = $2 \
           and created_at < now() - interval '1 day'",
    )
    .bind(tenant_id)
    .bind(member)
    .execute(tx.conn())
    .await?;
    let inserted = sqlx::query(
        "insert into form_submissions (tenant_id, id, member_id) values ($1, $2, $3) \
         on conflict (tenant_id, id) do nothing",
    )
    .bind(tenant_id)
    .bind(token)
    .bind(member)
    .execute(tx.conn())
    .await?;
    Ok(inserted.rows_affected() == 1)
}
