//! `/healthz` and `/readyz` as the OpenAPI document describes them; the answers themselves come
//! from `service_kit::health`, readiness with the database as the dependency.

use std::time::Duration;

use axum::{Json, extract::State};
use service_kit::{Lifecycle, health::Status};
use sqlx::PgPool;

use crate::error::ErrorBody;

/// How long readiness waits for the database before calling it unreachable.
const DATABASE_CHECK_TIMEOUT: Duration = Duration::from_secs(2);

/// Liveness: 200 while the process runs; checks no dependency.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, body = Status)))]
pub(crate) async fn healthz() -> Json<Status> {
    service_kit::health::healthz().await
}

/// Readiness: 200 when the database answers; 503 when it does not or shutdown has begun.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, body = Status),
    (status = 503, description = "Database unreachable or shutting down", body = ErrorBody),
))]
pub(crate) async fn readyz(
    State(db): State<PgPool>,
    State(lifecycle): State<Lifecycle>,
) -> Result<Json<Status>, service_kit::Error> {
    service_kit::health::readiness(&lifecycle, database_reachable(&db)).await
}

async fn database_reachable(db: &PgPool) -> Result<(), &'static str> {
    let ping = sqlx::query_scalar!("select 1 as \"one!\"").fetch_one(db);
    match tokio::time::timeout(DATABASE_CHECK_TIMEOUT, ping).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(err)) => {
            tracing::warn!(error = %err, "readiness: database unreachable");
            Err("database unreachable")
        }
        Err(_) => {
            tracing::warn!("readiness: database check timed out");
            Err("database unreachable")
        }
    }
}
