//! Configuration, read once from the environment into typed values. Every variable is documented in
//! the README and `.env.example`. A missing or invalid value stops start-up with one line that names
//! the variable and what is wrong with it ([`ConfigError`]).

use std::fmt;
use std::net::{IpAddr, SocketAddr};

use ipnet::IpNet;

/// What is wrong with one variable. Displays as `VARIABLE: reason`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{var}: {reason}")]
pub struct ConfigError {
    pub var: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(var: &'static str, reason: impl Into<String>) -> Self {
        Self {
            var,
            reason: reason.into(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Text,
    Json,
}

/// A secret string that never prints.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// Everything `tsunagu serve` needs.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    pub environment: Environment,
    /// PostgreSQL as `tsunagu_app` (never the owner: RLS must apply).
    pub database_url: Secret,
    pub database_pool_size: u32,
    pub redis_url: Secret,
    /// Tenants live at `{slug}.{base_domain}`; the apex serves the landing page.
    pub base_domain: String,
    pub listen: SocketAddr,
    /// The port users reach us on (`TSUNAGU_PUBLIC_PORT`), for absolute links such as those in
    /// emails. `None`: the scheme's standard port, so links carry no port.
    pub public_port: Option<u16>,
    /// Peers whose `X-Forwarded-Host` / `X-Forwarded-For` are believed.
    pub trusted_proxies: Vec<IpNet>,
    /// Key material for signing (sessions, CSRF, tokens). At least 32 bytes.
    pub secret_key: Secret,
    /// True when users reach us over https (cookies get `Secure`).
    pub https: bool,
    pub log_format: LogFormat,
    /// Where uploaded images are kept, under `tenants/<tenant id>/…`.
    pub data_dir: std::path::PathBuf,
    /// Benchmarks only (`TSUNAGU_BENCH_RLS_BYPASS=true`): accept a connection as
    /// [`BENCH_RLS_BYPASS_ROLE`], which bypasses row-level security, to price RLS. Refused in
    /// production.
    pub bench_rls_bypass: bool,
    /// `TSUNAGU_FEED_CACHE` (default true): keep each tenant's newest timeline posts, rendered,
    /// in the process (checked against a version in Redis on every request). `false` reads and
    /// renders the timeline afresh on every request; the benchmark uses it to price the cache
    /// and row-level security on the uncached path.
    pub feed_cache: bool,
    /// `TSUNAGU_STAFF_2FA_REQUIRED` (default: true in production, false in development): console
    /// staff must sign in with a TOTP code, and those without one enrol before anything else.
    pub staff_two_factor_required: bool,
    /// Stripe (docs/BILLING.md): `None` when `STRIPE_SECRET_KEY` is not set, and then the
    /// billing page says payments are not set up on this server.
    pub stripe: Option<StripeConfig>,
}

/// The environment variables holding the paid plans' Stripe price ids (`stripe_price_env` in
/// `services/tenancy/plans.toml`; a unit test there keeps the two lists in step).
pub const STRIPE_PRICE_VARIABLES: &[&str] = &["STRIPE_PRICE_STANDARD", "STRIPE_PRICE_ENTERPRISE"];

/// How this server talks to Stripe.
#[derive(Clone, Debug)]
pub struct StripeConfig {
    /// `STRIPE_SECRET_KEY` (`sk_test_…` in test mode).
    pub secret_key: Secret,
    /// `STRIPE_WEBHOOK_SECRET` (`whsec_…`): webhook payloads are signed with it.
    pub webhook_secret: Secret,
    /// `STRIPE_API_BASE`: Stripe's API unless set (tests point it at the stand-in server).
    pub api_base: Option<String>,
    /// Price ids by the name of their variable (`STRIPE_PRICE_STANDARD` → `price_…`).
    pub prices: Vec<(String, String)>,
}

impl StripeConfig {
    /// The price id in `variable`, if set.
    pub fn price(&self, variable: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(name, _)| name == variable)
            .map(|(_, price)| price.as_str())
    }

    /// The variable whose price id is `price`, if any.
    pub fn variable_of_price(&self, price: &str) -> Option<&str> {
        self.prices
            .iter()
            .find(|(_, id)| id == price)
            .map(|(name, _)| name.as_str())
    }
}

fn stripe_config(lookup: Lookup) -> Result<Option<StripeConfig>, ConfigError> {
    let Some(secret_key) = get(lookup, "STRIPE_SECRET_KEY") else {
        return Ok(None);
    };
    let webhook_secret = require(
        lookup,
        "STRIPE_WEBHOOK_SECRET",
        "with STRIPE_SECRET_KEY set, webhooks must be verified (the whsec_… of the endpoint)",
    )?;
    let prices = STRIPE_PRICE_VARIABLES
        .iter()
        .filter_map(|&name| get(lookup, name).map(|price| (name.to_owned(), price)))
        .collect();
    Ok(Some(StripeConfig {
        secret_key: Secret::new(secret_key),
        webhook_secret: Secret::new(webhook_secret),
        api_base: get(lookup, "STRIPE_API_BASE"),
        prices,
    }))
}

/// The only role the server accepts with BYPASSRLS, and only with `TSUNAGU_BENCH_RLS_BYPASS`.
/// `just bench` creates it in its own database's cluster, gives it a fresh password for each run
/// and takes its LOGIN away afterwards.
pub const BENCH_RLS_BYPASS_ROLE: &str = "tsunagu_bench_rls_bypass";

/// Everything `tsunagu migrate` needs.
#[derive(Clone, Debug)]
pub struct AdminConfig {
    /// A role that may create roles and databases (a superuser in development).
    pub admin_database_url: Secret,
    /// When set, `tsunagu migrate` sets this as the `tsunagu_app` password.
    pub app_password: Option<Secret>,
    /// When set, `tsunagu migrate` sets this as the `tsunagu_platform` password.
    pub platform_password: Option<Secret>,
}

type Lookup<'a> = &'a dyn Fn(&str) -> Option<String>;

fn get(lookup: Lookup, var: &'static str) -> Option<String> {
    lookup(var)
        .map(|v| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

fn require(lookup: Lookup, var: &'static str, what: &str) -> Result<String, ConfigError> {
    get(lookup, var).ok_or_else(|| ConfigError::new(var, format!("is not set; {what}")))
}

fn postgres_url(lookup: Lookup, var: &'static str, what: &str) -> Result<Secret, ConfigError> {
    let url = require(lookup, var, what)?;
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(ConfigError::new(
            var,
            "must be a postgres:// URL, e.g. postgres://tsunagu_app@127.0.0.1:5432/tsunagu",
        ));
    }
    Ok(Secret::new(url))
}

/// Reads the URL of the PostgreSQL role that migrates (`ADMIN_DATABASE_URL`).
pub fn admin_from(lookup: Lookup) -> Result<AdminConfig, ConfigError> {
    Ok(AdminConfig {
        admin_database_url: postgres_url(
            lookup,
            "ADMIN_DATABASE_URL",
            "the PostgreSQL URL of a role that may create roles and databases, e.g. postgres://postgres@127.0.0.1:5432/tsunagu",
        )?,
                app_password: get(lookup, "TSUNAGU_APP_DB_PASSWORD").map(Secret::new),
        platform_password: get(lookup, "TSUNAGU_PLATFORM_DB_PASSWORD").map(Secret::new),
    })
}

impl AdminConfig {
    pub fn from_env() -> Result<Self, ConfigError> {
        admin_from(&|k| std::env::var(k).ok())
    }
}

/// Reads the database URL the app connects with (`DATABASE_URL`), e.g. for CLI commands that only
/// touch data as `tsunagu_app`.
pub fn app_database_url_from(lookup: Lookup) -> Result<Secret, ConfigError> {
    postgres_url(
        lookup,
        "DATABASE_URL",
        "the PostgreSQL URL the app connects with as tsunagu_app, e.g. postgres://tsunagu_app@127.0.0.1:5432/tsunagu",
    )
}

/// The URL for writes to the platform's own tables (tenants, custom domains, staff accounts), as
/// `tsunagu_platform`: `PLATFORM_DATABASE_URL`, or else `DATABASE_URL` with that role's name and
/// `TSUNAGU_PLATFORM_DB_PASSWORD` (no password when unset, as with local trust authentication).
pub fn platform_database_url_from(lookup: Lookup) -> Result<Secret, ConfigError> {
    if get(lookup, "PLATFORM_DATABASE_URL").is_some() {
        return postgres_url(
            lookup,
            "PLATFORM_DATABASE_URL",
            "the PostgreSQL URL for platform writes as tsunagu_platform",
        );
    }
    let app = app_database_url_from(lookup)?;
    let (scheme, rest) = app
        .expose()
        .split_once("://")
        .ok_or_else(|| ConfigError::new("DATABASE_URL", "must be a postgres:// URL"))?;
    let host_and_database = rest.rsplit_once('@').map_or(rest, |(_, after)| after);
    let credentials = match get(lookup, "TSUNAGU_PLATFORM_DB_PASSWORD") {
        Some(password) => format!(
            "tsunagu_platform:{}",
            percent_encoding::utf8_percent_encode(&password, percent_encoding::NON_ALPHANUMERIC)
        ),
        None => "tsunagu_platform".to_owned(),
    };
    Ok(Secret::new(format!(
        "{scheme}://{credentials}@{host_and_database}"
    )))
}

/// Validates a DNS name used as the base domain: lowercase labels of letters, digits and hyphens.
pub fn parse_base_domain(value: &str) -> Result<String, String> {
    let domain = value.trim().trim_end_matches('.').to_ascii_lowercase();
    if domain.is_empty() || domain.len() > 200 {
        return Err("must be a domain name such as localhost or tsunagu.example".into());
    }
    for label in domain.split('.') {
        let ok = !label.is_empty()
            && label.len() <= 63
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
        if !ok {
            return Err(format!(
                "{value:?} is not a domain name (letters, digits, hyphens and dots only)"
            ));
        }
    }
    Ok(domain)
}

pub fn parse_trusted_proxies(value: &str) -> Result<Vec<IpNet>, String> {
    value
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|item| {
            item.parse::<IpNet>()
                .or_else(|_| item.parse::<IpAddr>().map(IpNet::from))
                .map_err(|_| format!("{item:?} is not an IP address or CIDR range"))
        })
        .collect()
}

impl ServerConfig {
    /// `scheme://{slug}.{base}[:port]`, the tenant's public origin: the one source of every
    /// absolute link (emails, from a request or from the worker). Never derived from a request's
    /// `Host`, which the visitor chooses.
    pub fn tenant_origin(&self, slug: &str) -> String {
        self.origin_of(&format!("{slug}.{}", self.base_domain))
    }

    /// `scheme://{base}[:port]`, the apex site's public origin (where companies sign up).
    pub fn apex_origin(&self) -> String {
        self.origin_of(&self.base_domain)
    }

    fn origin_of(&self, host: &str) -> String {
        let scheme = if self.https { "https" } else { "http" };
        let standard = if self.https { 443 } else { 80 };
        match self.public_port.filter(|port| *port != standard) {
            Some(port) => format!("{scheme}://{host}:{port}"),
            None => format!("{scheme}://{host}"),
        }
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(&|k| std::env::var(k).ok())
    }

    pub fn from_lookup(lookup: Lookup) -> Result<Self, ConfigError> {
        let environment = match get(lookup, "TSUNAGU_ENV").as_deref() {
            None | Some("development") => Environment::Development,
            Some("production") => Environment::Production,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_ENV",
                    format!("{other:?} is not one of: development, production"),
                ))
            }
        };
        let database_url = app_database_url_from(lookup)?;
        let database_pool_size = match get(lookup, "TSUNAGU_DB_POOL_SIZE") {
            None => 10,
            Some(v) => v
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=500).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(
                        "TSUNAGU_DB_POOL_SIZE",
                        format!("{v:?} is not a number from 1 to 500"),
                    )
                })?,
        };
        let redis_url = require(
            lookup,
            "REDIS_URL",
            "the Redis URL, e.g. redis://127.0.0.1:6379",
        )?;
        if !(redis_url.starts_with("redis://") || redis_url.starts_with("rediss://")) {
            return Err(ConfigError::new(
                "REDIS_URL",
                "must be a redis:// or rediss:// URL",
            ));
        }
        let base_domain = match get(lookup, "TSUNAGU_BASE_DOMAIN") {
            None => "localhost".to_owned(),
            Some(v) => {
                parse_base_domain(&v).map_err(|r| ConfigError::new("TSUNAGU_BASE_DOMAIN", r))?
            }
        };
        let listen = match get(lookup, "TSUNAGU_LISTEN") {
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
            Some(v) => v.parse().map_err(|_| {
                ConfigError::new(
                    "TSUNAGU_LISTEN",
                    format!("{v:?} is not an address:port such as 127.0.0.1:8080"),
                )
            })?,
        };
        let public_port =
            match get(lookup, "TSUNAGU_PUBLIC_PORT") {
                Some(v) => Some(v.parse::<u16>().ok().filter(|port| *port != 0).ok_or_else(
                    || {
                        ConfigError::new(
                            "TSUNAGU_PUBLIC_PORT",
                            format!("{v:?} is not a port number from 1 to 65535"),
                        )
                    },
                )?),
                // Development is reached directly on the listen port; production sits behind a load
                // balancer on the standard port. Port 0 (pick any) says nothing about either.
                None if environment == Environment::Development => {
                    Some(listen.port()).filter(|port| *port != 0)
                }
                None => None,
            };
        let trusted_proxies = match get(lookup, "TSUNAGU_TRUSTED_PROXIES") {
            None => Vec::new(),
            Some(v) => parse_trusted_proxies(&v)
                .map_err(|r| ConfigError::new("TSUNAGU_TRUSTED_PROXIES", r))?,
        };
        let secret_key =
            match get(lookup, "TSUNAGU_SECRET_KEY") {
                Some(v) if v.len() >= 32 => Secret::new(v),
                Some(_) => {
                    return Err(ConfigError::new(
                        "TSUNAGU_SECRET_KEY",
                        "must be at least 32 characters (try: openssl rand -hex 32)",
                    ))
                }
                None if environment == Environment::Development => {
                    // Development only: a per-process key, so nothing secret is ever committed.
                    Secret::new(format!(
                        "{}{}",
                        uuid::Uuid::new_v4().simple(),
                        uuid::Uuid::new_v4().simple()
                    ))
                }
                None => return Err(ConfigError::new(
                    "TSUNAGU_SECRET_KEY",
                    "is not set; required when TSUNAGU_ENV=production (try: openssl rand -hex 32)",
                )),
            };
        let https = match get(lookup, "TSUNAGU_PUBLIC_SCHEME").as_deref() {
            None => environment == Environment::Production,
            Some("https") => true,
            Some("http") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_PUBLIC_SCHEME",
                    format!("{other:?} is not one of: http, https"),
                ))
            }
        };
        let log_format = match get(lookup, "TSUNAGU_LOG_FORMAT").as_deref() {
            None | Some("text") => LogFormat::Text,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_LOG_FORMAT",
                    format!("{other:?} is not one of: text, json"),
                ))
            }
        };
        let data_dir = std::path::PathBuf::from(
            get(lookup, "TSUNAGU_DATA_DIR").unwrap_or_else(|| "data".to_owned()),
        );
        let bench_rls_bypass = match get(lookup, "TSUNAGU_BENCH_RLS_BYPASS").as_deref() {
            None | Some("false") => false,
            Some("true") if environment == Environment::Production => {
                return Err(ConfigError::new(
                    "TSUNAGU_BENCH_RLS_BYPASS",
                    "is for benchmarks only and refused when TSUNAGU_ENV=production",
                ))
            }
            Some("true") => true,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_BENCH_RLS_BYPASS",
                    format!("{other:?} is not one of: true, false"),
                ))
            }
        };
        let feed_cache = match get(lookup, "TSUNAGU_FEED_CACHE").as_deref() {
            None | Some("true") => true,
            Some("false") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_FEED_CACHE",
                    format!("{other:?} is not one of: true, false"),
                ))
            }
        };
        let staff_two_factor_required = match get(lookup, "TSUNAGU_STAFF_2FA_REQUIRED").as_deref() {
            None => environment == Environment::Production,
            Some("true") => true,
            Some("false") if environment == Environment::Production => {
                return Err(ConfigError::new(
                    "TSUNAGU_STAFF_2FA_REQUIRED",
                    "cannot be false when TSUNAGU_ENV=production",
                ))
            }
            Some("false") => false,
            Some(other) => {
                return Err(ConfigError::new(
                    "TSUNAGU_STAFF_2FA_REQUIRED",
                    format!("{other:?} is not one of: true, false"),
                ))
            }
        };
        let stripe = stripe_config(lookup)?;
        Ok(Self {
            bench_rls_bypass,
            feed_cache,
            staff_two_factor_required,
            stripe,
            data_dir,
            environment,
            database_url,
            database_pool_size,
            redis_url: Secret::new(redis_url),
            base_domain,
            listen,
            public_port,
            trusted_proxies,
            secret_key,
            https,
            log_format,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(vars: &[(&str, &str)]) -> Result<ServerConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        ServerConfig::from_lookup(&move |k| map.get(k).cloned())
    }

    const MINIMAL: [(&str, &str); 2] = [
        ("DATABASE_URL", "postgres://tsunagu_app@127.0.0.1/tsunagu"),
        ("REDIS_URL", "redis://127.0.0.1:6379"),
    ];

    #[test]
    fn the_platform_url_is_its_own_or_the_apps_as_tsunagu_platform() {
        let url = |vars: &[(&str, &str)]| {
            let map: HashMap<String, String> = vars
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            platform_database_url_from(&move |k| map.get(k).cloned()).map(|s| s.expose().to_owned())
        };
        assert_eq!(
            url(&[("DATABASE_URL", "postgres://tsunagu_app:pw@db:5432/tsunagu")]).unwrap(),
            "postgres://tsunagu_platform@db:5432/tsunagu"
        );
        assert_eq!(
            url(&[
                ("DATABASE_URL", "postgres://tsunagu_app@db/tsunagu"),
                ("TSUNAGU_PLATFORM_DB_PASSWORD", "p@ss word"),
            ])
            .unwrap(),
            "postgres://tsunagu_platform:p%40ss%20word@db/tsunagu"
        );
        assert_eq!(
            url(&[
                ("DATABASE_URL", "postgres://tsunagu_app@db/tsunagu"),
                ("PLATFORM_DATABASE_URL", "postgres://other@elsewhere/x"),
            ])
            .unwrap(),
            "postgres://other@elsewhere/x"
        );
        assert!(url(&[]).is_err());
    }

    #[test]
    fn minimal_environment_gives_development_defaults() {
        let config = load(&MINIMAL).unwrap();
        assert_eq!(config.base_domain, "localhost");
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert!(!config.https);
        assert!(config.secret_key.expose().len() >= 32);
    }

    #[test]
    fn missing_database_url_names_the_variable() {
        let err = load(&[("REDIS_URL", "redis://x")]).unwrap_err();
        assert_eq!(err.var, "DATABASE_URL");
        assert!(err.to_string().starts_with("DATABASE_URL: is not set"));
    }

    #[test]
    fn invalid_values_are_refused_with_the_reason() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_LISTEN", "eighty"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_LISTEN");

        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_TRUSTED_PROXIES", "10.0.0.0/8, nonsense"));
        let err = load(&vars).unwrap_err();
        assert_eq!(err.var, "TSUNAGU_TRUSTED_PROXIES");
        assert!(err.reason.contains("nonsense"));

        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_BASE_DOMAIN", "bad_domain!"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_BASE_DOMAIN");

        let vars = [("DATABASE_URL", "mysql://x"), ("REDIS_URL", "redis://x")];
        assert_eq!(load(&vars).unwrap_err().var, "DATABASE_URL");
    }

    #[test]
    fn production_requires_a_secret_key_and_https_by_default() {
        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_ENV", "production"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_SECRET_KEY");
        vars.push(("TSUNAGU_SECRET_KEY", "0123456789abcdef0123456789abcdef"));
        assert!(load(&vars).unwrap().https);
    }

    #[test]
    fn the_benchmark_rls_bypass_is_refused_in_production() {
        let mut vars = MINIMAL.to_vec();
        assert!(!load(&vars).unwrap().bench_rls_bypass);
        vars.push(("TSUNAGU_BENCH_RLS_BYPASS", "true"));
        assert!(load(&vars).unwrap().bench_rls_bypass);
        vars.push(("TSUNAGU_ENV", "production"));
        vars.push(("TSUNAGU_SECRET_KEY", "0123456789abcdef0123456789abcdef"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_BENCH_RLS_BYPASS");
    }

    #[test]
    fn staff_two_factor_is_required_in_production_and_optional_in_development() {
        let mut vars = MINIMAL.to_vec();
        assert!(!load(&vars).unwrap().staff_two_factor_required);
        vars.push(("TSUNAGU_STAFF_2FA_REQUIRED", "true"));
        assert!(load(&vars).unwrap().staff_two_factor_required);
        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_STAFF_2FA_REQUIRED", "maybe"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_STAFF_2FA_REQUIRED");
    }

    #[test]
    fn the_feed_cache_is_on_unless_turned_off() {
        let mut vars = MINIMAL.to_vec();
        assert!(load(&vars).unwrap().feed_cache);
        vars.push(("TSUNAGU_FEED_CACHE", "false"));
        assert!(!load(&vars).unwrap().feed_cache);
        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_FEED_CACHE", "off"));
        assert_eq!(load(&vars).unwrap_err().var, "TSUNAGU_FEED_CACHE");
    }

    #[test]
    fn tenant_links_use_the_public_port() {
        let config = load(&MINIMAL).unwrap();
        assert_eq!(config.tenant_origin("demo"), "http://demo.localhost:8080");

        let mut vars = MINIMAL.to_vec();
        vars.push(("TSUNAGU_LISTEN", "127.0.0.1:0"));
        let config = load(&vars).unwrap();
        assert_eq!(
            config.public_port, None,
            "port 0 is not where anyone reaches us"
        );
        assert_eq!(config.tenant_origin("demo"), "http://demo.localhost");
        vars.push(("TSUNAGU_PUBLIC_PORT", "8443"));
        assert_eq!(
            load(&vars).unwrap().tenant_origin("demo"),
            "http://demo.localhost:8443"
        );

        let mut vars = MINIMAL.to_vec();
        vars.extend([
            ("TSUNAGU_ENV", "production"),
            ("TSUNAGU_SECRET_KEY", "0123456789abcdef0123456789abcdef"),
            ("TSUNAGU_BASE_DOMAIN", "tsunagu.example"),
        ]);
        let config = load(&vars).unwrap();
        assert_eq!(config.tenant_origin("acme"), "https://acme.tsunagu.example");
        vars.push(("TSUNAGU_PUBLIC_PORT", "443"));
        assert_eq!(
            load(&vars).unwrap().tenant_origin("acme"),
            "https://acme.tsunagu.example",
            "the standard port is left out"
        );
        vars.pop();
        vars.push(("TSUNAGU_PUBLIC_PORT", "8443"));
        assert_eq!(
            load(&vars).unwrap().tenant_origin("acme"),
            "https://acme.tsunagu.example:8443"
        );

        for bad in ["0", "65536", "https", "-1"] {
            let mut vars = MINIMAL.to_vec();
            vars.push(("TSUNAGU_PUBLIC_PORT", bad));
            let err = load(&vars).unwrap_err();
            assert_eq!(err.var, "TSUNAGU_PUBLIC_PORT", "{bad}");
            assert!(err.reason.contains(bad), "{}", err.reason);
        }
    }

    #[test]
    fn trusted_proxies_accept_addresses_and_ranges() {
        let nets = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8,::1").unwrap();
        assert_eq!(nets.len(), 3);
        assert!(nets[1].contains(&"10.1.2.3".parse::<IpAddr>().unwrap()));
    }

    #[test]
    fn secrets_do_not_print() {
        let config = load(&MINIMAL).unwrap();
        assert!(!format!("{config:?}").contains("tsunagu_app@"));
    }
}
