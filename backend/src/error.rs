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

/// What clients are asked to wait while the database is unreachable.
pub(crate) const DATABASE_RETRY_AFTER_SECS: u64 = 5;

/// Marks a response whose request found the database unreachable (see [`crate::database`]).
#[derive(Debug, Clone, Copy)]
pub(crate) struct DatabaseWentDown;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("authentication required: send a valid bearer token")]
    Unauthenticated,
    #[error("invalid email or password")]
    InvalidCredentials,
    #[error("you can only access your own resources")]
    Forbidden,
    /// Access tokens cannot manage access tokens: a leaked one must not be able to mint more.
    #[error("sign in to manage access tokens; an access token cannot do that")]
    SessionRequired,
    /// A browser page of a site not on `MCP_ALLOWED_ORIGINS` tried to reach the MCP endpoint.
    #[error("requests from this origin are not allowed")]
    OriginNotAllowed,
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error(
        "the assistant is still answering an earlier message in this conversation; send yours when that reply has finished"
    )]
    TurnInProgress,
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
    /// Over one of the user's quotas (crate::quotas); the message says which.
    #[error("{message}")]
    QuotaExceeded {
        message: String,
        retry_after_secs: Option<u64>,
    },
    /// Too much work of this kind is already queued (password hashing).
    #[error("the server is busy; try again in {retry_after_secs} seconds")]
    Busy { retry_after_secs: u64 },
    #[error("the request took too long and was cancelled")]
    Timeout,
    #[error("no route for this path")]
    RouteNotFound,
    #[error("this method is not allowed here")]
    MethodNotAllowed,
    /// The chat agent could not finish a turn; the message says what was already done.
    #[error("{message}")]
    Agent { code: &'static str, message: String },
    /// The database cannot be reached: `Some` the failure just seen, `None` when it was already
    /// known to be down and the request was not even tried.
    #[error("the database is unavailable right now; try again in a few seconds")]
    DatabaseUnavailable(Option<sqlx::Error>),
    #[error("database error")]
    Database(sqlx::Error),
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
            Self::Forbidden | Self::SessionRequired | Self::OriginNotAllowed => StatusCode::FORBIDDEN,
            Self::NotFound(_) | Self::RouteNotFound => StatusCode::NOT_FOUND,
            Self::EmailTaken | Self::TurnInProgress => StatusCode::CONFLICT,
            Self::Validation(_) | Self::InvalidBody(_) | Self::InvalidQuery(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::MalformedJson(_) => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::TooManyRequests { .. } | Self::QuotaExceeded { .. } => StatusCode::TOO_MANY_REQUESTS,
            Self::Timeout | Self::Busy { .. } | Self::DatabaseUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
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
            Self::SessionRequired => "session_required",
            Self::OriginNotAllowed => "origin_not_allowed",
            Self::NotFound(_) | Self::RouteNotFound => "not_found",
            Self::EmailTaken => "email_taken",
            Self::TurnInProgress => "turn_in_progress",
            Self::Validation(_) => "validation_failed",
            Self::InvalidBody(_) => "invalid_body",
            Self::InvalidQuery(_) => "invalid_query",
            Self::MalformedJson(_) => "malformed_json",
            Self::UnsupportedMediaType => "unsupported_media_type",
            Self::PayloadTooLarge => "payload_too_large",
            Self::TooManyRequests { .. } => "too_many_requests",
            Self::QuotaExceeded { .. } => "quota_exceeded",
            Self::Busy { .. } => "busy",
            Self::DatabaseUnavailable(_) => "database_unavailable",
            Self::Timeout => "timeout",
            Self::MethodNotAllowed => "method_not_allowed",
            Self::Agent { code, .. } => code,
            Self::Database(_) | Self::Internal(_) => "internal",
        }
    }

    /// Seconds the client should wait before trying again, for `Retry-After`.
    fn retry_after_secs(&self) -> Option<u64> {
        match self {
            Self::TooManyRequests { retry_after_secs } | Self::Busy { retry_after_secs } => Some(*retry_after_secs),
            Self::QuotaExceeded { retry_after_secs, .. } => *retry_after_secs,
            Self::DatabaseUnavailable(_) => Some(DATABASE_RETRY_AFTER_SECS),
            _ => None,
        }
    }

    /// One field's problem as a validation error.
    pub(crate) fn field(name: &str, problem: impl Into<String>) -> Self {
        Self::Validation(BTreeMap::from([(name.to_owned(), problem.into())]))
    }
}

/// A database that cannot be reached is a 503 to retry, not an internal error.
impl From<sqlx::Error> for Error {
    fn from(err: sqlx::Error) -> Self {
        if is_unreachable(&err) {
            Self::DatabaseUnavailable(Some(err))
        } else {
            Self::Database(err)
        }
    }
}

/// Failures of the connection rather than of the statement: no connection could be had in time,
/// the socket broke, or the server said it is shutting down, starting or out of connections.
pub(crate) fn is_unreachable(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(db) => db
            .code()
            .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "53300")),
        _ => false,
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        let status = self.status_code();
        // Internal causes are logged once, here, inside the request span; clients only see "internal".
        match &self {
            Self::Database(err) => tracing::error!(error = %err, "database error"),
            Self::DatabaseUnavailable(Some(err)) => tracing::warn!(error = %err, "database unavailable"),
            Self::Internal(err) => tracing::error!(error = format!("{err:#}"), "internal error"),
            _ => {}
        }
        let went_down = matches!(self, Self::DatabaseUnavailable(Some(_)));
        let retry_after = self.retry_after_secs();
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
        if went_down {
            response.extensions_mut().insert(DatabaseWentDown);
        }
        response
    }
}
