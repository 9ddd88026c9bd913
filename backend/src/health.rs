//! `/healthz` (the process runs), `/readyz` (it can serve), and the `healthcheck` subcommand
//! that probes them from inside an image that has no curl or shell.

use std::time::Duration;

use axum::extract::State;
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;

use crate::{
    error::{Error, ErrorBody, Result},
    lifecycle::Lifecycle,
};

/// How long readiness waits for the database before calling it unreachable.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

#[derive(Debug, Serialize, ToSchema)]
pub struct Status {
    #[schema(example = "ok")]
    pub status: &'static str,
}

/// Liveness: 200 while the process runs; checks no dependency.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub async fn healthz() -> axum::Json<Status> {
    axum::Json(Status { status: "ok" })
}

/// Readiness: 200 when the database answers; 503 when it does not or shutdown has begun.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Status),
    (status = 503, description = "Database unreachable or shutting down", body = ErrorBody),
))]
pub async fn readyz(State(db): State<PgPool>, State(lifecycle): State<Lifecycle>) -> Result<axum::Json<Status>> {
    if lifecycle.is_shutting_down() {
        return Err(Error::NotReady("shutting down"));
    }
    let ping = sqlx::query_scalar!("select 1 as \"one!\"").fetch_one(&db);
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(axum::Json(Status { status: "ok" })),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            Err(Error::NotReady("database unreachable"))
        }
        Err(_) => {
            tracing::warn!("readiness: database check timed out");
            Err(Error::NotReady("database unreachable"))
        }
    }
}

/// GETs `url` and succeeds only on HTTP 200. Used by `todo-backend healthcheck [URL]`.
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
