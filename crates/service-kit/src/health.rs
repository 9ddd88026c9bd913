//! `/healthz` (the process runs), `/readyz` (it can serve), and the probe behind the `healthcheck`
//! subcommand, which checks them from inside an image that has no curl or shell.

use std::time::Duration;

use axum::Json;
use serde::Serialize;

use crate::{error::Error, lifecycle::Lifecycle};

/// How long the `healthcheck` subcommand waits for an answer.
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// The body of a healthy answer: `{"status": "ok"}`.
#[derive(Debug, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Status {
    /// Always `ok`.
    #[cfg_attr(feature = "openapi", schema(example = "ok"))]
    pub status: &'static str,
}

const OK: Status = Status { status: "ok" };

/// Liveness: 200 while the process runs; checks no dependency.
pub async fn healthz() -> Json<Status> {
    Json(OK)
}

/// Readiness: 503 from the moment shutdown begins; otherwise 200 when `dependency` (the service's
/// own check) succeeds and 503 with its reason when it does not.
pub async fn readiness(
    lifecycle: &Lifecycle,
    dependency: impl Future<Output = Result<(), &'static str>>,
) -> Result<Json<Status>, Error> {
    if lifecycle.is_shutting_down() {
        return Err(Error::NotReady("shutting down"));
    }
    dependency.await.map_err(Error::NotReady)?;
    Ok(Json(OK))
}

/// GETs `url` and succeeds only on HTTP 200.
pub async fn probe(url: &str) -> Result<(), String> {
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        .build()
        .map_err(|err| format!("cannot build HTTP client: {err}"))?;
    let response = client.get(url).send().await.map_err(|err| format!("{url}: {err}"))?;
    match response.status() {
        reqwest::StatusCode::OK => Ok(()),
        status => Err(format!("{url}: HTTP {status}")),
    }
}
