//! A replica's memory of live sessions, and the listener that makes it forget ended ones.
//!
//! Correctness rests on three rules: the cache is used only while a listener is subscribed
//! (`listening`); a subscription (re)started, lost or in doubt empties the cache; and a lookup may
//! fill the cache only if no session ended while it ran (`generation` unchanged), so a lookup that
//! raced a logout cannot bring the ended session back.

use std::{
    collections::HashMap,
    sync::{
        PoisonError, RwLock,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use chrono::{DateTime, Utc};
use service_kit::Lifecycle;
use sqlx::{
    PgPool,
    postgres::{PgListener, PgPoolOptions},
};
use uuid::Uuid;

/// The channel the `sessions` delete trigger notifies, with the session id as payload.
const CHANNEL: &str = "session_ended";
/// Most sessions remembered; when full, the memory starts over (each session costs one lookup).
const CAPACITY: usize = 100_000;
/// How long a remembered session is trusted without asking again: the bound on a revocation
/// whose notification was lost without the listener noticing (a silently dead connection).
const TRUSTED_FOR: Duration = Duration::from_secs(300);
/// Pause between attempts to subscribe while the database is unreachable.
const RESUBSCRIBE_AFTER: Duration = Duration::from_secs(2);

#[derive(Debug, Clone, Copy)]
struct Remembered {
    user_id: Uuid,
    expires_at: DateTime<Utc>,
    checked_at: Instant,
}

/// Live sessions this replica has checked, keyed by session id.
#[derive(Debug, Default)]
pub(crate) struct SessionCache {
    entries: RwLock<HashMap<Uuid, Remembered>>,
    generation: AtomicU64,
    listening: AtomicBool,
}

impl SessionCache {
    /// The owner of a remembered, live session; `None` means "ask the database".
    pub(crate) fn live(&self, session_id: Uuid) -> Option<Uuid> {
        if !self.listening.load(Ordering::Acquire) {
            return None;
        }
        let entries = self.entries.read().unwrap_or_else(PoisonError::into_inner);
        let entry = entries.get(&session_id)?;
        (entry.expires_at > Utc::now() && entry.checked_at.elapsed() < TRUSTED_FOR).then_some(entry.user_id)
    }

    /// Read before a database lookup and handed back to [`SessionCache::fill`].
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Remembers a session the database just confirmed, unless some session ended meanwhile.
    pub(crate) fn fill(&self, session_id: Uuid, user_id: Uuid, expires_at: DateTime<Utc>, seen: u64) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        if !self.listening.load(Ordering::Acquire) || self.generation.load(Ordering::Acquire) != seen {
            return;
        }
        if entries.len() >= CAPACITY {
            entries.clear();
        }
        entries.insert(
            session_id,
            Remembered {
                user_id,
                expires_at,
                checked_at: Instant::now(),
            },
        );
    }

    /// A session ended.
    pub(crate) fn forget(&self, session_id: Uuid) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        entries.remove(&session_id);
    }

    /// Forgets everything; `listening` says whether the memory may be used from now on.
    fn reset(&self, listening: bool) {
        let mut entries = self.entries.write().unwrap_or_else(PoisonError::into_inner);
        self.generation.fetch_add(1, Ordering::AcqRel);
        self.listening.store(listening, Ordering::Release);
        entries.clear();
    }

    /// Keeps the memory honest until shutdown begins: subscribes to ended sessions on a connection
    /// of its own (like the pool's `db`), and forgets everything whenever the subscription is in doubt.
    pub(crate) async fn follow(&self, db: &PgPool, lifecycle: &Lifecycle) {
        let pool = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(RESUBSCRIBE_AFTER)
            .connect_lazy_with((*db.connect_options()).clone());
        tokio::select! {
            () = self.listen(&pool) => {}
            () = lifecycle.shutdown_started() => {}
        }
        self.reset(false);
        pool.close().await;
    }

    async fn listen(&self, pool: &PgPool) {
        let mut warned = false;
        loop {
            let mut listener = match subscribe(pool).await {
                Ok(listener) => listener,
                Err(err) => {
                    self.reset(false);
                    if !warned {
                        tracing::warn!(error = %err, "cannot subscribe to ended sessions; every token is checked in the database meanwhile");
                        warned = true;
                    }
                    tokio::time::sleep(RESUBSCRIBE_AFTER).await;
                    continue;
                }
            };
            self.reset(true);
            tracing::info!(again = std::mem::take(&mut warned), "following ended sessions");
            loop {
                match listener.try_recv().await {
                    Ok(Some(ended)) => match Uuid::parse_str(ended.payload()) {
                        Ok(id) => self.forget(id),
                        Err(_) => self.reset(true),
                    },
                    // The connection dropped and was re-established: whatever ended in between is unknown.
                    Ok(None) => self.reset(true),
                    Err(err) => {
                        self.reset(false);
                        tracing::warn!(error = %err, "lost the subscription to ended sessions; resubscribing");
                        warned = true;
                        break;
                    }
                }
            }
        }
    }
}

async fn subscribe(pool: &PgPool) -> sqlx::Result<PgListener> {
    let mut listener = PgListener::connect_with(pool).await?;
    listener.listen(CHANNEL).await?;
    Ok(listener)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn later() -> DateTime<Utc> {
        Utc::now() + chrono::Duration::hours(1)
    }

    #[test]
    fn nothing_is_remembered_without_a_listener() {
        let cache = SessionCache::default();
        let (session, user) = (Uuid::new_v4(), Uuid::new_v4());
        cache.fill(session, user, later(), cache.generation());
        assert_eq!(cache.live(session), None);
        cache.reset(true);
        cache.fill(session, user, later(), cache.generation());
        assert_eq!(cache.live(session), Some(user));
        cache.reset(false);
        assert_eq!(cache.live(session), None);
    }

    #[test]
    fn a_lookup_that_raced_an_ended_session_does_not_remember_it() {
        let cache = SessionCache::default();
        cache.reset(true);
        let (session, user) = (Uuid::new_v4(), Uuid::new_v4());
        let seen = cache.generation();
        // The session ends (on any replica) between the lookup's read and its fill.
        cache.forget(session);
        cache.fill(session, user, later(), seen);
        assert_eq!(cache.live(session), None);
    }

    #[test]
    fn ended_and_expired_sessions_are_not_live() {
        let cache = SessionCache::default();
        cache.reset(true);
        let (session, user) = (Uuid::new_v4(), Uuid::new_v4());
        cache.fill(session, user, later(), cache.generation());
        cache.forget(session);
        assert_eq!(cache.live(session), None);
        cache.fill(
            session,
            user,
            Utc::now() - chrono::Duration::seconds(1),
            cache.generation(),
        );
        assert_eq!(cache.live(session), None);
    }
}
