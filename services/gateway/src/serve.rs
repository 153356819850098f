//! Running the HTTP server: bind, serve with the peer address (for the trusted-proxy rule), and
//! shut down gracefully on SIGTERM / Ctrl-C, letting in-flight requests finish.

use std::net::SocketAddr;

use anyhow::Context as _;
use tokio::net::TcpListener;
use tsunagu_kernel::config::ServerConfig;

use crate::state::AppState;

pub async fn run(config: ServerConfig) -> anyhow::Result<()> {
    let listen = config.listen;
    let redis_url = config.redis_url.expose().to_owned();
    let state = AppState::connect(config).await?;
    state.registry.spawn_invalidation_listener(redis_url);
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
    let app = crate::router(state);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(shutdown)
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
