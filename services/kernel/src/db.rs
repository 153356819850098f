//! The only door to the database.
//!
//! Tenant data is reached through a [`TenantTx`], which [`Db::begin_tenant`] opens by starting a
//! transaction and setting `app.tenant_id` (and the acting user) with `set_config(…, true)` in one
//! statement. The setting is transaction-local, so it ends with the commit or rollback and never
//! survives on a pooled connection; row-level security reads it through `app.current_tenant_id()`.
//! Query functions take `&mut TenantTx` (or `&mut PlatformTx` for platform tables), never the pool,
//! so "forgot to set the tenant" does not compile.

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{PgConnection, PgPool, Postgres, Transaction};
use uuid::Uuid;

use crate::ids::TenantId;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("database error: {0}")]
    Sqlx(#[from] sqlx::Error),
}

impl DbError {
    /// The name of the violated constraint, when the error is a constraint violation.
    pub fn constraint(&self) -> Option<&str> {
        match self {
            DbError::Sqlx(sqlx::Error::Database(e)) => e.constraint(),
            _ => None,
        }
    }

    /// True when the database could not be reached or went away (a restart, a failover, an
    /// exhausted pool) rather than refusing the statement: the visitor should try again in a
    /// moment, and nothing about the request itself was wrong.
    pub fn is_unavailable(&self) -> bool {
        let DbError::Sqlx(error) = self;
        is_unavailable(error)
    }

    /// True when the database refused a staff actor's transaction: no live support grant
    /// (`app.require_live_support_grant()`, docs/adr/0004-support-sessions.md).
    pub fn is_support_refused(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.code().as_deref() == Some(SUPPORT_REFUSED))
    }

    /// True when a statement ran out of its time (`statement_timeout`).
    pub fn is_timeout(&self) -> bool {
        matches!(self, DbError::Sqlx(sqlx::Error::Database(e)) if e.code().as_deref() == Some("57014"))
    }
}

/// The SQLSTATE `app.require_live_support_grant()` raises.
const SUPPORT_REFUSED: &str = "TSG01";

/// Errors that mean "the server is not there right now": the socket failed or closed, the pool
/// had no connection to give, or PostgreSQL said it is shutting down or starting up
/// (SQLSTATE class 08, connection exceptions; 57P01–57P03, operator intervention).
pub fn is_unavailable(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed
        | sqlx::Error::Tls(_) => true,
        sqlx::Error::Protocol(message) => message.contains("closed"),
        sqlx::Error::Database(e) => e.code().is_some_and(|code| {
            code.starts_with("08") || matches!(code.as_ref(), "57P01" | "57P02" | "57P03")
        }),
        _ => false,
    }
}

/// Who is acting in a transaction; recorded for audit and visible to SQL through
/// `app.current_actor_kind()` / `app.current_actor_id()`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Actor {
    /// The platform itself: CLI commands, seeds, background jobs.
    System,
    /// A visitor who is not signed in.
    Anonymous,
    /// A signed-in member of the tenant.
    Member(crate::MemberId),
    /// Customer-success staff acting under a live support grant.
    Staff { staff_id: Uuid, grant_id: Uuid },
}

impl Actor {
    fn kind(&self) -> &'static str {
        match self {
            Actor::System => "system",
            Actor::Anonymous => "anonymous",
            Actor::Member(_) => "member",
            Actor::Staff { .. } => "staff",
        }
    }

    fn id(&self) -> String {
        match self {
            Actor::System | Actor::Anonymous => String::new(),
            Actor::Member(id) => id.to_string(),
            Actor::Staff { staff_id, .. } => staff_id.to_string(),
        }
    }

    /// The support grant a staff actor works under (empty for everyone else).
    fn grant(&self) -> String {
        match self {
            Actor::Staff { grant_id, .. } => grant_id.to_string(),
            _ => String::new(),
        }
    }
}

/// A connection idle for longer than this is pinged before it is handed out.
pub const PING_AFTER_IDLE: Duration = Duration::from_secs(30);

/// The pool settings of the app (and of the benchmark's Fortunes baseline on our stack).
///
/// sqlx pings every connection before handing it out unless told otherwise: one extra round
/// trip, and a statement in PostgreSQL, on every transaction of every page (`just bench` priced
/// it). A connection in steady use has just proved itself, so only one that sat idle for a
/// while, when a restart or a dropped socket could have gone unnoticed, is pinged.
pub fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > PING_AFTER_IDLE {
                    sqlx::Connection::ping(conn).await?;
                }
                Ok(true)
            })
        })
}

/// How long one statement of a transaction may run, by the kind of work. The role's own
/// `statement_timeout` (deploy/sql/roles.sql) is the ceiling for everything else: one slow
/// statement must not hold a pooled connection, shared by every tenant, for longer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Budget {
    /// Pages and form posts: the role's default (`ROLE_STATEMENT_TIMEOUT`).
    Page,
    /// Searches whose work depends on what the visitor typed: [`SEARCH_STATEMENT_TIMEOUT`].
    Search,
    /// Command-line loads (seeds, the scale loader) that insert millions of rows on purpose.
    Batch,
}

/// What `deploy/sql/roles.sql` sets for `tsunagu_app`, for documentation and tests.
pub const ROLE_STATEMENT_TIMEOUT: Duration = Duration::from_secs(5);
/// A directory search is bounded by its query shape (kernel::search caps the tokens), so this
/// is a safety net far above its normal few milliseconds.
pub const SEARCH_STATEMENT_TIMEOUT: Duration = Duration::from_millis(1500);

/// How PostgreSQL plans the prepared statements of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Plans {
    /// PostgreSQL's default: it may plan a statement again for each call's parameters. Right
    /// for most statements, whose best plan depends on the values (a tenant's size, an optional
    /// filter).
    PerCall,
    /// One generic plan per statement and connection, reused. PostgreSQL's own choice keeps
    /// planning some statements on every call, because the large tenant's statistics make the
    /// custom plan look cheaper; for the feed that planning cost more CPU than running the
    /// query (`just bench`, docs/PERFORMANCE.md). Only for transactions whose every statement has
    /// a generic plan checked by a plan test (tests/integration/scale.rs).
    Generic,
}

/// A pool of connections as `tsunagu_app`. Cheap to clone.
#[derive(Clone, Debug)]
pub struct Db {
    pool: PgPool,
}

impl Db {
    /// Connects lazily-validated: fails fast when the server cannot be reached at all.
    pub async fn connect(url: &str, max_connections: u32) -> Result<Self, DbError> {
        Self::connect_with(url.parse()?, max_connections).await
    }

    pub async fn connect_with(
        options: PgConnectOptions,
        max_connections: u32,
    ) -> Result<Self, DbError> {
        let pool = pool_options(max_connections)
            .connect_with(options.application_name("tsunagu"))
            .await?;
        Ok(Self { pool })
    }

    /// Opens a transaction scoped to `tenant`: every row that row-level security lets through
    /// belongs to it, and every row written must.
    pub async fn begin_tenant(&self, tenant: TenantId, actor: Actor) -> Result<TenantTx, DbError> {
        self.begin_tenant_with(tenant, actor, Plans::PerCall, Budget::Page)
            .await
    }

    /// [`Db::begin_tenant`] for a search whose cost depends on what the visitor typed: its
    /// statements get [`SEARCH_STATEMENT_TIMEOUT`].
    pub async fn begin_tenant_search(
        &self,
        tenant: TenantId,
        actor: Actor,
    ) -> Result<TenantTx, DbError> {
        self.begin_tenant_with(tenant, actor, Plans::PerCall, Budget::Search)
            .await
    }

    /// [`Db::begin_tenant`] for command-line loads (seeds, benchmark data), whose statements
    /// may run for minutes; never for requests.
    pub async fn begin_tenant_batch(
        &self,
        tenant: TenantId,
        actor: Actor,
    ) -> Result<TenantTx, DbError> {
        self.begin_tenant_with(tenant, actor, Plans::PerCall, Budget::Batch)
            .await
    }

    /// [`Db::begin_tenant`] for the hottest reads, whose statements PostgreSQL should plan once
    /// per connection: see [`Plans::Generic`].
    pub async fn begin_tenant_generic_plans(
        &self,
        tenant: TenantId,
        actor: Actor,
    ) -> Result<TenantTx, DbError> {
        self.begin_tenant_with(tenant, actor, Plans::Generic, Budget::Page)
            .await
    }

    async fn begin_tenant_with(
        &self,
        tenant: TenantId,
        actor: Actor,
        plans: Plans,
        budget: Budget,
    ) -> Result<TenantTx, DbError> {
        // BEGIN and the settings go in one round trip (measured by `just bench`: one trip fewer
        // on every page). The values are interpolated, not bound, because the simple-query
        // protocol has no parameters; each is a UUID or one of a few fixed words, so nothing a
        // user typed can reach this text.
        let plan_setting = match plans {
            Plans::PerCall => "",
            Plans::Generic => ", set_config('plan_cache_mode', 'force_generic_plan', true)",
        };
        let timeout_setting = match budget {
            Budget::Page => String::new(),
            Budget::Search => format!(
                ", set_config('statement_timeout', '{}', true)",
                SEARCH_STATEMENT_TIMEOUT.as_millis()
            ),
            Budget::Batch => ", set_config('statement_timeout', '0', true)".to_owned(),
        };
        let statement = format!(
            "begin; select set_config('app.tenant_id', '{tenant}', true), \
                    set_config('app.actor_kind', '{}', true), \
                                        set_config('app.actor_id', '{}', true), \
                    set_config('app.support_grant_id', '{}', true){plan_setting}{timeout_setting}",
            actor.kind(),
            actor.id(),
            actor.grant()
        );
        let mut tx = self.begin_retrying(&statement).await?;
        if matches!(actor, Actor::Staff { .. }) {
            // Staff work only within a live grant, checked by the database at its own clock on
            // every transaction (docs/adr/0004-support-sessions.md). On refusal the transaction
            // is dropped, which rolls it back.
            sqlx::query("select app.require_live_support_grant()")
                .execute(&mut *tx)
                .await?;
        }
        Ok(TenantTx {
            tx,
            tenant,
            actor,
            changes: Changes::default(),
        })
    }

    /// Opens a transaction with no tenant set: platform tables only (tenant tables read as empty).
    pub async fn begin_platform(&self) -> Result<PlatformTx, DbError> {
        Ok(PlatformTx {
            tx: self.begin_retrying("begin").await?,
        })
    }

    /// Starts a transaction, again on another connection if the pooled one turned out to be
    /// dead. A pooled connection is only pinged after sitting idle (see [`pool_options`]), so
    /// after a database restart the first statement on each old connection fails: it is the
    /// `BEGIN`, nothing ran, and trying again is safe. Each dead connection is dropped from the
    /// pool when it fails, so at most one try per pooled connection is needed. Failures later in
    /// a transaction are never retried here, because a statement may have taken effect.
    async fn begin_retrying(
        &self,
        statement: &str,
    ) -> Result<Transaction<'static, Postgres>, DbError> {
        let tries = self.pool.options().get_max_connections() + 1;
        let mut attempt = 1;
        loop {
            match self.pool.begin_with(statement.to_owned()).await {
                Err(error)
                    if attempt < tries
                        && is_unavailable(&error)
                        && !matches!(error, sqlx::Error::PoolTimedOut) =>
                {
                    tracing::warn!(error = %error, attempt, "connection failed before the transaction began; retrying");
                    attempt += 1;
                }
                other => return Ok(other?),
            }
        }
    }

    /// Readiness: can we run a query right now?
    pub async fn ping(&self) -> Result<(), DbError> {
        sqlx::query("select 1").execute(&self.pool).await?;
        Ok(())
    }

    /// The role we connected as, if it could escape row-level security (superuser, rolbypassrls or
    /// owner of a tenant table). The server refuses to start on such a connection.
    pub async fn rls_escape_reason(&self) -> Result<Option<RlsEscape>, DbError> {
        let (role, superuser, bypass, owns_tables): (String, bool, bool, bool) = sqlx::query_as(
            "select r.rolname::text, r.rolsuper, r.rolbypassrls, \
                    exists (select 1 from pg_class c where c.relowner = r.oid and c.relkind = 'r' \
                            and c.relrowsecurity) \
             from pg_roles r where r.rolname = current_user",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok(if superuser {
            Some(RlsEscape::Superuser(role))
        } else if bypass {
            Some(RlsEscape::BypassRls(role))
        } else if owns_tables {
            Some(RlsEscape::OwnsTenantTables(role))
        } else {
            None
        })
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// The pool, for a LISTEN connection only (it carries no tenant and runs no queries).
    pub fn pool_for_listener(&self) -> &PgPool {
        &self.pool
    }
}

/// Why a connection would not be isolated by row-level security (each names the role).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RlsEscape {
    Superuser(String),
    BypassRls(String),
    OwnsTenantTables(String),
}

impl std::fmt::Display for RlsEscape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            RlsEscape::Superuser(role) => write!(f, "{role} is a superuser"),
            RlsEscape::BypassRls(role) => {
                write!(f, "{role} may bypass row-level security (rolbypassrls)")
            }
            RlsEscape::OwnsTenantTables(role) => write!(f, "{role} owns tenant tables"),
        }
    }
}

/// A transaction in which `app.tenant_id` is set: the only way to read or write tenant data.
pub struct TenantTx {
    tx: Transaction<'static, Postgres>,
    tenant: TenantId,
    actor: Actor,
    changes: Changes,
}

/// What a transaction changed that caches outside the database must hear about once it has
/// committed: the writes that change them say so (`TenantTx::changed_*`, called by the query
/// functions that write), and the web kit's transaction (`tsunagu_web::access::WebTx`)
/// announces them after its commit, so that no call site has to remember to.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Changes {
    /// Content version keys of the tenant to replace (`tsunagu_web::versions`).
    pub versions: std::collections::BTreeSet<&'static str>,
    /// Members whose cached unread-notification count is stale.
    pub unread: std::collections::BTreeSet<crate::MemberId>,
}

impl Changes {
    pub fn is_empty(&self) -> bool {
        self.versions.is_empty() && self.unread.is_empty()
    }
}

impl TenantTx {
    pub fn tenant_id(&self) -> TenantId {
        self.tenant
    }

    pub fn actor(&self) -> Actor {
        self.actor
    }

    /// The connection, for `sqlx::query(…).fetch_all(tx.conn())`. Queries should still say
    /// `where tenant_id = $1` for the planner (indexes lead on tenant_id) and for Citus routing.
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), DbError> {
        Ok(self.tx.commit().await?)
    }

    /// Commits and hands back what changed, for announcing (`tsunagu_web::access::WebTx`).
    pub async fn commit_with_changes(self) -> Result<Changes, DbError> {
        self.tx.commit().await?;
        Ok(self.changes)
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        Ok(self.tx.rollback().await?)
    }

    /// The content version `key` of this tenant changes when this transaction commits.
    pub fn changed_version(&mut self, key: &'static str) {
        self.changes.versions.insert(key);
    }

    /// These members' unread-notification counts change when this transaction commits.
    pub fn changed_unread(&mut self, members: impl IntoIterator<Item = crate::MemberId>) {
        self.changes.unread.extend(members);
    }
}

/// A transaction without a tenant, for the platform schema (tenant registry, staff, billing ids).
/// Tenant tables read as empty here and refuse writes: row-level security fails closed.
pub struct PlatformTx {
    tx: Transaction<'static, Postgres>,
}

impl PlatformTx {
    pub fn conn(&mut self) -> &mut PgConnection {
        &mut self.tx
    }

    pub async fn commit(self) -> Result<(), DbError> {
        Ok(self.tx.commit().await?)
    }

    pub async fn rollback(self) -> Result<(), DbError> {
        Ok(self.tx.rollback().await?)
    }
}
