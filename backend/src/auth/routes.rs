//! `POST /api/auth/signup`, `POST /api/auth/login`, `GET /api/auth/me`, `POST /api/auth/logout`,
//! `POST /api/auth/logout-everywhere`.

use axum::{extract::State, http::StatusCode};
use chrono::{DateTime, Utc};
use serde::Serialize;
use service_kit::client::ClientAddress;
use sqlx::PgPool;
use utoipa::ToSchema;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    extract::{Authenticator, Credential, CurrentUser},
    input::{LoginRequest, SignupRequest, normalize_email},
    password::{self, Verdict},
    rate_limit::Throttles,
    users,
};
use crate::{
    app::AppState,
    error::{Error, ErrorBody, Result},
    extract::JsonBody,
};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(signup))
        .routes(routes!(login))
        .routes(routes!(me))
        .routes(routes!(logout))
        .routes(routes!(logout_everywhere))
}

/// Returned by signup and login.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct SessionResponse {
    pub user_id: Uuid,
    /// JWT (HS256); send as `Authorization: Bearer <token>`.
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// The signed-in user.
#[derive(Debug, Serialize, ToSchema)]
pub(super) struct MeResponse {
    pub user_id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub timezone: String,
}

/// Create an account and start a session.
#[utoipa::path(post, path = "/api/auth/signup", tag = "auth", request_body = SignupRequest, responses(
    (status = 201, description = "Account created", body = SessionResponse),
    (status = 400, description = "Body is not valid JSON", body = ErrorBody),
    (status = 409, description = "Email already registered", body = ErrorBody),
    (status = 415, description = "Body is not JSON", body = ErrorBody),
    (status = 422, description = "Invalid input", body = ErrorBody),
    (status = 429, description = "Too many signups from this client; see Retry-After", body = ErrorBody),
    (status = 503, description = "Too many signups queued, or the database is unavailable; see Retry-After", body = ErrorBody),
))]
async fn signup(
    State(db): State<PgPool>,
    State(auth): State<Authenticator>,
    State(throttles): State<Throttles>,
    ClientAddress(client): ClientAddress,
    JsonBody(request): JsonBody<SignupRequest>,
) -> Result<(StatusCode, axum::Json<SessionResponse>)> {
    throttles.check_signup(client)?;
    let account = request.validate()?;
    // Answering 409 tells the caller the email is taken anyway; hashing first would only let
    // anyone make the server hash for free.
    if users::email_taken(&db, &account.email).await? {
        return Err(Error::EmailTaken);
    }
    let password_hash = password::hash(account.password, password::Purpose::Signup).await?;
    let user_id = users::insert(
        &db,
        &account.email,
        &password_hash,
        account.name.as_deref(),
        &account.timezone,
    )
    .await?;
    tracing::info!(%user_id, "account created");
    Ok((StatusCode::CREATED, axum::Json(start_session(&auth, user_id).await?)))
}

async fn start_session(auth: &Authenticator, user_id: Uuid) -> Result<SessionResponse> {
    let issued = auth.start_session(user_id).await?;
    Ok(SessionResponse {
        user_id,
        token: issued.token,
        expires_at: issued.expires_at,
    })
}

/// Start a session with email and password.
#[utoipa::path(post, path = "/api/auth/login", tag = "auth", request_body = LoginRequest, responses(
    (status = 200, description = "Signed in", body = SessionResponse),
    (status = 400, description = "Body is not valid JSON", body = ErrorBody),
    (status = 401, description = "Bad credentials", body = ErrorBody),
    (status = 415, description = "Body is not JSON", body = ErrorBody),
    (status = 422, description = "Body is not a login request", body = ErrorBody),
    (status = 429, description = "Too many attempts; see Retry-After", body = ErrorBody),
    (status = 503, description = "Too many logins queued, or the database is unavailable; see Retry-After", body = ErrorBody),
))]
async fn login(
    State(db): State<PgPool>,
    State(auth): State<Authenticator>,
    State(throttles): State<Throttles>,
    ClientAddress(client): ClientAddress,
    JsonBody(request): JsonBody<LoginRequest>,
) -> Result<axum::Json<SessionResponse>> {
    let email = normalize_email(&request.email);
    throttles.check_login(&email, client)?;
    let credentials = users::credentials_by_email(&db, &email).await?;
    let (user_id, stored) = match credentials {
        Some(found) => (Some(found.id), Some(found.password_hash)),
        None => (None, None),
    };
    let verdict = password::verify(request.password.clone(), stored).await?;
    let user_id = match (user_id, verdict) {
        (Some(id), Verdict::Right | Verdict::RightButOutdated) => id,
        _ => {
            tracing::info!("login rejected");
            return Err(Error::InvalidCredentials);
        }
    };
    if verdict == Verdict::RightButOutdated {
        rehash(&db, user_id, request.password).await;
    }
    Ok(axum::Json(start_session(&auth, user_id).await?))
}

/// Stores the password again with the current parameters (the only moment the server knows it).
/// Best effort: the login itself has succeeded, and the next one tries again.
async fn rehash(db: &PgPool, user_id: Uuid, password: String) {
    let replaced = match password::hash(password, password::Purpose::Login).await {
        Ok(hash) => users::set_password_hash(db, user_id, &hash).await,
        Err(err) => Err(err),
    };
    match replaced {
        Ok(()) => tracing::info!("password hash replaced with the current parameters"),
        Err(err) => tracing::warn!(error = %err, "could not replace an outdated password hash"),
    }
}

/// The account behind the bearer token.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth", security(("bearer" = [])), responses(
    (status = 200, description = "Current user", body = MeResponse),
    (status = 401, description = "Missing, invalid or expired token", body = ErrorBody),
))]
async fn me(State(db): State<PgPool>, user: CurrentUser) -> Result<axum::Json<MeResponse>> {
    // A valid token for a deleted account is no session at all.
    let user = users::by_id(&db, user.id).await?.ok_or(Error::Unauthenticated)?;
    Ok(axum::Json(MeResponse {
        user_id: user.id,
        email: user.email,
        name: user.name,
        timezone: user.timezone,
    }))
}

/// End this session: its token is refused from now on, on every replica.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "Logged out"),
    (status = 401, description = "Missing, invalid, expired or already ended token", body = ErrorBody),
    (status = 403, description = "Called with an access token instead of a session", body = ErrorBody),
))]
async fn logout(State(auth): State<Authenticator>, user: CurrentUser) -> Result<StatusCode> {
    match user.credential {
        Credential::Session(claims) => auth.sessions().end(&claims).await?,
        // An access token is ended by revoking it (docs/mcp.md), not by logging out.
        Credential::AccessToken(_) => return Err(Error::SessionRequired),
    }
    tracing::info!(user_id = %user.id, "logged out");
    Ok(StatusCode::NO_CONTENT)
}

/// End every session of the signed-in user, this one included.
#[utoipa::path(post, path = "/api/auth/logout-everywhere", tag = "auth", security(("bearer" = [])), responses(
    (status = 204, description = "Every session ended"),
    (status = 401, description = "Missing, invalid, expired or already ended token", body = ErrorBody),
    (status = 403, description = "Called with an access token instead of a session", body = ErrorBody),
))]
async fn logout_everywhere(State(auth): State<Authenticator>, user: CurrentUser) -> Result<StatusCode> {
    // An assistant's access token may manage tasks, never the account's sessions.
    if !matches!(user.credential, Credential::Session(_)) {
        return Err(Error::SessionRequired);
    }
    let ended = auth.sessions().end_all(user.id).await?;
    tracing::info!(user_id = %user.id, sessions = ended, "logged out everywhere");
    Ok(StatusCode::NO_CONTENT)
}
