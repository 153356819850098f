//! Shared state of the server: configuration, the database, Redis, the tenant registry, the
//! permission matrix, sessions, rate limits and the web kit. Cheap to clone. Every feature router
//! is a `Router<AppState>`.

use std::sync::Arc;

use anyhow::Context as _;
use tsunagu_authz::Authz;
use tsunagu_kernel::config::{ServerConfig, BENCH_RLS_BYPASS_ROLE};
use tsunagu_kernel::{Db, RlsEscape};
use tsunagu_tenancy::TenantRegistry;

use crate::rate_limit::RateLimiter;
use crate::session::SessionStore;
use crate::templates::EmbeddedTemplate;
use crate::WebKit;

/// Every middleware and handler takes the state by value, several times per request, so it is
/// one shared allocation: a clone is one reference count, not one per field.
#[derive(Clone)]
pub struct AppState(Arc<AppStateInner>);

impl std::ops::Deref for AppState {
    type Target = AppStateInner;

    fn deref(&self) -> &AppStateInner {
        &self.0
    }
}

pub struct AppStateInner {
    pub config: Arc<ServerConfig>,
    pub db: Db,
    pub redis: deadpool_redis::Pool,
    pub registry: TenantRegistry,
    pub authz: Arc<Authz>,
    pub sessions: SessionStore,
    pub rate_limiter: RateLimiter,
    pub web: Arc<WebKit>,
    /// Caches that feature crates keep in this process (one of each kind per `AppState`).
    pub local_caches: Arc<LocalCaches>,
    /// Slots for requests whose cost depends on what the visitor sent (see `limits`).
    pub expensive: crate::limits::ExpensiveWork,
    /// The header's unread-notification count (community's, see [`Features`]).
    pub unread_notifications: crate::session::UnreadCounter,
    /// The header's count of conversations with unread messages (messages', see [`Features`]).
    pub unread_messages: crate::session::UnreadCounter,
    /// What the home page points a member to (see [`Features`]).
    pub home_items: HomeItems,
    /// Records a member's first request of the day (identity's, see [`Features`]).
    pub member_seen: crate::session::MemberSeen,
    /// The application's clock (support grants' ends are decided by it; tests set it).
    pub clock: tsunagu_kernel::Clock,
    /// A small pool as `tsunagu_platform`, for the console's administration only (staff
    /// accounts, suspending networks): tenant pages run on the `tsunagu_app` pool and can never
    /// reach it. Unset (administration off, and the console says so) when the server could not
    /// connect as that role.
    pub platform_db: std::sync::OnceLock<Db>,
}

/// Something the home page points a signed-in member to: an open survey they have not answered
/// (later: an event to reply to). Feature crates above the home page's provide them.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HomeItem {
    /// An i18n key with a `{title}` placeholder ("A survey is waiting for you: {title}").
    pub label_key: &'static str,
    pub title: String,
    pub url: String,
}

/// The hook that lists a member's [`HomeItem`]s in their tenant's transaction.
pub type HomeItems = for<'a> fn(
    &'a mut tsunagu_kernel::TenantTx,
    tsunagu_kernel::MemberId,
    tsunagu_kernel::MemberKind,
) -> std::pin::Pin<
    Box<
        dyn std::future::Future<Output = Result<Vec<HomeItem>, tsunagu_kernel::DbError>>
            + Send
            + 'a,
    >,
>;

/// What the feature crates hand the shared state: their templates, and the hooks through which
/// the web kit reaches data it does not own. The gateway assembles one (`tsunagu_gateway::FEATURES`).
pub struct Features {
    pub templates: &'static [&'static [EmbeddedTemplate]],
    pub unread_notifications: crate::session::UnreadCounter,
    /// The header's count of conversations with unread messages.
    pub unread_messages: crate::session::UnreadCounter,
    /// What the home page points a member to (surveys' open surveys).
    pub home_items: HomeItems,
    /// Stores when a member was last seen (for "active in the last 30 days").
    pub member_seen: crate::session::MemberSeen,
}

/// Process-local caches owned by feature crates, which the web kit cannot name: one value of
/// each type per [`AppState`], made on first use. Two states in one process (replicas in a
/// test) therefore never share a cache, as two servers would not.
#[derive(Default)]
pub struct LocalCaches {
    slots: std::sync::RwLock<Vec<Arc<dyn std::any::Any + Send + Sync>>>,
}

impl LocalCaches {
    /// This state's cache of type `T`.
    pub fn get<T: Default + Send + Sync + 'static>(&self) -> Arc<T> {
        let find = |slots: &[Arc<dyn std::any::Any + Send + Sync>]| {
            slots
                .iter()
                .find(|slot| slot.is::<T>())
                .and_then(|slot| slot.clone().downcast::<T>().ok())
        };
        if let Some(found) = find(&self.slots.read().unwrap_or_else(|p| p.into_inner())) {
            return found;
        }
        let mut slots = self.slots.write().unwrap_or_else(|p| p.into_inner());
        if let Some(found) = find(&slots) {
            return found;
        }
        let made = Arc::new(T::default());
        slots.push(made.clone());
        made
    }
}

/// The shared multiplexed Redis connection for commands every request sends (the session
/// read). Connected on first use and again after a lost connection; a command gets an error,
/// not a hang, when Redis does not answer within the client's response timeout (500 ms).
/// Blocking commands must never go through it: they would hold up every request behind them.
pub fn redis_multiplexed(url: &str) -> anyhow::Result<redis::aio::ConnectionManager> {
    let client = redis::Client::open(url).context("REDIS_URL: not a valid Redis URL")?;
    redis::aio::ConnectionManager::new_lazy_with_config(
        client,
        redis::aio::ConnectionManagerConfig::new(),
    )
    .context("REDIS_URL: cannot prepare the shared Redis connection")
}

/// A Redis pool; connections are made on first use.
pub fn redis_pool(url: &str) -> anyhow::Result<deadpool_redis::Pool> {
    deadpool_redis::Config::from_url(url)
        .create_pool(Some(deadpool_redis::Runtime::Tokio1))
        .context("REDIS_URL: cannot build a Redis pool from this URL")
}

impl AppState {
    /// Connects to PostgreSQL (failing fast with the variable to fix), refuses a connection that
    /// could bypass row-level security, and prepares Redis, the matrix and the templates.
    pub async fn connect(config: ServerConfig, features: &Features) -> anyhow::Result<Self> {
        let db = Db::connect(config.database_url.expose(), config.database_pool_size)
            .await
            .context("DATABASE_URL: cannot connect to PostgreSQL as tsunagu_app (is it running, and has `tsunagu migrate` created the roles?)")?;
        match db.rls_escape_reason().await? {
            None => {}
            Some(RlsEscape::BypassRls(role))
                if config.bench_rls_bypass && role == BENCH_RLS_BYPASS_ROLE =>
            {
                tracing::warn!(
                    role,
                    "row-level security is bypassed (TSUNAGU_BENCH_RLS_BYPASS): a benchmark server, never for real data"
                );
            }
            Some(reason) => anyhow::bail!(
                "DATABASE_URL: {reason}, so row-level security would not isolate tenants; connect as tsunagu_app"
            ),
        }
        let redis = redis_pool(config.redis_url.expose())?;
        Self::from_parts(config, db, redis, features).await
    }

    pub async fn from_parts(
        config: ServerConfig,
        db: Db,
        redis: deadpool_redis::Pool,
        features: &Features,
    ) -> anyhow::Result<Self> {
        let web = WebKit::new(features.templates).context("templates failed to load")?;
        let authz = Authz::new()
            .await
            .context("the permission matrix failed to load")?;
        let sessions = SessionStore::new(redis_multiplexed(config.redis_url.expose())?);
        let expensive = crate::limits::ExpensiveWork::for_pool(config.database_pool_size);
        Ok(Self(Arc::new(AppStateInner {
            config: Arc::new(config),
            registry: TenantRegistry::new(db.clone()),
            sessions,
            rate_limiter: RateLimiter::new(redis.clone()),
            db,
            redis,
            authz: Arc::new(authz),
            web: Arc::new(web),
            local_caches: Arc::new(LocalCaches::default()),
            expensive,
            unread_notifications: features.unread_notifications,
            unread_messages: features.unread_messages,
            home_items: features.home_items,
            member_seen: features.member_seen,
            clock: tsunagu_kernel::Clock::default(),
            platform_db: std::sync::OnceLock::new(),
        })))
    }

    /// `http` or `https`, as visitors reach us.
    pub fn scheme(&self) -> &'static str {
        if self.config.https {
            "https"
        } else {
            "http"
        }
    }

    pub fn is_development(&self) -> bool {
        self.config.environment == tsunagu_kernel::config::Environment::Development
    }

    /// After a committed change to a network's registry row (settings, status, plan, payment
    /// standing): drops this replica's cached copy and tells the others. Best effort: if Redis is
    /// down, other replicas see the change when their entry expires (within a minute).
    pub async fn tenant_changed(&self, slug: &str) {
        self.registry.invalidate(slug);
        if let Err(error) = tsunagu_tenancy::registry::publish_invalidation(&self.redis, slug).await
        {
            tracing::warn!(%error, tenant.slug = %slug, "tenant change not announced; other replicas see it within a minute");
        }
    }
}
