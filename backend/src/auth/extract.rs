//! Who is calling: the bearer token's user, and the `/api/{user_id}/…` ownership check.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{FromRef, FromRequestParts, Path},
    http::{header, request::Parts},
};
use uuid::Uuid;

use super::token::TokenKeys;
use crate::error::Error;

/// The authenticated user, from `Authorization: Bearer <jwt>`. Missing or invalid token → 401.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CurrentUser {
    pub id: Uuid,
}

impl<S> FromRequestParts<S> for CurrentUser
where
    Arc<TokenKeys>: FromRef<S>,
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
        let id = Arc::<TokenKeys>::from_ref(state).verify(token)?;
        Ok(Self { id })
    }
}

/// The caller acting on their own `/api/{user_id}/…` resources: 401 without a valid token,
/// 403 when `{user_id}` is not the token's subject. Objects of other users are then simply
/// invisible (404) because every query filters by this id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UserScope {
    pub user_id: Uuid,
}

impl<S> FromRequestParts<S> for UserScope
where
    Arc<TokenKeys>: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let user = CurrentUser::from_request_parts(parts, state).await?;
        let params = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::Forbidden)?;
        match params.get("user_id") {
            Some(path_user) if path_user.eq_ignore_ascii_case(&user.id.to_string()) => Ok(Self { user_id: user.id }),
            _ => Err(Error::Forbidden),
        }
    }
}
