//! Beginning a transaction that a cancelled request cannot leave open.
//!
//! sqlx 0.8.6 counts a transaction as open only once PostgreSQL has answered its `BEGIN`; a future
//! dropped while that answer is on its way (a client that hangs up, a timeout) leaves the session
//! inside a transaction nothing rolls back, and the pool hands that connection to the next request,
//! whose statements then run, uncommitted, inside it and hold their row locks
//! (transact-rs/sqlx#4393; the release with its fix, #4394, is not out). The benchmark met it: wrk
//! hangs up on chat turns at the end of each run. Here the `BEGIN` round trip runs in a task of its
//! own, which no request can cancel: if the caller is gone by then, the transaction is dropped
//! there, and sqlx rolls it back before the connection goes back to the pool.

use sqlx::{PgPool, Postgres, Transaction};

/// `db.begin()`, safe to cancel. Use it for every transaction (clippy's `disallowed-methods` says so).
pub(crate) async fn begin(db: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    let db = db.clone();
    #[allow(clippy::disallowed_methods)] // the one cancel-safe call of it
    let begun = tokio::spawn(async move { db.begin().await });
    match begun.await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // Only when the runtime shuts down under the request.
        Err(_) => Err(sqlx::Error::PoolClosed),
    }
}
