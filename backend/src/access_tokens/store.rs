//! Every SQL statement on `access_tokens`. Listing and revoking are scoped to one owner, so another
//! user's token is simply "not found".

use chrono::{DateTime, Utc};
use serde::Serialize;
use sqlx::PgPool;
use utoipa::ToSchema;
use uuid::Uuid;

use super::secret::{self, NewSecret};
use crate::error::{Error, Result};

/// A personal access token as its owner sees it later: never the token itself.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct AccessToken {
    pub id: i64,
    /// What the owner called it, e.g. "Claude Desktop".
    pub name: String,
    /// The token's first characters, to tell tokens apart (e.g. `todo_pat_x7Qa`).
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    /// When it stops working; null: never.
    pub expires_at: Option<DateTime<Utc>>,
    /// Last request made with it, to the minute; null: never used.
    pub last_used_at: Option<DateTime<Utc>>,
}

/// Whose token a bearer credential is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TokenOwner {
    pub token_id: i64,
    pub user_id: Uuid,
}

/// Stores the digest of `secret` for `user_id`; `expires_in_days` counts from now (none: never expires).
pub(crate) async fn insert(
    db: &PgPool,
    user_id: Uuid,
    name: &str,
    secret: &NewSecret,
    expires_in_days: Option<i32>,
) -> Result<AccessToken> {
    let token = sqlx::query_as!(
        AccessToken,
        r#"insert into access_tokens (user_id, name, token_hash, token_prefix, expires_at)
           values ($1, $2, $3, $4, now() + make_interval(days => $5::int))
           returning id, name, token_prefix, created_at, expires_at, last_used_at"#,
        user_id,
        name,
        &secret.digest[..],
        secret.shown_prefix,
        expires_in_days,
    )
    .fetch_one(db)
    .await?;
    Ok(token)
}

/// The owner's tokens, newest first, expired ones included (so they can be seen and deleted).
pub(crate) async fn list(db: &PgPool, user_id: Uuid) -> Result<Vec<AccessToken>> {
    let tokens = sqlx::query_as!(
        AccessToken,
        r#"select id, name, token_prefix, created_at, expires_at, last_used_at
           from access_tokens where user_id = $1
           order by created_at desc, id desc"#,
        user_id,
    )
    .fetch_all(db)
    .await?;
    Ok(tokens)
}

/// Deletes the token: the next request that presents it is refused.
pub(crate) async fn revoke(db: &PgPool, user_id: Uuid, id: i64) -> Result<()> {
    sqlx::query_scalar!(
        "delete from access_tokens where id = $1 and user_id = $2 returning id",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .map(|_| ())
    .ok_or(Error::NotFound("access token"))
}

/// The owner of a valid, unexpired token, noting the use (at most once a minute) in the same statement.
pub(crate) async fn authenticate(db: &PgPool, token: &str) -> Result<Option<TokenOwner>> {
    let digest = secret::digest(token);
    let owner = sqlx::query_as!(
        TokenOwner,
        r#"with found as (
               select id, user_id, last_used_at from access_tokens
               where token_hash = $1 and (expires_at is null or expires_at > now())
           ), touched as (
               update access_tokens set last_used_at = now()
               from found
               where access_tokens.id = found.id
                 and (found.last_used_at is null or found.last_used_at < now() - interval '1 minute')
           )
           select id as "token_id!", user_id as "user_id!" from found"#,
        &digest[..],
    )
    .fetch_optional(db)
    .await?;
    Ok(owner)
}
