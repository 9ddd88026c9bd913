//! Who is calling: the bearer token's user, and the `/api/{user_id}/…` ownership check.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{FromRef, FromRequestParts, Path},
    http::{header, request::Parts},
};
use chrono::Utc;
use sqlx::PgPool;
use uuid::Uuid;

use super::{
    sessions::Sessions,
    token::{IssuedToken, SessionClaims, TokenKeys},
};
use crate::{
    access_tokens,
    error::{Error, Result},
};

/// Checks credentials and starts and ends sessions; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Authenticator {
    tokens: Arc<TokenKeys>,
    sessions: Sessions,
    db: PgPool,
}

impl Authenticator {
    pub(crate) fn new(tokens: TokenKeys, sessions: Sessions, db: PgPool) -> Self {
        Self {
            tokens: Arc::new(tokens),
            sessions,
            db,
        }
    }

    pub(crate) fn sessions(&self) -> &Sessions {
        &self.sessions
    }

    /// A new session for `user_id` and the token that names it.
    pub(crate) async fn start_session(&self, user_id: Uuid) -> Result<IssuedToken> {
        let expires_at = self.tokens.expiry(Utc::now());
        let session_id = self.sessions.start(user_id, expires_at).await?;
        self.tokens.issue(user_id, session_id, expires_at)
    }

    /// Who `bearer` belongs to; 401 for anything that is not a live credential.
    pub(crate) async fn authenticate(&self, bearer: &str) -> Result<CurrentUser> {
        if access_tokens::secret::is_access_token(bearer) {
            // Looked up on every call, so a revoked token is refused on the next one, on every replica.
            let owner = access_tokens::store::authenticate(&self.db, bearer)
                .await?
                .ok_or(Error::Unauthenticated)?;
            return Ok(CurrentUser {
                id: owner.user_id,
                credential: Credential::AccessToken(owner.token_id),
            });
        }
        let claims = self.tokens.verify(bearer)?;
        self.sessions.check(&claims).await?;
        Ok(CurrentUser {
            id: claims.user_id,
            credential: Credential::Session(claims),
        })
    }
}

/// How a caller proved who they are.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Credential {
    /// A token from signup or login, valid while its session lasts.
    Session(SessionClaims),
    /// A personal access token (docs/mcp.md), by its id.
    AccessToken(i64),
}

/// The authenticated user, from `Authorization: Bearer <token>`. Missing, invalid, expired or
/// ended credentials → 401 (a deleted user's sessions end with the user).
#[derive(Debug, Clone, Copy)]
pub(crate) struct CurrentUser {
    pub id: Uuid,
    pub credential: Credential,
}

impl<S> FromRequestParts<S> for CurrentUser
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let token = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|value| value.to_str().ok())
            .and_then(|value| value.strip_prefix("Bearer ").or_else(|| value.strip_prefix("bearer ")))
            .map(str::trim)
            .ok_or(Error::Unauthenticated)?;
        Authenticator::from_ref(state).authenticate(token).await
    }
}

/// The caller acting on their own `/api/{user_id}/…` resources: 401 without a valid token,
/// 403 when `{user_id}` is not the token's subject. Objects of other users are then simply
/// invisible (404) because every query filters by this id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserScope {
    pub user_id: Uuid,
    pub credential: Credential,
}

impl<S> FromRequestParts<S> for UserScope
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::Forbidden)?;
        match params.get("user_id") {
            Some(path_user) if path_user.eq_ignore_ascii_case(&user.id.to_string()) => Ok(Self {
                user_id: user.id,
                credential: user.credential,
            }),
            _ => Err(Error::Forbidden),
        }
    }
}
