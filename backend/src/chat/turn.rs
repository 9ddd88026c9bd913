//! The stateless request cycle (docs/contract.md): load the history, store the user message, run the agent,
//! store the reply with its tool calls. Any replica can serve any turn; a restart loses nothing.

use std::time::Duration;

use chrono::Utc;
use chrono_tz::Tz;
use serde_json::Value;
use sqlx::PgPool;
use tokio::sync::mpsc::UnboundedSender;
use tracing::{Instrument, field::Empty};
use uuid::Uuid;

use super::{
    agent::{AgentError, AgentEvent, Engine, Turn},
    in_flight,
    model::{ChatRequest, MAX_MESSAGE_CHARS, Message, Role, ToolCallRecord, title_from},
    stop::StopSwitch,
    store,
    tools::ToolBox,
    undo::TurnKey,
};
use crate::{
    auth::users,
    error::{Error, NUL_PROBLEM, Result},
    metrics::Metrics,
    quotas::Quotas,
};

/// Most earlier messages the agent sees; older ones are dropped first.
pub(crate) const HISTORY_MESSAGES: i64 = 20;
/// Most characters of earlier messages the agent sees (text plus tool data).
pub(crate) const HISTORY_CHARS: usize = 16_000;
/// Longest a turn may run, every model step and tool call included. Below the frontend's
/// `CHAT_TIMEOUT_SECS` default (120 s), so the user hears this turn's own explanation, not a timeout.
pub(crate) const TURN_DEADLINE: Duration = Duration::from_secs(110);
/// The code of a turn stopped on request.
pub(crate) const STOPPED: &str = "stopped";

/// A turn whose user message is stored and whose context is loaded, ready for the agent.
#[derive(Debug)]
pub(crate) struct PreparedTurn {
    db: PgPool,
    user_id: Uuid,
    quotas: Quotas,
    /// The turn's key: its changes are journalled under it and it holds the conversation.
    key: TurnKey,
    pub conversation_id: i64,
    message: String,
    history: Vec<Message>,
    timezone: Tz,
    dialogue: Value,
}

/// A finished turn.
#[derive(Debug)]
pub(crate) struct TurnOutcome {
    pub conversation_id: i64,
    pub message_id: i64,
    pub response: String,
    pub tool_calls: Vec<ToolCallRecord>,
}

/// A turn the agent could not finish. The user message is kept and, when possible, a reply saying
/// what happened is stored too.
#[derive(Debug)]
pub(crate) struct TurnFailure {
    pub conversation_id: i64,
    pub code: &'static str,
    pub message: String,
    /// The stored reply that says what happened, when it could be stored.
    pub message_id: Option<i64>,
}

/// Validates the request, finds or starts the conversation, claims it for this turn, loads its
/// history and stores the user message. Errors here are ordinary HTTP errors (422, 404, 409 while
/// another turn runs in the conversation), even for a streaming request.
pub(crate) async fn prepare(db: &PgPool, user_id: Uuid, quotas: Quotas, request: ChatRequest) -> Result<PreparedTurn> {
    let message = validate(&request.message)?;
    // An existing conversation is found (or is 404) by reading what the engine remembered in it.
    let (conversation_id, dialogue) = match request.conversation_id {
        Some(id) => (id, store::dialogue(db, user_id, id).await?),
        None => {
            let created = store::create_conversation(db, user_id, &title_from(&message)).await?;
            (created.id, Value::Object(serde_json::Map::new()))
        }
    };
    let key = TurnKey::new(Some(conversation_id));
    in_flight::begin(db, user_id, conversation_id, key).await?;
    match load_and_store(db, user_id, conversation_id, &message).await {
        Ok((history, timezone)) => Ok(PreparedTurn {
            db: db.clone(),
            user_id,
            quotas,
            key,
            conversation_id,
            message,
            history,
            timezone,
            dialogue,
        }),
        Err(err) => {
            if let Err(end) = in_flight::end(db, user_id, conversation_id, key).await {
                tracing::warn!(error = %end, "could not free the conversation of a turn that did not start");
            }
            Err(err)
        }
    }
}

/// The conversation's recent history and the user's timezone; then the user message is stored.
async fn load_and_store(db: &PgPool, user_id: Uuid, conversation_id: i64, message: &str) -> Result<(Vec<Message>, Tz)> {
    let history = bounded(store::latest_messages(db, user_id, conversation_id, HISTORY_MESSAGES).await?);
    let timezone = users::by_id(db, user_id)
        .await?
        .and_then(|user| user.timezone.parse().ok())
        .unwrap_or(Tz::UTC);
    store::append_message(db, user_id, conversation_id, Role::User, message, &[], None).await?;
    Ok((history, timezone))
}

impl PreparedTurn {
    /// Runs the agent, stores its reply and counts the turn; `events` receives the stream as it happens.
    pub(crate) async fn run(
        self,
        engine: &Engine,
        metrics: &Metrics,
        events: Option<UnboundedSender<AgentEvent>>,
    ) -> Result<TurnOutcome, TurnFailure> {
        self.run_stoppable(engine, metrics, events, &StopSwitch::default())
            .await
    }

    /// [`PreparedTurn::run`], ending early (between steps) once `stop` is requested: the reply so
    /// far is stored with a note of what the turn had changed.
    pub(crate) async fn run_stoppable(
        self,
        engine: &Engine,
        metrics: &Metrics,
        events: Option<UnboundedSender<AgentEvent>>,
        stop: &StopSwitch,
    ) -> Result<TurnOutcome, TurnFailure> {
        let span = tracing::info_span!(
            "chat_turn",
            conversation_id = self.conversation_id,
            engine = engine.name(),
            history = self.history.len(),
            tool_calls = Empty,
            outcome = Empty,
        );
        let started = std::time::Instant::now();
        let alive = in_flight::heartbeat(self.db.clone(), self.conversation_id, self.key);
        let tools = ToolBox::for_turn(self.db.clone(), self.user_id, self.key).with_quotas(self.quotas);
        let mut turn = Turn::new(&self.history, &self.message, Utc::now(), self.timezone, &tools, events)
            .with_dialogue(&self.dialogue)
            .with_stop(stop.clone());
        let result = tokio::select! {
            biased;
            ran = tokio::time::timeout(TURN_DEADLINE, engine.run(&mut turn).instrument(span.clone())) => match ran {
                Ok(result) => result,
                Err(_) => Err(AgentError::new("timeout", "The assistant took too long to answer.")),
            },
            () = stop.stopped() => Err(AgentError::new(STOPPED, "You stopped this reply.")),
        };
        let (reply, calls, dialogue) = turn.into_parts();
        metrics.observe_turn(engine.name(), result.is_ok(), &calls);
        span.record("tool_calls", calls.len());
        span.record("outcome", if result.is_ok() { "ok" } else { "failed" });
        // `in_scope`, not an entered guard: the guard must not be held across the `.await` below.
        span.in_scope(|| {
            tracing::info!(duration_ms = started.elapsed().as_millis() as u64, "chat turn finished");
            if let Err(err) = &result {
                tracing::warn!(code = err.code, "the agent could not finish the turn");
            }
        });
        let (code, text, told) = match result {
            Ok(()) => (None, reply, String::new()),
            Err(err) if err.code == STOPPED => {
                let note = stopped_note(&calls);
                let text = [reply.trim_end(), note.as_str()].join("\n\n").trim_start().to_owned();
                (Some(err.code), text, note)
            }
            Err(err) => {
                let text = failure_text(&err, &calls);
                (Some(err.code), text.clone(), text)
            }
        };
        let stored = store::append_message(
            &self.db,
            self.user_id,
            self.conversation_id,
            Role::Assistant,
            &text,
            &calls,
            dialogue.as_ref(),
        )
        .await;
        drop(alive);
        if let Err(err) = in_flight::end(&self.db, self.user_id, self.conversation_id, self.key).await {
            // The conversation frees itself once the missing heartbeat shows the turn as lost.
            tracing::warn!(error = %err, "could not free the conversation after its turn");
        }
        match (code, stored) {
            (None, Ok(message_id)) => Ok(TurnOutcome {
                conversation_id: self.conversation_id,
                message_id,
                response: text,
                tool_calls: calls,
            }),
            (Some(code), stored) => Err(self.failure(code, told, stored.ok())),
            (None, Err(err)) => {
                tracing::error!(error = %err, "could not store the assistant's reply");
                let text = failure_text(&AgentError::new("internal", "I couldn't save my reply."), &calls);
                Err(self.failure("internal", text, None))
            }
        }
    }

    fn failure(&self, code: &'static str, message: String, message_id: Option<i64>) -> TurnFailure {
        TurnFailure {
            conversation_id: self.conversation_id,
            code,
            message,
            message_id,
        }
    }
}

/// A chat message as the backend accepts it: trimmed, 1–4000 characters, no NUL.
pub(crate) fn validate(message: &str) -> Result<String> {
    let message = message.trim();
    let chars = message.chars().count();
    if message.contains('\0') {
        Err(Error::field("message", NUL_PROBLEM))
    } else if message.is_empty() {
        Err(Error::field("message", "must not be empty"))
    } else if chars > MAX_MESSAGE_CHARS {
        Err(Error::field(
            "message",
            format!("must be at most {MAX_MESSAGE_CHARS} characters (got {chars})"),
        ))
    } else {
        Ok(message.to_owned())
    }
}

/// Keeps the newest messages that fit the character budget, dropping the oldest first.
fn bounded(mut messages: Vec<Message>) -> Vec<Message> {
    let size = |m: &Message| {
        m.content.len()
            + m.tool_calls
                .iter()
                .map(|c| c.arguments.to_string().len() + c.result.to_string().len())
                .sum::<usize>()
    };
    let mut total: usize = messages.iter().map(size).sum();
    let mut drop = 0;
    while total > HISTORY_CHARS && drop < messages.len() {
        total -= size(&messages[drop]);
        drop += 1;
    }
    messages.drain(..drop);
    messages
}

/// What the user is told when a turn fails: what went wrong and exactly what was already done.
fn failure_text(err: &AgentError, calls: &[ToolCallRecord]) -> String {
    let done: Vec<String> = calls.iter().filter_map(change_summary).collect();
    if done.is_empty() {
        format!("Sorry, I couldn't finish that: {} Nothing was changed.", err.message)
    } else {
        format!(
            "Sorry, I couldn't finish that: {} Before that I had already {}.",
            err.message,
            done.join(", ")
        )
    }
}

/// What a stopped turn says after whatever it had already answered.
fn stopped_note(calls: &[ToolCallRecord]) -> String {
    let done: Vec<String> = calls.iter().filter_map(change_summary).collect();
    if done.is_empty() {
        "Stopped. Nothing was changed.".to_owned()
    } else {
        format!("Stopped. Before that I had already {}.", done.join(", "))
    }
}

/// "added task #5 "Buy milk"" for a call that changed something.
fn change_summary(call: &ToolCallRecord) -> Option<String> {
    // Only a successful change carries a status and a task id.
    let status = call.result["status"].as_str()?;
    let id = call.result["task_id"].as_i64()?;
    let verb = if status == "created" { "added" } else { status };
    let title = call.result["title"].as_str().unwrap_or_default();
    Some(format!("{verb} task #{id} \"{title}\""))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(content: &str) -> Message {
        Message {
            id: 1,
            role: Role::User,
            content: content.into(),
            tool_calls: Vec::new(),
            created_at: Utc::now(),
        }
    }

    #[test]
    fn history_keeps_the_newest_messages_within_budget() {
        let old = message(&"a".repeat(HISTORY_CHARS));
        let kept = bounded(vec![old, message("recent"), message("latest")]);
        let contents: Vec<&str> = kept.iter().map(|m| m.content.as_str()).collect();
        assert_eq!(contents, ["recent", "latest"]);
    }

    #[test]
    fn failures_say_what_was_already_done() {
        let err = AgentError::new("llm_timeout", "The language model took too long to answer.");
        assert!(failure_text(&err, &[]).ends_with("Nothing was changed."));
        let call = ToolCallRecord {
            id: "call_1".into(),
            tool: "add_task".into(),
            arguments: json!({"title": "Buy milk"}),
            result: json!({"task_id": 5, "status": "created", "title": "Buy milk"}),
        };
        assert!(failure_text(&err, &[call]).ends_with("already added task #5 \"Buy milk\"."));
    }

    #[test]
    fn messages_are_trimmed_and_bounded() {
        assert_eq!(validate("  hi \n").unwrap(), "hi");
        assert!(validate("   ").is_err());
        assert!(validate(&"x".repeat(MAX_MESSAGE_CHARS + 1)).is_err());
        assert!(validate("a\0b").is_err());
    }
}
