//! The crate's one error type: what the shared endpoints answer when they cannot answer 200.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde_json::json;

/// An answer other than 200 from a shared endpoint.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Readiness refused: shutdown has begun or a dependency is unreachable.
    #[error("not ready: {0}")]
    NotReady(&'static str),
    /// The metric registry could not be written out.
    #[error("internal error")]
    Metrics(#[from] std::fmt::Error),
}

impl Error {
    /// 503 when not ready, 500 otherwise.
    pub fn status_code(&self) -> StatusCode {
        match self {
            Self::NotReady(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Metrics(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The contract's `snake_case` error code.
    pub fn code(&self) -> &'static str {
        match self {
            Self::NotReady(_) => "not_ready",
            Self::Metrics(_) => "internal",
        }
    }
}

/// The contract's error body, `{"error": {"code", "message"}}`, as the backend's own errors have it.
impl IntoResponse for Error {
    fn into_response(self) -> Response {
        if let Self::Metrics(err) = &self {
            tracing::error!(error = %err, "cannot encode metrics");
        }
        let body = json!({"error": {"code": self.code(), "message": self.to_string()}});
        (self.status_code(), Json(body)).into_response()
    }
}
