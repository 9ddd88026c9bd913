//! `/readyz` with the backend as the dependency (`/healthz` is `service_kit::health::healthz`).

use axum::{Json, extract::State};
use service_kit::{Lifecycle, health::Status};

use crate::backend_client::BackendClient;

/// Readiness: 200 when the backend answers; 503 when it does not or shutdown has begun.
pub(crate) async fn readyz(
    State(backend): State<BackendClient>,
    State(lifecycle): State<Lifecycle>,
) -> Result<Json<Status>, service_kit::Error> {
    let backend_reachable = async {
        backend.reachable().await.map_err(|problem| {
            tracing::warn!(problem, "readiness: backend unreachable");
            "backend unreachable"
        })
    };
    service_kit::health::readiness(&lifecycle, backend_reachable).await
}
