//! `tsunagu preflight`: before `just dev` or `just test` do anything slow, check that PostgreSQL
//! and Redis answer at the configured addresses, and say which one is missing and how to point
//! us at it.

use std::time::Duration;

use sqlx::postgres::PgConnectOptions;
use sqlx::ConnectOptions;

pub async fn check(admin_url: &str, redis_url: &str) -> Result<(), Vec<String>> {
    let mut problems = Vec::new();
    match admin_url.parse::<PgConnectOptions>() {
        Err(e) => problems.push(format!(
            "ADMIN_DATABASE_URL is not a valid PostgreSQL URL: {e}"
        )),
        Ok(options) => {
            let target = tsunagu_kernel::migrate::describe(&options);
            let attempt = tokio::time::timeout(
                Duration::from_secs(5),
                options.database("postgres").connect(),
            )
            .await;
            match attempt {
                Ok(Ok(_)) => {}
                Ok(Err(e)) => problems.push(format!(
                    "PostgreSQL is not reachable at {target} ({e}). Start PostgreSQL 15+ or set ADMIN_DATABASE_URL=postgres://USER:PASSWORD@HOST:PORT/tsunagu (a role that may create roles and databases)."
                )),
                Err(_) => problems.push(format!(
                    "PostgreSQL at {target} did not answer within 5 s. Start it or set ADMIN_DATABASE_URL."
                )),
            }
        }
    }
    let redis_target = redis_url.rsplit('@').next().unwrap_or(redis_url).to_owned();
    let redis_check = async {
        let client = redis::Client::open(redis_url)?;
        let mut conn = client.get_multiplexed_async_connection().await?;
        redis::cmd("PING").query_async::<String>(&mut conn).await
    };
    match tokio::time::timeout(Duration::from_secs(5), redis_check).await {
        Ok(Ok(_)) => {}
        Ok(Err(e)) => problems.push(format!(
            "Redis is not reachable at {redis_target} ({e}). Start Redis 7+ or set REDIS_URL=redis://HOST:PORT."
        )),
        Err(_) => problems.push(format!(
            "Redis at {redis_target} did not answer within 5 s. Start it or set REDIS_URL."
        )),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
