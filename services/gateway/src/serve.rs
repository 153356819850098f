//! Running the HTTP server: bind, serve with the peer address (for the trusted-proxy rule), and
//! shut down gracefully on SIGTERM / Ctrl-C, letting in-flight requests finish.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tsunagu_kernel::config::ServerConfig;

use tsunagu_web::AppState;

pub async fn run(config: ServerConfig) -> anyhow::Result<()> {
    let listen = config.listen;
    let redis_url = config.redis_url.expose().to_owned();
    let environment = config.environment;
    let embedded_worker = match std::env::var("TSUNAGU_EMBEDDED_WORKER").ok().as_deref() {
        None | Some("") => environment == tsunagu_kernel::config::Environment::Development,
        Some("true") => true,
        Some("false") => false,
        Some(other) => {
            anyhow::bail!("TSUNAGU_EMBEDDED_WORKER: {other:?} is not one of: true, false")
        }
    };
    let mailer = if embedded_worker {
        Some(tsunagu_mail::mailer_from_env(
            environment,
            &config.base_domain,
        )?)
    } else {
        None
    };
    let state = AppState::connect(config, &crate::FEATURES).await?;
    // The console's administration and the Stripe webhook write staff accounts, tenants and
    // billing as tsunagu_platform, on a pool of their own (docs/CONSOLE.md "Administration",
    // docs/BILLING.md).
    match tsunagu_kernel::config::platform_database_url_from(&|k| std::env::var(k).ok()) {
        Ok(url) => match tsunagu_kernel::Db::connect(url.expose(), 2).await {
            Ok(db) => {
                let _ = state.platform_db.set(db);
            }
            Err(error) => tracing::warn!(
                %error,
                                "console administration and Stripe webhooks are off: cannot connect as tsunagu_platform \
                 (PLATFORM_DATABASE_URL, or TSUNAGU_PLATFORM_DB_PASSWORD with DATABASE_URL)"
            ),
        },
        Err(error) => tracing::warn!(%error, "console administration and Stripe webhooks are off"),
    }
    state.registry.spawn_invalidation_listener(redis_url);
    if let Some(mailer) = mailer {
        // Development convenience: one process serves and delivers. Production runs
        // `tsunagu worker` separately.
        tracing::info!(
            dev_outbox = mailer.is_dev_outbox(),
            "running the worker in-process"
        );
        tokio::spawn(crate::worker::run(
            crate::worker::JobContext {
                db: state.db.clone(),
                mailer,
                web: state.web.clone(),
                config: state.config.clone(),
            },
            std::future::pending(),
        ));
    }
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("TSUNAGU_LISTEN: cannot listen on {listen}"))?;
    tracing::info!(address = %listen, base_domain = %state.config.base_domain, "listening");
    serve(listener, state, shutdown_signal()).await
}

/// Serves `state` on `listener` until `shutdown` completes. Tests call this with port 0.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let db = state.db.clone();
    let streams = state.clone();
    let app = crate::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async move {
        shutdown.await;
        // Open event streams never end by themselves; a graceful shutdown waits for them.
        tsunagu_messages::live::close_streams(&streams);
    })
    .await
    .context("server error")?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
