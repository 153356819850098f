//! `tsunagu-bench`: the benchmark harness (see docs/benchmarks.md and docs/PERFORMANCE.md).
//!
//! * `run` — everything `just bench` does: database, servers, checks, loads, report.
//! * `serve-fortunes` — one of the two Fortunes baselines.
//! * `load` — one closed- or open-loop load against a running server, printed as JSON.

mod fortunes;
mod load;
mod report;
mod run;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};

/// The server's allocator here too, so both baselines (and the load generator) run on the same
/// allocator as the app they are compared with.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser, Debug)]
#[command(name = "tsunagu-bench", about = "Tsunagu's benchmark harness")]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Stack {
    /// axum + sqlx + tera (our own stack).
    Axum,
    /// hyper + tokio-postgres (pipelined) + a hand-compiled template.
    Lean,
}

#[derive(Subcommand, Debug)]
enum Cmd {
    /// Prepare the benchmark database, start the servers, load every scenario, write the report.
    Run {
        /// The `tsunagu` server binary (release build for real figures).
        #[arg(long, default_value = "target/release/tsunagu")]
        server: PathBuf,
        /// Where the Markdown report goes.
        #[arg(long, default_value = "docs/benchmarks.md")]
        out: PathBuf,
        /// Also write the figures as JSON here.
        #[arg(long)]
        json: Option<PathBuf>,
        /// Tiny data and sub-second loads in a throw-away database (proves the harness works).
        #[arg(long)]
        smoke: bool,
        /// Drop and reload the benchmark database even if it holds the right data.
        #[arg(long)]
        fresh: bool,
        /// Database connections per server.
        #[arg(long, default_value_t = 10)]
        pool: u32,
        /// Load only these scenarios (comma-separated keys, e.g. `timeline_large,fortunes_axum`)
        /// for a quick look while working; budgets that need the others read as missed.
        /// `noisy_neighbour` selects the noisy-neighbour rounds (with `timeline_large`, whose
        /// rate they use).
        #[arg(long, value_delimiter = ',')]
        only: Vec<String>,
    },
    /// Serve a Fortunes baseline at /fortunes.
    ServeFortunes {
        #[arg(long, value_enum)]
        stack: Stack,
        #[arg(long)]
        listen: SocketAddr,
        #[arg(long, env = "DATABASE_URL")]
        database_url: String,
        #[arg(long, default_value_t = 10)]
        pool: u32,
    },
    /// Load a running server and print the outcome as JSON.
    Load {
        #[arg(long)]
        addr: SocketAddr,
        /// The Host header (e.g. scale-large.localhost).
        #[arg(long)]
        host: String,
        #[arg(long, default_value = "/")]
        path: String,
        /// A Cookie header, for signed-in pages.
        #[arg(long)]
        cookie: Option<String>,
        #[arg(long, default_value_t = 64)]
        connections: usize,
        /// Requests per second in all: open loop. Without it: closed loop.
        #[arg(long)]
        rate: Option<f64>,
        #[arg(long, default_value_t = 2.0)]
        warmup: f64,
        #[arg(long, default_value_t = 10.0)]
        duration: f64,
    },
}

async fn interrupted() -> anyhow::Result<()> {
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result?,
        _ = terminate.recv() => {}
    }
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    match cli.command {
        Cmd::Run {
            server,
            out,
            json,
            smoke,
            fresh,
            pool,
            only,
        } => {
            let runtime = tokio::runtime::Runtime::new()?;
            let options = run::RunOptions {
                smoke,
                server,
                fresh,
                pool,
                only,
            };
            let report = runtime.block_on(async {
                // On Ctrl-C or SIGTERM the run is dropped, and with it the servers it started.
                tokio::select! {
                    report = run::run(options) => report,
                    signal = interrupted() => {
                        signal?;
                        anyhow::bail!("interrupted: the servers were stopped, no report written")
                    }
                }
            })?;
            std::fs::write(&out, report::markdown(&report))
                .with_context(|| format!("cannot write {}", out.display()))?;
            if let Some(json) = json {
                std::fs::write(&json, serde_json::to_string_pretty(&report)?)
                    .with_context(|| format!("cannot write {}", json.display()))?;
            }
            eprintln!("\nwrote {} ({:.1} min)", out.display(), report.minutes);
            for budget in &report.budgets {
                eprintln!(
                    "  {:<70} {:>10.3}  {:<9} {}",
                    budget.name,
                    budget.value,
                    budget.target,
                    if budget.pass { "met" } else { "MISSED" }
                );
            }
            Ok(())
        }
        Cmd::ServeFortunes {
            stack,
            listen,
            database_url,
            pool,
        } => {
            let runtime = tokio::runtime::Runtime::new()?;
            runtime.block_on(async move {
                match stack {
                    Stack::Axum => fortunes::serve_axum(listen, &database_url, pool).await,
                    Stack::Lean => fortunes::serve_lean(listen, &database_url, pool).await,
                }
            })
        }
        Cmd::Load {
            addr,
            host,
            path,
            cookie,
            connections,
            rate,
            warmup,
            duration,
        } => {
            let plan = load::Plan {
                mode: match rate {
                    Some(rate) if rate > 0.0 => load::Mode::Open { rate },
                    Some(_) => anyhow::bail!("--rate must be above 0"),
                    None => load::Mode::Closed,
                },
                connections: connections.max(1),
                warmup: Duration::from_secs_f64(warmup.max(0.0)),
                duration: Duration::from_secs_f64(duration.max(0.1)),
            };
            let target = load::Target {
                addr,
                host,
                path,
                cookie,
                posts: Vec::new(),
            };
            let runtime = tokio::runtime::Runtime::new()?;
            let outcome = runtime.block_on(load::run_on_own_thread(target, plan))?;
            println!("{}", serde_json::to_string_pretty(&outcome)?);
            Ok(())
        }
    }
}
