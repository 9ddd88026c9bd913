//! SQL for accounts; the only place that touches the `users` table.

use sqlx::PgPool;
use uuid::Uuid;

use crate::error::{Error, Result};

/// A user as the API shows it.
#[derive(Debug, Clone)]
pub(crate) struct User {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub timezone: String,
}

/// Credentials looked up at login.
#[derive(Debug)]
pub(crate) struct Credentials {
    pub id: Uuid,
    pub password_hash: String,
}

pub(crate) async fn insert(
    db: &PgPool,
    email: &str,
    password_hash: &str,
    name: Option<&str>,
    timezone: &str,
) -> Result<Uuid> {
    let result = sqlx::query_scalar!(
        "insert into users (email, password_hash, name, timezone) values ($1, $2, $3, $4) returning id",
        email,
        password_hash,
        name,
        timezone
    )
    .fetch_one(db)
    .await;
    match result {
        Ok(id) => Ok(id),
        Err(err) if violates(&err, "users_email_key") => Err(Error::EmailTaken),
        Err(err) => Err(err.into()),
    }
}

/// Whether an account has `email` (normalised and validated).
pub(crate) async fn email_taken(db: &PgPool, email: &str) -> Result<bool> {
    let taken = sqlx::query_scalar!(
        r#"select exists (select 1 from users where email = $1) as "taken!""#,
        email
    )
    .fetch_one(db)
    .await?;
    Ok(taken)
}

pub(crate) async fn credentials_by_email(db: &PgPool, email: &str) -> Result<Option<Credentials>> {
    if email.contains('\0') {
        // PostgreSQL text cannot hold NUL, so no stored email matches it (and the query would fail).
        return Ok(None);
    }
    let row = sqlx::query_as!(
        Credentials,
        "select id, password_hash from users where email = $1",
        email
    )
    .fetch_optional(db)
    .await?;
    Ok(row)
}

pub(crate) async fn by_id(db: &PgPool, id: Uuid) -> Result<Option<User>> {
    let row = sqlx::query_as!(User, "select id, email, name, timezone from users where id = $1", id)
        .fetch_optional(db)
        .await?;
    Ok(row)
}

/// Replaces the stored password hash (a login found it made with older parameters).
pub(crate) async fn set_password_hash(db: &PgPool, id: Uuid, password_hash: &str) -> Result<()> {
    sqlx::query!("update users set password_hash = $2 where id = $1", id, password_hash)
        .execute(db)
        .await?;
    Ok(())
}

/// True when `err` is a violation of the named constraint.
fn violates(err: &sqlx::Error, constraint: &str) -> bool {
    err.as_database_error().and_then(|db_err| db_err.constraint()) == Some(constraint)
}
