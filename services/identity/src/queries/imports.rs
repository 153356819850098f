//! Invitations made from the secretariat's CSV import: who of a file's addresses is already
//! here, and one invitation per new person, carrying what the file said of them.

use std::collections::HashSet;

use time::OffsetDateTime;
use tsunagu_kernel::tokens::{random_token, token_hash};
use tsunagu_kernel::{DbError, MemberId, MemberKind, TenantTx};

use super::{InvitationId, INVITATION_LIFETIME};

/// Of these normalised addresses, those that belong to an account (whatever its status).
pub async fn member_emails(
    tx: &mut TenantTx,
    normalized: &[String],
) -> Result<HashSet<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let found: Vec<String> = sqlx::query_scalar(
        "select email_normalized from members where tenant_id = $1 and email_normalized = any($2)",
    )
    .bind(tenant_id)
    .bind(normalized)
    .fetch_all(tx.conn())
    .await?;
    Ok(found.into_iter().collect())
}

/// Of these normalised addresses, those with an open invitation.
pub async fn invited_emails(
    tx: &mut TenantTx,
    normalized: &[String],
) -> Result<HashSet<String>, DbError> {
    let tenant_id = tx.tenant_id();
    let found: Vec<String> = sqlx::query_scalar(
        "select email_normalized from invitations where tenant_id = $1 \
           and email_normalized = any($2) and accepted_at is null and revoked_at is null",
    )
    .bind(tenant_id)
    .bind(normalized)
    .fetch_all(tx.conn())
    .await?;
    Ok(found.into_iter().collect())
}

/// An invitation for an imported person, unless one is open for the address (then `None`:
/// importing a file twice invites nobody twice). `sent` says whether its email goes now; an
/// unsent invitation waits in the invitations list for "send".
pub async fn create_imported_invitation(
    tx: &mut TenantTx,
    email: &str,
    normalized: &str,
    kind: MemberKind,
    invited_by: MemberId,
    profile: &serde_json::Value,
    sent: bool,
) -> Result<Option<(InvitationId, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    let token = random_token();
    let id: Option<InvitationId> = sqlx::query_scalar(
        "insert into invitations (tenant_id, id, email, email_normalized, kind, token_hash, \
           invited_by, expires_at, profile, sent_count) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
         on conflict (tenant_id, email_normalized) where accepted_at is null and revoked_at is null \
         do nothing returning id",
    )
    .bind(tenant_id)
    .bind(tsunagu_kernel::ids::new_row_id())
    .bind(email)
    .bind(normalized)
    .bind(kind)
    .bind(token_hash(&token))
    .bind(invited_by)
    .bind(OffsetDateTime::now_utc() + INVITATION_LIFETIME)
    .bind(profile)
    .bind(i32::from(sent))
    .fetch_optional(tx.conn())
    .await?;
    Ok(id.map(|id| (id, token)))
}
