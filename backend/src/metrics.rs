//! Prometheus metrics: requests by route and status, a latency histogram, database pool usage,
//! chat turns and tool calls.

use std::{sync::Arc, time::Instant};

use axum::{
    extract::{MatchedPath, Request, State},
    http::header,
    middleware::Next,
    response::{IntoResponse, Response},
};
use prometheus_client::{
    encoding::{EncodeLabelSet, text::encode},
    metrics::{counter::Counter, family::Family, gauge::Gauge, histogram::Histogram},
    registry::Registry,
};
use sqlx::PgPool;

use crate::{
    chat::{model::ToolCallRecord, tools},
    error::{Error, Result},
};

/// Route label for requests that matched no route, so random URLs cannot explode cardinality.
const UNMATCHED_ROUTE: &str = "unmatched";
/// Latency buckets in seconds, from 1 ms to 10 s.
const LATENCY_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TurnLabels {
    engine: &'static str,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ToolLabels {
    tool: String,
    outcome: &'static str,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    method: String,
    route: String,
}

/// The process's metric registry; one per application instance (no global recorder).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, fn() -> Histogram>,
    pool_connections: Gauge,
    pool_idle: Gauge,
    pool_max: Gauge,
    chat_turns: Family<TurnLabels, Counter>,
    tool_calls: Family<ToolLabels, Counter>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut registry = Registry::default();
        let requests = Family::<RequestLabels, Counter>::default();
        let latency: Family<RouteLabels, Histogram, fn() -> Histogram> =
            Family::new_with_constructor(|| Histogram::new(LATENCY_BUCKETS));
        let pool_connections = Gauge::default();
        let pool_idle = Gauge::default();
        let pool_max = Gauge::default();
        registry.register(
            "http_requests",
            "HTTP requests by method, route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by method and route",
            latency.clone(),
        );
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
        Self {
            registry,
            chat_turns,
            tool_calls,
            requests,
            latency,
            pool_connections,
            pool_idle,
            pool_max,
        }
    }

    fn observe(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let route = route.to_string();
        let method = method.to_string();
        self.requests
            .get_or_create(&RequestLabels {
                method: method.clone(),
                route: route.clone(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels { method, route })
            .observe(seconds);
    }

    /// Counts a finished chat turn and its tool calls. Tool names come from the model, so unknown
    /// ones share one label rather than growing the series.
    pub fn observe_turn(&self, engine: &'static str, ok: bool, calls: &[ToolCallRecord]) {
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

    fn render(&self, db: &PgPool) -> Result<String> {
        self.pool_connections.set(i64::from(db.size()));
        self.pool_idle.set(i64::try_from(db.num_idle()).unwrap_or(i64::MAX));
        self.pool_max.set(i64::from(db.options().get_max_connections()));
        let mut text = String::new();
        encode(&mut text, &self.registry).map_err(|err| Error::Internal(anyhow::anyhow!("encoding metrics: {err}")))?;
        Ok(text)
    }
}

/// Middleware: counts and times every request under its route template.
pub async fn track(State(metrics): State<Arc<Metrics>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().to_string();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| UNMATCHED_ROUTE.to_string(), |path| path.as_str().to_string());
    let response = next.run(request).await;
    metrics.observe(
        &method,
        &route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

/// Prometheus exposition of this process's metrics.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses(
    (status = 200, description = "Prometheus text format", content_type = "text/plain", body = String),
))]
pub async fn metrics(State(metrics): State<Arc<Metrics>>, State(db): State<PgPool>) -> Result<Response> {
    let text = metrics.render(&db)?;
    Ok((
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}
