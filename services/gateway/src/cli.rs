//! The command line: `tsunagu serve | migrate | tenant apply <path> | seed demo | preflight`.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Parser, Subcommand};
use tsunagu_kernel::config::{self, AdminConfig, LogFormat, ServerConfig};
use tsunagu_kernel::Db;
use tsunagu_tenancy::config_file::{self, ApplyOutcome};

#[derive(Parser, Debug)]
#[command(
    name = "tsunagu",
    version,
    about = "Tsunagu: corporate alumni networks"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Serve every site (apex, console, tenants) over HTTP.
    Serve,
    /// Create the database roles and the database if missing, then run pending migrations
    /// (uses ADMIN_DATABASE_URL).
    Migrate,
    /// Declarative tenants.
    Tenant {
        #[command(subcommand)]
        command: TenantCommand,
    },
    /// Development data.
    Seed {
        #[command(subcommand)]
        command: SeedCommand,
    },
    /// Deliver the email outbox and run the periodic jobs until stopped.
    Worker,
    /// Build this week's digest emails now (the worker does it from Monday 08:00 network time);
    /// members already sent this week's digest are skipped. Prints what it did.
    Digest {
        /// Only this network (slug).
        #[arg(long)]
        tenant: Option<String>,
        /// Act as if it were this moment (RFC 3339), e.g. to build a past week's digest.
        #[arg(long)]
        at: Option<String>,
    },
    /// Roll up the secretariat dashboard's figures now (the worker does it every hour): first
    /// contacts since the last run, the recent days and the survey and event rates.
    Insights {
        /// Only this network (slug).
        #[arg(long)]
        tenant: Option<String>,
        /// Act as if it were this moment (RFC 3339).
        #[arg(long)]
        at: Option<String>,
    },
    /// Platform staff accounts for the console.
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Check that PostgreSQL and Redis are reachable and say how to fix it if not.
    Preflight,
}

#[derive(Subcommand, Debug)]
pub enum StaffCommand {
    /// Create (or update) a staff account. The password is read from TSUNAGU_STAFF_PASSWORD or,
    /// if unset, from the first line of standard input.
    Create {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// cs (customer success) or admin
        #[arg(long, default_value = "cs")]
        role: String,
    },
    /// Turn a staff member's two-factor sign-in off (a lost device); they set it up again at
    /// their next sign-in where it is required.
    Reset2fa {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand, Debug)]
pub enum TenantCommand {
    /// Validate and apply tenant-config files (a file or a directory of *.toml). All or nothing.
    /// Settings a secretariat saved in the app (branding, sign-up, switches, email defaults) are
    /// kept and listed; `--take-file` applies the files' values to them and hands them back.
    Apply {
        path: PathBuf,
        /// Apply the files' values also to sections edited in the app, which become the files'.
        #[arg(long)]
        take_file: bool,
    },
    /// Validate tenant-config files without touching the database.
    Check { path: PathBuf },
}

#[derive(Subcommand, Debug)]
pub enum SeedCommand {
    /// Content for the demo tenants (idempotent).
    Demo,
    /// Volume for benchmarks: one large tenant among many small ones (fresh database only).
    Scale {
        #[command(flatten)]
        options: tsunagu_demo::scale::ScaleOptions,
    },
}

fn env_or(var: &str, default: &str) -> String {
    std::env::var(var)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_owned())
}

/// A pool as tsunagu_platform, for the commands that write the platform's own tables.
async fn platform_db() -> anyhow::Result<Db> {
    let url = config::platform_database_url_from(&|k| std::env::var(k).ok())?;
    Db::connect(url.expose(), 2).await.context(
        "PLATFORM_DATABASE_URL: cannot connect to PostgreSQL as tsunagu_platform (did `tsunagu migrate` run? \
         set PLATFORM_DATABASE_URL, or TSUNAGU_PLATFORM_DB_PASSWORD for the URL derived from DATABASE_URL)",
    )
}

async fn app_db() -> anyhow::Result<Db> {
    let url = config::app_database_url_from(&|k| std::env::var(k).ok())?;
    Db::connect(url.expose(), 2).await.context(
        "DATABASE_URL: cannot connect to PostgreSQL as tsunagu_app (did `tsunagu migrate` run?)",
    )
}

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Serve => {
            let config = ServerConfig::from_env()?;
            tsunagu_kernel::telemetry::init(config.log_format);
            crate::serve::run(config).await
        }
        Command::Migrate => {
            tsunagu_kernel::telemetry::init(LogFormat::Text);
            let admin = AdminConfig::from_env()?;
            tsunagu_kernel::migrate::setup_database(
                &admin.admin_database_url,
                admin.app_password.as_ref(),
                admin.platform_password.as_ref(),
            )
            .await?;
            println!("database ready: roles checked, migrations applied");
            Ok(())
        }
        Command::Tenant {
            command: TenantCommand::Check { path },
        } => match config_file::load_declarations(&path) {
            Ok(declarations) => {
                println!("{} tenant file(s) valid", declarations.len());
                Ok(())
            }
            Err(errors) => Err(config_file::ApplyError::Invalid(errors).into()),
        },
        Command::Tenant {
            command: TenantCommand::Apply { path, take_file },
        } => {
            // Validate before connecting: a bad file is reported even with no database.
            let declarations =
                config_file::load_declarations(&path).map_err(config_file::ApplyError::Invalid)?;
            let db = platform_db().await?;
            let options = config_file::ApplyOptions { take_file };
            let report = config_file::apply_declarations_with(&db, &declarations, options).await?;
            for (slug, outcome) in &report.results {
                println!("  {slug}: {outcome:?}");
            }
            for kept in &report.kept {
                println!(
                    "  {}: kept [{}] as the secretariat saved it in the app on {} (the file differs; \
                     `tenant apply --take-file` applies the file's)",
                    kept.slug, kept.section, kept.edited_at
                );
            }
            println!(
                "tenant-config applied: {} created, {} updated, {} unchanged",
                report.count(ApplyOutcome::Created),
                report.count(ApplyOutcome::Updated),
                report.count(ApplyOutcome::Unchanged)
            );
            if report.count(ApplyOutcome::Unchanged) < report.results.len() {
                announce_tenant_changes(&report).await;
            }
            Ok(())
        }
        Command::Seed {
            command: SeedCommand::Scale { options },
        } => {
            tsunagu_kernel::telemetry::init(LogFormat::Text);
            let db = app_db().await?;
            let platform = platform_db().await?;
            let report = tsunagu_demo::scale::seed_scale(&db, &platform, &options).await?;
            println!(
                "scale data: {} tenants (large: {}), loaded in {:.1} s",
                report.tenants,
                report.large_tenant.unwrap_or_default(),
                report.seconds
            );
            Ok(())
        }
        Command::Seed {
            command: SeedCommand::Demo,
        } => {
            let db = app_db().await?;
            let report = tsunagu_demo::seed::seed_demo(&db).await?;
            println!(
                "demo content: seeded {:?}, already present {:?}",
                report.seeded, report.skipped
            );
            tsunagu_demo::seed::seed_demo_accounts(&db, &platform_db().await?).await?;
            tsunagu_demo::seed::seed_demo_community(&db).await?;
            tsunagu_demo::surveys::seed_demo_surveys(&db).await?;
            tsunagu_demo::messages::seed_demo_messages(&db).await?;
            tsunagu_demo::events::seed_demo_events(&db).await?;
            println!("demo accounts (development only):");
            for line in tsunagu_demo::seed::demo_account_lines() {
                println!("  {line}");
            }
            Ok(())
        }
        Command::Worker => {
            let config = ServerConfig::from_env()?;
            tsunagu_kernel::telemetry::init(config.log_format);
            let mailer = tsunagu_mail::mailer_from_env(config.environment, &config.base_domain)?;
            let db = Db::connect(config.database_url.expose(), 4).await?;
            tracing::info!(dev_outbox = mailer.is_dev_outbox(), "worker started");
            let web = tsunagu_web::WebKit::new(crate::TEMPLATES).map_err(anyhow::Error::from)?;
            crate::worker::run(
                crate::worker::JobContext {
                    db,
                    mailer,
                    web: std::sync::Arc::new(web),
                    config: std::sync::Arc::new(config),
                },
                async {
                    let _ = tokio::signal::ctrl_c().await;
                },
            )
            .await;
            Ok(())
        }
        Command::Staff {
            command: StaffCommand::Create { email, name, role },
        } => {
            let email = tsunagu_identity::forms::EmailAddress::parse(&email)
                .map_err(|_| anyhow::anyhow!("--email: {email:?} is not an email address"))?;
            if !matches!(role.as_str(), "cs" | "admin") {
                anyhow::bail!("--role: {role:?} is not one of: cs, admin");
            }
            let password = match std::env::var("TSUNAGU_STAFF_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let password = tsunagu_identity::forms::password(&password).map_err(|_| {
                anyhow::anyhow!(
                    "the password must be {} to {} characters",
                    tsunagu_identity::password::MIN_LENGTH,
                    tsunagu_identity::password::MAX_LENGTH
                )
            })?;
            let hash = tsunagu_identity::password::hash(password).await?;
            let db = platform_db().await?;
            let mut tx = db.begin_platform().await?;
            tsunagu_console::queries::upsert_staff(&mut tx, &email, name.trim(), &hash, &role)
                .await?;
            tx.commit().await?;
            println!("staff account ready: {}", email.address);
            Ok(())
        }
        Command::Staff {
            command: StaffCommand::Reset2fa { email },
        } => {
            let email = tsunagu_identity::forms::EmailAddress::parse(&email)
                .map_err(|_| anyhow::anyhow!("--email: {email:?} is not an email address"))?;
            let db = platform_db().await?;
            let mut tx = db.begin_platform().await?;
            let reset = tsunagu_console::queries::reset_totp(&mut tx, &email.normalized).await?;
            tx.commit().await?;
            if !reset {
                anyhow::bail!(
                    "no staff account {} with two-factor sign-in on",
                    email.address
                );
            }
            println!("two-factor sign-in reset for {}", email.address);
            Ok(())
        }
        Command::Insights { tenant, at } => {
            let config = ServerConfig::from_env()?;
            let now = parse_at(at)?;
            let db = Db::connect(config.database_url.expose(), 2).await?;
            let started = std::time::Instant::now();
            let run = tsunagu_insights::rollup::run(&db, now, tenant.as_deref()).await?;
            println!(
                "insights: {} networks, {} days, {} pairs in {:.1} s",
                run.networks,
                run.days,
                run.contacts,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Digest { tenant, at } => {
            let config = ServerConfig::from_env()?;
            let now = parse_at(at)?;
            let db = Db::connect(config.database_url.expose(), 2).await?;
            let web = tsunagu_web::WebKit::new(crate::TEMPLATES).map_err(anyhow::Error::from)?;
            let started = std::time::Instant::now();
            let run = tsunagu_digest::run(&db, &web, &config, now, tenant.as_deref()).await?;
            println!(
                "digest: {} networks, {} members, {} emails in {:.1} s",
                run.networks,
                run.members,
                run.sent,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Preflight => {
            let admin = env_or(
                "ADMIN_DATABASE_URL",
                "postgres://postgres@127.0.0.1:5432/tsunagu",
            );
            let redis = env_or("REDIS_URL", "redis://127.0.0.1:6379");
            match crate::preflight::check(&admin, &redis).await {
                Ok(()) => {
                    println!("PostgreSQL and Redis are reachable");
                    Ok(())
                }
                Err(problems) => anyhow::bail!(problems.join("\n")),
            }
        }
    }
}

/// Tells running servers to drop cached tenants. Best effort: without Redis the caches expire
/// on their own within a minute.
async fn announce_tenant_changes(report: &config_file::ApplyReport) {
    let Some(url) = std::env::var("REDIS_URL").ok().filter(|u| !u.is_empty()) else {
        return;
    };
    let Ok(pool) = tsunagu_web::state::redis_pool(&url) else {
        return;
    };
    for (slug, outcome) in &report.results {
        if *outcome != ApplyOutcome::Unchanged {
            if let Err(error) = tsunagu_tenancy::registry::publish_invalidation(&pool, slug).await {
                eprintln!("warning: could not notify running servers over Redis ({error}); they refresh within a minute");
                return;
            }
        }
    }
}

/// `--at` as an instant (RFC 3339), or now.
fn parse_at(at: Option<String>) -> anyhow::Result<time::OffsetDateTime> {
    match at {
        Some(at) => {
            time::OffsetDateTime::parse(&at, &time::format_description::well_known::Rfc3339)
                .map_err(|e| anyhow::anyhow!("--at {at}: not an RFC 3339 time ({e})"))
        }
        None => Ok(time::OffsetDateTime::now_utc()),
    }
}
