//! `/mcp` at the UI's address: MCP requests are passed to the backend's endpoint as they are, so an
//! assistant needs only the address people already open (on kind `http://localhost:8080/mcp`) and
//! the cluster needs no route to the backend from outside. The backend checks the origin and the
//! token; this only carries bytes, streaming the answer back as it arrives.

use axum::{
    Json,
    body::{Body, Bytes},
    extract::State,
    http::{HeaderMap, Method, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde_json::json;

use crate::backend_client::{BackendClient, Caller};

/// Response headers that describe the backend's connection rather than the answer.
const HOP_BY_HOP: [header::HeaderName; 5] = [
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::TRAILER,
    header::UPGRADE,
];

/// Any method: the backend decides what it serves (POST) and what it refuses.
pub(crate) async fn forward(
    State(backend): State<BackendClient>,
    caller: Caller,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match backend.forward_mcp(&caller, method, &headers, body).await {
        Ok(answer) => {
            let mut response = Response::builder().status(answer.status());
            for (name, value) in answer.headers() {
                if !HOP_BY_HOP.contains(name) {
                    response = response.header(name, value);
                }
            }
            response
                .body(Body::from_stream(answer.bytes_stream()))
                .unwrap_or_else(|_| unavailable())
        }
        Err(err) => {
            tracing::warn!(error = %err, "MCP request could not reach the backend");
            unavailable()
        }
    }
}

/// What an MCP client gets when the backend cannot be reached: JSON, like every answer of the endpoint.
fn unavailable() -> Response {
    let body = json!({"error": {"code": "backend_unavailable", "message": "the task service is unreachable; try again shortly"}});
    (StatusCode::BAD_GATEWAY, Json(body)).into_response()
}
