//! Sessions in Redis.
//!
//! A session id is 256 random bits, sent only in a host-only cookie (`HttpOnly`, `SameSite=Lax`,
//! `Secure` over https, no `Domain`, so it never reaches another tenant's subdomain). Redis holds
//! the session under `t:{<tenant>}:session:<sha256(id)>`: a request for tenant B looks in B's key
//! space, so A's cookie is simply unknown there. Sessions expire after `IDLE_TIMEOUT` without use
//! (sliding, via GETEX) and `ABSOLUTE_TIMEOUT` after sign-in whatever happens. An index per member
//! lets us end all of a member's sessions (sign out everywhere, suspension, removal).

use std::time::Duration;
use tsunagu_kernel::MemberId;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use tsunagu_kernel::tokens::{looks_like_token, random_token, token_hash_hex};
use tsunagu_kernel::TenantId;

use crate::versions::{versions_key, TenantVersions};

pub const IDLE_TIMEOUT: Duration = Duration::from_secs(3 * 24 * 3600);
pub const ABSOLUTE_TIMEOUT: Duration = Duration::from_secs(30 * 24 * 3600);

/// What a member's session remembers. Role and status changes update or end sessions, so the
/// handler can trust these fields for the session's lifetime.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionData {
    pub tenant_id: TenantId,
    pub member_id: tsunagu_kernel::MemberId,
    pub kind: tsunagu_kernel::MemberKind,
    pub role: tsunagu_kernel::MemberRole,
    pub display_name: String,
    pub locale: Option<String>,
    /// Unix seconds at sign-in.
    pub signed_in_at: i64,
    /// Set for platform staff working in the network within a support grant; `member_id` is
    /// then the network's "Tsunagu CS" member (docs/adr/0004-support-sessions.md).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub support: Option<SupportAccess>,
}

/// What a support session carries: who the staff person is and the grant they work under.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SupportAccess {
    pub staff_id: uuid::Uuid,
    pub staff_name: String,
    pub grant_id: uuid::Uuid,
    /// The grant's scopes (`content`, `recruitments`, `surveys`, `events`, `members_read`).
    pub scopes: Vec<String>,
    /// Unix seconds: the grant's end.
    pub until: i64,
}

impl SupportAccess {
    /// The casbin subject of each scope (`services/authz/policy.csv`); unknown words give none.
    pub fn subjects(&self) -> Vec<&'static str> {
        self.scopes
            .iter()
            .filter_map(|scope| match scope.as_str() {
                "content" => Some("support:content"),
                "recruitments" => Some("support:recruitments"),
                "surveys" => Some("support:surveys"),
                "events" => Some("support:events"),
                "members_read" => Some("support:members_read"),
                _ => None,
            })
            .collect()
    }

    /// The transaction actor: the staff person under the grant.
    pub fn actor(&self) -> tsunagu_kernel::Actor {
        tsunagu_kernel::Actor::Staff {
            staff_id: self.staff_id,
            grant_id: self.grant_id,
        }
    }

    /// Open at `now` by the application's clock (the database checks again at its own).
    pub fn live_at(&self, now: OffsetDateTime) -> bool {
        now.unix_timestamp() < self.until
    }
}

/// The session of this request, loaded by the session layer.
#[derive(Clone, Debug)]
pub struct Session {
    pub id: String,
    pub data: SessionData,
}

/// Sessions live in Redis and are read on every signed-in request, so they go through one
/// multiplexed connection (`state::redis_multiplexed`) rather than a pool: concurrent requests'
/// commands share a socket and are written and answered in batches, with no wait for a pooled
/// connection. On the cached timeline this cut Redis's CPU per request by more than half, and
/// the server's by a third (docs/PERFORMANCE.md).
#[derive(Clone)]
pub struct SessionStore {
    redis: redis::aio::ConnectionManager,
    load_script: std::sync::Arc<redis::Script>,
}

/// Loads a session and, in the same round trip, whether this is the member's first request of
/// the (UTC) day (a small per-member key holds the day last seen, so the database hears of a
/// visit once a day, not on every request), the member's cached unread counts (the header's
/// notification and message badges on every signed-in page, one key "<notifications> <messages>") and the tenant's content versions (which tell the
/// process-local caches whether they are current, see [`crate::versions`]). The count's key is
/// named by the member id inside the session, which only the server side of Redis can see
/// without a second trip. Every key carries the tenant's hash tag, so on a Redis Cluster they
/// share a slot.
const LOAD_SCRIPT: &str = r#"
local raw = redis.call('GETEX', KEYS[1], 'EX', ARGV[1])
if not raw then return false end
local ok, data = pcall(cjson.decode, raw)
local unread = false
local first_today = 0
if ok and type(data) == 'table' and type(data.member_id) == 'string' then
  unread = redis.call('GET', ARGV[2] .. data.member_id)
  local seen_key = ARGV[3] .. data.member_id
  if redis.call('GET', seen_key) ~= ARGV[4] then
    redis.call('SET', seen_key, ARGV[4], 'EX', 172800)
    first_today = 1
  end
end
return {raw, unread, redis.call('HGETALL', KEYS[2]), first_today, redis.call('GET', KEYS[3])}
"#;

/// A loaded session with the member's cached unread counts (`None`: not cached) and the tenant's
/// content versions.
pub struct LoadedSession {
    pub data: SessionData,
    pub cached_unread: Option<UnreadCounts>,
    pub versions: TenantVersions,
    /// The member's first request today: record the visit.
    pub first_today: bool,
    /// The end of the network's live support grant, if any (Unix seconds).
    pub support_until: Option<i64>,
}

/// What [`LOAD_SCRIPT`] answers: the session, the cached unread counts, the content versions,
/// whether this is the first request today, and the end of a live support grant.
type LoadReply = (String, Option<String>, Vec<String>, i64, Option<String>);

fn session_key(tenant: TenantId, id: &str) -> String {
    format!("t:{{{tenant}}}:session:{}", token_hash_hex(id))
}

fn index_key(tenant: TenantId, member: MemberId) -> String {
    format!("t:{{{tenant}}}:member-sessions:{member}")
}

impl SessionStore {
    pub fn new(redis: redis::aio::ConnectionManager) -> Self {
        Self {
            redis,
            load_script: std::sync::Arc::new(redis::Script::new(LOAD_SCRIPT)),
        }
    }

    /// Starts a session and returns its id (for the cookie). Always a new id: never reuse one
    /// from before sign-in.
    pub async fn create(&self, data: &SessionData) -> anyhow::Result<String> {
        let id = random_token();
        let key = session_key(data.tenant_id, &id);
        let index = index_key(data.tenant_id, data.member_id);
        let mut conn = self.redis.clone();
        redis::pipe()
            .atomic()
            .cmd("SET")
            .arg(&key)
            .arg(serde_json::to_string(data)?)
            .arg("EX")
            .arg(IDLE_TIMEOUT.as_secs())
            .ignore()
            .cmd("SADD")
            .arg(&index)
            .arg(&key)
            .ignore()
            .cmd("EXPIRE")
            .arg(&index)
            .arg(ABSOLUTE_TIMEOUT.as_secs())
            .ignore()
            .query_async::<()>(&mut conn)
            .await?;
        Ok(id)
    }

    /// The session for `id` in `tenant`, extending its idle timeout, with the member's cached
    /// unread count and the tenant's content versions, in one round trip. `None` when unknown, expired, past its absolute lifetime,
    /// or belonging to another tenant.
    pub async fn load_with_unread(
        &self,
        tenant: TenantId,
        id: &str,
    ) -> anyhow::Result<Option<LoadedSession>> {
        if !looks_like_token(id) {
            return Ok(None);
        }
        let key = session_key(tenant, id);
        let mut conn = self.redis.clone();
        let today = OffsetDateTime::now_utc().date().to_string();
        let found: Option<LoadReply> = self
            .load_script
            .key(&key)
            .key(versions_key(tenant))
            .key(support_until_key(tenant))
            .arg(IDLE_TIMEOUT.as_secs())
            .arg(unread_key_prefix(tenant))
            .arg(format!("t:{{{tenant}}}:seen:"))
            .arg(today)
            .invoke_async(&mut conn)
            .await?;
        let Some((raw, cached_unread, versions, first_today, support_until)) = found else {
            return Ok(None);
        };
        let data: SessionData = match serde_json::from_str(&raw) {
            Ok(data) => data,
            Err(_) => return Ok(None),
        };
        let age = OffsetDateTime::now_utc().unix_timestamp() - data.signed_in_at;
        if data.tenant_id != tenant || age > ABSOLUTE_TIMEOUT.as_secs() as i64 {
            let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
            return Ok(None);
        }
        Ok(Some(LoadedSession {
            data,
            cached_unread: cached_unread.as_deref().and_then(UnreadCounts::parse),
            versions: TenantVersions::from_flat(versions),
            first_today: first_today == 1,
            support_until: support_until.and_then(|s| s.parse().ok()),
        }))
    }

    pub async fn destroy(&self, tenant: TenantId, id: &str) -> anyhow::Result<()> {
        let key = session_key(tenant, id);
        let mut conn = self.redis.clone();
        let _: i64 = redis::cmd("DEL").arg(&key).query_async(&mut conn).await?;
        Ok(())
    }

    /// Ends every session of a member (sign out everywhere, suspension, removal).
    pub async fn destroy_all(&self, tenant: TenantId, member: MemberId) -> anyhow::Result<usize> {
        let index = index_key(tenant, member);
        let mut conn = self.redis.clone();
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&index)
            .query_async(&mut conn)
            .await?;
        let mut pipe = redis::pipe();
        for key in &keys {
            pipe.cmd("DEL").arg(key).ignore();
        }
        pipe.cmd("DEL").arg(&index).ignore();
        pipe.query_async::<()>(&mut conn).await?;
        Ok(keys.len())
    }

    /// Rewrites every live session of a member (e.g. after a role change), keeping their TTLs.
    pub async fn update_all(
        &self,
        tenant: TenantId,
        member: MemberId,
        change: impl Fn(&mut SessionData),
    ) -> anyhow::Result<()> {
        let index = index_key(tenant, member);
        let mut conn = self.redis.clone();
        let keys: Vec<String> = redis::cmd("SMEMBERS")
            .arg(&index)
            .query_async(&mut conn)
            .await?;
        for key in keys {
            let raw: Option<String> = redis::cmd("GET").arg(&key).query_async(&mut conn).await?;
            let Some(mut data) = raw.and_then(|r| serde_json::from_str::<SessionData>(&r).ok())
            else {
                continue;
            };
            change(&mut data);
            let _: Option<String> = redis::cmd("SET")
                .arg(&key)
                .arg(serde_json::to_string(&data)?)
                .arg("KEEPTTL")
                .arg("XX")
                .query_async(&mut conn)
                .await?;
        }
        Ok(())
    }
}

/// The cookie name: `__Host-` (which browsers only accept with Secure, Path=/ and no Domain)
/// whenever we are served over https.
pub fn cookie_name(https: bool) -> &'static str {
    if https {
        "__Host-tsunagu_session"
    } else {
        "tsunagu_session"
    }
}

/// `Set-Cookie` for a new session.
pub fn session_cookie(https: bool, id: &str) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}={id}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
        cookie_name(https),
        ABSOLUTE_TIMEOUT.as_secs()
    )
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_session_cookie(https: bool) -> String {
    let secure = if https { "; Secure" } else { "" };
    format!(
        "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
        cookie_name(https)
    )
}

/// Loads the session named by the cookie (tenant sites only) into the request extensions.
pub async fn load_session(
    axum::extract::State(state): axum::extract::State<crate::AppState>,
    mut request: axum::extract::Request,
    next: axum::middleware::Next,
) -> axum::response::Response {
    let tenant = match request.extensions().get::<crate::Site>() {
        Some(crate::Site::Tenant(tenant)) => Some(tenant.id),
        _ => None,
    };
    if let Some(tenant) = tenant {
        let id = crate::site::cookie(request.headers(), cookie_name(state.config.https))
            .map(str::to_owned);
        if let Some(id) = id {
            match state.sessions.load_with_unread(tenant, &id).await {
                Ok(Some(LoadedSession {
                    data,
                    cached_unread,
                    versions,
                    first_today,
                    support_until,
                })) => {
                    if let Some(support) = &data.support {
                        if let Err(refusal) = check_support(&state, tenant, support).await {
                            return refusal;
                        }
                        request.extensions_mut().insert(UnreadCounts::default());
                        request.extensions_mut().insert(versions);
                        request.extensions_mut().insert(Session { id, data });
                        return next.run(request).await;
                    }
                    if let Some(until) = support_until {
                        request.extensions_mut().insert(SupportUntil(until));
                    }
                    if first_today {
                        record_seen(&state, tenant, data.member_id);
                    }
                    tracing::Span::current()
                        .record("member.id", tracing::field::display(data.member_id));
                    let unread = match cached_unread {
                        Some(counts) => counts,
                        None => count_unread(&state, tenant, data.member_id).await,
                    };
                    request.extensions_mut().insert(unread);
                    request.extensions_mut().insert(versions);
                    request.extensions_mut().insert(Session { id, data });
                }
                Ok(None) => {}
                Err(error) => {
                    // Treating the visitor as signed out would send them to a sign-in that
                    // cannot work either; ask them to come back in a moment instead.
                    tracing::warn!(error = %error, "session store unavailable");
                    return crate::error::unavailable_response(
                        crate::error::RETRY_AFTER_UNAVAILABLE_SECONDS,
                    );
                }
            }
        }
    }
    next.run(request).await
}

/// Lets a support session through only while its grant is live: by the application's clock
/// against the grant's end carried in the session, then by the database, which refuses a staff
/// actor's transaction unless the grant is started, unexpired and not revoked at its own clock
/// (so a revoke takes effect on the next request). Refused: 404 on every route of the network.
async fn check_support(
    state: &crate::AppState,
    tenant: TenantId,
    support: &SupportAccess,
) -> Result<(), axum::response::Response> {
    let refused = || crate::error::error_response(axum::http::StatusCode::NOT_FOUND);
    if !support.live_at(state.clock.now()) {
        return Err(refused());
    }
    match state.db.begin_tenant(tenant, support.actor()).await {
        Ok(tx) => {
            let _ = tx.rollback().await;
            Ok(())
        }
        Err(error) if error.is_support_refused() => Err(refused()),
        Err(error) => {
            tracing::warn!(error = %error, "support grant could not be checked");
            Err(crate::error::unavailable_response(
                crate::error::RETRY_AFTER_UNAVAILABLE_SECONDS,
            ))
        }
    }
}

/// The end (Unix seconds) of the network's live support grant, as the secretariat's banner shows
/// it; read with the session (see [`support_until_key`]).
#[derive(Clone, Copy, Debug)]
pub struct SupportUntil(pub i64);

/// The Redis key holding the end of a network's live support grant, for the secretariat's
/// banner; written when a grant is given or revoked and expiring with the grant. The support page
/// reads the grants themselves.
pub fn support_until_key(tenant: TenantId) -> String {
    format!("t:{{{tenant}}}:support-until")
}

/// Stores, in the member's tenant transaction, that they were seen now (identity's hook).
pub type MemberSeen = for<'a> fn(
    &'a mut tsunagu_kernel::TenantTx,
    tsunagu_kernel::MemberId,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<(), tsunagu_kernel::DbError>> + Send + 'a>,
>;

/// Writes the day's first visit in the background: the page does not wait for it, and a failure
/// only costs one day's "last seen" (the Redis mark is already set), never the request.
fn record_seen(state: &crate::AppState, tenant: TenantId, member: MemberId) {
    let state = state.clone();
    tokio::spawn(async move {
        let recorded: Result<(), tsunagu_kernel::DbError> = async {
            let mut tx = state
                .db
                .begin_tenant(tenant, tsunagu_kernel::Actor::Member(member))
                .await?;
            (state.member_seen)(&mut tx, member).await?;
            tx.commit().await?;
            Ok(())
        }
        .await;
        if let Err(error) = recorded {
            tracing::warn!(error = %error, "last seen not recorded");
        }
    });
}

/// Counts something unread of a member in their tenant transaction (a header badge). The web kit
/// cannot name feature tables, so community (notifications) and messages provide these and the
/// gateway hands them over in [`crate::state::Features`].
pub type UnreadCounter = for<'a> fn(
    &'a mut tsunagu_kernel::TenantTx,
    tsunagu_kernel::MemberId,
) -> std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<i64, tsunagu_kernel::DbError>> + Send + 'a>,
>;

/// What the header's badges show for the signed-in member: unread notifications and
/// conversations with unread messages.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UnreadCounts {
    pub notifications: i64,
    pub messages: i64,
}

impl UnreadCounts {
    /// The cached form, one Redis value for both badges so that one recount and one key serve
    /// the pair (a writer drops the key; the next page counts both in one transaction).
    fn to_cached(self) -> String {
        format!("{} {}", self.notifications, self.messages)
    }

    /// `None` for anything else (a value cached by an older release holds one number: recount).
    fn parse(cached: &str) -> Option<Self> {
        let (notifications, messages) = cached.split_once(' ')?;
        Some(Self {
            notifications: notifications.parse().ok()?,
            messages: messages.parse().ok()?,
        })
    }
}

/// The Redis key caching a member's unread count; notification writers delete it after commit.
pub fn unread_key(tenant: TenantId, member: MemberId) -> String {
    format!("{}{member}", unread_key_prefix(tenant))
}

fn unread_key_prefix(tenant: TenantId) -> String {
    format!("t:{{{tenant}}}:unread:")
}

/// Counts the unread notifications and messages when the cache (read with the session) had no
/// counts, and caches them for a minute (fan-outs to a whole network rely on that expiry;
/// direct notifications and new messages delete the key). Errors count as zero: a badge is never
/// worth a failed page.
pub async fn count_unread(
    state: &crate::AppState,
    tenant: TenantId,
    member: MemberId,
) -> UnreadCounts {
    let key = unread_key(tenant, member);
    let counted: Result<UnreadCounts, tsunagu_kernel::DbError> = async {
        let mut tx = state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::Member(member))
            .await?;
        let counts = UnreadCounts {
            notifications: (state.unread_notifications)(&mut tx, member).await?,
            messages: (state.unread_messages)(&mut tx, member).await?,
        };
        tx.commit().await?;
        Ok(counts)
    }
    .await;
    let counts = match counted {
        Ok(counts) => counts,
        Err(error) => {
            // Not cached: the next page tries again.
            tracing::warn!(error = %error, "unread counts unavailable");
            return UnreadCounts::default();
        }
    };
    if let Ok(mut conn) = state.redis.get().await {
        let _: Result<(), _> = redis::cmd("SET")
            .arg(&key)
            .arg(counts.to_cached())
            .arg("EX")
            .arg(60)
            .query_async(&mut *conn)
            .await;
    }
    counts
}
