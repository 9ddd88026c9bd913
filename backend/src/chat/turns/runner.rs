//! Running a turn by id: the request that claims it runs it on a task of its own (a client that
//! goes away does not cut it short); any other request follows it by polling its row until it is
//! final, whichever replica runs it.

use std::{sync::Arc, time::Duration};

use sqlx::PgPool;
use tokio::{
    sync::mpsc::{UnboundedReceiver, unbounded_channel},
    task::JoinHandle,
};
use tracing::Instrument;
use uuid::Uuid;

use super::{TurnError, TurnState, TurnStatus, store};
use crate::{
    chat::{
        agent::{AgentEvent, Engine},
        model::ChatRequest,
        stop::StopSwitch,
        turn::{self, STOPPED, TURN_DEADLINE},
    },
    error::{Error, Result},
    metrics::Metrics,
    quotas::Quotas,
};

/// How often a running turn looks for a stop request, and a follower for the outcome.
const POLL: Duration = Duration::from_millis(250);
/// A turn still `running` this long after its claim was lost with the replica that ran it.
const LOST_AFTER: Duration = TURN_DEADLINE.saturating_add(Duration::from_secs(30));

/// What a turn needs to run.
#[derive(Debug, Clone)]
pub(super) struct Runner {
    pub db: PgPool,
    pub engine: Arc<Engine>,
    pub metrics: Arc<Metrics>,
    pub quotas: Quotas,
}

/// A request for a turn, once it knows whether it runs it.
#[derive(Debug)]
pub(super) enum Run {
    /// This request claimed the turn: its events as they happen, then its outcome.
    Live {
        events: UnboundedReceiver<AgentEvent>,
        outcome: JoinHandle<TurnStatus>,
    },
    /// The turn had been claimed before: it is followed, never run again.
    Replay { state: TurnState },
}

impl Runner {
    /// Claims the turn and starts it, or finds that someone else did. Unknown turn → 404.
    pub(super) async fn start(&self, user_id: Uuid, turn_id: Uuid) -> Result<Run> {
        let (conversation_id, message) = match store::claim(&self.db, user_id, turn_id).await? {
            store::Claim::Claimed {
                conversation_id,
                message,
            } => (conversation_id, message),
            store::Claim::Expired => {
                return Ok(Run::Replay {
                    state: TurnState::Expired,
                });
            }
            store::Claim::Taken => {
                let state = store::status(&self.db, user_id, turn_id).await?.state;
                return Ok(Run::Replay { state });
            }
        };
        let (events, received) = unbounded_channel();
        let runner = self.clone();
        let request = ChatRequest {
            conversation_id,
            message,
        };
        let outcome =
            tokio::spawn(async move { runner.run(user_id, turn_id, request, events).await }.in_current_span());
        Ok(Run::Live {
            events: received,
            outcome,
        })
    }

    async fn run(
        &self,
        user_id: Uuid,
        turn_id: Uuid,
        request: ChatRequest,
        events: tokio::sync::mpsc::UnboundedSender<AgentEvent>,
    ) -> TurnStatus {
        let requested_conversation = request.conversation_id;
        let (state, reply, error, conversation_id) = match turn::prepare(&self.db, user_id, self.quotas, request).await
        {
            Err(err) => (
                TurnState::Failed,
                None,
                Some(could_not_start(&err)),
                requested_conversation,
            ),
            Ok(prepared) => {
                let conversation_id = prepared.conversation_id;
                if let Err(err) = store::set_conversation(&self.db, turn_id, conversation_id).await {
                    tracing::warn!(error = %err, "could not record the turn's conversation");
                }
                let stop = StopSwitch::default();
                let watcher = tokio::spawn(watch_for_stop(self.db.clone(), turn_id, stop.clone()));
                let ran = prepared
                    .run_stoppable(&self.engine, &self.metrics, Some(events), &stop)
                    .await;
                watcher.abort();
                match ran {
                    Ok(outcome) => (TurnState::Done, Some(outcome.message_id), None, Some(conversation_id)),
                    Err(failure) => {
                        let state = if failure.code == STOPPED {
                            TurnState::Stopped
                        } else {
                            TurnState::Failed
                        };
                        let error = TurnError {
                            code: failure.code.to_owned(),
                            message: failure.message,
                        };
                        (state, failure.message_id, Some(error), Some(conversation_id))
                    }
                }
            }
        };
        if let Err(err) = store::finish(&self.db, turn_id, state, reply, error.as_ref()).await {
            tracing::error!(error = %err, "could not record how the turn ended");
        }
        match store::status(&self.db, user_id, turn_id).await {
            Ok(status) => status,
            // The conversation (and with it the turn) was deleted meanwhile: say what happened.
            Err(_) => TurnStatus {
                turn_id,
                state,
                conversation_id,
                reply: None,
                error,
            },
        }
    }

    /// Waits until the turn is final and returns it; a turn whose replica was lost is marked so.
    pub(super) async fn follow(&self, user_id: Uuid, turn_id: Uuid) -> Result<TurnStatus> {
        loop {
            let (status, claimed_at) = store::load(&self.db, user_id, turn_id)
                .await?
                .ok_or(Error::NotFound("turn"))?;
            if status.state.is_final() {
                return Ok(status);
            }
            let lost_before =
                chrono::Utc::now() - chrono::TimeDelta::from_std(LOST_AFTER).unwrap_or(chrono::TimeDelta::MAX);
            if claimed_at.is_some_and(|claimed| claimed < lost_before) {
                let note = TurnError {
                    code: "interrupted".into(),
                    message: "This reply was interrupted. Reload the conversation to see what was saved.".into(),
                };
                store::mark_lost(&self.db, turn_id, lost_before, &note).await?;
                continue;
            }
            tokio::time::sleep(POLL).await;
        }
    }
}

/// Turns a stop request stored by any replica into a stop of this run.
async fn watch_for_stop(db: PgPool, turn_id: Uuid, stop: StopSwitch) {
    loop {
        tokio::time::sleep(POLL).await;
        match store::stop_requested(&db, turn_id).await {
            Ok(true) => return stop.request(),
            Ok(false) => {}
            Err(err) => tracing::warn!(error = %err, "could not check for a stop request"),
        }
    }
}

/// Why a claimed turn could not start, in words for the user (never internal detail).
fn could_not_start(err: &Error) -> TurnError {
    let message = match err {
        Error::NotFound(_) => "This conversation no longer exists.",
        Error::Validation(_) => "This message cannot be sent.",
        other => {
            tracing::error!(error = %other, "a claimed turn could not start");
            "The assistant could not start this reply. Nothing was changed."
        }
    };
    TurnError {
        code: err.code().to_owned(),
        message: message.to_owned(),
    }
}

/// What a turn stopped before it ever ran tells its owner.
pub(super) fn stopped_before_start() -> TurnError {
    TurnError {
        code: STOPPED.to_owned(),
        message: "Stopped before the assistant started. Nothing was changed.".to_owned(),
    }
}
