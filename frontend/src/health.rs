//! `/healthz` (the process runs), `/readyz` (the backend answers), and the `healthcheck`
//! subcommand that probes them from inside an image that has no curl or shell.

use std::time::Duration;

use axum::{Json, extract::State, http::StatusCode};
use serde_json::{Value, json};

use crate::{backend_client::BackendClient, lifecycle::Lifecycle};

/// Liveness: 200 while the process runs; checks no dependency.
pub async fn healthz() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

/// Readiness: 200 when the backend answers; 503 when it does not or shutdown has begun.
pub async fn readyz(
    State(backend): State<BackendClient>,
    State(lifecycle): State<Lifecycle>,
) -> (StatusCode, Json<Value>) {
    let problem = if lifecycle.is_shutting_down() {
        Some("shutting down")
    } else if !backend.reachable().await {
        tracing::warn!("readiness: backend unreachable");
        Some("backend unreachable")
    } else {
        None
    };
    match problem {
        None => (StatusCode::OK, Json(json!({"status": "ok"}))),
        Some(reason) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": {"code": "not_ready", "message": format!("not ready: {reason}")}})),
        ),
    }
}

/// GETs `url` and succeeds only on HTTP 200. Used by `todo-frontend healthcheck [URL]`.
pub async fn probe(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .map_err(|err| format!("cannot build HTTP client: {err}"))?;
    let response = client.get(url).send().await.map_err(|err| format!("{url}: {err}"))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url}: HTTP {status}")),
    }
}
