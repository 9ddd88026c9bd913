//! The crate's one error type and its mapping to the contract's JSON error body.

use std::collections::BTreeMap;

use axum::{
    Json,
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Serialize;
use utoipa::ToSchema;

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Field name → what is wrong with it, for 422 responses.
pub(crate) type FieldErrors = BTreeMap<String, String>;

/// PostgreSQL text cannot hold U+0000, so every text input refuses it up front with this problem
/// rather than failing in the database.
pub(crate) const NUL_PROBLEM: &str = "must not contain NUL (U+0000) characters";

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("authentication required: send a valid bearer token")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("you can only access your own resources")]
    Forbidden,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("some fields are invalid")]
    Validation(FieldErrors),
    #[error("{0}")]
    InvalidBody(String),
    #[error("{0}")]
    InvalidQuery(String),
    #[error("the request body is not valid JSON: {0}")]
    MalformedJson(String),
    #[error("the request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("too many attempts; try again in {retry_after_secs} seconds")]
    TooManyRequests { retry_after_secs: u64 },
    #[error("the request took too long and was cancelled")]
    Timeout,
    #[error("no route for this path")]
    RouteNotFound,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The chat agent could not finish a turn; the message says what was already done.
    #[error("{message}")]
    Agent { code: &'static str, message: String },
    #[error("database error")]
    Database(#[from] sqlx::Error),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// Body of every error response: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ErrorDetail {
    /// Stable snake_case identifier clients can switch on.
    pub code: &'static str,
    /// Human-readable sentence.
    pub message: String,
    /// Per-field problems, present on validation errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fields: Option<FieldErrors>,
}

impl Error {
    pub(crate) fn status_code(&self) -> StatusCode {
        match self {
            Self::Unauthenticated | Self::InvalidCredentials => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::EmailTaken => StatusCode::CONFLICT,
            Self::Validation(_) | Self::InvalidBody(_) | Self::InvalidQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout => StatusCode::SERVICE_UNAVAILABLE,
            Self::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            Self::Agent { .. } => StatusCode::BAD_GATEWAY,
            Self::Database(_) | Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub(crate) fn code(&self) -> &'static str {
        match self {
            Self::Unauthenticated => "unauthorized",
            Self::InvalidCredentials => "invalid_credentials",
            Self::Forbidden => "forbidden",
            Self::NotFound(_) | Self::RouteNotFound => "not_found",
            Self::EmailTaken => "email_taken",
            Self::Validation(_) => "validation_failed",
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidQuery(_) => "invalid_query",
            Self::MalformedJson(_) => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::Timeout => "timeout",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Agent { code, .. } => code,
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    /// One field's problem as a validation error.
    pub(crate) fn field(name: &str, problem: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(name.to_owned(), problem.into())]))
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        // Internal causes are logged once, here, inside the request span; clients only see "internal".
        match &self {
            Self::Database(err) => tracing::error!(error = %err, "database error"),
            Self::Internal(err) => tracing::error!(error = format!("{err:#}"), "internal error"),
            _ => {}
        }
        let retry_after = match &self {
            Self::TooManyRequests { retry_after_secs } => Some(*retry_after_secs),
            _ => None,
        };
        let unauthenticated = matches!(self, Self::Unauthenticated);
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.to_string(),
                fields: match self {
                    Self::Validation(fields) => Some(fields),
                    _ => None,
                },
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if unauthenticated {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}
