//! `tsunagu-bench run` (what `just bench` calls): prepare the benchmark database, start the real
//! server binary and the two baselines, check every scenario answers what a person would see,
//! load each one, and write the report.
//!
//! Everything runs in one process tree on one machine, so the figures that matter are the ratios
//! between runs made minutes apart, not the absolute numbers.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};
use serde::Serialize;
use sqlx::{Connection as _, PgConnection};

use crate::load::{self, FormPost, Mode, Outcome, Plan, Target};
use crate::report;

/// The data loaded by `tsunagu seed scale` (the flags it is given).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Shape {
    pub tenants: u32,
    pub large_members: i64,
    pub large_posts: i64,
    pub large_recruitments: i64,
    pub large_articles: i64,
    pub small_members: i64,
    pub small_posts: i64,
    pub small_recruitments: i64,
    pub small_articles: i64,
    /// Responses to the large tenant's 20-question survey (0 in shapes loaded before surveys,
    /// which therefore reload).
    #[serde(default)]
    pub large_survey_responses: i64,
    /// Direct conversations in the large tenant besides the readers' busy inboxes (0 in shapes
    /// loaded before messages, which therefore reload).
    #[serde(default)]
    pub large_conversations: i64,
}

impl Shape {
    /// The target shape of the issue: 1,000 tenants, one with 100k members and 1M posts.
    pub fn full() -> Self {
        Self {
            tenants: 1000,
            large_members: 100_000,
            large_posts: 1_000_000,
            large_recruitments: 10_000,
            large_articles: 2_000,
            small_members: 50,
            small_posts: 100,
            small_recruitments: 5,
            small_articles: 2,
            large_survey_responses: 20_000,
            large_conversations: 100_000,
        }
    }

    /// Just enough for every scenario to render a full page.
    pub fn smoke() -> Self {
        Self {
            tenants: 3,
            large_members: 300,
            large_posts: 400,
            large_recruitments: 5,
            large_articles: 3,
            small_members: 20,
            small_posts: 30,
            small_recruitments: 2,
            small_articles: 1,
            large_survey_responses: 50,
            large_conversations: 300,
        }
    }

    pub fn args(&self) -> Vec<String> {
        [
            ("--tenants", self.tenants as i64),
            ("--large-members", self.large_members),
            ("--large-posts", self.large_posts),
            ("--large-recruitments", self.large_recruitments),
            ("--large-articles", self.large_articles),
            ("--small-members", self.small_members),
            ("--small-posts", self.small_posts),
            ("--small-recruitments", self.small_recruitments),
            ("--small-articles", self.small_articles),
            ("--large-survey-responses", self.large_survey_responses),
            ("--large-conversations", self.large_conversations),
        ]
        .iter()
        .flat_map(|(flag, value)| [flag.to_string(), value.to_string()])
        .collect()
    }
}

/// How hard and how long to load.
#[derive(Clone, Debug, Serialize)]
pub struct LoadSettings {
    pub closed_connections: Vec<usize>,
    pub warmup_secs: f64,
    pub closed_secs: f64,
    pub open_connections: usize,
    pub open_secs: f64,
    /// Open-loop rate as a fraction of the scenario's closed-loop peak.
    pub open_fraction: f64,
    /// Alternating rounds of each compared pair (the budget's ratios).
    pub comparison_rounds: usize,
    pub round_secs: f64,
    /// Connections of the noisy neighbour's search flood (closed loop).
    pub flood_connections: usize,
}

impl LoadSettings {
    fn full() -> Self {
        Self {
            closed_connections: vec![16, 64, 256],
            warmup_secs: 2.0,
            closed_secs: 8.0,
            open_connections: 64,
            open_secs: 10.0,
            open_fraction: 0.7,
            comparison_rounds: 3,
            round_secs: 5.0,
            flood_connections: 32,
        }
    }

    fn smoke() -> Self {
        Self {
            closed_connections: vec![2, 8],
            warmup_secs: 0.1,
            closed_secs: 0.4,
            open_connections: 4,
            open_secs: 0.4,
            open_fraction: 0.7,
            comparison_rounds: 1,
            round_secs: 0.3,
            flood_connections: 32,
        }
    }

    fn closed(&self, connections: usize, secs: f64) -> Plan {
        Plan {
            mode: Mode::Closed,
            connections,
            warmup: Duration::from_secs_f64(self.warmup_secs),
            duration: Duration::from_secs_f64(secs),
        }
    }

    fn open(&self, rate: f64) -> Plan {
        Plan {
            mode: Mode::Open { rate },
            connections: self.open_connections,
            warmup: Duration::from_secs_f64(self.warmup_secs),
            duration: Duration::from_secs_f64(self.open_secs),
        }
    }

    /// The noisy neighbour's flood. It is started one warm-up before the measured open loop
    /// ([`LoadSettings::open`]) and counts from then on, and it lasts one warm-up beyond that
    /// loop's end, so that it covers the whole measured window whatever the start-up jitter of
    /// the two load threads.
    fn flood(&self) -> Plan {
        self.closed(
            self.flood_connections,
            2.0 * self.warmup_secs + self.open_secs,
        )
    }
}

#[derive(Clone, Debug)]
pub struct RunOptions {
    pub smoke: bool,
    /// The `tsunagu` binary (release for real runs).
    pub server: PathBuf,
    /// Drop and reload the benchmark database even when it holds the right shape.
    pub fresh: bool,
    /// Database connections per server (the app's pool size and both baselines').
    pub pool: u32,
    /// Only these scenario keys (all when empty).
    pub only: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ServerKind {
    /// `tsunagu serve` as tsunagu_app (RLS applies), as deployed: feed cache on.
    App,
    /// The same, with the feed cache off (`TSUNAGU_FEED_CACHE=false`): every timeline request
    /// reads and renders its posts.
    AppUncached,
    /// `tsunagu serve` as the bench-only BYPASSRLS role, feed cache off (to price RLS on the
    /// path that runs SQL).
    AppRlsBypassed,
    FortunesAxum,
    FortunesLean,
}

impl ServerKind {
    pub fn describe(self) -> &'static str {
        match self {
            ServerKind::App => "tsunagu serve (tsunagu_app, RLS)",
            ServerKind::AppUncached => "tsunagu serve (tsunagu_app, RLS, feed cache off)",
            ServerKind::AppRlsBypassed => {
                "tsunagu serve (bench role, RLS bypassed, feed cache off)"
            }
            ServerKind::FortunesAxum => "baseline (a): axum + sqlx + tera",
            ServerKind::FortunesLean => {
                "baseline (b): hyper + tokio-postgres + hand-compiled template"
            }
        }
    }
}

/// What a correct answer contains (checked once before loading).
#[derive(Clone, Debug)]
enum Expect {
    Contains(Vec<String>),
    Count(String, usize),
    /// A form's answer: 303 to a location containing this.
    RedirectTo(String),
}

#[derive(Clone, Debug)]
struct Scenario {
    key: String,
    title: String,
    server: ServerKind,
    host: String,
    path: String,
    cookie: Option<String>,
    expect: Expect,
    /// Drive the open loop at this other scenario's rate (so the two compare at equal load),
    /// rather than at 70% of this one's own peak.
    rate_of: Option<String>,
    /// While this scenario is loaded, another member likes and unlikes a post on the page at
    /// [`CHURN_LIKES_PER_SEC`], through the real form.
    churn: Option<Churn>,
    /// When not empty, the scenario submits a form to `path` instead of fetching it.
    posts: Vec<load::FormPost>,
}

/// Likes and unlikes per second in the churn scenario: far more than a company network sees,
/// so that the cost of every write making every replica reload its feed cache shows.
pub const CHURN_LIKES_PER_SEC: f64 = 50.0;

/// Who writes during a churn scenario, and what.
#[derive(Clone, Debug)]
struct Churn {
    host: String,
    cookie: String,
    csrf: String,
    post: uuid::Uuid,
}

impl Scenario {
    /// The same page of another scenario, served by `server`.
    fn variant(&self, key: &str, title: &str, server: ServerKind) -> Scenario {
        Scenario {
            key: key.to_owned(),
            title: title.to_owned(),
            server,
            ..self.clone()
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct ScenarioResult {
    pub key: String,
    pub title: String,
    pub server: ServerKind,
    pub host: String,
    pub path: String,
    pub signed_in: bool,
    /// Members whose form submissions the scenario sends (0: it fetches a page).
    pub form_posters: usize,
    pub page_bytes: usize,
    pub closed: Vec<Outcome>,
    pub peak_throughput: f64,
    pub peak_connections: usize,
    pub open: Outcome,
    /// CPU per request during the open-loop run, by process.
    pub cpu: CpuPerRequest,
    /// Percent of the machine's CPU time stolen by the hypervisor during the open-loop run.
    pub steal_percent: f64,
    /// Likes written while the scenario was loaded (churn scenarios), and failed writes.
    pub churn_writes: u64,
    pub churn_errors: u64,
}

/// Where the machine's time goes: CPU milliseconds per request for the server under test, all
/// PostgreSQL processes, Redis (when it runs on this machine), and the load generator (this
/// process).
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct CpuPerRequest {
    pub server_ms: f64,
    pub postgres_ms: f64,
    pub redis_ms: f64,
    pub load_generator_ms: f64,
}

impl CpuPerRequest {
    pub fn sum(&self) -> f64 {
        self.server_ms + self.postgres_ms + self.redis_ms + self.load_generator_ms
    }
}

/// utime + stime of a process in seconds (USER_HZ is 100 on Linux).
fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (ticks(11) + ticks(12)) / 100.0
}

/// CPU seconds of every process of this machine named `comm` (PostgreSQL's backends, Redis).
fn cpu_seconds_of(comm: &str) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return 0.0;
    };
    entries
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().to_str().and_then(|n| n.parse::<u32>().ok()))
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|name| name.trim() == comm)
        })
        .map(cpu_seconds)
        .sum()
}

/// All CPU time and the part of it stolen by the hypervisor (other virtual machines on the same
/// host), in ticks since boot (`/proc/stat`).
fn machine_ticks() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    let fields: Vec<f64> = stat
        .lines()
        .next()
        .unwrap_or_default()
        .split_whitespace()
        .skip(1)
        .filter_map(|v| v.parse().ok())
        .collect();
    (fields.iter().sum(), fields.get(7).copied().unwrap_or(0.0))
}

/// Runs `plan` and says what share of the machine's CPU time the hypervisor took meanwhile
/// (percent): stolen time stalls whatever was running, and shows in the tail latencies.
async fn load_measuring_steal(target: &Target, plan: Plan) -> anyhow::Result<(Outcome, f64)> {
    let (total_before, steal_before) = machine_ticks();
    let outcome = load_or_fail(target, plan).await?;
    let (total_after, steal_after) = machine_ticks();
    let total = total_after - total_before;
    let steal = if total > 0.0 {
        100.0 * (steal_after - steal_before) / total
    } else {
        0.0
    };
    Ok((outcome, steal))
}

/// Percent of all CPU time that was not idle over `window` (from `/proc/stat`).
async fn machine_busy_percent(window: Duration) -> f64 {
    fn totals() -> Option<(f64, f64)> {
        let stat = std::fs::read_to_string("/proc/stat").ok()?;
        let fields: Vec<f64> = stat
            .lines()
            .next()?
            .split_whitespace()
            .skip(1)
            .filter_map(|v| v.parse().ok())
            .collect();
        let idle = fields.get(3)? + fields.get(4).unwrap_or(&0.0);
        Some((fields.iter().sum(), idle))
    }
    let Some((total_a, idle_a)) = totals() else {
        return 0.0;
    };
    tokio::time::sleep(window).await;
    let Some((total_b, idle_b)) = totals() else {
        return 0.0;
    };
    let total = total_b - total_a;
    if total > 0.0 {
        100.0 * (1.0 - (idle_b - idle_a) / total)
    } else {
        0.0
    }
}

fn cpu_snapshot(server: u32) -> [f64; 4] {
    [
        cpu_seconds(server),
        cpu_seconds_of("postgres"),
        cpu_seconds_of("redis-server"),
        cpu_seconds(std::process::id()),
    ]
}

#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    pub key: String,
    pub first: String,
    pub second: String,
    /// Throughput (requests/s) of (first, second) in each round.
    pub rounds: Vec<(f64, f64)>,
}

/// Two scenarios loaded open-loop at the same rate in alternating rounds: latency at equal load.
#[derive(Clone, Debug, Serialize)]
pub struct LatencyComparison {
    pub key: String,
    pub first: String,
    pub second: String,
    pub rate: f64,
    pub rounds: Vec<LatencyRound>,
}

#[derive(Clone, Copy, Debug, Serialize)]
pub struct LatencyRound {
    pub first_p50: f64,
    pub first_p99: f64,
    pub second_p50: f64,
    pub second_p99: f64,
    /// Percent of the machine's CPU time stolen by the hypervisor during each side's run.
    pub first_steal: f64,
    pub second_steal: f64,
}

impl LatencyComparison {
    /// Median p50 of each side.
    pub fn p50s(&self) -> (f64, f64) {
        (
            median(self.rounds.iter().map(|r| r.first_p50).collect()),
            median(self.rounds.iter().map(|r| r.second_p50).collect()),
        )
    }

    /// Median p99 of the first side.
    pub fn first_p99(&self) -> f64 {
        median(self.rounds.iter().map(|r| r.first_p99).collect())
    }
}

fn median(mut values: Vec<f64>) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 {
        values[mid]
    } else {
        (values[mid - 1] + values[mid]) / 2.0
    }
}

impl Comparison {
    /// Median throughput of each side.
    pub fn medians(&self) -> (f64, f64) {
        (
            median(self.rounds.iter().map(|r| r.0).collect()),
            median(self.rounds.iter().map(|r| r.1).collect()),
        )
    }

    /// First over second, from the medians.
    pub fn ratio(&self) -> f64 {
        let (first, second) = self.medians();
        if second > 0.0 {
            first / second
        } else {
            0.0
        }
    }
}

/// The `--only` key of the noisy-neighbour rounds. They are not a scenario of their own: they
/// load the small tenant's timeline at the rate of the `size_cached` pair (0.7 × the large
/// tenant's timeline peak), so they need `timeline_large` loaded first.
pub const NOISY_NEIGHBOUR: &str = "noisy_neighbour";

/// Does one tenant's flood of expensive requests reach another tenant? The measured page is
/// loaded open-loop in rounds that alternate between a quiet server and one where a member of
/// another tenant floods it with long directory searches.
#[derive(Clone, Debug, Serialize)]
pub struct NoisyNeighbour {
    /// The measured scenario (another tenant's than the flood's).
    pub measured: String,
    pub flood_host: String,
    pub flood_path: String,
    /// Characters in the flood's search, all distinct.
    pub flood_query_chars: usize,
    /// Open-loop rate of the measured page, quiet and flooded alike (requests/s).
    pub rate: f64,
    /// Median p99 of the quiet and of the flooded rounds (ms), and flooded ÷ quiet from those
    /// medians, as every ratio of the budget.
    pub quiet_p99: f64,
    pub flooded_p99: f64,
    pub ratio: f64,
    /// The flood's answers over all rounds.
    pub flood_answers: FloodAnswers,
    /// Failed requests of the measured page over all rounds: a refused page is answered fast
    /// and would flatter its p99.
    pub quiet_errors: u64,
    pub flooded_errors: u64,
    pub rounds: Vec<NoisyRound>,
}

#[derive(Clone, Debug, Serialize)]
pub struct NoisyRound {
    pub quiet: Outcome,
    pub flooded: Outcome,
    /// Percent of the machine's CPU time stolen by the hypervisor during each measured loop.
    pub quiet_steal: f64,
    pub flooded_steal: f64,
    /// The flood's closed loop, over a window a little wider than the flooded loop's.
    pub flood: Outcome,
}

/// A flood's answers, as the report counts them.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct FloodAnswers {
    pub ok: u64,
    /// 503: the server turned the search away (what a per-tenant limit answers).
    pub refused: u64,
    /// 5xx other than 503: the server failed under the flood, an error of the run.
    pub server_errors: u64,
    /// Every other status, and requests that got no answer.
    pub other: u64,
}

impl FloodAnswers {
    pub fn of<'a>(outcomes: impl IntoIterator<Item = &'a Outcome>) -> Self {
        let mut answers = Self::default();
        for outcome in outcomes {
            for (&status, &count) in &outcome.statuses {
                match status {
                    200 => answers.ok += count,
                    503 => answers.refused += count,
                    500..=599 => answers.server_errors += count,
                    _ => answers.other += count,
                }
            }
            answers.other += outcome.transport_errors();
        }
        answers
    }
}

impl NoisyNeighbour {
    fn new(measured: &Scenario, flood: &Scenario, rate: f64, rounds: Vec<NoisyRound>) -> Self {
        let quiet_p99 = median(rounds.iter().map(|r| r.quiet.latency.p99).collect());
        let flooded_p99 = median(rounds.iter().map(|r| r.flooded.latency.p99).collect());
        Self {
            measured: measured.key.clone(),
            flood_host: flood.host.clone(),
            flood_path: flood.path.clone(),
            flood_query_chars: FLOOD_QUERY_CHARS as usize,
            rate,
            quiet_p99,
            flooded_p99,
            ratio: if quiet_p99 > 0.0 {
                flooded_p99 / quiet_p99
            } else {
                0.0
            },
            flood_answers: FloodAnswers::of(rounds.iter().map(|r| &r.flood)),
            quiet_errors: rounds.iter().map(|r| r.quiet.errors).sum(),
            flooded_errors: rounds.iter().map(|r| r.flooded.errors).sum(),
            rounds,
        }
    }
}

#[derive(Clone, Debug, Serialize)]
pub struct Budget {
    pub name: String,
    pub value: f64,
    pub target: String,
    pub pass: bool,
    pub how: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Machine {
    pub cpu: String,
    pub cores: usize,
    pub memory_gib: f64,
    pub kernel: String,
    pub rustc: String,
    pub postgres: String,
    pub redis: String,
    pub commit: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub smoke: bool,
    pub started_at: String,
    pub minutes: f64,
    pub machine: Machine,
    pub shape: Shape,
    pub load_seconds: f64,
    pub data_reused: bool,
    pub pool: u32,
    pub settings: LoadSettings,
    pub scenarios: Vec<ScenarioResult>,
    pub comparisons: Vec<Comparison>,
    pub latency_comparisons: Vec<LatencyComparison>,
    /// Absent when `--only` left it out.
    pub noisy_neighbour: Option<NoisyNeighbour>,
    /// The large tenant's weekly digest (`tsunagu digest`); absent when `--only` left it out.
    pub digest: Option<DigestRun>,
    /// How busy the machine's CPUs were (percent) in the seconds before the first load, with
    /// every server started and idle: anything else running here lowers every figure.
    pub busy_before_percent: f64,
    pub server_peak_rss_mb: f64,
    pub server_rss_after_mb: f64,
    pub budgets: Vec<Budget>,
}

// ---- connection settings ----------------------------------------------------------------------

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/tsunagu";
const DEFAULT_APP_PASSWORD: &str = "tsunagu-app-dev";
const DEFAULT_REDIS_URL: &str = "redis://127.0.0.1:6379";
const BYPASS_ROLE: &str = "tsunagu_bench_rls_bypass";

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// Splits `postgres://user:pw@host:port/db?query` into (scheme, userinfo, hostport, query).
fn split_url(url: &str) -> anyhow::Result<(&str, Option<&str>, &str, Option<&str>)> {
    let (scheme, rest) = url
        .split_once("://")
        .with_context(|| format!("ADMIN_DATABASE_URL: {url:?} is not a postgres:// URL"))?;
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    Ok((scheme, userinfo, hostport, query))
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The same server as `url`, another database and optionally another user.
fn database_url(url: &str, database: &str, user: Option<(&str, &str)>) -> anyhow::Result<String> {
    let (scheme, userinfo, hostport, query) = split_url(url)?;
    let userinfo = match user {
        Some((name, password)) => Some(format!("{name}:{}", percent_encode(password))),
        None => userinfo.map(str::to_owned),
    };
    Ok(format!(
        "{scheme}://{}{hostport}/{database}{}",
        userinfo.map(|u| format!("{u}@")).unwrap_or_default(),
        query.map(|q| format!("?{q}")).unwrap_or_default()
    ))
}

struct Urls {
    database: String,
    admin: String,
    maintenance: String,
    app: String,
    bypass: String,
    redis: String,
    app_password: String,
}

fn urls(smoke: bool, bypass_password: &str) -> anyhow::Result<Urls> {
    let root = env_or("ADMIN_DATABASE_URL", DEFAULT_ADMIN_URL);
    let database = if smoke {
        format!("tsunagu_bench_smoke_{}", std::process::id())
    } else {
        "tsunagu_bench".to_owned()
    };
    let app_password = env_or("TSUNAGU_APP_DB_PASSWORD", DEFAULT_APP_PASSWORD);
    Ok(Urls {
        admin: database_url(&root, &database, None)?,
        maintenance: database_url(&root, "postgres", None)?,
        app: database_url(&root, &database, Some(("tsunagu_app", &app_password)))?,
        bypass: database_url(&root, &database, Some((BYPASS_ROLE, bypass_password)))?,
        redis: env_or("REDIS_URL", DEFAULT_REDIS_URL),
        database,
        app_password,
    })
}

// ---- processes --------------------------------------------------------------------------------

/// A child server, killed when dropped.
struct Server {
    kind: ServerKind,
    child: Child,
    addr: std::net::SocketAddr,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    fn pid(&self) -> u32 {
        self.child.id()
    }
}

fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

fn log_tail(path: &Path) -> String {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(15)..].join("\n")
}

async fn start_server(
    kind: ServerKind,
    mut command: Command,
    health_host: &str,
    health_path: &str,
    port: u16,
    log: PathBuf,
) -> anyhow::Result<Server> {
    let file = std::fs::File::create(&log)?;
    command
        .stdin(Stdio::null())
        .stdout(file.try_clone()?)
        .stderr(file);
    let child = command
        .spawn()
        .with_context(|| format!("cannot start {}", kind.describe()))?;
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut server = Server {
        kind,
        child,
        addr,
        log,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let target = Target {
        addr,
        host: health_host.to_owned(),
        path: health_path.to_owned(),
        cookie: None,
        posts: Vec::new(),
    };
    loop {
        if let Some(status) = server.child.try_wait()? {
            bail!(
                "{} exited ({status}) while starting:\n{}",
                kind.describe(),
                log_tail(&server.log)
            );
        }
        if matches!(load::get_once(&target).await, Ok(answer) if answer.status == 200) {
            return Ok(server);
        }
        if Instant::now() > deadline {
            bail!(
                "{} did not answer within 60 s:\n{}",
                kind.describe(),
                log_tail(&server.log)
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs a `tsunagu` command to completion, with its output shown only on failure.
fn run_cli(server: &Path, args: &[String], envs: &[(&str, &str)]) -> anyhow::Result<()> {
    let output = Command::new(server)
        .args(args)
        // Platform writes go to the benchmark database: derived from its DATABASE_URL, never a
        // PLATFORM_DATABASE_URL of the shell that names another database.
        .env_remove("PLATFORM_DATABASE_URL")
        .envs(envs.iter().copied())
        .env("RUST_LOG", "warn")
        .output()
        .with_context(|| format!("cannot run {}", server.display()))?;
    if !output.status.success() {
        bail!(
            "`tsunagu {}` failed:\n{}{}",
            args.join(" "),
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

/// `tsunagu migrate` against the benchmark database (roles, database, migrations).
fn migrate(server: &Path, urls: &Urls) -> anyhow::Result<()> {
    run_cli(
        server,
        &["migrate".to_owned()],
        &[
            ("ADMIN_DATABASE_URL", &urls.admin),
            ("TSUNAGU_APP_DB_PASSWORD", &urls.app_password),
        ],
    )
}

/// VmHWM (peak) and VmRSS of a process, in MB (10^6 bytes).
fn memory_mb(pid: u32) -> (f64, f64) {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|kb| kb.parse::<f64>().ok())
            .map(|kb| kb * 1024.0 / 1e6)
            .unwrap_or(0.0)
    };
    (field("VmHWM:"), field("VmRSS:"))
}

// ---- database ---------------------------------------------------------------------------------

/// Drops the benchmark database (`tsunagu migrate` creates it again).
async fn drop_database(urls: &Urls) -> anyhow::Result<()> {
    let mut maintenance = PgConnection::connect(&urls.maintenance)
        .await
        .with_context(|| {
            "cannot connect to PostgreSQL with ADMIN_DATABASE_URL (is it running? set ADMIN_DATABASE_URL to a role that may create databases)"
        })?;
    sqlx::raw_sql(&format!(
        "drop database if exists {} with (force)",
        urls.database
    ))
    .execute(&mut maintenance)
    .await?;
    Ok(())
}

async fn loaded_shape(admin: &mut PgConnection) -> anyhow::Result<Option<(Shape, f64)>> {
    let exists: bool = sqlx::query_scalar("select to_regclass('bench.scale_load') is not null")
        .fetch_one(&mut *admin)
        .await?;
    if !exists {
        return Ok(None);
    }
    let row: Option<(serde_json::Value, f64)> =
        sqlx::query_as("select shape, seconds from bench.scale_load")
            .fetch_optional(&mut *admin)
            .await?;
    Ok(match row {
        Some((shape, seconds)) => serde_json::from_value(shape).ok().map(|s| (s, seconds)),
        None => None,
    })
}

async fn prepare_fortunes_and_roles(
    admin: &mut PgConnection,
    bypass_password: &str,
) -> anyhow::Result<()> {
    sqlx::raw_sql(crate::fortunes::SCHEMA_SQL)
        .execute(&mut *admin)
        .await?;
    sqlx::raw_sql(
        "create table if not exists bench.scale_load (shape jsonb not null, seconds float8 not null, \
           loaded_at timestamptz not null default now()); \
         delete from bench.fortune",
    )
    .execute(&mut *admin)
    .await?;
    for (id, message) in crate::fortunes::FORTUNES {
        sqlx::query("insert into bench.fortune (id, message) values ($1, $2)")
            .bind(id)
            .bind(message)
            .execute(&mut *admin)
            .await?;
    }
    // The bench-only role: BYPASSRLS, a member of tsunagu_app for its grants, a fresh password
    // for this run only (the password is a random UUID: no quoting concerns).
    sqlx::raw_sql(&format!(
        "do $$ begin \
           if not exists (select 1 from pg_roles where rolname = '{BYPASS_ROLE}') then \
             create role {BYPASS_ROLE}; \
           end if; \
         end $$; \
         alter role {BYPASS_ROLE} login bypassrls inherit nosuperuser nocreatedb nocreaterole \
           password '{bypass_password}'; \
         grant tsunagu_app to {BYPASS_ROLE}; \
         grant usage on schema bench to tsunagu_app; \
         grant select on bench.fortune to tsunagu_app"
    ))
    .execute(&mut *admin)
    .await
    .context("cannot create the bench-only RLS-bypass role (ADMIN_DATABASE_URL must be a superuser to grant BYPASSRLS)")?;
    Ok(())
}

async fn lock_bypass_role(urls: &Urls) {
    if let Ok(mut admin) = PgConnection::connect(&urls.maintenance).await {
        let _ = sqlx::raw_sql(&format!("alter role {BYPASS_ROLE} nologin password null"))
            .execute(&mut admin)
            .await;
    }
}

struct TenantFixture {
    slug: String,
    name: String,
    member_email: String,
    recruitment: (uuid::Uuid, String),
    article: (uuid::Uuid, String),
    newest_post: uuid::Uuid,
}

/// Gives one member of the tenant a known password and finds the newest recruitment and article.
async fn tenant_fixture(
    admin: &mut PgConnection,
    slug: &str,
    member_number: u32,
    password_hash: &str,
) -> anyhow::Result<TenantFixture> {
    let (tenant, name): (uuid::Uuid, String) =
        sqlx::query_as("select id, name from platform.tenants where slug = $1")
            .bind(slug)
            .fetch_one(&mut *admin)
            .await
            .with_context(|| format!("tenant {slug} is missing from the benchmark database"))?;
    let member_email = format!("m{member_number}@scale.example");
    let updated = sqlx::query(
        "update members set password_hash = $1 where tenant_id = $2 and email_normalized = $3",
    )
    .bind(password_hash)
    .bind(tenant)
    .bind(&member_email)
    .execute(&mut *admin)
    .await?
    .rows_affected();
    if updated != 1 {
        bail!("{slug} has no member {member_email}");
    }
    let recruitment = sqlx::query_as(
        "select id, title from recruitments where tenant_id = $1 order by created_at desc limit 1",
    )
    .bind(tenant)
    .fetch_one(&mut *admin)
    .await
    .with_context(|| format!("{slug} has no recruitment"))?;
    let article = sqlx::query_as(
        "select id, title from articles where tenant_id = $1 and status = 'published' \
         order by publish_at desc limit 1",
    )
    .bind(tenant)
    .fetch_one(&mut *admin)
    .await
    .with_context(|| format!("{slug} has no article"))?;
    let newest_post = sqlx::query_scalar(
        "select id from posts where tenant_id = $1 and hidden_at is null \
         order by created_at desc, id desc limit 1",
    )
    .bind(tenant)
    .fetch_one(&mut *admin)
    .await
    .with_context(|| format!("{slug} has no post"))?;
    Ok(TenantFixture {
        slug: slug.to_owned(),
        name,
        member_email,
        recruitment,
        article,
        newest_post,
    })
}

/// Upcoming events of the large tenant for the events pages: made afresh each run (a network has
/// tens of events, not millions, so they are not part of the scale load), each with answers.
struct EventsFixture {
    listed: usize,
    busiest: uuid::Uuid,
    busiest_title: String,
}

/// Events the fixture makes in the large tenant.
const BENCH_EVENTS: i64 = 30;

async fn events_fixture(admin: &mut PgConnection) -> anyhow::Result<EventsFixture> {
    let tenant: uuid::Uuid =
        sqlx::query_scalar("select id from platform.tenants where slug = 'scale-large'")
            .fetch_one(&mut *admin)
            .await?;
    sqlx::query("delete from events where tenant_id = $1 and title like 'ベンチ交流会 %'")
        .bind(tenant)
        .execute(&mut *admin)
        .await?;
    // Every event is answered by 200 members (150 going or waiting, 50 interested); the first
    // has 80 places, all taken (members 2 to 81), so 69 wait.
    sqlx::query(
        "with m as (select id, row_number() over (order by id) as i from members \
                    where tenant_id = $1 and status = 'active' and email like 'm%@scale.example' \
                    order by id limit 400), \
         e as (insert into events (tenant_id, id, title, description_html, starts_at, ends_at, format, \
                 venue_name, venue_address, capacity, guests_allowed, created_by) \
               select $1, gen_random_uuid(), 'ベンチ交流会 ' || g, '<p>卒業生と社員の交流会です。</p>', \
                 now() + (g || ' days')::interval, now() + (g || ' days')::interval + interval '2 hours', \
                 'offline', '本社ホール', '東京都千代田区丸の内1-1-1', case when g = 1 then 80 end, 1, \
                 (select id from m where i = 1) \
               from generate_series(1, $2) g returning id, capacity) \
         insert into event_rsvps (tenant_id, event_id, member_id, status, waitlisted_at) \
         select $1, e.id, m.id, \
           case when m.i > 150 then 'interested' \
                when e.capacity is not null and m.i > e.capacity + 1 then 'waitlisted' else 'going' end, \
           case when e.capacity is not null and m.i > e.capacity + 1 and m.i <= 150 then now() end \
         from e cross join m where m.i between 2 and 201",
    )
    .bind(tenant)
    .bind(BENCH_EVENTS)
    .execute(&mut *admin)
    .await?;
    let (busiest, busiest_title): (uuid::Uuid, String) = sqlx::query_as(
        "select id, title from events where tenant_id = $1 and title = 'ベンチ交流会 1'",
    )
    .bind(tenant)
    .fetch_one(&mut *admin)
    .await?;
    Ok(EventsFixture {
        listed: BENCH_EVENTS as usize,
        busiest,
        busiest_title,
    })
}

/// The reader's busiest conversation and how many conversations and messages the pages show.
struct MessagesFixture {
    conversations: usize,
    busiest: uuid::Uuid,
    busiest_messages: usize,
}

async fn messages_fixture(
    admin: &mut PgConnection,
    fixture: &TenantFixture,
) -> anyhow::Result<MessagesFixture> {
    let rows: Vec<(uuid::Uuid, i64)> = sqlx::query_as(
        "select cm.conversation_id, (select count(*) from messages x \
           where x.tenant_id = cm.tenant_id and x.conversation_id = cm.conversation_id \
             and x.deleted_at is null) \
         from conversation_members cm \
         join platform.tenants t on t.id = cm.tenant_id \
         join members m on m.tenant_id = cm.tenant_id and m.id = cm.member_id \
         where t.slug = $1 and m.email_normalized = $2 and cm.left_at is null \
         order by 2 desc, 1",
    )
    .bind(&fixture.slug)
    .bind(&fixture.member_email)
    .fetch_all(&mut *admin)
    .await?;
    let Some(&(busiest, messages)) = rows.first() else {
        bail!(
            "{} has no conversation in {}: load the scale data with conversations",
            fixture.member_email,
            fixture.slug
        );
    };
    Ok(MessagesFixture {
        // The list shows 200 at most, the conversation its newest 100 messages.
        conversations: rows.len().min(200),
        busiest,
        busiest_messages: (messages as usize).min(100),
    })
}

/// Members answering in the survey-submission scenario, each its own session: submissions of
/// one member queue behind each other (an edit replaces the member's response), so one member
/// would measure that queue, not the page.
const SURVEY_ANSWERERS: u32 = 16;

/// The large tenant's open survey (`tsunagu seed scale` makes one), a secretariat member to read
/// its results, and members to answer it.
struct SurveyFixture {
    id: uuid::Uuid,
    secretariat_email: String,
    answerer_emails: Vec<String>,
    /// Each question with its choices, in order.
    questions: Vec<(uuid::Uuid, Vec<uuid::Uuid>)>,
}

async fn survey_fixture(
    admin: &mut PgConnection,
    slug: &str,
    first_member: u32,
    password_hash: &str,
) -> anyhow::Result<SurveyFixture> {
    let tenant: uuid::Uuid = sqlx::query_scalar("select id from platform.tenants where slug = $1")
        .bind(slug)
        .fetch_one(&mut *admin)
        .await?;
    let id: uuid::Uuid = sqlx::query_scalar(
        "select id from surveys where tenant_id = $1 and status = 'open' \
         order by published_at limit 1",
    )
    .bind(tenant)
    .fetch_one(&mut *admin)
    .await
    .with_context(|| format!("{slug} has no open survey (tsunagu seed scale makes one)"))?;
    let rows: Vec<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
        "select q.id, o.id from survey_questions q \
         join survey_options o on o.tenant_id = q.tenant_id and o.question_id = q.id \
         where q.tenant_id = $1 and q.survey_id = $2 order by q.position, o.position",
    )
    .bind(tenant)
    .bind(id)
    .fetch_all(&mut *admin)
    .await?;
    let mut questions: Vec<(uuid::Uuid, Vec<uuid::Uuid>)> = Vec::new();
    for (question, option) in rows {
        match questions.last_mut() {
            Some((last, options)) if *last == question => options.push(option),
            _ => questions.push((question, vec![option])),
        }
    }
    let secretariat_email = format!("m{first_member}@scale.example");
    let answerer_emails: Vec<String> = (1..=SURVEY_ANSWERERS)
        .map(|n| format!("m{}@scale.example", first_member + n))
        .collect();
    let mut emails = answerer_emails.clone();
    emails.push(secretariat_email.clone());
    let updated = sqlx::query(
        "update members set password_hash = $1, \
           role = case when email_normalized = $4 then 'secretariat' else role end \
         where tenant_id = $2 and email_normalized = any($3)",
    )
    .bind(password_hash)
    .bind(tenant)
    .bind(&emails)
    .bind(&secretariat_email)
    .execute(&mut *admin)
    .await?
    .rows_affected();
    if updated != emails.len() as u64 {
        bail!("{slug} lacks some of the members m{first_member}…");
    }
    Ok(SurveyFixture {
        id,
        secretariat_email,
        answerer_emails,
        questions,
    })
}

/// The answer form as member `n` of the fixture fills it in: a choice for every question.
fn survey_answer_body(survey: &SurveyFixture, n: usize, csrf: &str) -> String {
    let mut body: Vec<String> = survey
        .questions
        .iter()
        .enumerate()
        .map(|(k, (question, options))| {
            format!("q_{question}={}", options[(n + k) % options.len()])
        })
        .collect();
    body.push(format!("_csrf={}", percent_encode(csrf)));
    body.join("&")
}

fn hash_password(password: &str) -> anyhow::Result<String> {
    use argon2::password_hash::PasswordHasher as _;
    argon2::Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

// ---- signing in -------------------------------------------------------------------------------

fn set_cookie_value(response: &http::Response<bytes::Bytes>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(http::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            v.split(';')
                .next()
                .and_then(|pair| pair.trim().strip_prefix(&format!("{name}=")))
                .map(str::to_owned)
        })
}

async fn request(
    addr: std::net::SocketAddr,
    request: http::Request<http_body_util::Full<bytes::Bytes>>,
) -> anyhow::Result<http::Response<bytes::Bytes>> {
    use http_body_util::BodyExt as _;
    let stream = tokio::net::TcpStream::connect(addr).await?;
    let (mut sender, connection) =
        hyper::client::conn::http1::handshake(hyper_util::rt::TokioIo::new(stream)).await?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await?;
    let (parts, body) = response.into_parts();
    Ok(http::Response::from_parts(
        parts,
        body.collect().await?.to_bytes(),
    ))
}

/// Signs in through the real form (CSRF cookie and token, same-origin POST) and returns the
/// `Cookie` header a signed-in browser would send.
async fn sign_in(
    addr: std::net::SocketAddr,
    host: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<String> {
    let page = request(
        addr,
        http::Request::get("/sign-in")
            .header(http::header::HOST, host)
            .body(Default::default())?,
    )
    .await?;
    let csrf =
        set_cookie_value(&page, "tsunagu_csrf").context("the sign-in page set no CSRF cookie")?;
    let form = format!(
        "email={}&password={}&_csrf={}",
        percent_encode(email),
        percent_encode(password),
        percent_encode(&csrf)
    );
    let response = request(
        addr,
        http::Request::post("/sign-in")
            .header(http::header::HOST, host)
            .header(http::header::ORIGIN, format!("http://{host}"))
            .header(http::header::COOKIE, format!("tsunagu_csrf={csrf}"))
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(form.into())?,
    )
    .await?;
    let session = set_cookie_value(&response, "tsunagu_session").with_context(|| {
        format!(
            "signing in as {email} at {host} failed (status {})",
            response.status()
        )
    })?;
    Ok(format!("tsunagu_session={session}; tsunagu_csrf={csrf}"))
}

/// The CSRF token of a signed-in `Cookie` header from [`sign_in`].
fn csrf_of(cookie: &str) -> anyhow::Result<String> {
    cookie
        .split("tsunagu_csrf=")
        .nth(1)
        .map(str::to_owned)
        .context("the session has no CSRF cookie")
}

/// Likes and unlikes `churn.post` through the real form at [`CHURN_LIKES_PER_SEC`] until `stop`
/// is set; returns (writes answered with the form's redirect, failed writes).
async fn churn_likes(
    addr: std::net::SocketAddr,
    churn: Churn,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> (u64, u64) {
    let mut interval = tokio::time::interval(Duration::from_secs_f64(1.0 / CHURN_LIKES_PER_SEC));
    interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let (mut writes, mut errors) = (0, 0);
    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
        interval.tick().await;
        let like = http::Request::post(format!("/posts/{}/like", churn.post))
            .header(http::header::HOST, &churn.host)
            .header(http::header::ORIGIN, format!("http://{}", churn.host))
            .header(http::header::COOKIE, &churn.cookie)
            .header(
                http::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(format!("_csrf={}", churn.csrf).into());
        let answered = match like {
            Ok(like) => request(addr, like).await.ok(),
            Err(_) => None,
        };
        match answered {
            Some(response) if response.status() == http::StatusCode::SEE_OTHER => writes += 1,
            _ => errors += 1,
        }
    }
    (writes, errors)
}

// ---- scenarios --------------------------------------------------------------------------------

/// Text as tera's autoescape writes it, to look for it in a page.
fn tera_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2F;")
}

fn tenant_scenarios(
    fixture: &TenantFixture,
    size: &str,
    host: &str,
    cookie: &str,
) -> Vec<Scenario> {
    let key = |page: &str| format!("{page}_{size}");
    let signed_in = Some(cookie.to_owned());
    vec![
        Scenario {
            key: key("landing"),
            title: format!("Anonymous landing, {size} tenant"),
            server: ServerKind::App,
            host: host.to_owned(),
            path: "/".to_owned(),
            cookie: None,
            expect: Expect::Contains(vec![tera_escaped(&fixture.name)]),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        },
        Scenario {
            key: key("timeline"),
            title: format!("Signed-in timeline, {size} tenant"),
            server: ServerKind::App,
            host: host.to_owned(),
            path: "/timeline".to_owned(),
            cookie: signed_in.clone(),
            expect: Expect::Count("<article class=\"card post\"".to_owned(), 20),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        },
        Scenario {
            key: key("recruitment"),
            title: format!("Recruitment page, {size} tenant"),
            server: ServerKind::App,
            host: host.to_owned(),
            path: format!("/recruitments/{}", fixture.recruitment.0),
            cookie: signed_in.clone(),
            expect: Expect::Contains(vec![tera_escaped(&fixture.recruitment.1)]),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        },
        Scenario {
            key: key("article"),
            title: format!("Article page, {size} tenant"),
            server: ServerKind::App,
            host: host.to_owned(),
            path: format!("/articles/{}", fixture.article.0),
            cookie: signed_in.clone(),
            expect: Expect::Contains(vec![tera_escaped(&fixture.article.1)]),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        },
        Scenario {
            key: key("directory"),
            title: format!("Directory search 「佐藤」, {size} tenant"),
            server: ServerKind::App,
            host: host.to_owned(),
            // 佐藤, percent-encoded.
            path: "/members?q=%E4%BD%90%E8%97%A4".to_owned(),
            cookie: signed_in,
            expect: Expect::Contains(vec![
                "佐藤".to_owned(),
                "class=\"member-card-name\"".to_owned(),
            ]),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        },
    ]
}

fn check(
    scenario: &Scenario,
    status: u16,
    location: Option<&str>,
    body: &str,
) -> anyhow::Result<()> {
    if let Expect::RedirectTo(needle) = &scenario.expect {
        if status != 303 || !location.is_some_and(|l| l.contains(needle.as_str())) {
            bail!(
                "{} (POST {}{}) answered {status} to {location:?}, not 303 to …{needle}…",
                scenario.title,
                scenario.host,
                scenario.path
            );
        }
        return Ok(());
    }
    if status != 200 {
        bail!(
            "{} ({}{}) answered {status}, not 200",
            scenario.title,
            scenario.host,
            scenario.path
        );
    }
    match &scenario.expect {
        Expect::Contains(needles) => {
            for needle in needles {
                if !body.contains(needle.as_str()) {
                    bail!(
                        "{} ({}): the page does not contain {needle:?}",
                        scenario.title,
                        scenario.path
                    );
                }
            }
        }
        Expect::Count(needle, count) => {
            let found = body.matches(needle.as_str()).count();
            if found != *count {
                bail!(
                    "{} ({}): expected {count} × {needle:?}, found {found}",
                    scenario.title,
                    scenario.path
                );
            }
        }
        Expect::RedirectTo(_) => {}
    }
    Ok(())
}

fn target(scenario: &Scenario, servers: &[Server]) -> anyhow::Result<Target> {
    let server = servers
        .iter()
        .find(|s| s.kind == scenario.server)
        .context("scenario server not started")?;
    Ok(Target {
        addr: server.addr,
        host: scenario.host.clone(),
        path: scenario.path.clone(),
        cookie: scenario.cookie.clone(),
        posts: scenario.posts.clone(),
    })
}

fn say(message: impl std::fmt::Display) {
    eprintln!("[bench] {message}");
}

fn summarize(outcome: &Outcome) -> String {
    format!(
        "{:>4} conns {:>9.0} req/s  p50 {:>7.2} ms  p99 {:>7.2} ms  errors {}",
        outcome.connections,
        outcome.throughput,
        outcome.latency.p50,
        outcome.latency.p99,
        outcome.errors
    )
}

/// Fetches the page once and checks it is the real one; returns its size.
async fn fetch_and_check(scenario: &Scenario, servers: &[Server]) -> anyhow::Result<usize> {
    let answer = load::get_once(&target(scenario, servers)?).await?;
    check(
        scenario,
        answer.status,
        answer.location.as_deref(),
        &answer.body,
    )?;
    Ok(answer.body.len())
}

async fn load_or_fail(target: &Target, plan: Plan) -> anyhow::Result<Outcome> {
    let outcome = load::run_on_own_thread(target.clone(), plan).await?;
    if outcome.requests == 0 {
        bail!(
            "no request to {}{} completed in the measured window",
            target.host,
            target.path
        );
    }
    Ok(outcome)
}

/// Characters in the noisy neighbour's search: as many as the directory's search box takes
/// (its `maxlength`).
const FLOOD_QUERY_CHARS: u32 = 200;

/// Distinct kanji from U+4E00 up: every adjacent pair is another token, so the search has as
/// many tokens as a query of its length can have, and matches nobody.
fn flood_query() -> String {
    (0x4E00..0x4E00 + FLOOD_QUERY_CHARS)
        .filter_map(char::from_u32)
        .collect()
}

/// The noisy-neighbour rounds ([`NoisyNeighbour`]): the measured page quiet, then flooded, in
/// each round.
async fn noisy_neighbour(
    measured: &Scenario,
    flood: &Scenario,
    servers: &[Server],
    rate: f64,
    settings: &LoadSettings,
) -> anyhow::Result<NoisyNeighbour> {
    let measured_target = target(measured, servers)?;
    let flood_target = target(flood, servers)?;
    let mut rounds = Vec::new();
    for _ in 0..settings.comparison_rounds {
        let (quiet, quiet_steal) =
            load_measuring_steal(&measured_target, settings.open(rate)).await?;
        // The flood is a second load generator in this process, on an OS thread and
        // single-threaded runtime of its own (`run_on_own_thread`), like the measured loop's.
        // The kernel schedules the two threads independently, as it would two processes; two
        // loads on one runtime would not do, because the measured loop's due times would wait
        // behind the flood's answers and charge the generator's queueing to the measured
        // tenant. A child `tsunagu-bench load` costs the same CPU, but its window could only be
        // lined up with the measured one by guessing its start-up time; here both windows come
        // from one clock.
        // Not `load_or_fail`: a flood whose every search is still waiting for a slot when its
        // window ends has done its work all the same.
        let flooding = tokio::spawn(load::run_on_own_thread(
            flood_target.clone(),
            settings.flood(),
        ));
        tokio::time::sleep(Duration::from_secs_f64(settings.warmup_secs)).await;
        let flooded = load_measuring_steal(&measured_target, settings.open(rate)).await;
        // Awaited even if the measurement failed, so that the flood never runs into what follows.
        let flood = flooding.await.context("the flood panicked")??;
        let (flooded, flooded_steal) = flooded?;
        let answers = FloodAnswers::of([&flood]);
        say(format!(
            "round {NOISY_NEIGHBOUR} at {rate:.0} req/s: {} p99 quiet {:.2} ms, flooded {:.2} ms; \
             flood {:.0} req/s: {} × 200, {} × 503, {} × other 5xx, {} other",
            measured.key,
            quiet.latency.p99,
            flooded.latency.p99,
            flood.throughput,
            answers.ok,
            answers.refused,
            answers.server_errors,
            answers.other
        ));
        rounds.push(NoisyRound {
            quiet,
            flooded,
            quiet_steal,
            flooded_steal,
            flood,
        });
    }
    let noisy = NoisyNeighbour::new(measured, flood, rate, rounds);
    if noisy.flood_answers.server_errors > 0 {
        say(format!(
            "error: the server answered {} of the flood's searches with a 5xx other than 503 \
             (a failure, not the limit); the noisy-neighbour figures do not count",
            noisy.flood_answers.server_errors
        ));
    }
    Ok(noisy)
}

// ---- the run ----------------------------------------------------------------------------------

pub async fn run(options: RunOptions) -> anyhow::Result<Report> {
    let started = Instant::now();
    let started_at = time::OffsetDateTime::now_utc()
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let shape = if options.smoke {
        Shape::smoke()
    } else {
        Shape::full()
    };
    let settings = if options.smoke {
        LoadSettings::smoke()
    } else {
        LoadSettings::full()
    };
    if !options.server.is_file() {
        bail!(
            "the server binary {} does not exist (build it: cargo build --release -p tsunagu-gateway)",
            options.server.display()
        );
    }
    let bypass_password = uuid::Uuid::new_v4().simple().to_string();
    let urls = urls(options.smoke, &bypass_password)?;
    let work_dir = std::env::temp_dir().join(format!("tsunagu-bench-{}", std::process::id()));
    std::fs::create_dir_all(&work_dir)?;

    if options.smoke || options.fresh {
        drop_database(&urls).await?;
    }
    let result = run_in_database(
        &options,
        &urls,
        &shape,
        &settings,
        &work_dir,
        &bypass_password,
    )
    .await;
    lock_bypass_role(&urls).await;
    if options.smoke {
        // Best effort: the smoke database goes away even if the run failed.
        let _ = drop_database(&urls).await;
    }
    let _ = std::fs::remove_dir_all(&work_dir);
    let (
        scenarios,
        comparisons,
        latency_comparisons,
        noisy_neighbour,
        (load_seconds, data_reused, busy_before_percent),
        (peak_rss, rss_after),
        digest,
    ) = result?;

    let machine = machine(&urls).await;
    let mut report = Report {
        smoke: options.smoke,
        started_at,
        minutes: 0.0,
        machine,
        shape,
        load_seconds,
        data_reused,
        pool: options.pool,
        settings,
        scenarios,
        comparisons,
        latency_comparisons,
        noisy_neighbour,
        digest,
        busy_before_percent,
        server_peak_rss_mb: peak_rss,
        server_rss_after_mb: rss_after,
        budgets: Vec::new(),
    };
    report.budgets = report::budgets(&report);
    report.minutes = started.elapsed().as_secs_f64() / 60.0;
    Ok(report)
}

type Measured = (
    Vec<ScenarioResult>,
    Vec<Comparison>,
    Vec<LatencyComparison>,
    Option<NoisyNeighbour>,
    (f64, bool, f64),
    (f64, f64),
    Option<DigestRun>,
);

/// The `--only` key of the weekly digest run (not a page scenario).
const DIGEST: &str = "digest_large";

/// One build of the large tenant's weekly digest by `tsunagu digest`, as a process of its own.
#[derive(Clone, Debug, Serialize)]
pub struct DigestRun {
    pub members: u64,
    pub emails: u64,
    pub seconds: f64,
    /// The process's resident-set high-water mark (VmHWM), read until it exited.
    pub peak_rss_mb: f64,
    /// What the run printed.
    pub output: String,
}

/// Rolls up the large tenant's dashboard figures with `tsunagu insights` (what the worker's
/// hourly job does) and says how long the first, whole-history run took.
async fn rollups(server: &Path, urls: &Urls) -> anyhow::Result<()> {
    say("rolling up the large tenant's dashboard (tsunagu insights)");
    let output = Command::new(server)
        .args(["insights", "--tenant", "scale-large"])
        .env("DATABASE_URL", &urls.app)
        .env("REDIS_URL", &urls.redis)
        .env("TSUNAGU_ENV", "development")
        .env("TSUNAGU_BASE_DOMAIN", "localhost")
        .env("RUST_LOG", "warn")
        .output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !output.status.success() {
        bail!(
            "tsunagu insights failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    say(stdout);
    Ok(())
}

/// Builds the large tenant's digest for this week with `tsunagu digest` (after every other
/// measurement: it writes an email per member), watching its peak memory, then removes what it
/// wrote so the database can be reused and the next run measures the same work.
async fn digest_run(server: &Path, urls: &Urls) -> anyhow::Result<DigestRun> {
    let mut admin = PgConnection::connect(&urls.admin).await?;
    let tenant: uuid::Uuid =
        sqlx::query_scalar("select id from platform.tenants where slug = 'scale-large'")
            .fetch_one(&mut admin)
            .await?;
    let clean = |tenant: uuid::Uuid| {
        format!(
            "delete from email_outbox where tenant_id = '{tenant}' and kind = 'digest'; \
             delete from digest_deliveries where tenant_id = '{tenant}'; \
             delete from digest_weeks where tenant_id = '{tenant}';"
        )
    };
    sqlx::raw_sql(&clean(tenant)).execute(&mut admin).await?;
    // Tuesday noon in Japan of the current week: always past the Monday 08:00 send time.
    let now = time::OffsetDateTime::now_utc().to_offset(time::macros::offset!(+9));
    let monday =
        now.date() - time::Duration::days(i64::from(now.weekday().number_days_from_monday()));
    let at =
        time::PrimitiveDateTime::new(monday + time::Duration::days(1), time::macros::time!(12:00))
            .assume_offset(time::macros::offset!(+9))
            .format(&time::format_description::well_known::Rfc3339)?;
    say(format!("weekly digest of scale-large (at {at})"));
    let started = Instant::now();
    let mut child = Command::new(server)
        .args(["digest", "--tenant", "scale-large", "--at", &at])
        .env("DATABASE_URL", &urls.app)
        .env("REDIS_URL", &urls.redis)
        .env("TSUNAGU_ENV", "development")
        .env("TSUNAGU_BASE_DOMAIN", "localhost")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let pid = child.id();
    let mut peak_kb = 0u64;
    let status = loop {
        if let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) {
            let hwm = status
                .lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(hwm);
        }
        if let Some(status) = child.try_wait()? {
            break status;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let seconds = started.elapsed().as_secs_f64();
    let output = child.wait_with_output()?;
    let stdout = String::from_utf8_lossy(&output.stdout).trim().to_owned();
    if !status.success() {
        bail!(
            "tsunagu digest failed: {stdout}\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    let (members, emails): (i64, i64) = sqlx::query_as(
        "select (select count(*) from digest_deliveries where tenant_id = $1), \
                (select count(*) from email_outbox where tenant_id = $1 and kind = 'digest')",
    )
    .bind(tenant)
    .fetch_one(&mut admin)
    .await?;
    sqlx::raw_sql(&clean(tenant)).execute(&mut admin).await?;
    sqlx::raw_sql("vacuum email_outbox")
        .execute(&mut admin)
        .await?;
    say(format!(
        "digest: {members} members, {emails} emails in {seconds:.1} s, peak RSS {:.1} MB",
        peak_kb as f64 / 1024.0
    ));
    Ok(DigestRun {
        members: members as u64,
        emails: emails as u64,
        seconds,
        peak_rss_mb: peak_kb as f64 / 1024.0,
        output: stdout,
    })
}

async fn run_in_database(
    options: &RunOptions,
    urls: &Urls,
    shape: &Shape,
    settings: &LoadSettings,
    work_dir: &Path,
    bypass_password: &str,
) -> anyhow::Result<Measured> {
    let server_bin = options.server.as_path();
    say(format!("database {} (migrating)", urls.database));
    migrate(server_bin, urls)?;
    let mut admin = PgConnection::connect(&urls.admin).await?;
    let (load_seconds, data_reused) = match loaded_shape(&mut admin).await? {
        Some((loaded, seconds)) if &loaded == shape => {
            say(format!(
                "scale data already loaded ({seconds:.0} s when it was loaded); reusing it"
            ));
            (seconds, true)
        }
        other => {
            if other.is_some() {
                say("the benchmark database holds another shape: reloading");
                drop(admin);
                drop_database(urls).await?;
                migrate(server_bin, urls)?;
                admin = PgConnection::connect(&urls.admin).await?;
            }
            say(format!(
                "loading scale data: tsunagu seed scale {}",
                shape.args().join(" ")
            ));
            let load_started = Instant::now();
            let mut args = vec!["seed".to_owned(), "scale".to_owned()];
            args.extend(shape.args());
            run_cli(server_bin, &args, &[("DATABASE_URL", &urls.app)])?;
            sqlx::raw_sql("vacuum analyze").execute(&mut admin).await?;
            let seconds = load_started.elapsed().as_secs_f64();
            say(format!("loaded and analysed in {seconds:.1} s"));
            (seconds, false)
        }
    };
    prepare_fortunes_and_roles(&mut admin, bypass_password).await?;
    if !data_reused {
        sqlx::query("insert into bench.scale_load (shape, seconds) values ($1, $2)")
            .bind(serde_json::to_value(shape)?)
            .bind(load_seconds)
            .execute(&mut admin)
            .await?;
    }

    // A member per tenant with a password only this run knows (a different member each run, so
    // repeated runs stay under the per-account sign-in limit).
    let password = uuid::Uuid::new_v4().simple().to_string();
    let password_hash = hash_password(&password)?;
    let member_number = 1 + (uuid::Uuid::new_v4().as_u128() % 10) as u32;
    let large = tenant_fixture(&mut admin, "scale-large", member_number, &password_hash).await?;
    let small = tenant_fixture(&mut admin, "scale-0001", member_number, &password_hash).await?;
    // The member who likes and unlikes during the churn scenario (another one than the reader).
    let writer = tenant_fixture(
        &mut admin,
        "scale-large",
        member_number + 10,
        &password_hash,
    )
    .await?;
    // The survey's readers and answerers: 17 members from m40 up to m236, apart from the members
    // above (m1–m20) and inside the smoke shape's 300; another 17 in each run, like the others.
    let survey = survey_fixture(
        &mut admin,
        "scale-large",
        40 + (member_number - 1) * 20,
        &password_hash,
    )
    .await?;
    let inbox = messages_fixture(&mut admin, &large).await?;
    let events = events_fixture(&mut admin).await?;
    // Write out what the load and the fixtures left dirty now, not during a measurement: a run
    // straight after loading once had checkpoint writes in its open-loop latencies.
    sqlx::raw_sql("checkpoint").execute(&mut admin).await?;
    drop(admin);

    // Servers: same binary and pool for both app servers, same pool for the baselines.
    let secret_key = format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    );
    let pool = options.pool.to_string();
    let mut servers = Vec::new();
    for kind in [
        ServerKind::App,
        ServerKind::AppUncached,
        ServerKind::AppRlsBypassed,
    ] {
        let port = free_port()?;
        let listen = format!("127.0.0.1:{port}");
        let mut command = Command::new(server_bin);
        command
            .arg("serve")
            .env(
                "DATABASE_URL",
                if kind == ServerKind::AppRlsBypassed {
                    &urls.bypass
                } else {
                    &urls.app
                },
            )
            .env(
                "TSUNAGU_FEED_CACHE",
                if kind == ServerKind::App {
                    "true"
                } else {
                    "false"
                },
            )
            .env("REDIS_URL", &urls.redis)
            .env("TSUNAGU_LISTEN", &listen)
            .env("TSUNAGU_BASE_DOMAIN", "localhost")
            .env("TSUNAGU_DB_POOL_SIZE", &pool)
            .env("TSUNAGU_EMBEDDED_WORKER", "false")
            .env("TSUNAGU_ENV", "development")
            .env("TSUNAGU_PUBLIC_SCHEME", "http")
            .env("TSUNAGU_SECRET_KEY", &secret_key)
            .env("TSUNAGU_DATA_DIR", work_dir.join("data"))
            .env_remove("TSUNAGU_TRUSTED_PROXIES")
            // Per-request access logs off in every server (the baselines have none).
            .env("RUST_LOG", "warn")
            .env(
                "TSUNAGU_BENCH_RLS_BYPASS",
                if kind == ServerKind::AppRlsBypassed {
                    "true"
                } else {
                    "false"
                },
            );
        let log = work_dir.join(format!("{kind:?}.log"));
        servers.push(start_server(kind, command, "localhost", "/healthz", port, log).await?);
    }
    let bench_bin = std::env::current_exe()?;
    for (kind, stack) in [
        (ServerKind::FortunesAxum, "axum"),
        (ServerKind::FortunesLean, "lean"),
    ] {
        let port = free_port()?;
        let mut command = Command::new(&bench_bin);
        command
            .args(["serve-fortunes", "--stack", stack, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--pool", &pool, "--database-url", &urls.app]);
        let log = work_dir.join(format!("{kind:?}.log"));
        servers.push(start_server(kind, command, "localhost", "/fortunes", port, log).await?);
    }
    let app_addr = servers[0].addr;
    let host_of = |slug: &str| format!("{slug}.localhost:{}", app_addr.port());

    // The secretariat's dashboard reads the worker's rollups: write them once, as the worker's
    // first run on a network would (a year of days, every first contact so far).
    rollups(server_bin, urls).await?;
    say("signing in as one member of the large tenant and one of a small tenant");
    let large_host = host_of(&large.slug);
    let small_host = host_of(&small.slug);
    let large_cookie = sign_in(app_addr, &large_host, &large.member_email, &password).await?;
    let small_cookie = sign_in(app_addr, &small_host, &small.member_email, &password).await?;
    let writer_cookie = sign_in(app_addr, &large_host, &writer.member_email, &password).await?;
    let writer_csrf = csrf_of(&writer_cookie)?;
    let secretariat_cookie =
        sign_in(app_addr, &large_host, &survey.secretariat_email, &password).await?;
    let mut answer_posts = Vec::new();
    for (n, email) in survey.answerer_emails.iter().enumerate() {
        let cookie = sign_in(app_addr, &large_host, email, &password).await?;
        let body = survey_answer_body(&survey, n, &csrf_of(&cookie)?);
        answer_posts.push(FormPost { cookie, body });
    }

    let fortunes = |key: &str, kind: ServerKind| Scenario {
        key: key.to_owned(),
        title: kind.describe().to_owned(),
        server: kind,
        host: "localhost".to_owned(),
        path: "/fortunes".to_owned(),
        cookie: None,
        expect: Expect::Count("<tr><td>".to_owned(), 13),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    };
    let mut scenarios = vec![
        fortunes("fortunes_lean", ServerKind::FortunesLean),
        fortunes("fortunes_axum", ServerKind::FortunesAxum),
    ];
    scenarios.extend(tenant_scenarios(
        &large,
        "large",
        &large_host,
        &large_cookie,
    ));
    let find = |scenarios: &[Scenario], key: &str| {
        scenarios
            .iter()
            .find(|s| s.key == key)
            .cloned()
            .with_context(|| format!("scenario {key}"))
    };
    // The timeline without the feed cache, with RLS and without: the uncached path prices RLS.
    let timeline_large = find(&scenarios, "timeline_large")?;
    scenarios.push(timeline_large.variant(
        "timeline_large_uncached",
        "Signed-in timeline, large tenant, feed cache off",
        ServerKind::AppUncached,
    ));
    scenarios.push(timeline_large.variant(
        "timeline_large_rls_bypassed",
        "Signed-in timeline, large tenant, feed cache off, RLS bypassed",
        ServerKind::AppRlsBypassed,
    ));
    let mut churn = timeline_large.variant(
        "timeline_large_churn",
        &format!(
            "Signed-in timeline, large tenant, while another member likes {CHURN_LIKES_PER_SEC:.0} times a second"
        ),
        ServerKind::App,
    );
    churn.churn = Some(Churn {
        host: large_host.clone(),
        cookie: writer_cookie,
        csrf: writer_csrf,
        post: large.newest_post,
    });
    scenarios.push(churn);
    scenarios.push(Scenario {
        key: "survey_results_large".to_owned(),
        title: format!(
            "Survey results, {} questions × {} responses, large tenant",
            survey.questions.len(),
            shape.large_survey_responses
        ),
        server: ServerKind::App,
        host: large_host.clone(),
        path: format!("/secretariat/surveys/{}/results", survey.id),
        cookie: Some(secretariat_cookie.clone()),
        // Every choice of every question has its bar.
        expect: Expect::Count(
            "<td class=\"survey-bar-cell\">".to_owned(),
            survey.questions.iter().map(|(_, o)| o.len()).sum(),
        ),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.push(Scenario {
        key: "survey_answer_large".to_owned(),
        title: format!(
            "Survey answer submitted ({} questions, edits replace), {SURVEY_ANSWERERS} members, large tenant",
            survey.questions.len()
        ),
        server: ServerKind::App,
        host: large_host.clone(),
        path: format!("/surveys/{}", survey.id),
        cookie: answer_posts.first().map(|p| p.cookie.clone()),
        expect: Expect::RedirectTo("notice=survey_answered".to_owned()),
        rate_of: None,
        churn: None,
        posts: answer_posts,
    });
    scenarios.push(Scenario {
        key: "messages_large".to_owned(),
        title: format!(
            "Conversation list ({} conversations), large tenant",
            inbox.conversations
        ),
        server: ServerKind::App,
        host: large_host.clone(),
        path: "/messages".to_owned(),
        cookie: Some(large_cookie.clone()),
        expect: Expect::Count(
            "class=\"notification-link\" href=\"/messages/".to_owned(),
            inbox.conversations,
        ),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.push(Scenario {
        key: "conversation_large".to_owned(),
        title: format!(
            "Conversation page ({} messages), large tenant",
            inbox.busiest_messages
        ),
        server: ServerKind::App,
        host: large_host.clone(),
        path: format!("/messages/{}", inbox.busiest),
        cookie: Some(large_cookie.clone()),
        expect: Expect::Count(
            "<div class=\"message-body\">".to_owned(),
            inbox.busiest_messages,
        ),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.push(Scenario {
        key: "workspace_large".to_owned(),
        title: "Secretariat workspace home (to-do, dashboard, level 3), large tenant".to_owned(),
        server: ServerKind::App,
        host: large_host.clone(),
        path: "/secretariat".to_owned(),
        cookie: Some(secretariat_cookie.clone()),
        // Twelve months in the level trend, four charts drawn.
        expect: Expect::Count("<svg class=\"chart-svg\"".to_owned(), 4),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.push(Scenario {
        key: "events_large".to_owned(),
        title: format!("Events list ({} upcoming), large tenant", events.listed),
        server: ServerKind::App,
        host: large_host.clone(),
        path: "/events".to_owned(),
        cookie: Some(large_cookie.clone()),
        expect: Expect::Count("class=\"card event-card\"".to_owned(), events.listed),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.push(Scenario {
        key: "event_large".to_owned(),
        title: "Event page (80 places taken, 69 waiting), large tenant".to_owned(),
        server: ServerKind::App,
        host: large_host.clone(),
        path: format!("/events/{}", events.busiest),
        cookie: Some(large_cookie.clone()),
        expect: Expect::Contains(vec![tera_escaped(&events.busiest_title)]),
        rate_of: None,
        churn: None,
        posts: Vec::new(),
    });
    scenarios.extend(tenant_scenarios(
        &small,
        "small",
        &small_host,
        &small_cookie,
    ));
    // The small tenant's timelines run at the large tenant's rates, so their latencies compare
    // at equal load.
    let mut timeline_small = find(&scenarios, "timeline_small")?;
    timeline_small.rate_of = Some("timeline_large".to_owned());
    let mut timeline_small_uncached = timeline_small.variant(
        "timeline_small_uncached",
        "Signed-in timeline, small tenant, feed cache off",
        ServerKind::AppUncached,
    );
    timeline_small_uncached.rate_of = Some("timeline_large_uncached".to_owned());
    for scenario in scenarios.iter_mut() {
        if scenario.key == "timeline_small" {
            *scenario = timeline_small.clone();
        }
    }
    scenarios.push(timeline_small_uncached);

    // The noisy neighbour: the large tenant's member floods directory searches while the small
    // tenant's timeline is measured (pages of two tenants on one server).
    let noisy_pages = if options.only.is_empty()
        || options.only.iter().any(|k| k == NOISY_NEIGHBOUR)
    {
        let query = flood_query();
        let flood = Scenario {
            key: "noisy_neighbour_flood".to_owned(),
            title: format!("Directory search of {FLOOD_QUERY_CHARS} distinct kanji, large tenant"),
            path: format!("/members?q={}", percent_encode(&query)),
            // The search box echoes the query: the search ran, on a signed-in page. It finds
            // nobody, so there are no result cards to look for.
            expect: Expect::Contains(vec![query]),
            ..find(&scenarios, "directory_large")?
        };
        Some((timeline_small.clone(), flood))
    } else {
        None
    };

    if !options.only.is_empty() {
        for key in options
            .only
            .iter()
            .filter(|k| *k != NOISY_NEIGHBOUR && *k != DIGEST)
        {
            if !scenarios.iter().any(|s| &s.key == key) {
                bail!("--only: there is no scenario {key:?}");
            }
        }
        // The noisy neighbour runs at timeline_large's open-loop rate.
        scenarios.retain(|s| {
            options.only.contains(&s.key) || (noisy_pages.is_some() && s.key == "timeline_large")
        });
    }

    // Every page must be the real page before it is measured.
    let mut page_bytes = Vec::new();
    for scenario in &scenarios {
        page_bytes.push(fetch_and_check(scenario, &servers).await?);
    }
    if let Some((measured, flood)) = &noisy_pages {
        fetch_and_check(measured, &servers).await?;
        fetch_and_check(flood, &servers).await?;
    }
    say(format!("{} scenarios answer correctly", scenarios.len()));

    let busy_before_percent = machine_busy_percent(Duration::from_secs(2)).await;
    say(format!(
        "the machine was {busy_before_percent:.0}% busy before loading (servers idle)"
    ));
    if busy_before_percent > 20.0 {
        say("warning: something else is using the CPUs; every figure of this run will be low");
    }

    let mut results: Vec<ScenarioResult> = Vec::new();
    for (scenario, bytes) in scenarios.iter().zip(page_bytes) {
        let target = target(scenario, &servers)?;
        let churning = scenario.churn.clone().map(|churn| {
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let task = tokio::spawn(churn_likes(target.addr, churn, stop.clone()));
            (stop, task)
        });
        let mut closed = Vec::new();
        for &connections in &settings.closed_connections {
            let outcome =
                load_or_fail(&target, settings.closed(connections, settings.closed_secs)).await?;
            say(format!("{:<30} {}", scenario.key, summarize(&outcome)));
            closed.push(outcome);
        }
        let peak = closed
            .iter()
            .max_by(|a, b| a.throughput.total_cmp(&b.throughput))
            .cloned()
            .context("no closed-loop level")?;
        let rate_basis = scenario
            .rate_of
            .as_ref()
            .and_then(|key| results.iter().find(|r| &r.key == key))
            .map(|r| r.peak_throughput)
            .unwrap_or(peak.throughput);
        let rate = (rate_basis * settings.open_fraction).max(1.0);
        let server_pid = servers
            .iter()
            .find(|s| s.kind == scenario.server)
            .map(Server::pid)
            .unwrap_or(0);
        let before = cpu_snapshot(server_pid);
        let (open, steal_percent) = load_measuring_steal(&target, settings.open(rate)).await?;
        let after = cpu_snapshot(server_pid);
        let sent = rate * (settings.warmup_secs + settings.open_secs);
        let per_request = |a: f64, b: f64| (b - a) * 1000.0 / sent.max(1.0);
        let cpu = CpuPerRequest {
            server_ms: per_request(before[0], after[0]),
            postgres_ms: per_request(before[1], after[1]),
            redis_ms: per_request(before[2], after[2]),
            load_generator_ms: per_request(before[3], after[3]),
        };
        say(format!(
            "{:<30} open loop at {rate:.0} req/s: {}",
            scenario.key,
            summarize(&open)
        ));
        let (churn_writes, churn_errors) = match churning {
            Some((stop, task)) => {
                stop.store(true, std::sync::atomic::Ordering::Relaxed);
                let (writes, errors) = task.await.context("the churn writer panicked")?;
                say(format!(
                    "{:<30} {writes} likes written alongside, {errors} failed",
                    scenario.key
                ));
                (writes, errors)
            }
            None => (0, 0),
        };
        results.push(ScenarioResult {
            key: scenario.key.clone(),
            title: scenario.title.clone(),
            server: scenario.server,
            host: scenario.host.clone(),
            path: scenario.path.clone(),
            signed_in: scenario.cookie.is_some(),
            form_posters: scenario.posts.len(),
            page_bytes: bytes,
            peak_throughput: peak.throughput,
            peak_connections: peak.connections,
            closed,
            open,
            cpu,
            steal_percent,
            churn_writes,
            churn_errors,
        });
    }

    // The budget's ratios, each from alternating rounds. RLS is priced on the timeline path
    // that runs SQL (feed cache off on both servers): a cached page runs no query.
    let mut comparisons = Vec::new();
    for (key, first, second) in [
        ("timeline_vs_a", "timeline_large", "fortunes_axum"),
        ("a_vs_b", "fortunes_axum", "fortunes_lean"),
        (
            "rls",
            "timeline_large_uncached",
            "timeline_large_rls_bypassed",
        ),
    ] {
        let side = |name: &str| {
            let scenario = scenarios.iter().find(|s| s.key == name)?;
            let result = results.iter().find(|r| r.key == name)?;
            Some((scenario, result.peak_connections))
        };
        // (With --only a side may not have been asked for.)
        let (Some((a, a_connections)), Some((b, b_connections))) = (side(first), side(second))
        else {
            continue;
        };
        let mut rounds = Vec::new();
        for _ in 0..settings.comparison_rounds {
            let a_rate = load_or_fail(
                &target(a, &servers)?,
                settings.closed(a_connections, settings.round_secs),
            )
            .await?
            .throughput;
            let b_rate = load_or_fail(
                &target(b, &servers)?,
                settings.closed(b_connections, settings.round_secs),
            )
            .await?
            .throughput;
            say(format!(
                "round {key}: {first} {a_rate:.0} req/s, {second} {b_rate:.0} req/s"
            ));
            rounds.push((a_rate, b_rate));
        }
        comparisons.push(Comparison {
            key: key.to_owned(),
            first: first.to_owned(),
            second: second.to_owned(),
            rounds,
        });
    }

    // Does a page cost more in the large tenant? Both tenants' pages at the same rate (70% of
    // the large one's peak), in alternating open-loop rounds: the timeline cached and uncached,
    // and the directory search. These rounds also give the budget's p99s (the median round),
    // since one open loop alone is at the mercy of whatever else the shared machine does.
    let mut latency_comparisons = Vec::new();
    for (key, first, second) in [
        ("size_cached", "timeline_large", "timeline_small"),
        (
            "size_uncached",
            "timeline_large_uncached",
            "timeline_small_uncached",
        ),
        ("size_directory", "directory_large", "directory_small"),
    ] {
        let (Some(a), Some(b), Some(rate)) = (
            scenarios.iter().find(|s| s.key == first),
            scenarios.iter().find(|s| s.key == second),
            results
                .iter()
                .find(|r| r.key == first)
                .and_then(|r| r.open.rate),
        ) else {
            continue;
        };
        let mut rounds = Vec::new();
        for _ in 0..settings.comparison_rounds {
            let plan = settings.open(rate);
            let (large, first_steal) = load_measuring_steal(&target(a, &servers)?, plan).await?;
            let (small, second_steal) = load_measuring_steal(&target(b, &servers)?, plan).await?;
            let (large, small) = (large.latency, small.latency);
            say(format!(
                "round {key} at {rate:.0} req/s: p50 {:.2} vs {:.2} ms, p99 {:.2} vs {:.2} ms",
                large.p50, small.p50, large.p99, small.p99
            ));
            rounds.push(LatencyRound {
                first_p50: large.p50,
                first_p99: large.p99,
                first_steal,
                second_steal,
                second_p50: small.p50,
                second_p99: small.p99,
            });
        }
        latency_comparisons.push(LatencyComparison {
            key: key.to_owned(),
            first: first.to_owned(),
            second: second.to_owned(),
            rate,
            rounds,
        });
    }
    // At the rate of the size_cached pair, so that its quiet rounds can be read against that
    // pair's small-tenant rounds.
    let noisy_neighbour = match (
        &noisy_pages,
        results
            .iter()
            .find(|r| r.key == "timeline_large")
            .and_then(|r| r.open.rate),
    ) {
        (Some((measured, flood)), Some(rate)) => {
            Some(noisy_neighbour(measured, flood, &servers, rate, settings).await?)
        }
        _ => None,
    };
    let memory = memory_mb(servers[0].pid());
    for server in &servers {
        if let Ok(log) = std::fs::read_to_string(&server.log) {
            let problems = log
                .lines()
                .filter(|l| l.contains("ERROR") || l.contains("panicked"))
                .count();
            if problems > 0 {
                say(format!(
                    "{} logged {problems} error lines:\n{}",
                    server.kind.describe(),
                    log_tail(&server.log)
                ));
            }
        }
    }
    drop(servers);
    // Last, with the servers stopped: it writes an email per member of the large tenant.
    let digest = if options.only.is_empty() || options.only.iter().any(|k| k == DIGEST) {
        // A failed digest run is a failed budget, not a lost report.
        Some(digest_run(server_bin, urls).await.unwrap_or_else(|error| {
            say(format!("the weekly digest failed: {error:#}"));
            DigestRun {
                members: 0,
                emails: 0,
                seconds: 0.0,
                peak_rss_mb: 0.0,
                output: format!("failed: {error:#}"),
            }
        }))
    } else {
        None
    };
    Ok((
        results,
        comparisons,
        latency_comparisons,
        noisy_neighbour,
        (load_seconds, data_reused, busy_before_percent),
        memory,
        digest,
    ))
}

// ---- machine description ----------------------------------------------------------------------

fn command_line(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn redis_version(url: &str) -> String {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let hostport = url
        .trim_start_matches("redis://")
        .rsplit('@')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .split('/')
        .next()
        .unwrap_or("127.0.0.1:6379")
        .to_owned();
    let Ok(mut stream) = tokio::net::TcpStream::connect(&hostport).await else {
        return "unknown".to_owned();
    };
    if stream.write_all(b"INFO server\r\n").await.is_err() {
        return "unknown".to_owned();
    }
    let mut buffer = vec![0u8; 8192];
    let n = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buffer))
        .await
        .ok()
        .and_then(|r| r.ok())
        .unwrap_or(0);
    String::from_utf8_lossy(&buffer[..n])
        .lines()
        .find_map(|l| l.strip_prefix("redis_version:"))
        .map(|v| format!("Redis {}", v.trim()))
        .unwrap_or_else(|| "unknown".to_owned())
}

async fn machine(urls: &Urls) -> Machine {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|l| l.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_else(|| "unknown".to_owned());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let memory_gib = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|l| l.split_whitespace().next())
        .and_then(|kb| kb.parse::<f64>().ok())
        .map(|kb| kb / 1024.0 / 1024.0)
        .unwrap_or(0.0);
    let postgres = match PgConnection::connect(&urls.maintenance).await {
        Ok(mut conn) => sqlx::query_scalar::<_, String>("select version()")
            .fetch_one(&mut conn)
            .await
            .map(|v| v.split(" on ").next().unwrap_or(&v).to_owned())
            .unwrap_or_else(|_| "unknown".to_owned()),
        Err(_) => "unknown".to_owned(),
    };
    let dirty = !command_line("git", &["status", "--porcelain", "--untracked-files=no"])
        .trim()
        .is_empty();
    Machine {
        cpu,
        cores: std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(0),
        memory_gib,
        kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
            .map(|s| s.trim().to_owned())
            .unwrap_or_else(|_| "unknown".to_owned()),
        rustc: command_line("rustc", &["-V"]),
        postgres,
        redis: redis_version(&urls.redis).await,
        commit: format!(
            "{}{}",
            command_line("git", &["rev-parse", "--short", "HEAD"]),
            if dirty {
                " (with uncommitted changes)"
            } else {
                ""
            }
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_keep_the_server_and_change_database_and_user() {
        let url = "postgres://postgres@127.0.0.1:5432/tsunagu?sslmode=disable";
        assert_eq!(
            database_url(url, "tsunagu_bench", None).unwrap(),
            "postgres://postgres@127.0.0.1:5432/tsunagu_bench?sslmode=disable"
        );
        assert_eq!(
            database_url(url, "b", Some(("tsunagu_app", "p@ss word"))).unwrap(),
            "postgres://tsunagu_app:p%40ss%20word@127.0.0.1:5432/b?sslmode=disable"
        );
        assert_eq!(
            database_url("postgresql://db.internal/x", "y", None).unwrap(),
            "postgresql://db.internal/y"
        );
    }

    #[test]
    fn page_checks_fail_on_a_wrong_page() {
        let scenario = Scenario {
            key: "timeline_large".into(),
            title: "t".into(),
            server: ServerKind::App,
            host: "h".into(),
            path: "/timeline".into(),
            cookie: None,
            expect: Expect::Count("<article class=\"card post\"".into(), 2),
            rate_of: None,
            churn: None,
            posts: Vec::new(),
        };
        let two = "<article class=\"card post\"></article><article class=\"card post\">";
        assert!(check(&scenario, 200, None, two).is_ok());
        assert!(check(&scenario, 200, None, "<form action=\"/sign-in\">").is_err());
        assert!(check(&scenario, 303, None, two).is_err());
        let submission = Scenario {
            expect: Expect::RedirectTo("notice=survey_answered".into()),
            ..scenario
        };
        let answered = Some("/surveys/1?notice=survey_answered");
        assert!(check(&submission, 303, answered, "").is_ok());
        assert!(check(&submission, 303, Some("/sign-in?next=%2Fsurveys%2F1"), "").is_err());
        assert!(check(&submission, 200, None, "<form>").is_err());
        assert!(check(&submission, 422, answered, "").is_err());
    }

    #[test]
    fn a_flood_counts_refusals_apart_from_failures() {
        let latency = load::Latency {
            p50: 1.0,
            p90: 1.0,
            p99: 1.0,
            p999: 1.0,
            max: 1.0,
        };
        let flood = Outcome {
            connections: 32,
            rate: None,
            requests: 17,
            // 503, 500, 429 and two requests the server never answered.
            errors: 9,
            statuses: [(200, 10), (503, 4), (500, 2), (429, 1)].into(),
            no_answer: 2,
            seconds: 1.0,
            throughput: 17.0,
            latency,
            mean_body_bytes: 0,
        };
        let answers = FloodAnswers::of([&flood, &flood]);
        assert_eq!(
            (
                answers.ok,
                answers.refused,
                answers.server_errors,
                answers.other
            ),
            (20, 8, 4, 6)
        );
    }
}
