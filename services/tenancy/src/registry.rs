//! The tenant registry (`platform.tenants`) and the in-process cache in front of it.
//!
//! Every request resolves its tenant, so resolution must not cost a query: answers (including
//! "no such tenant", to blunt random-host floods) are cached for a short time. When a tenant
//! changes, whoever changed it publishes the slug on a Redis channel and every replica drops its
//! entry at once; the TTL only bounds staleness if a message is lost.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use sqlx::types::Json;
use tsunagu_kernel::{Db, DbError, PlatformTx, TenantId, TenantTx};

/// The Redis channel on which tenant changes are announced (platform key space `p:`).
pub const INVALIDATION_CHANNEL: &str = "p:tenant-registry:invalidate";
/// Sent instead of a slug to drop every entry.
pub const INVALIDATE_ALL: &str = "*";

const FOUND_TTL: Duration = Duration::from_secs(60);
const MISSING_TTL: Duration = Duration::from_secs(10);
const MAX_ENTRIES: usize = 10_000;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum TenantStatus {
    /// Signed up on the apex site, waiting for its first secretariat to confirm the address
    /// (docs/ONBOARDING.md): only the confirmation link is served.
    Pending,
    Active,
    Suspended,
}

impl TenantStatus {
    pub fn as_str(&self) -> &'static str {
        match self {
            TenantStatus::Active => "active",
            TenantStatus::Suspended => "suspended",
            TenantStatus::Pending => "pending",
        }
    }
}

/// A tenant's look: colours become CSS variables, the logo text stands in the header.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Branding {
    pub primary_color: String,
    pub accent_color: String,
    pub logo_text: String,
    pub tagline: String,
    pub welcome_title: String,
    pub welcome_body: String,
    /// The uploaded logo's key in the media store (`MediaKind::Logo`), if any: shown in the
    /// header instead of the logo text, which stays its text alternative.
    pub logo_key: String,
}

/// Switches a tenant may turn on or off.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Features {
    /// May alumni (not only employees and the secretariat) open 募集 recruitments?
    pub alumni_may_open_recruitments: bool,
    pub casual_posts: bool,
    pub events: bool,
    pub surveys: bool,
    pub messages: bool,
    /// May members (not only the secretariat) create events, e.g. a study session? (Only with
    /// `events` on.)
    pub members_may_create_events: bool,
    /// Are members' events held for the secretariat's approval before anyone sees them?
    pub member_events_need_approval: bool,
    /// A profile untouched this long nudges its owner: "still at …?"
    pub profile_stale_after_days: u32,
}

impl Default for Features {
    fn default() -> Self {
        Self {
            alumni_may_open_recruitments: true,
            casual_posts: true,
            events: true,
            surveys: true,
            messages: true,
            members_may_create_events: true,
            member_events_need_approval: false,
            profile_stale_after_days: 365,
        }
    }
}

/// What turns a month's figures into level 1, 2 or 3 (tenant-config `[level3]`, docs/LEVEL3.md).
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Level3Thresholds {
    /// Things started in a month (posts, 募集, events, conversations) from which the network is
    /// in use: level 2.
    pub level2_min_started: u32,
    /// Percentage of those started by members rather than the secretariat, for level 3.
    pub level3_member_share_percent: u32,
    /// First contacts between members in the month, for level 3.
    pub level3_min_first_contacts: u32,
}

impl Default for Level3Thresholds {
    fn default() -> Self {
        Self {
            level2_min_started: 10,
            level3_member_share_percent: 50,
            level3_min_first_contacts: 10,
        }
    }
}

impl Level3Thresholds {
    /// The level a month's figures imply (docs/LEVEL3.md): 1 when fewer than
    /// `level2_min_started` things were started; 3 when members started at least
    /// `level3_member_share_percent` of them and made `level3_min_first_contacts` first contacts;
    /// 2 otherwise. Shared by the secretariat's workspace and the console.
    pub fn level(&self, member_started: i64, secretariat_started: i64, first_contacts: i64) -> u8 {
        let started = member_started + secretariat_started;
        if started < i64::from(self.level2_min_started) {
            return 1;
        }
        // Compared as integers, so a share exactly at the threshold counts.
        let share_met =
            member_started * 100 >= i64::from(self.level3_member_share_percent) * started;
        let contacts_met = first_contacts >= i64::from(self.level3_min_first_contacts);
        if share_met && contacts_met {
            3
        } else {
            2
        }
    }
}

/// How people join.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(default)]
pub struct Signup {
    /// Employees who verify an address at one of these domains are approved automatically.
    pub employee_email_domains: Vec<String>,
    /// `approval` (the secretariat approves alumni) or `invitation_only`.
    pub alumni_policy: String,
}

/// A profile field a tenant adds (tenant-config `[[profile_fields]]`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileField {
    pub key: String,
    pub label_ja: String,
    pub label_en: String,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Tenant {
    pub id: TenantId,
    pub slug: String,
    pub name: String,
    pub status: TenantStatus,
    pub default_locale: String,
    /// IANA name of the zone every date is shown in (`time_zone::TIME_ZONES`).
    pub time_zone: String,
    pub plan: String,
    pub branding: Branding,
    pub features: Features,
    pub signup: Signup,
    pub profile_fields: Vec<ProfileField>,
    /// Email for members who have not chosen, per category.
    pub email_defaults: crate::EmailDefaults,
    pub level3: Level3Thresholds,
    /// A payment Stripe reported failed and not yet recovered (docs/BILLING.md): the
    /// secretariat sees a banner, and after the grace period the paid features pause.
    pub payment_failed_at: Option<time::OffsetDateTime>,
}

#[derive(sqlx::FromRow)]
struct TenantRow {
    id: TenantId,
    slug: String,
    name: String,
    status: String,
    default_locale: String,
    time_zone: String,
    plan: String,
    branding: Json<Branding>,
    features: Json<Features>,
    signup: Json<Signup>,
    profile_fields: Json<Vec<ProfileField>>,
    email_defaults: Json<crate::EmailDefaults>,
    level3: Json<Level3Thresholds>,
    payment_failed_at: Option<time::OffsetDateTime>,
}

impl From<TenantRow> for Tenant {
    fn from(row: TenantRow) -> Self {
        Tenant {
            id: row.id,
            slug: row.slug,
            name: row.name,
            status: match row.status.as_str() {
                "suspended" => TenantStatus::Suspended,
                "pending" => TenantStatus::Pending,
                _ => TenantStatus::Active,
            },
            default_locale: row.default_locale,
            time_zone: row.time_zone,
            plan: row.plan,
            branding: row.branding.0,
            features: row.features.0,
            signup: row.signup.0,
            profile_fields: row.profile_fields.0,
            email_defaults: row.email_defaults.0,
            level3: row.level3.0,
            payment_failed_at: row.payment_failed_at,
        }
    }
}

const TENANT_COLUMNS: &str =
        "t.id, t.slug, t.name, t.status, t.default_locale, t.time_zone, t.plan, t.branding, t.features, t.signup, t.profile_fields, \
                    t.email_defaults, t.level3, t.payment_failed_at";

pub async fn find_by_slug(tx: &mut PlatformTx, slug: &str) -> Result<Option<Tenant>, DbError> {
    let row: Option<TenantRow> = sqlx::query_as(&format!(
        "select {TENANT_COLUMNS} from platform.tenants t where t.slug = $1"
    ))
    .bind(slug)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Tenant::from))
}

pub async fn find_by_custom_domain(
    tx: &mut PlatformTx,
    hostname: &str,
) -> Result<Option<Tenant>, DbError> {
    let row: Option<TenantRow> = sqlx::query_as(&format!(
        "select {TENANT_COLUMNS} from platform.custom_domains d \
         join platform.tenants t on t.id = d.tenant_id \
         where d.hostname = $1 and d.verified_at is not null"
    ))
    .bind(hostname)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Tenant::from))
}

/// The tenant a tenant transaction is set to, read afresh (not from the registry's cache): the
/// sign-up reads the network it has just created in the same transaction.
pub async fn find_of_transaction(tx: &mut TenantTx) -> Result<Option<Tenant>, DbError> {
    let id = tx.tenant_id();
    let row: Option<TenantRow> = sqlx::query_as(&format!(
        "select {TENANT_COLUMNS} from platform.tenants t where t.id = $1"
    ))
    .bind(id)
    .fetch_optional(tx.conn())
    .await?;
    Ok(row.map(Tenant::from))
}

/// The tenant's display name (the sender name of its emails), whatever its status.
pub async fn name_of(tx: &mut PlatformTx, id: TenantId) -> Result<Option<String>, DbError> {
    Ok(
        sqlx::query_scalar("select name from platform.tenants where id = $1")
            .bind(id)
            .fetch_optional(tx.conn())
            .await?,
    )
}

pub async fn list_active(tx: &mut PlatformTx) -> Result<Vec<Tenant>, DbError> {
    let rows: Vec<TenantRow> = sqlx::query_as(&format!(
        "select {TENANT_COLUMNS} from platform.tenants t where t.status = 'active' order by t.slug"
    ))
    .fetch_all(tx.conn())
    .await?;
    Ok(rows.into_iter().map(Tenant::from).collect())
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum CacheKey {
    Slug(String),
    Domain(String),
}

struct CacheEntry {
    tenant: Option<Arc<Tenant>>,
    expires_at: Instant,
}

/// Slug / custom domain → tenant, cached. Cheap to clone (shared cache).
#[derive(Clone)]
pub struct TenantRegistry {
    db: Db,
    cache: Arc<RwLock<HashMap<CacheKey, CacheEntry>>>,
}

impl TenantRegistry {
    pub fn new(db: Db) -> Self {
        Self {
            db,
            cache: Arc::new(RwLock::new(HashMap::new())),
        }
    }

    pub async fn resolve_slug(&self, slug: &str) -> Result<Option<Arc<Tenant>>, DbError> {
        let key = CacheKey::Slug(slug.to_owned());
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let mut tx = self.db.begin_platform().await?;
        let tenant = find_by_slug(&mut tx, slug).await?.map(Arc::new);
        tx.commit().await?;
        self.store(key, tenant.clone());
        Ok(tenant)
    }

    pub async fn resolve_custom_domain(
        &self,
        hostname: &str,
    ) -> Result<Option<Arc<Tenant>>, DbError> {
        let key = CacheKey::Domain(hostname.to_owned());
        if let Some(hit) = self.cached(&key) {
            return Ok(hit);
        }
        let mut tx = self.db.begin_platform().await?;
        let tenant = find_by_custom_domain(&mut tx, hostname)
            .await?
            .map(Arc::new);
        tx.commit().await?;
        self.store(key, tenant.clone());
        Ok(tenant)
    }

    fn cached(&self, key: &CacheKey) -> Option<Option<Arc<Tenant>>> {
        let cache = self.cache.read().unwrap_or_else(|p| p.into_inner());
        cache
            .get(key)
            .filter(|e| e.expires_at > Instant::now())
            .map(|e| e.tenant.clone())
    }

    fn store(&self, key: CacheKey, tenant: Option<Arc<Tenant>>) {
        let ttl = if tenant.is_some() {
            FOUND_TTL
        } else {
            MISSING_TTL
        };
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if cache.len() >= MAX_ENTRIES {
            let now = Instant::now();
            cache.retain(|_, e| e.expires_at > now);
            if cache.len() >= MAX_ENTRIES {
                cache.clear();
            }
        }
        cache.insert(
            key,
            CacheEntry {
                tenant,
                expires_at: Instant::now() + ttl,
            },
        );
    }

    /// Drops what is cached for `slug` (and any custom domain of that tenant), or everything for
    /// [`INVALIDATE_ALL`].
    pub fn invalidate(&self, slug: &str) {
        let mut cache = self.cache.write().unwrap_or_else(|p| p.into_inner());
        if slug == INVALIDATE_ALL {
            cache.clear();
            return;
        }
        cache.retain(|key, entry| match key {
            CacheKey::Slug(s) => s != slug,
            // Negative domain entries may now resolve to this tenant; positive ones may have moved.
            CacheKey::Domain(_) => entry.tenant.as_ref().is_some_and(|t| t.slug != slug),
        });
    }

    /// Listens on [`INVALIDATION_CHANNEL`] until the process ends, reconnecting with backoff.
    /// After any reconnect the whole cache is dropped: messages may have been missed meanwhile.
    pub fn spawn_invalidation_listener(&self, redis_url: String) -> tokio::task::JoinHandle<()> {
        let registry = self.clone();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(200);
            loop {
                match registry.listen_once(&redis_url).await {
                    Ok(()) => backoff = Duration::from_millis(200),
                    Err(error) => {
                        tracing::warn!(%error, retry_in_ms = backoff.as_millis() as u64, "tenant cache invalidation listener lost Redis");
                    }
                }
                registry.invalidate(INVALIDATE_ALL);
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(10));
            }
        })
    }

    async fn listen_once(&self, redis_url: &str) -> Result<(), redis::RedisError> {
        let client = redis::Client::open(redis_url)?;
        let mut pubsub = client.get_async_pubsub().await?;
        pubsub.subscribe(INVALIDATION_CHANNEL).await?;
        // Anything cached before the subscription was live may be stale.
        self.invalidate(INVALIDATE_ALL);
        let mut messages = pubsub.on_message();
        while let Some(message) = messages.next().await {
            if let Ok(slug) = message.get_payload::<String>() {
                tracing::debug!(tenant.slug = %slug, "tenant cache invalidated");
                self.invalidate(&slug);
            }
        }
        Ok(())
    }
}

/// Tells every replica that `slug` changed (use [`INVALIDATE_ALL`] for everything).
pub async fn publish_invalidation(
    redis: &deadpool_redis::Pool,
    slug: &str,
) -> Result<(), anyhow::Error> {
    let mut conn = redis.get().await?;
    redis::cmd("PUBLISH")
        .arg(INVALIDATION_CHANNEL)
        .arg(slug)
        .query_async::<i64>(&mut *conn)
        .await?;
    Ok(())
}
