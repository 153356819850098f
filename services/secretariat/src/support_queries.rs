//! SQL of support access (`support_grants`, owned here): the secretariat's grants to the
//! platform's customer-success staff. Every statement runs in the secretariat's tenant
//! transaction (RLS) and names the tenant.

use time::OffsetDateTime;
use tsunagu_kernel::{DbError, MemberId, TenantTx};

tsunagu_kernel::entity_id!(
    /// A grant of support access.
    GrantId
);

tsunagu_kernel::text_enum! {
    /// What CS may do within a grant.
    pub enum Scope {
        /// Articles and timeline posts (drafts for the secretariat to approve).
        Content => "content",
        Recruitments => "recruitments",
        Surveys => "surveys",
        Events => "events",
        /// The member list, read-only.
        MembersRead => "members_read",
    }
}

/// One grant as the support page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Grant {
    pub id: GrantId,
    pub granted_by_name: Option<String>,
    pub scopes: Vec<String>,
    pub note: String,
    pub starts_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub revoked_at: Option<OffsetDateTime>,
    pub revoked_by_name: Option<String>,
    pub created_at: OffsetDateTime,
}

impl Grant {
    /// Open now: started, not expired, not revoked.
    pub fn live(&self, now: OffsetDateTime) -> bool {
        self.revoked_at.is_none() && self.starts_at <= now && now < self.expires_at
    }
}

/// The network's grants, newest first.
pub async fn grants(tx: &mut TenantTx, limit: i64) -> Result<Vec<Grant>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select g.id, b.name_kanji as granted_by_name, g.scopes, g.note, g.starts_at, g.expires_at, \
                g.revoked_at, r.name_kanji as revoked_by_name, g.created_at \
         from support_grants g \
         left join members b on b.tenant_id = g.tenant_id and b.id = g.granted_by \
         left join members r on r.tenant_id = g.tenant_id and r.id = g.revoked_by \
         where g.tenant_id = $1 order by g.created_at desc, g.id desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// Grants support access from now for `days` days; returns the grant and its end. Both ends
/// are the database's `now()`, so the window is exactly the days given (the table refuses
/// more than 7).
pub async fn grant(
    tx: &mut TenantTx,
    granted_by: MemberId,
    scopes: &[Scope],
    note: &str,
    days: i32,
) -> Result<(GrantId, OffsetDateTime), DbError> {
    let tenant_id = tx.tenant_id();
    let id = GrantId::new();
    let scopes: Vec<&str> = scopes.iter().map(|s| s.as_str()).collect();
    let expires_at = sqlx::query_scalar(
        "insert into support_grants (tenant_id, id, granted_by, scopes, note, starts_at, expires_at) \
         values ($1, $2, $3, $4, $5, now(), now() + make_interval(days => $6)) returning expires_at",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(granted_by)
    .bind(&scopes)
    .bind(note)
    .bind(days)
    .fetch_one(tx.conn())
    .await?;
    Ok((id, expires_at))
}

/// Ends a grant that is not over yet; false when there is none (already revoked or expired, or
/// not this network's).
pub async fn revoke(tx: &mut TenantTx, id: GrantId, by: MemberId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update support_grants set revoked_at = now(), revoked_by = $3 \
         where tenant_id = $1 and id = $2 and revoked_at is null and expires_at > now()",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(by)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// A grant open now, as a support session needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveGrant {
    pub id: GrantId,
    pub scopes: Vec<String>,
    pub expires_at: OffsetDateTime,
}

/// The network's live grant that lasts longest, if any (by the database's clock, the same one
/// `app.require_live_support_grant()` uses).
pub async fn live_grant(tx: &mut TenantTx) -> Result<Option<LiveGrant>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, scopes, expires_at from support_grants \
         where tenant_id = $1 and revoked_at is null and starts_at <= now() and expires_at > now() \
         order by expires_at desc, id limit 1",
    )
    .bind(tenant_id)
    .fetch_optional(tx.conn())
    .await?)
}

tsunagu_kernel::entity_id!(
    /// A request for support access from CS.
    RequestId
);

/// What a staff member asks for.
pub struct NewRequest<'a> {
    pub staff_id: uuid::Uuid,
    pub staff_name: &'a str,
    pub scopes: &'a [Scope],
    /// 1 or 7.
    pub days: i32,
    pub note: &'a str,
}

/// Stores a request from CS (the console, in the network's transaction as the system).
pub async fn request(tx: &mut TenantTx, new: &NewRequest<'_>) -> Result<RequestId, DbError> {
    let tenant_id = tx.tenant_id();
    let id = RequestId::new();
    let scopes: Vec<&str> = new.scopes.iter().map(|s| s.as_str()).collect();
    sqlx::query(
        "insert into support_requests (tenant_id, id, staff_id, staff_name, scopes, days, note) \
         values ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(new.staff_id)
    .bind(new.staff_name)
    .bind(&scopes)
    .bind(new.days)
    .bind(new.note)
    .execute(tx.conn())
    .await?;
    Ok(id)
}

/// A request as the support page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Request {
    pub id: RequestId,
    pub staff_name: String,
    pub scopes: Vec<String>,
    pub days: i32,
    pub note: String,
    pub created_at: OffsetDateTime,
    pub answer: Option<String>,
    pub answered_at: Option<OffsetDateTime>,
    pub answered_by_name: Option<String>,
}

/// The network's requests, unanswered first, then newest first.
pub async fn requests(tx: &mut TenantTx, limit: i64) -> Result<Vec<Request>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select q.id, q.staff_name, q.scopes, q.days, q.note, q.created_at, q.answer, \
                q.answered_at, m.name_kanji as answered_by_name \
         from support_requests q \
         left join members m on m.tenant_id = q.tenant_id and m.id = q.answered_by \
         where q.tenant_id = $1 \
         order by (q.answer is null) desc, q.created_at desc, q.id desc limit $2",
    )
    .bind(tenant_id)
    .bind(limit)
    .fetch_all(tx.conn())
    .await?)
}

/// An unanswered request, locked for answering.
pub async fn open_request(
    tx: &mut TenantTx,
    id: RequestId,
) -> Result<Option<(Vec<String>, i32, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select scopes, days, staff_name from support_requests \
         where tenant_id = $1 and id = $2 and answer is null for update",
    )
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Records the secretariat's answer (and an approval's grant).
pub async fn answer(
    tx: &mut TenantTx,
    id: RequestId,
    answer: &str,
    by: MemberId,
    grant: Option<GrantId>,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update support_requests set answer = $3, answered_at = now(), answered_by = $4, \
           grant_id = $5 where tenant_id = $1 and id = $2 and answer is null",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(answer)
    .bind(by)
    .bind(grant)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// The active secretariat of the network (who hear of a request).
pub async fn secretariat_members(tx: &mut TenantTx) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select id from members where tenant_id = $1 and role = 'secretariat' and status = 'active'",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}
