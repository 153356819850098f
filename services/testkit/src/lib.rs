//! Test-only helpers.
//!
//! * [`TestDb`]: a fresh database per test, created from a template that holds the migrated
//!   schema (built once per schema version), dropped when the value is dropped, even on panic.
//!   Tests connect as `tsunagu_app`, never as the owner: a test that runs as the owner proves
//!   nothing about isolation.
//! * [`TestApp`]: the real router and state over a `TestDb`, driven in-process
//!   (`oneshot`) or served on port 0 for the browser journeys.

pub mod stripe_standin;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt as _;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Executor};
use tokio::sync::OnceCell;
use tower::ServiceExt as _;
use tsunagu_gateway::AppState;
use tsunagu_kernel::config::ServerConfig;
use tsunagu_kernel::migrate::{self, quote_ident, MIGRATOR};
use tsunagu_kernel::{Db, TenantId};
use tsunagu_tenancy::config_file::{self, TenantDeclaration};

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
const DEFAULT_APP_PASSWORD: &str = "tsunagu-app-dev";

fn env(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

pub fn admin_options() -> PgConnectOptions {
    let url = env("ADMIN_DATABASE_URL", DEFAULT_ADMIN_URL);
    url.parse::<PgConnectOptions>()
        .unwrap_or_else(|e| panic!("ADMIN_DATABASE_URL is not a PostgreSQL URL: {e}"))
        .disable_statement_logging()
}

pub fn redis_url() -> String {
    env("REDIS_URL", DEFAULT_REDIS_URL)
}

pub fn app_password() -> String {
    env("TSUNAGU_APP_DB_PASSWORD", DEFAULT_APP_PASSWORD)
}

const DEFAULT_PLATFORM_PASSWORD: &str = "tsunagu-platform-dev";

/// The password the tests give `tsunagu_platform` (the role for platform writes).
pub fn platform_password() -> String {
    env("TSUNAGU_PLATFORM_DB_PASSWORD", DEFAULT_PLATFORM_PASSWORD)
}

async fn maintenance() -> PgConnection {
    let options = admin_options().database("postgres");
    let target = migrate::describe(&options);
    options.connect().await.unwrap_or_else(|e| {
        panic!(
            "tests need PostgreSQL: cannot connect to {target} ({e}). Start PostgreSQL 15+ or set \
             ADMIN_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/postgres (a role that may create \
             roles and databases)"
        )
    })
}

/// The name of the template database for the current set of migrations.
fn template_name() -> String {
    let mut fingerprint = Vec::new();
    for m in MIGRATOR.iter() {
        fingerprint.extend_from_slice(&m.version.to_le_bytes());
        fingerprint.extend_from_slice(&m.checksum);
    }
    format!("tsunagu_tpl_{}", &fnv_hex(&fingerprint)[..12])
}

fn fnv_hex(bytes: &[u8]) -> String {
    // A tiny FNV-1a: only needs to change when the migrations do.
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

static TEMPLATE: OnceCell<String> = OnceCell::const_new();

/// Roles, password and the migrated template database; once per test process.
async fn template() -> &'static str {
    TEMPLATE
        .get_or_init(|| async {
            let name = template_name();
            let mut conn = maintenance().await;
            // One builder at a time across test processes.
            conn.execute("select pg_advisory_lock(727274)").await.expect("advisory lock");
            conn.execute(migrate::ROLES_SQL).await.expect("roles.sql");
            let quoted: String = sqlx::query_scalar("select quote_literal($1)")
                .bind(app_password())
                .fetch_one(&mut conn)
                .await
                .expect("quote password");
                        conn.execute(format!("alter role tsunagu_app password {quoted}").as_str())
                .await
                .expect("set tsunagu_app password");
            let quoted: String = sqlx::query_scalar("select quote_literal($1)")
                .bind(platform_password())
                .fetch_one(&mut conn)
                .await
                .expect("quote password");
            conn.execute(format!("alter role tsunagu_platform password {quoted}").as_str())
                .await
                .expect("set tsunagu_platform password");

            // Leftovers of crashed runs: test databases nobody is connected to, old templates.
            let stale: Vec<String> = sqlx::query_scalar(
                "select datname::text from pg_database d \
                 where (datname like 'tsunagu\\_test\\_%' or (datname like 'tsunagu\\_tpl\\_%' and datname <> $1)) \
                   and not exists (select 1 from pg_stat_activity a where a.datname = d.datname)",
            )
            .bind(&name)
            .fetch_all(&mut conn)
            .await
            .expect("list stale databases");
            for db in stale {
                let _ = conn
                    .execute(format!("drop database if exists {} with (force)", quote_ident(&db)).as_str())
                    .await;
            }

            let exists: bool =
                sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
                    .bind(&name)
                    .fetch_one(&mut conn)
                    .await
                    .expect("check template");
            if !exists {
                let building = format!("{name}_building");
                conn.execute(format!("drop database if exists {} with (force)", quote_ident(&building)).as_str())
                    .await
                    .expect("drop half-built template");
                migrate::create_database_if_missing(&mut conn, &building, None)
                    .await
                    .expect("create template database");
                let mut target = admin_options()
                    .database(&building)
                    .connect()
                    .await
                    .expect("connect to template");
                migrate::migrate_as_owner(&mut target).await.expect("migrations");
                target.close().await.expect("close template connection");
                conn.execute(
                    format!("alter database {} rename to {}", quote_ident(&building), quote_ident(&name))
                        .as_str(),
                )
                .await
                .expect("publish template");
            }
            conn.execute("select pg_advisory_unlock(727274)").await.expect("unlock");
            let _ = conn.close().await;
            name
        })
        .await
}

/// A database of its own for one test, migrated, dropped on drop.
pub struct TestDb {
    pub name: String,
    /// Dropped with this value (false: attached to another process's database).
    owned: bool,
}

impl TestDb {
    pub async fn create() -> TestDb {
        let template = template().await;
        let name = format!("tsunagu_test_{}", uuid::Uuid::new_v4().simple());
        let mut conn = maintenance().await;
        migrate::create_database_if_missing(&mut conn, &name, Some(template))
            .await
            .expect("create test database");
        let _ = conn.close().await;
        TestDb { name, owned: true }
    }

    /// The database another test process created (by name), without dropping it afterwards:
    /// for a test that runs part of itself in child processes.
    pub fn attach(name: &str) -> TestDb {
        TestDb {
            name: name.to_owned(),
            owned: false,
        }
    }

    /// Connection options as `tsunagu_app`.
    pub fn app_options(&self) -> PgConnectOptions {
        admin_options()
            .username("tsunagu_app")
            .password(&app_password())
            .database(&self.name)
    }

    /// A pool as `tsunagu_app`.
    pub async fn app_db(&self, max_connections: u32) -> Db {
        Db::connect_with(self.app_options(), max_connections)
            .await
            .expect("connect as tsunagu_app")
    }

    /// A pool as `tsunagu_platform`: writes to tenants, custom domains and staff accounts.
    pub async fn platform_db(&self, max_connections: u32) -> Db {
        let options = admin_options()
            .username("tsunagu_platform")
            .password(&platform_password())
            .database(&self.name);
        Db::connect_with(options, max_connections)
            .await
            .expect("connect as tsunagu_platform")
    }

    /// A single connection as `tsunagu_app`, for catalog queries and raw SQL in tests.
    pub async fn app_connection(&self) -> PgConnection {
        self.app_options()
            .connect()
            .await
            .expect("connect as tsunagu_app")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        let name = self.name.clone();
        // Drop may run inside a runtime; do the async work on a thread of its own.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async move {
                let mut conn = maintenance().await;
                let _ = conn
                    .execute(
                        format!(
                            "drop database if exists {} with (force)",
                            quote_ident(&name)
                        )
                        .as_str(),
                    )
                    .await;
                let _ = conn.close().await;
            });
        })
        .join();
    }
}

/// A response, fully read.
#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
    pub bytes: Vec<u8>,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// The real application over a fresh database.
pub struct TestApp {
    pub state: AppState,
    /// As `tsunagu_platform`: what `tenant apply`, `staff create` and the loaders write with.
    pub platform: Db,
    pub router: Router,
    /// The TCP peer the in-process requests claim to come from.
    pub peer: SocketAddr,
    // Last: dropped after the pools above are closed.
    pub db: TestDb,
}

/// Environment for a test server: development mode on `localhost`, plus overrides.
pub fn test_config(overrides: &[(&str, &str)]) -> ServerConfig {
    let mut vars: HashMap<String, String> = HashMap::from([
        (
            "DATABASE_URL".into(),
            "postgres://tsunagu_app@unused/unused".into(),
        ),
        ("REDIS_URL".into(), redis_url()),
        ("TSUNAGU_BASE_DOMAIN".into(), "localhost".into()),
        ("TSUNAGU_LISTEN".into(), "127.0.0.1:0".into()),
        (
            "TSUNAGU_DATA_DIR".into(),
            std::env::temp_dir()
                .join(format!(
                    "tsunagu-test-data-{}",
                    uuid::Uuid::new_v4().simple()
                ))
                .to_string_lossy()
                .into_owned(),
        ),
    ]);
    for (k, v) in overrides {
        vars.insert((*k).into(), (*v).into());
    }
    ServerConfig::from_lookup(&move |k| vars.get(k).cloned()).expect("test config")
}

impl TestApp {
    pub async fn spawn() -> TestApp {
        Self::spawn_with(&[]).await
    }

    /// A test app on the database of another test process (see [`TestDb::attach`]).
    pub async fn attach(database: &str) -> TestApp {
        Self::on(TestDb::attach(database), &[]).await
    }

    /// With configuration overrides, e.g. `[("TSUNAGU_TRUSTED_PROXIES", "10.0.0.1")]`.
    pub async fn spawn_with(overrides: &[(&str, &str)]) -> TestApp {
        Self::on(TestDb::create().await, overrides).await
    }

    async fn on(db: TestDb, overrides: &[(&str, &str)]) -> TestApp {
        let pool = db.app_db(5).await;
        let config = test_config(overrides);
        let redis = tsunagu_web::state::redis_pool(config.redis_url.expose()).expect("redis pool");
        let state = AppState::from_parts(config, pool, redis, &tsunagu_gateway::FEATURES)
            .await
            .expect("state");
        let router = tsunagu_gateway::router(state.clone());
        let _ = state.platform_db.set(db.platform_db(2).await);
        TestApp {
            state,
            platform: db.platform_db(2).await,
            router,
            peer: SocketAddr::from(([127, 0, 0, 1], 40000)),
            db,
        }
    }

    /// Applies the repository's `tenant-config/` (demo: Japanese, acme: English).
    pub async fn apply_repository_tenants(&self) -> Vec<TenantDeclaration> {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tenant-config");
        let declarations = config_file::load_declarations(&dir).expect("tenant-config is valid");
        config_file::apply_declarations(&self.platform, &declarations)
            .await
            .expect("apply tenant-config");
        self.state
            .registry
            .invalidate(tsunagu_tenancy::registry::INVALIDATE_ALL);
        declarations
    }

    /// Declares one more tenant from TOML text and returns its id.
    pub async fn create_tenant(&self, slug: &str, default_locale: &str) -> TenantId {
        let text = format!(
            "slug = \"{slug}\"\nname = \"{slug} network\"\ndefault_locale = \"{default_locale}\"\n\
             [branding]\nprimary_color = \"#123456\"\naccent_color = \"#abcdef\"\nlogo_text = \"{}\"\n",
            slug.to_uppercase()
        );
        let path = std::path::PathBuf::from(format!("{slug}.toml"));
        let declaration = config_file::parse_tenant_file(&path, &text).expect("valid tenant");
        config_file::apply_declarations(&self.platform, &[declaration])
            .await
            .expect("apply tenant");
        self.state.registry.invalidate(slug);
        self.tenant_id(slug).await
    }

    /// The demo networks' content and accounts, as `tsunagu seed demo` makes them.
    pub async fn seed_demo_network(&self) {
        let db = &self.state.db;
        tsunagu_demo::seed::seed_demo(db).await.unwrap();
        tsunagu_demo::seed::seed_demo_accounts(db, &self.platform)
            .await
            .unwrap();
        tsunagu_demo::seed::seed_demo_community(db).await.unwrap();
        tsunagu_demo::surveys::seed_demo_surveys(db).await.unwrap();
        tsunagu_demo::messages::seed_demo_messages(db)
            .await
            .unwrap();
        tsunagu_demo::events::seed_demo_events(db).await.unwrap();
    }

    pub async fn tenant_id(&self, slug: &str) -> TenantId {
        let mut tx = self.state.db.begin_platform().await.unwrap();
        let tenant = tsunagu_tenancy::registry::find_by_slug(&mut tx, slug)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("no tenant {slug}"));
        tx.commit().await.unwrap();
        tenant.id
    }

    /// Sends a request in-process, as if from `self.peer`.
    pub async fn send(&self, request: Request<Body>) -> TestResponse {
        self.send_via(&self.router, request).await
    }

    /// Sends a request in-process through `router` (this app's, or a [`Replica`]'s).
    pub async fn send_via(&self, router: &Router, mut request: Request<Body>) -> TestResponse {
        request.extensions_mut().insert(ConnectInfo(self.peer));
        let response = router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        // An event stream does not end: its body is left unread (tests that read one open it
        // themselves, frame by frame).
        let streaming = headers
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/event-stream"));
        let bytes = if streaming {
            axum::body::Bytes::new()
        } else {
            response
                .into_body()
                .collect()
                .await
                .expect("read body")
                .to_bytes()
        };
        TestResponse {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
            bytes: bytes.to_vec(),
        }
    }

    /// `GET path` with `Host: host`.
    pub async fn get(&self, host: &str, path: &str) -> TestResponse {
        self.send(
            Request::get(path)
                .header("host", host)
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A second server over the same database, Redis and data directory, with process-local
    /// caches of its own: another replica behind the load balancer. `overrides` as for
    /// [`TestApp::spawn_with`].
    pub async fn replica(&self, overrides: &[(&str, &str)]) -> Replica {
        let pool = self.db.app_db(5).await;
        let data_dir = self.state.config.data_dir.to_string_lossy().into_owned();
        let mut all = vec![("TSUNAGU_DATA_DIR", data_dir.as_str())];
        all.extend_from_slice(overrides);
        let config = test_config(&all);
        let redis = tsunagu_web::state::redis_pool(config.redis_url.expose()).expect("redis pool");
        let state = AppState::from_parts(config, pool, redis, &tsunagu_gateway::FEATURES)
            .await
            .expect("state");
        let router = tsunagu_gateway::router(state.clone());
        Replica { state, router }
    }

    /// Serves the app on 127.0.0.1:0; returns the port and a handle that stops it. Links the app
    /// builds (emails) carry no port: use [`loopback_listener`] and [`TestApp::serve_on`] when
    /// they must lead back to this server.
    pub async fn serve(&self) -> RunningServer {
        self.serve_on(loopback_listener().await).await
    }

    /// Serves the app on `listener`, typically from [`loopback_listener`], whose port was given
    /// to the app as `TSUNAGU_PUBLIC_PORT` so that its links lead here.
    pub async fn serve_on(&self, listener: tokio::net::TcpListener) -> RunningServer {
        let port = listener.local_addr().expect("addr").port();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let state = self.state.clone();
        let task = tokio::spawn(async move {
            let _ = tsunagu_gateway::serve::serve(listener, state, async {
                let _ = stopped.await;
            })
            .await;
        });
        RunningServer {
            port,
            stop: Some(stop),
            task: Arc::new(task),
        }
    }
}

/// A listener on a free loopback port. Bind it first, spawn the app with its port as
/// `TSUNAGU_PUBLIC_PORT`, then [`TestApp::serve_on`] it:
///
/// ```ignore
/// let listener = loopback_listener().await;
/// let port = listener.local_addr().unwrap().port().to_string();
/// let app = TestApp::spawn_with(&[("TSUNAGU_PUBLIC_PORT", &port)]).await;
/// let server = app.serve_on(listener).await;
/// ```
pub async fn loopback_listener() -> tokio::net::TcpListener {
    tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
}

/// Another server of a [`TestApp`] (see [`TestApp::replica`]).
pub struct Replica {
    pub state: AppState,
    pub router: Router,
}

pub struct RunningServer {
    pub port: u16,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    task: Arc<tokio::task::JoinHandle<()>>,
}

impl Drop for RunningServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        self.task.abort();
    }
}

/// A real SMTP server process (Python's aiosmtpd, `tests/support/smtp_sink.py`) on a free
/// loopback port; what it receives is read back with [`SmtpSink::messages`].
pub struct SmtpSink {
    pub port: u16,
    file: std::path::PathBuf,
    child: std::process::Child,
}

/// One email as the SMTP server received it.
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedEmail {
    /// Headers as sent (encoded words not decoded), by lower-case name.
    #[serde(default)]
    pub headers: std::collections::HashMap<String, String>,
    pub from: String,
    pub to: Vec<String>,
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Attached files (an event's calendar file).
    #[serde(default)]
    pub attachments: Vec<ReceivedAttachment>,
}

/// A file attached to a received email (its text, for text types).
#[derive(Debug, Clone, serde::Deserialize)]
pub struct ReceivedAttachment {
    pub filename: String,
    pub content_type: String,
    pub content: String,
}

impl ReceivedEmail {
    /// The first `http…` link in the text part containing `needle`.
    pub fn link_containing(&self, needle: &str) -> Option<String> {
        self.text
            .split_whitespace()
            .find(|w| w.starts_with("http") && w.contains(needle))
            .map(str::to_owned)
    }
}

impl SmtpSink {
    pub fn start() -> SmtpSink {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let file = std::env::temp_dir().join(format!(
            "tsunagu-smtp-{}.jsonl",
            uuid::Uuid::new_v4().simple()
        ));
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../tests/support/smtp_sink.py");
        let mut child = std::process::Command::new("python3")
            .arg(script)
            .arg(port.to_string())
            .arg(&file)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 is needed for the SMTP test server");
        let mut line = String::new();
        let stdout = child.stdout.take().expect("stdout");
        std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line)
            .expect("smtp sink output");
        assert_eq!(
            line.trim(),
            "ready",
            "the SMTP test server did not start (pip install aiosmtpd; just test does)"
        );
        SmtpSink { port, file, child }
    }

    pub fn messages(&self) -> Vec<ReceivedEmail> {
        std::fs::read_to_string(&self.file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).expect("sink writes JSON lines"))
            .collect()
    }

    /// Emails to `address`, oldest first.
    pub fn to(&self, address: &str) -> Vec<ReceivedEmail> {
        self.messages()
            .into_iter()
            .filter(|m| m.to.iter().any(|t| t.eq_ignore_ascii_case(address)))
            .collect()
    }

    pub fn mailer(&self) -> tsunagu_mail::Mailer {
        let url = tsunagu_kernel::config::Secret::new(format!("smtp://127.0.0.1:{}", self.port));
        tsunagu_mail::Mailer::new(
            tsunagu_mail::Transport::Smtp(
                tsunagu_mail::smtp_transport(&url).expect("smtp transport"),
            ),
            "no-reply@localhost.test".parse().expect("address"),
        )
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_file(&self.file);
    }
}

/// A member made directly in the database (fixtures).
pub struct MemberFixture<'a> {
    pub email: &'a str,
    pub password: &'a str,
    pub kind: &'a str,
    pub role: &'a str,
    pub status: &'a str,
    pub name: &'a str,
}

impl TestApp {
    /// Runs the worker once against `sink`: every due email is delivered.
    pub async fn deliver_mail(&self, sink: &SmtpSink) -> usize {
        tsunagu_mail::deliver_due(&self.state.db, &sink.mailer())
            .await
            .expect("worker pass")
    }

    pub async fn create_member(
        &self,
        slug: &str,
        m: MemberFixture<'_>,
    ) -> tsunagu_kernel::MemberId {
        let tenant = self.tenant_id(slug).await;
        let hash = tsunagu_identity::password::hash(m.password.to_owned())
            .await
            .unwrap();
        let email = tsunagu_identity::forms::EmailAddress::parse(m.email).unwrap();
        let mut tx = self
            .state
            .db
            .begin_tenant(tenant, tsunagu_kernel::Actor::System)
            .await
            .unwrap();
        let id = tsunagu_identity::queries::insert_member(
            &mut tx,
            &tsunagu_identity::queries::NewMember {
                email: &email.address,
                email_normalized: &email.normalized,
                password_hash: &hash,
                kind: tsunagu_kernel::MemberKind::parse(m.kind).expect("a member kind"),
                status: tsunagu_kernel::MemberStatus::parse(m.status).expect("a member status"),
                email_verified: true,
                name_kanji: m.name,
                name_kana: "",
                name_romaji: "",
                joined_year: None,
                left_year: None,
                department: "",
                current_organisation: "",
                preferred_locale: None,
            },
        )
        .await
        .unwrap();
        if m.role != "member" {
            tsunagu_identity::queries::set_role(
                &mut tx,
                id,
                tsunagu_kernel::MemberRole::parse(m.role).expect("a member role"),
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        id
    }

    /// A browser-like client for one host: keeps that host's cookies, sends `Origin` and the
    /// CSRF token with every form.
    pub fn client(&self, host: &str) -> TestClient<'_> {
        TestClient {
            app: self,
            router: self.router.clone(),
            host: host.to_owned(),
            cookies: std::collections::BTreeMap::new(),
            forwarded_for: None,
        }
    }
}

pub struct TestClient<'a> {
    pub app: &'a TestApp,
    /// The server this client's requests go to: the app's own, or a replica's.
    router: Router,
    pub host: String,
    pub cookies: std::collections::BTreeMap<String, String>,
    /// Sent as `X-Forwarded-For`: the visitor's address when the app trusts the peer as a proxy
    /// (`TSUNAGU_TRUSTED_PROXIES=127.0.0.1`), so one test can play several visitors.
    pub forwarded_for: Option<std::net::IpAddr>,
}

impl TestClient<'_> {
    /// Sends this client's next requests to `replica` (cookies kept), as a load balancer may.
    pub fn switch_to(&mut self, replica: &Replica) {
        self.router = replica.router.clone();
    }

    /// Sends this client's next requests to the app's own server again.
    pub fn switch_back(&mut self) {
        self.router = self.app.router.clone();
    }

    /// This client's requests appear to come from `ip` (see [`TestClient::forwarded_for`]).
    pub fn from_address(mut self, ip: &str) -> Self {
        self.forwarded_for = Some(ip.parse().expect("an IP address"));
        self
    }

    async fn send(&self, mut request: Request<Body>) -> TestResponse {
        if let Some(ip) = self.forwarded_for {
            request.headers_mut().insert(
                "x-forwarded-for",
                ip.to_string().parse().expect("header value"),
            );
        }
        self.app.send_via(&self.router, request).await
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, response: &TestResponse) {
        for value in response.headers.get_all("set-cookie") {
            let Ok(text) = value.to_str() else { continue };
            let pair = text.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                let expired = text.to_ascii_lowercase().contains("max-age=0");
                if expired || value.is_empty() {
                    self.cookies.remove(name);
                } else {
                    self.cookies.insert(name.to_owned(), value.to_owned());
                }
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> TestResponse {
        let request = Request::get(path)
            .header("host", &self.host)
            .header("cookie", self.cookie_header())
            .body(Body::empty())
            .unwrap();
        let response = self.send(request).await;
        self.remember(&response);
        response
    }

    /// Posts a form the way a browser on this host would (Origin + the CSRF token).
    pub async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        if !self.cookies.contains_key("tsunagu_csrf") {
            self.get("/").await;
        }
        let token = self
            .cookies
            .get("tsunagu_csrf")
            .cloned()
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, &all, Some(&format!("http://{}", self.host)))
            .await
    }

    /// Posts exactly these fields with this Origin (for negative tests).
    pub async fn post_raw(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> TestResponse {
        self.post_with_headers(path, fields, origin, &[]).await
    }

    /// Posts a form as htmx does (the CSRF token and `HX-Request: true`): handlers that swap
    /// part of a page answer with the fragment.
    pub async fn post_htmx(&mut self, path: &str, fields: &[(&str, &str)]) -> TestResponse {
        if !self.cookies.contains_key("tsunagu_csrf") {
            self.get("/").await;
        }
        let token = self
            .cookies
            .get("tsunagu_csrf")
            .cloned()
            .unwrap_or_default();
        let mut all: Vec<(&str, &str)> = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        let origin = format!("http://{}", self.host);
        self.post_with_headers(path, &all, Some(&origin), &[("hx-request", "true")])
            .await
    }

    async fn post_with_headers(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", form_encode(k), form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut request = Request::post(path)
            .header("host", &self.host)
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some(origin) = origin {
            request = request.header("origin", origin);
        }
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        let response = self.send(request.body(Body::from(body)).unwrap()).await;
        self.remember(&response);
        response
    }

    /// Signs in with the form; returns the response.
    pub async fn sign_in(&mut self, email: &str, password: &str) -> TestResponse {
        self.get("/sign-in").await;
        self.post(
            "/sign-in",
            &[("email", email), ("password", password), ("next", "/")],
        )
        .await
    }
}

/// `application/x-www-form-urlencoded` encoding of one value.
pub fn form_encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'*' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Uploaded images of this test (a directory of its own, see test_config).
        let _ = std::fs::remove_dir_all(&self.state.config.data_dir);
    }
}

/// A file for [`TestClient::post_multipart`].
pub struct Upload<'a> {
    pub field: &'a str,
    pub filename: &'a str,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl TestClient<'_> {
    /// Posts a multipart form as a browser would (the CSRF token as the first field).
    pub async fn post_multipart(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        files: &[Upload<'_>],
    ) -> TestResponse {
        if !self.cookies.contains_key("tsunagu_csrf") {
            self.get("/").await;
        }
        let token = self
            .cookies
            .get("tsunagu_csrf")
            .cloned()
            .unwrap_or_default();
        let boundary = "tsunagu-test-boundary-7MA4YWxkTrZu0gW";
        let mut body: Vec<u8> = Vec::new();
        let mut all = vec![("_csrf", token.as_str())];
        all.extend_from_slice(fields);
        for (name, value) in all {
            body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").as_bytes());
        }
        for file in files {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\nContent-Type: {}\r\n\r\n",
                    file.field, file.filename, file.content_type
                )
                .as_bytes(),
            );
            body.extend_from_slice(file.bytes);
            body.extend_from_slice(b"\r\n");
        }
        body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
        let request = Request::post(path)
            .header("host", &self.host)
            .header("cookie", self.cookie_header())
            .header("origin", format!("http://{}", self.host))
            .header(
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .unwrap();
        let response = self.send(request).await;
        self.remember(&response);
        response
    }
}
