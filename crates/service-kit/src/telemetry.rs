//! Logging setup: JSON lines on stdout in production, human-readable output for development.

use tracing_subscriber::{EnvFilter, fmt, layer::SubscriberExt, util::SubscriberInitExt};

use crate::config::{LogFormat, Logging};

/// Installs the global subscriber. Falls back to `info` when the filter does not parse.
pub fn init(logging: &Logging) {
    let filter = EnvFilter::try_new(&logging.log_filter).unwrap_or_else(|_| EnvFilter::new("info"));
    let registry = tracing_subscriber::registry().with(filter);
    let result = match logging.log_format {
        LogFormat::Json => registry
            .with(
                fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_span_list(false),
            )
            .try_init(),
        LogFormat::Pretty => registry.with(fmt::layer().compact()).try_init(),
    };
    if let Err(err) = result {
        tracing::warn!(error = %err, "a tracing subscriber was already installed");
    }
}
