//! `/api/{user_id}/access-tokens`: create (the token is in that answer only), list, revoke. Only a
//! session may manage tokens, so a leaked access token cannot mint or hide others.

use axum::{
    extract::{FromRequestParts, State},
    http::{HeaderValue, StatusCode, header, request::Parts},
    response::{IntoResponse, Response},
};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    secret,
    store::{self, AccessToken},
};
use crate::{
    app::AppState,
    auth::extract::{Credential, UserScope},
    error::{Error, ErrorBody, FieldErrors, NUL_PROBLEM, Result},
    extract::{JsonBody, path_id},
};

const MAX_NAME_CHARS: usize = 100;
const MAX_EXPIRY_DAYS: i32 = 365;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_access_tokens, create_access_token))
        .routes(routes!(revoke_access_token))
}

/// Body of `POST /api/{user_id}/access-tokens`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewAccessTokenRequest {
    /// Required: what the token is for, e.g. "Claude Desktop"; at most 100 characters, not blank; stored trimmed.
    #[schema(value_type = String, required = true, example = "Claude Desktop",
             max_length = 100, pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$")]
    pub name: Option<String>,
    /// Days until the token stops working, 1–365; leave it out (or null) for a token that never expires.
    /// Any JSON number with no fraction counts (`30` and `30.0`), as JSON Schema counts integers.
    #[schema(value_type = Option<i32>, minimum = 1, maximum = 365, example = 30)]
    pub expires_in_days: Option<serde_json::Number>,
}

/// A new token: the only answer that ever contains the token itself.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct CreatedAccessToken {
    pub id: i64,
    pub name: String,
    /// Send as `Authorization: Bearer <token>`. Shown this once: only its SHA-256 digest is stored.
    pub token: String,
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
}

/// `{id}` of an access token URL; anything that is not an integer names no token (404).
#[derive(Debug, Clone, Copy)]
struct AccessTokenId(i64);

impl<S: Send + Sync> FromRequestParts<S> for AccessTokenId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_id(parts, state, "access token").await.map(Self)
    }
}

/// The caller's own user id, when they signed in with a session rather than an access token.
fn session_owner(scope: UserScope) -> Result<Uuid> {
    match scope.credential {
        Credential::Session(_) => Ok(scope.user_id),
        Credential::AccessToken(_) => Err(Error::SessionRequired),
    }
}

impl NewAccessTokenRequest {
    /// The trimmed name and the lifetime in days.
    fn validate(self) -> Result<(String, Option<i32>)> {
        let mut problems = FieldErrors::new();
        let name = self.name.unwrap_or_default();
        let name = name.trim();
        if name.is_empty() {
            problems.insert("name".into(), "is required".into());
        } else if name.chars().count() > MAX_NAME_CHARS {
            problems.insert("name".into(), format!("must be at most {MAX_NAME_CHARS} characters"));
        } else if name.contains('\0') {
            problems.insert("name".into(), NUL_PROBLEM.into());
        }
        let expires_in_days = self.expires_in_days.map(|number| whole_days(&number));
        if expires_in_days.is_some_and(|days| days.is_none()) {
            problems.insert(
                "expires_in_days".into(),
                format!("must be a whole number from 1 to {MAX_EXPIRY_DAYS}, or left out for no expiry"),
            );
        }
        if problems.is_empty() {
            Ok((name.to_owned(), expires_in_days.flatten()))
        } else {
            Err(Error::Validation(problems))
        }
    }
}

/// `number` as days when it is a whole number in the allowed range.
fn whole_days(number: &serde_json::Number) -> Option<i32> {
    let days = number.as_f64().filter(|days| days.fract() == 0.0)?;
    (1..=MAX_EXPIRY_DAYS).find(|allowed| f64::from(*allowed) == days)
}

/// Your personal access tokens, newest first (never the tokens themselves).
#[utoipa::path(get, path = "/api/{user_id}/access-tokens", tag = "access tokens", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    responses(
        (status = 200, description = "Your tokens", body = Vec<AccessToken>),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Another user's id, or called with an access token", body = ErrorBody),
    ))]
async fn list_access_tokens(scope: UserScope, State(db): State<PgPool>) -> Result<axum::Json<Vec<AccessToken>>> {
    let user_id = session_owner(scope)?;
    Ok(axum::Json(store::list(&db, user_id).await?))
}

/// Create a personal access token, e.g. for an MCP client; the answer is the only place the token appears.
#[utoipa::path(post, path = "/api/{user_id}/access-tokens", tag = "access tokens", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = NewAccessTokenRequest,
    responses(
        (status = 201, description = "Created; not cached anywhere", body = CreatedAccessToken),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, description = "Another user's id, or called with an access token", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn create_access_token(
    scope: UserScope,
    State(db): State<PgPool>,
    JsonBody(request): JsonBody<NewAccessTokenRequest>,
) -> Result<Response> {
    let user_id = session_owner(scope)?;
    let (name, expires_in_days) = request.validate()?;
    let new = secret::generate()?;
    let stored = store::insert(&db, user_id, &name, &new, expires_in_days).await?;
    tracing::info!(access_token_id = stored.id, "access token created");
    let body = CreatedAccessToken {
        id: stored.id,
        name: stored.name,
        token: new.expose().to_owned(),
        token_prefix: stored.token_prefix,
        created_at: stored.created_at,
        expires_at: stored.expires_at,
    };
    let no_store = [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))];
    Ok((StatusCode::CREATED, no_store, axum::Json(body)).into_response())
}

/// Revoke a personal access token: the next request that presents it is refused.
#[utoipa::path(delete, path = "/api/{user_id}/access-tokens/{id}", tag = "access tokens", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 401, body = ErrorBody),
        (status = 403, description = "Another user's id, or called with an access token", body = ErrorBody),
        (status = 404, body = ErrorBody),
    ))]
async fn revoke_access_token(
    scope: UserScope,
    State(db): State<PgPool>,
    AccessTokenId(id): AccessTokenId,
) -> Result<StatusCode> {
    let user_id = session_owner(scope)?;
    store::revoke(&db, user_id, id).await?;
    tracing::info!(access_token_id = id, "access token revoked");
    Ok(StatusCode::NO_CONTENT)
}
