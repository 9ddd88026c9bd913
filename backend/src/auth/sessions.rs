//! Server-side sessions: a token is accepted only while its session row exists, so logging out,
//! logging out everywhere and deleting the user each end sessions at once, on every replica.
//!
//! The check runs on every authenticated call, so a replica remembers the sessions it has seen
//! ([`SessionCache`]) and PostgreSQL tells every replica when one ends (`LISTEN session_ended`,
//! sent by a trigger on delete). Without a working listener the cache is not used at all: every
//! call asks the database.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use prometheus_client::metrics::counter::Counter;
use sqlx::PgPool;
use uuid::Uuid;

use super::{session_cache::SessionCache, token::SessionClaims};
use crate::error::{Error, Result};

/// Where session checks were answered from, for `/metrics`.
#[derive(Debug, Clone, Default)]
pub(crate) struct SessionChecks {
    pub memory: Counter,
    pub database: Counter,
}

/// The `sessions` table and the replica's memory of it; cheap to clone.
#[derive(Debug, Clone)]
pub(crate) struct Sessions {
    db: PgPool,
    cache: Arc<SessionCache>,
    checks: SessionChecks,
}

impl Sessions {
    pub(crate) fn new(db: PgPool, checks: SessionChecks) -> Self {
        Self {
            db,
            cache: Arc::default(),
            checks,
        }
    }

    /// The memory of sessions, for the listener that keeps it honest.
    pub(crate) fn cache(&self) -> Arc<SessionCache> {
        self.cache.clone()
    }

    /// Starts a session for `user_id` until `expires_at`, and clears away the user's expired ones.
    pub(crate) async fn start(&self, user_id: Uuid, expires_at: DateTime<Utc>) -> Result<Uuid> {
        let id = sqlx::query_scalar!(
            "with expired as (delete from sessions where user_id = $1 and expires_at <= now())
             insert into sessions (user_id, expires_at) values ($1, $2) returning id",
            user_id,
            expires_at,
        )
        .fetch_one(&self.db)
        .await?;
        Ok(id)
    }

    /// `Ok` while the token's session exists, belongs to its user and has not expired; 401 otherwise.
    pub(crate) async fn check(&self, claims: &SessionClaims) -> Result<()> {
        if let Some(owner) = self.cache.live(claims.session_id) {
            self.checks.memory.inc();
            return if owner == claims.user_id {
                Ok(())
            } else {
                Err(Error::Unauthenticated)
            };
        }
        self.checks.database.inc();
        let seen = self.cache.generation();
        let row = sqlx::query!(
            "select user_id, expires_at from sessions where id = $1",
            claims.session_id
        )
        .fetch_optional(&self.db)
        .await?;
        match row {
            Some(row) if row.user_id == claims.user_id && row.expires_at > Utc::now() => {
                self.cache.fill(claims.session_id, row.user_id, row.expires_at, seen);
                Ok(())
            }
            _ => Err(Error::Unauthenticated),
        }
    }

    /// Ends one session (logging out).
    pub(crate) async fn end(&self, claims: &SessionClaims) -> Result<()> {
        sqlx::query!(
            "delete from sessions where id = $1 and user_id = $2",
            claims.session_id,
            claims.user_id
        )
        .execute(&self.db)
        .await?;
        self.cache.forget(claims.session_id);
        Ok(())
    }

    /// Ends every session of `user_id` (logging out everywhere); how many there were.
    pub(crate) async fn end_all(&self, user_id: Uuid) -> Result<u64> {
        let ended = sqlx::query_scalar!("delete from sessions where user_id = $1 returning id", user_id)
            .fetch_all(&self.db)
            .await?;
        for id in &ended {
            self.cache.forget(*id);
        }
        Ok(ended.len() as u64)
    }
}
