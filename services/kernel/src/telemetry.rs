//! Tracing set-up: human-readable lines in development, JSON lines when `TSUNAGU_LOG_FORMAT=json`.
//! The filter comes from `RUST_LOG` (default `info`). Never log emails, tokens, passwords or
//! payment payloads; see docs/LOGGING.md for field names.

use tracing_subscriber::{fmt, EnvFilter};

use crate::config::LogFormat;

/// Installs the global subscriber. Safe to call more than once (later calls are ignored), which
/// tests rely on.
pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = fmt().with_env_filter(filter).with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .try_init(),
        LogFormat::Text => builder.compact().try_init(),
    };
}
