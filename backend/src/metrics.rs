//! Prometheus metrics: the HTTP families every service has (`service_kit::metrics`), database pool
//! usage, chat turns and tool calls, and tool calls over MCP.

use std::{sync::Arc, time::Duration};

use axum::{extract::State, response::Response};
use prometheus_client::{
    encoding::EncodeLabelSet,
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
};
use service_kit::metrics::HttpMetrics;
use sqlx::PgPool;

use crate::{
    auth::sessions::SessionChecks,
    chat::{model::ToolCallRecord, tools},
};

/// Latency buckets in seconds, from 1 ms to 10 s.
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TurnLabels {
    engine: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SessionCheckLabels {
    answered_from: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolNameLabel {
    tool: String,
}

fn latency_histogram() -> Histogram {
    Histogram::new(LATENCY_BUCKETS.iter().copied())
}

/// The process's metrics: the shared registry with the HTTP families, plus the backend's own.
#[derive(Debug)]
pub(crate) struct Metrics {
    shared: service_kit::metrics::Metrics,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    chat_turns: Family<TurnLabels, Counter>,
    tool_calls: Family<ToolLabels, Counter>,
    mcp_tool_calls: Family<ToolLabels, Counter>,
    mcp_tool_seconds: Family<ToolNameLabel, Histogram, fn() -> Histogram>,
    session_checks: Family<SessionCheckLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut shared =
            service_kit::metrics::Metrics::new(LATENCY_BUCKETS, "HTTP request latency by method and route");
        let registry = shared.registry_mut();
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Idle database connections",
            pool_idle.clone(),
        );
        registry.register(
            "db_pool_max_connections",
            "Configured database pool size",
            pool_max.clone(),
        );
        let chat_turns = Family::<TurnLabels, Counter>::default();
        let tool_calls = Family::<ToolLabels, Counter>::default();
        registry.register(
            "chat_turns",
            "Chat turns by engine and outcome (ok, failed)",
            chat_turns.clone(),
        );
        registry.register(
            "chat_tool_calls",
            "Agent tool calls by tool and outcome (ok, error)",
            tool_calls.clone(),
        );
        let mcp_tool_calls = Family::<ToolLabels, Counter>::default();
        let mcp_tool_seconds: Family<ToolNameLabel, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(latency_histogram);
        registry.register(
            "mcp_tool_calls",
            "Tool calls over MCP by tool and outcome (ok, error)",
            mcp_tool_calls.clone(),
        );
        registry.register(
            "mcp_tool_call_duration_seconds",
            "Time to run a tool called over MCP, by tool",
            mcp_tool_seconds.clone(),
        );
        let session_checks = Family::<SessionCheckLabels, Counter>::default();
        registry.register(
            "auth_session_checks",
            "Session checks of authenticated requests, by where the answer came from (memory, database)",
            session_checks.clone(),
        );
        Self {
            shared,
            pool_connections,
            pool_idle,
            pool_max,
            chat_turns,
            tool_calls,
            mcp_tool_calls,
            mcp_tool_seconds,
            session_checks,
        }
    }

    /// The counters the session check increments.
    pub(crate) fn session_checks(&self) -> SessionChecks {
        let counter = |answered_from| {
            self.session_checks
                .get_or_create(&SessionCheckLabels { answered_from })
                .clone()
        };
        SessionChecks {
            memory: counter("memory"),
            database: counter("database"),
        }
    }

    /// The families the request middleware records into.
    pub(crate) fn http(&self) -> HttpMetrics {
        self.shared.http()
    }

    /// Counts a finished chat turn and its tool calls. Tool names come from the model, so unknown
    /// ones share one label rather than growing the series.
    pub(crate) fn observe_turn(&self, engine: &'static str, ok: bool, calls: &[ToolCallRecord]) {
        let outcome = if ok { "ok" } else { "failed" };
        self.chat_turns.get_or_create(&TurnLabels { engine, outcome }).inc();
        for call in calls {
            let tool = if tools::is_tool(&call.tool) {
                call.tool.clone()
            } else {
                "unknown".into()
            };
            let outcome = if call.result.get("error").is_some() {
                "error"
            } else {
                "ok"
            };
            self.tool_calls.get_or_create(&ToolLabels { tool, outcome }).inc();
        }
    }

    /// Counts one tool call over MCP and how long it ran; names that are not tools share one label.
    pub(crate) fn observe_mcp_call(&self, tool: &str, ok: bool, elapsed: Duration) {
        let tool = if tools::is_tool(tool) { tool } else { "unknown" };
        let outcome = if ok { "ok" } else { "error" };
        self.mcp_tool_calls
            .get_or_create(&ToolLabels {
                tool: tool.to_owned(),
                outcome,
            })
            .inc();
        self.mcp_tool_seconds
            .get_or_create(&ToolNameLabel { tool: tool.to_owned() })
            .observe(elapsed.as_secs_f64());
    }

    fn sample_pool(&self, db: &PgPool) {
        self.pool_connections.set(i64::from(db.size()));
        self.pool_idle.set(i64::try_from(db.num_idle()).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(db.options().get_max_connections()));
    }
}

/// Prometheus exposition of this process's metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
))]
pub(crate) async fn metrics(
    State(metrics): State<Arc<Metrics>>,
    State(db): State<PgPool>,
) -> Result<Response, service_kit::Error> {
    metrics.sample_pool(&db);
    metrics.shared.exposition()
}
