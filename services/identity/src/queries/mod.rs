//! SQL for members, their one-time tokens and invitations. Every function takes a `TenantTx` and
//! names the tenant explicitly (indexes lead on tenant_id); RLS backs every one of them.

pub mod activity;
pub mod consent;
pub mod imports;
pub mod listing;
pub mod profile;

use time::{Duration, OffsetDateTime};
use tsunagu_kernel::tokens::{random_token, token_hash};
use tsunagu_kernel::MemberId;
use tsunagu_kernel::{DbError, MemberKind, MemberRole, MemberStatus, TenantTx};

tsunagu_kernel::entity_id!(
    /// An invitation to join a network.
    InvitationId
);

#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct Member {
    pub id: MemberId,
    pub email: String,
    #[serde(skip)]
    pub password_hash: String,
    pub kind: MemberKind,
    pub status: MemberStatus,
    pub role: MemberRole,
    pub name_kanji: String,
    pub name_kana: String,
    pub name_romaji: String,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: String,
    pub current_organisation: String,
    pub preferred_locale: Option<String>,
    pub rejection_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
    /// The member's last day of use (see `activity::record_seen`); `None`: never seen.
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_seen_at: Option<OffsetDateTime>,
}

pub(crate) const MEMBER_COLUMNS: &str =
    "id, email, password_hash, kind, status, role, name_kanji, name_kana, \
    name_romaji, joined_year, left_year, department, current_organisation, preferred_locale, \
        rejection_reason, created_at, last_seen_at";

pub struct NewMember<'a> {
    pub email: &'a str,
    pub email_normalized: &'a str,
    pub password_hash: &'a str,
    pub kind: MemberKind,
    pub status: MemberStatus,
    pub email_verified: bool,
    pub name_kanji: &'a str,
    pub name_kana: &'a str,
    pub name_romaji: &'a str,
    pub joined_year: Option<i32>,
    pub left_year: Option<i32>,
    pub department: &'a str,
    pub current_organisation: &'a str,
    pub preferred_locale: Option<&'a str>,
}

pub async fn insert_member(tx: &mut TenantTx, m: &NewMember<'_>) -> Result<MemberId, DbError> {
    let id = MemberId::new();
    let tenant_id = tx.tenant_id();
    // Directory search covers the names and what every member may see (all fields start
    // visible to members; the profile page recomputes this when visibility changes).
    let search_text = [
        m.name_kanji,
        m.name_kana,
        m.name_romaji,
        m.department,
        m.current_organisation,
    ]
    .join(" ");
    sqlx::query(
        "insert into members (tenant_id, id, email, email_normalized, password_hash, kind, status, \
           email_verified_at, name_kanji, name_kana, name_romaji, joined_year, left_year, department, \
           current_organisation, preferred_locale) \
         values ($1, $2, $3, $4, $5, $6, $7, case when $8 then now() end, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(m.email)
    .bind(m.email_normalized)
    .bind(m.password_hash)
    .bind(m.kind)
    .bind(m.status)
    .bind(m.email_verified)
    .bind(m.name_kanji)
    .bind(m.name_kana)
    .bind(m.name_romaji)
    .bind(m.joined_year)
    .bind(m.left_year)
    .bind(m.department)
    .bind(m.current_organisation)
    .bind(m.preferred_locale)
    .execute(tx.conn())
    .await?;
    set_search_text(tx, id, &search_text).await?;
    Ok(id)
}

/// Stores what the directory searches for a member: the normalised text (for the final substring
/// check) and its tokens (for the index), replacing the previous ones.
pub async fn set_search_text(
    tx: &mut TenantTx,
    member_id: MemberId,
    text: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("update members set search_text = $3 where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(member_id)
        .bind(tsunagu_kernel::search::normalize(text))
        .execute(tx.conn())
        .await?;
    sqlx::query("delete from member_search_tokens where tenant_id = $1 and member_id = $2")
        .bind(tenant_id)
        .bind(member_id)
        .execute(tx.conn())
        .await?;
    sqlx::query(
        "insert into member_search_tokens (tenant_id, token, member_id, sort_key) \
         select $1, unnest($3::text[]), $2, \
           (select name_kana from members where tenant_id = $1 and id = $2)",
    )
    .bind(tenant_id)
    .bind(member_id)
    .bind(tsunagu_kernel::search::tokens(text))
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn find_by_email(tx: &mut TenantTx, normalized: &str) -> Result<Option<Member>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {MEMBER_COLUMNS} from members where tenant_id = $1 and email_normalized = $2"
    ))
    .bind(tenant_id)
    .bind(normalized)
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn find_by_id(tx: &mut TenantTx, id: MemberId) -> Result<Option<Member>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {MEMBER_COLUMNS} from members where tenant_id = $1 and id = $2"
    ))
    .bind(tenant_id)
    .bind(id)
    .fetch_optional(tx.conn())
    .await?)
}

/// Members with a given status, oldest first (the approval queue).
pub async fn list_by_status(tx: &mut TenantTx, status: &str) -> Result<Vec<Member>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {MEMBER_COLUMNS} from members where tenant_id = $1 and status = $2 \
         order by created_at, id limit 500"
    ))
    .bind(tenant_id)
    .bind(status)
    .fetch_all(tx.conn())
    .await?)
}

/// Everyone but removed members, newest first.
pub async fn list_members(tx: &mut TenantTx) -> Result<Vec<Member>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(&format!(
        "select {MEMBER_COLUMNS} from members where tenant_id = $1 and status <> 'removed' \
         order by created_at desc, id desc limit 1000"
    ))
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

pub async fn count_by_status(tx: &mut TenantTx) -> Result<Vec<(String, i64)>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(
        sqlx::query_as("select status, count(*) from members where tenant_id = $1 group by status")
            .bind(tenant_id)
            .fetch_all(tx.conn())
            .await?,
    )
}

/// Changes status when the current one is among `from`; returns whether a row changed.
pub async fn transition_status(
    tx: &mut TenantTx,
    id: MemberId,
    from: &[MemberStatus],
    to: MemberStatus,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let from: Vec<&str> = from.iter().map(|s| s.as_str()).collect();
    let changed = sqlx::query(
        "update members set status = $4, updated_at = now(), \
           approved_at = case when $4 = 'active' and approved_at is null then now() else approved_at end, \
                      approved_by = case when $4 = 'active' and approved_by is null then app.current_actor_id() else approved_by end, \
           held_for_plan = case when $4 = 'active' then false else held_for_plan end \
         where tenant_id = $1 and id = $2 and status = any($3)",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(&from)
    .bind(to)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(changed == 1)
}

pub async fn reject(tx: &mut TenantTx, id: MemberId, reason: &str) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    let changed = sqlx::query(
        "update members set status = 'rejected', rejection_reason = $3, updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'pending_approval'",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(reason)
    .execute(tx.conn())
    .await?
    .rows_affected();
    Ok(changed == 1)
}

pub async fn mark_email_verified(tx: &mut TenantTx, id: MemberId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update members set email_verified_at = coalesce(email_verified_at, now()), updated_at = now() \
         where tenant_id = $1 and id = $2",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

pub async fn set_password(
    tx: &mut TenantTx,
    id: MemberId,
    password_hash: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("update members set password_hash = $3, updated_at = now() where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(password_hash)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn set_role(tx: &mut TenantTx, id: MemberId, role: MemberRole) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update members set role = $3, updated_at = now() \
         where tenant_id = $1 and id = $2 and status <> 'removed' and role <> $3",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(role)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

pub async fn set_preferred_locale(
    tx: &mut TenantTx,
    id: MemberId,
    locale: &str,
) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("update members set preferred_locale = $3, updated_at = now() where tenant_id = $1 and id = $2")
        .bind(tenant_id)
        .bind(id)
        .bind(locale)
        .execute(tx.conn())
        .await?;
    Ok(())
}

pub async fn count_active_secretariat(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and role = 'secretariat' and status = 'active'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Email-verification and password-reset tokens.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TokenPurpose {
    VerifyEmail,
    ResetPassword,
}

impl TokenPurpose {
    fn as_str(self) -> &'static str {
        match self {
            TokenPurpose::VerifyEmail => "verify_email",
            TokenPurpose::ResetPassword => "reset_password",
        }
    }

    pub fn lifetime(self) -> Duration {
        match self {
            TokenPurpose::VerifyEmail => Duration::hours(48),
            TokenPurpose::ResetPassword => Duration::hours(1),
        }
    }
}

/// Issues a token (returned once, stored hashed). Earlier unused tokens of the same purpose for
/// this member stop working: only the newest link counts.
pub async fn issue_token(
    tx: &mut TenantTx,
    member_id: MemberId,
    purpose: TokenPurpose,
) -> Result<String, DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update member_tokens set used_at = now() \
         where tenant_id = $1 and member_id = $2 and purpose = $3 and used_at is null",
    )
    .bind(tenant_id)
    .bind(member_id)
    .bind(purpose.as_str())
    .execute(tx.conn())
    .await?;
    let token = random_token();
    sqlx::query(
        "insert into member_tokens (tenant_id, id, member_id, purpose, token_hash, expires_at) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(tenant_id)
    .bind(tsunagu_kernel::ids::new_row_id())
    .bind(member_id)
    .bind(purpose.as_str())
    .bind(token_hash(&token))
    .bind(OffsetDateTime::now_utc() + purpose.lifetime())
    .execute(tx.conn())
    .await?;
    Ok(token)
}

/// Uses a token once: the member it belongs to, if it is valid, unused and unexpired.
pub async fn consume_token(
    tx: &mut TenantTx,
    token: &str,
    purpose: TokenPurpose,
) -> Result<Option<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update member_tokens set used_at = now() \
         where tenant_id = $1 and token_hash = $2 and purpose = $3 and used_at is null and expires_at > now() \
         returning member_id",
    )
    .bind(tenant_id)
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .fetch_optional(tx.conn())
    .await?)
}

/// Is the token currently usable (without using it)? For the GET page before the POST.
pub async fn token_is_valid(
    tx: &mut TenantTx,
    token: &str,
    purpose: TokenPurpose,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select exists (select 1 from member_tokens where tenant_id = $1 and token_hash = $2 \
           and purpose = $3 and used_at is null and expires_at > now())",
    )
    .bind(tenant_id)
    .bind(token_hash(token))
    .bind(purpose.as_str())
    .fetch_one(tx.conn())
    .await?)
}

#[derive(Clone, Debug, sqlx::FromRow, serde::Serialize)]
pub struct Invitation {
    pub id: InvitationId,
    pub email: String,
    pub kind: MemberKind,
    #[serde(with = "time::serde::rfc3339")]
    pub expires_at: OffsetDateTime,
    pub sent_count: i32,
    #[serde(with = "time::serde::rfc3339")]
    pub last_sent_at: OffsetDateTime,
    /// What an import knew of the person (name, years, department…), to prefill the join form.
    #[serde(skip)]
    pub profile: sqlx::types::Json<serde_json::Value>,
}

pub const INVITATION_LIFETIME: Duration = Duration::days(14);

/// An open (unaccepted, unrevoked, unexpired) invitation by its token.
pub async fn find_open_invitation(
    tx: &mut TenantTx,
    token: &str,
) -> Result<Option<Invitation>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, email, kind, expires_at, sent_count, last_sent_at, profile from invitations \
         where tenant_id = $1 and token_hash = $2 and accepted_at is null and revoked_at is null \
           and expires_at > now()",
    )
    .bind(tenant_id)
    .bind(token_hash(token))
    .fetch_optional(tx.conn())
    .await?)
}

pub async fn accept_invitation(
    tx: &mut TenantTx,
    invitation_id: InvitationId,
    member_id: MemberId,
) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update invitations set accepted_at = now(), accepted_member_id = $3 \
         where tenant_id = $1 and id = $2 and accepted_at is null and revoked_at is null",
    )
    .bind(tenant_id)
    .bind(invitation_id)
    .bind(member_id)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// Open invitations, newest first (the secretariat's list).
pub async fn list_open_invitations(tx: &mut TenantTx) -> Result<Vec<Invitation>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_as(
        "select id, email, kind, expires_at, sent_count, last_sent_at, profile from invitations \
         where tenant_id = $1 and accepted_at is null and revoked_at is null \
         order by created_at desc limit 500",
    )
    .bind(tenant_id)
    .fetch_all(tx.conn())
    .await?)
}

/// Creates an invitation, or — if one is open for this address — renews it with a new token.
/// Returns the invitation id and the token for the email.
pub async fn upsert_invitation(
    tx: &mut TenantTx,
    email: &str,
    email_normalized: &str,
    kind: MemberKind,
    invited_by: MemberId,
) -> Result<(InvitationId, String), DbError> {
    let tenant_id = tx.tenant_id();
    let token = random_token();
    let id: InvitationId = sqlx::query_scalar(
        "insert into invitations (tenant_id, id, email, email_normalized, kind, token_hash, invited_by, expires_at) \
         values ($1, $2, $3, $4, $5, $6, $7, $8) \
         on conflict (tenant_id, email_normalized) where accepted_at is null and revoked_at is null \
         do update set token_hash = excluded.token_hash, kind = excluded.kind, expires_at = excluded.expires_at, \
           sent_count = invitations.sent_count + 1, last_sent_at = now() \
         returning id",
    )
    .bind(tenant_id)
    .bind(tsunagu_kernel::ids::new_row_id())
    .bind(email)
    .bind(email_normalized)
    .bind(kind)
    .bind(token_hash(&token))
    .bind(invited_by)
    .bind(OffsetDateTime::now_utc() + INVITATION_LIFETIME)
    .fetch_one(tx.conn())
    .await?;
    Ok((id, token))
}

/// A new token and expiry for an open invitation; `None` if it is not open (or not ours).
pub async fn renew_invitation(
    tx: &mut TenantTx,
    id: InvitationId,
) -> Result<Option<(Invitation, String)>, DbError> {
    let tenant_id = tx.tenant_id();
    let token = random_token();
    let invitation: Option<Invitation> = sqlx::query_as(
        "update invitations set token_hash = $3, expires_at = $4, sent_count = sent_count + 1, last_sent_at = now() \
         where tenant_id = $1 and id = $2 and accepted_at is null and revoked_at is null \
         returning id, email, kind, expires_at, sent_count, last_sent_at, profile",
    )
    .bind(tenant_id)
    .bind(id)
    .bind(token_hash(&token))
    .bind(OffsetDateTime::now_utc() + INVITATION_LIFETIME)
    .fetch_optional(tx.conn())
    .await?;
    Ok(invitation.map(|i| (i, token)))
}

pub async fn revoke_invitation(tx: &mut TenantTx, id: InvitationId) -> Result<bool, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query(
        "update invitations set revoked_at = now() \
         where tenant_id = $1 and id = $2 and accepted_at is null and revoked_at is null",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?
    .rows_affected()
        == 1)
}

/// The address of a network's "Tsunagu CS" member (`.invalid`: it never receives email).
pub const SUPPORT_MEMBER_EMAIL: &str = "cs@support.tsunagu.invalid";

/// The network's "Tsunagu CS" member, created on first use: the author of what platform staff
/// draft within a support grant (docs/adr/0004-support-sessions.md). Status `support`, so no list
/// of members shows it; its password hash is no hash at all, so it never signs in.
pub async fn support_member(tx: &mut TenantTx) -> Result<MemberId, DbError> {
    let tenant_id = tx.tenant_id();
    let inserted: Option<MemberId> = sqlx::query_scalar(
        "insert into members (tenant_id, id, email, email_normalized, password_hash, kind, status, \
           name_kanji, name_romaji) \
         values ($1, $2, $3, $3, '!', 'employee', 'support', 'Tsunagu CS', 'Tsunagu CS') \
         on conflict (tenant_id, email_normalized) do nothing returning id",
    )
    .bind(tenant_id)
    .bind(MemberId::new())
    .bind(SUPPORT_MEMBER_EMAIL)
    .fetch_optional(tx.conn())
    .await?;
    if let Some(id) = inserted {
        return Ok(id);
    }
    Ok(sqlx::query_scalar(
        "select id from members where tenant_id = $1 and email_normalized = $2 and status = 'support'",
    )
    .bind(tenant_id)
    .bind(SUPPORT_MEMBER_EMAIL)
    .fetch_one(tx.conn())
    .await?)
}

/// The network's active members, counted under a per-network lock held to the end of the
/// transaction, so that two sign-ups at once cannot both take the plan's last place.
pub async fn active_members_locked(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query("select pg_advisory_xact_lock(hashtextextended($1::text || ':member-cap', 0))")
        .bind(tenant_id)
        .execute(tx.conn())
        .await?;
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and status = 'active'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Marks a member as waiting in the approval queue because of the plan's member cap.
pub async fn hold_for_plan(tx: &mut TenantTx, id: MemberId) -> Result<(), DbError> {
    let tenant_id = tx.tenant_id();
    sqlx::query(
        "update members set held_for_plan = true, updated_at = now() \
         where tenant_id = $1 and id = $2 and status = 'pending_approval'",
    )
    .bind(tenant_id)
    .bind(id)
    .execute(tx.conn())
    .await?;
    Ok(())
}

/// Members waiting only because of the plan's member cap.
pub async fn held_for_plan(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and held_for_plan \
         and status = 'pending_approval'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}

/// Activates members held by the plan, oldest first, at most `room` of them (none: all); the
/// ones activated.
pub async fn release_held(tx: &mut TenantTx, room: Option<i64>) -> Result<Vec<MemberId>, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "update members set status = 'active', held_for_plan = false, updated_at = now(), \
           approved_at = coalesce(approved_at, now()) \
         where tenant_id = $1 and id in ( \
           select id from members where tenant_id = $1 and held_for_plan \
             and status = 'pending_approval' order by created_at, id limit $2) \
         returning id",
    )
    .bind(tenant_id)
    .bind(room)
    .fetch_all(tx.conn())
    .await?)
}

/// The network's active members (no lock: for display).
pub async fn active_members(tx: &mut TenantTx) -> Result<i64, DbError> {
    let tenant_id = tx.tenant_id();
    Ok(sqlx::query_scalar(
        "select count(*) from members where tenant_id = $1 and status = 'active'",
    )
    .bind(tenant_id)
    .fetch_one(tx.conn())
    .await?)
}
