//! Database set-up with the admin connection: roles (`deploy/sql/roles.sql`), the database itself
//! when missing, then the sqlx migrations run as `tsunagu_owner` so that the owner, not the admin,
//! owns every object and `tsunagu_app` only gets the grants the migrations give it.

use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{ConnectOptions, Connection, Executor};

use crate::config::Secret;

pub static MIGRATOR: Migrator = sqlx::migrate!("../../migrations");

/// The idempotent role script, embedded so the binary needs no psql.
pub const ROLES_SQL: &str = include_str!("../../../deploy/sql/roles.sql");

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error("cannot connect to PostgreSQL at {target} (ADMIN_DATABASE_URL): {source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("{0}")]
    Sql(#[from] sqlx::Error),
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("ADMIN_DATABASE_URL: {0}")]
    Url(String),
}

/// `host:port/db` of a URL, for messages (never the password).
pub fn describe(options: &PgConnectOptions) -> String {
    format!(
        "{}:{}/{}",
        options.get_host(),
        options.get_port(),
        options.get_database().unwrap_or("(default)")
    )
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, MigrateError> {
    options
        .connect()
        .await
        .map_err(|source| MigrateError::Connect {
            target: describe(options),
            source,
        })
}

/// Creates the roles, the database (if missing) and runs every pending migration.
pub async fn setup_database(
    admin_url: &Secret,
    app_password: Option<&Secret>,
    platform_password: Option<&Secret>,
) -> Result<(), MigrateError> {
    let options: PgConnectOptions = admin_url
        .expose()
        .parse()
        .map_err(|e: sqlx::Error| MigrateError::Url(e.to_string()))?;
    let database = options
        .get_database()
        .ok_or_else(|| MigrateError::Url("names no database (add /tsunagu to the URL)".into()))?
        .to_owned();

    // Roles are cluster-wide and the target database may not exist yet: use the maintenance db.
    let mut maintenance = connect(&options.clone().database("postgres")).await?;
    maintenance.execute(ROLES_SQL).await?;
    for (role, password) in [
        ("tsunagu_app", app_password),
        ("tsunagu_platform", platform_password),
    ] {
        let Some(password) = password else { continue };
        // Parameters are not allowed in ALTER ROLE; quote the literal with PostgreSQL's own function.
        let quoted: String = sqlx::query_scalar("select quote_literal($1)")
            .bind(password.expose())
            .fetch_one(&mut maintenance)
            .await?;
        maintenance
            .execute(format!("alter role {role} password {quoted}").as_str())
            .await?;
    }
    create_database_if_missing(&mut maintenance, &database, None).await?;
    maintenance.close().await?;

    let mut conn = connect(&options).await?;
    migrate_as_owner(&mut conn).await?;
    conn.close().await?;
    Ok(())
}

/// `create database … owner tsunagu_owner` unless it exists; optionally from a template.
pub async fn create_database_if_missing(
    maintenance: &mut PgConnection,
    database: &str,
    template: Option<&str>,
) -> Result<(), MigrateError> {
    let exists: bool =
        sqlx::query_scalar("select exists (select 1 from pg_database where datname = $1)")
            .bind(database)
            .fetch_one(&mut *maintenance)
            .await?;
    if !exists {
        let template = template
            .map(|t| format!(" template {}", quote_ident(t)))
            .unwrap_or_default();
        maintenance
            .execute(
                format!(
                    "create database {} owner tsunagu_owner{template}",
                    quote_ident(database)
                )
                .as_str(),
            )
            .await?;
    }
    Ok(())
}

/// Runs the migrations with the owner's identity on an admin connection.
pub async fn migrate_as_owner(conn: &mut PgConnection) -> Result<(), MigrateError> {
    // A role switch for this maintenance connection only (not a tenant setting): objects created
    // by the migrations are then owned by tsunagu_owner.
    conn.execute("set role tsunagu_owner").await?;
    MIGRATOR.run(&mut *conn).await?;
    conn.execute("reset role").await?;
    Ok(())
}

/// Quotes an SQL identifier (database names are not parameters).
pub fn quote_ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}
