//! Answering fast through a database outage. Once a request has found the database unreachable,
//! the API answers 503 `database_unavailable` at once instead of letting every request wait out the
//! pool's acquire timeout; about once a second one request probes the database (`select 1`, with
//! a short timeout) and reopens the gate when it answers.

use std::{
    sync::{
        Arc, Mutex, PoisonError,
        atomic::{AtomicBool, Ordering},
    },
    time::{Duration, Instant},
};

use axum::{
    extract::{Request, State},
    middleware::Next,
    response::{IntoResponse, Response},
};
use sqlx::PgPool;

use crate::error::{DatabaseWentDown, Error};

/// How often a request may probe a database known to be down.
const PROBE_EVERY: Duration = Duration::from_secs(1);
/// How long a probe may take before the database counts as still down.
const PROBE_TIMEOUT: Duration = Duration::from_secs(1);

/// Whether the database is known to be unreachable; shared by every request of the process.
#[derive(Debug, Clone)]
pub(crate) struct DatabaseGate {
    db: PgPool,
    state: Arc<GateState>,
}

#[derive(Debug)]
struct GateState {
    down: AtomicBool,
    last_probe: Mutex<Option<Instant>>,
}

impl DatabaseGate {
    pub(crate) fn new(db: PgPool) -> Self {
        Self {
            db,
            state: Arc::new(GateState {
                down: AtomicBool::new(false),
                last_probe: Mutex::new(None),
            }),
        }
    }

    fn mark_down(&self) {
        if !self.state.down.swap(true, Ordering::AcqRel) {
            tracing::warn!("database unreachable; answering 503 until it is back");
        }
    }

    /// `true` when the database answers: it is no longer known to be down.
    async fn probe(&self) -> bool {
        {
            let mut last = self.state.last_probe.lock().unwrap_or_else(PoisonError::into_inner);
            if last.is_some_and(|at| at.elapsed() < PROBE_EVERY) {
                return false;
            }
            *last = Some(Instant::now());
        }
        let answered = tokio::time::timeout(PROBE_TIMEOUT, sqlx::query("select 1").execute(&self.db)).await;
        if matches!(answered, Ok(Ok(_))) {
            if self.state.down.swap(false, Ordering::AcqRel) {
                tracing::info!("database reachable again");
            }
            return true;
        }
        false
    }
}

/// Middleware on the routes that use the database.
pub(crate) async fn gate(State(gate): State<DatabaseGate>, request: Request, next: Next) -> Response {
    if gate.state.down.load(Ordering::Acquire) && !gate.probe().await {
        return Error::DatabaseUnavailable(None).into_response();
    }
    let response = next.run(request).await;
    if response.extensions().get::<DatabaseWentDown>().is_some() {
        gate.mark_down();
    }
    response
}
