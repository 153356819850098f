//! `tsunagu worker`: the background jobs. Each job lives in the crate whose data it touches
//! (email delivery in `tsunagu-mail`, 募集 reminders in community, …); this module only knows
//! their names and schedules ([`PERIODIC_JOBS`]) and runs them.
//!
//! Email is delivered on every wake-up: on `NOTIFY tsunagu_work` (sent when an email is
//! enqueued) or every few seconds. The periodic jobs run when their interval has passed. A job
//! that fails is logged and tried again at its next turn; it never stops the others.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;
use tsunagu_kernel::config::ServerConfig;
use tsunagu_kernel::{outbox, Db};
use tsunagu_mail::{deliver_due, Mailer};
use tsunagu_web::WebKit;

/// What a job may use.
pub struct JobContext {
    pub db: Db,
    pub mailer: Mailer,
    pub web: Arc<WebKit>,
    pub config: Arc<ServerConfig>,
}

/// A job's run: how many things it did (emails queued, rows cleaned, …), for the log.
pub type JobRun<'a> = Pin<Box<dyn Future<Output = anyhow::Result<usize>> + Send + 'a>>;

/// A job that runs at most once per `every`.
pub struct PeriodicJob {
    /// Its name in logs.
    pub name: &'static str,
    pub every: Duration,
    pub run: for<'a> fn(&'a JobContext) -> JobRun<'a>,
}

/// Every periodic job. A new job is a function in its crate and a line here (CONTRIBUTING.md).
pub const PERIODIC_JOBS: &[PeriodicJob] = &[
    PeriodicJob {
        name: "see_later_reminders",
        every: Duration::from_secs(3600),
        run: see_later_reminders,
    },
    // Every quarter of an hour, so a network's digest starts soon after its Monday morning and
    // a run cut short (a restart) resumes where it stopped; a finished week costs one lookup.
    // Reminders a day ahead: every quarter of an hour, so none is much later than 24 hours.
    PeriodicJob {
        name: "event_reminders",
        every: Duration::from_secs(900),
        run: event_reminders,
    },
    PeriodicJob {
        name: "weekly_digest",
        every: Duration::from_secs(900),
        run: weekly_digest,
    },
    // CSV imports whose run stopped (a restart): taken over once their lease has ended. A new
    // import starts at once in the server that confirmed it.
    PeriodicJob {
        name: "member_imports",
        every: Duration::from_secs(30),
        run: member_imports,
    },
    // The secretariat's dashboard: hourly, so today's figures are never more than an hour old.
    PeriodicJob {
        name: "engagement_rollups",
        every: Duration::from_secs(3600),
        run: engagement_rollups,
    },
];

fn member_imports(cx: &JobContext) -> JobRun<'_> {
    Box::pin(tsunagu_secretariat::import::run::run_pending(
        &cx.db, &cx.web, &cx.config,
    ))
}

fn engagement_rollups(cx: &JobContext) -> JobRun<'_> {
    Box::pin(tsunagu_insights::rollup::refresh_all(&cx.db))
}

fn event_reminders(cx: &JobContext) -> JobRun<'_> {
    Box::pin(tsunagu_events::jobs::send_reminders(
        &cx.db, &cx.web, &cx.config,
    ))
}

fn weekly_digest(cx: &JobContext) -> JobRun<'_> {
    Box::pin(tsunagu_digest::send_weekly_digests(
        &cx.db, &cx.web, &cx.config,
    ))
}

fn see_later_reminders(cx: &JobContext) -> JobRun<'_> {
    Box::pin(tsunagu_community::jobs::send_see_later_reminders(
        &cx.db, &cx.web, &cx.config,
    ))
}

/// How often the worker looks for due email without being woken.
const POLL: Duration = Duration::from_secs(5);

/// Runs until `shutdown` completes.
pub async fn run(cx: JobContext, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut listener = None;
    let mut next_runs = vec![Instant::now(); PERIODIC_JOBS.len()];
    loop {
        for (job, next) in PERIODIC_JOBS.iter().zip(next_runs.iter_mut()) {
            if Instant::now() < *next {
                continue;
            }
            match (job.run)(&cx).await {
                Ok(0) => {}
                Ok(done) => tracing::info!(job = job.name, done, "job ran"),
                Err(error) => {
                    tracing::error!(job = job.name, error = format!("{error:#}"), "job failed")
                }
            }
            *next = Instant::now() + job.every;
        }
        if listener.is_none() {
            listener = match outbox::listen(&cx.db).await {
                Ok(l) => Some(l),
                Err(error) => {
                    tracing::warn!(%error, "worker cannot LISTEN; polling only");
                    None
                }
            };
        }
        match deliver_due(&cx.db, &cx.mailer).await {
            Ok(0) => {}
            Ok(sent) => tracing::info!(sent, "emails delivered"),
            Err(error) => tracing::error!(error = format!("{error:#}"), "email delivery failed"),
        }
        let wake = async {
            match listener.as_mut() {
                Some(l) => l.recv().await.is_ok(),
                None => std::future::pending().await,
            }
        };
        tokio::select! {
            ok = wake => if !ok { listener = None; },
            _ = tokio::time::sleep(POLL) => {}
            _ = &mut shutdown => break,
        }
    }
    tracing::info!("worker stopped");
}
