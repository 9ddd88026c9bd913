//! The agent interface both engines implement, and the turn they work on. A turn owns the one
//! code path for acting and speaking: [`Turn::call_tool`] runs a tool, streams its call and result,
//! and records it; [`Turn::say`] streams reply text and keeps it.

use std::future::Future;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};
use tokio::sync::mpsc::UnboundedSender;

use super::{
    model::{Message, ToolCallRecord},
    openai::OpenAiAgent,
    rules::RulesAgent,
    stop::StopSwitch,
    tools::ToolBox,
};

/// What a turn streams while it runs (docs/contract.md: `tool_call`, `tool_result`, `delta`).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum AgentEvent {
    ToolCall { id: String, tool: String, arguments: Value },
    ToolResult { id: String, tool: String, result: Value },
    Delta(String),
}

/// Why an agent could not finish a turn, in words for the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub(crate) struct AgentError {
    /// Stable snake_case code, as in every error body.
    pub code: &'static str,
    pub message: String,
}

impl AgentError {
    pub(crate) fn new(code: &'static str, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

/// One user message being answered.
#[derive(Debug)]
pub(crate) struct Turn<'a> {
    /// Earlier messages of the conversation, oldest first, already bounded.
    pub history: &'a [Message],
    pub message: &'a str,
    pub now: DateTime<Utc>,
    /// The user's timezone: relative dates ("tomorrow at 5pm") are resolved in it.
    pub timezone: Tz,
    /// What the engine remembered at the end of the previous turn (`{}` at first).
    pub dialogue: &'a Value,
    tools: &'a ToolBox,
    events: Option<UnboundedSender<AgentEvent>>,
    calls: Vec<ToolCallRecord>,
    reply: String,
    remembered: Option<Value>,
    stop: StopSwitch,
}

/// An empty dialogue state, for turns that start without one.
static NO_DIALOGUE: Value = Value::Null;

impl<'a> Turn<'a> {
    pub(crate) fn new(
        history: &'a [Message],
        message: &'a str,
        now: DateTime<Utc>,
        timezone: Tz,
        tools: &'a ToolBox,
        events: Option<UnboundedSender<AgentEvent>>,
    ) -> Self {
        Self {
            history,
            message,
            now,
            timezone,
            dialogue: &NO_DIALOGUE,
            tools,
            events,
            calls: Vec::new(),
            reply: String::new(),
            remembered: None,
            stop: StopSwitch::default(),
        }
    }

    /// The turn with what the engine remembered from the previous one.
    #[must_use]
    pub(crate) fn with_dialogue(mut self, dialogue: &'a Value) -> Self {
        self.dialogue = dialogue;
        self
    }

    /// Replaces what the conversation remembers for the next turn (stored with the reply).
    pub(crate) fn remember(&mut self, dialogue: Value) {
        self.remembered = Some(dialogue);
    }

    /// The turn, stoppable through `stop` (see [`StopSwitch`]).
    #[must_use]
    pub(crate) fn with_stop(mut self, stop: StopSwitch) -> Self {
        self.stop = stop;
        self
    }

    /// Runs a tool, streaming the call and its result, and records both for the stored message.
    /// Past the turn's quota of calls nothing runs: the first call refused is recorded, so the
    /// stored reply shows where the turn stopped acting; later ones only answer the refusal.
    pub(crate) async fn call_tool(&mut self, tool: &str, arguments: Value) -> Value {
        let quota = self.tools.quotas();
        let allowed = usize::try_from(quota.actions_per_turn).unwrap_or(usize::MAX);
        if self.calls.len() >= allowed {
            let problem = quota.too_many_actions();
            if self.calls.len() == allowed {
                return self.reject_call(tool, arguments, &problem);
            }
            return json!({ "error": problem });
        }
        let id = self.announce(tool, &arguments);
        let _running = self.stop.tool_running();
        let result = self.tools.call(tool, &arguments).await;
        self.settle(id, tool, arguments, result)
    }

    /// A call refused before it ran (its arguments were not JSON): streamed and recorded like any
    /// other, with the error the model is told.
    pub(crate) fn reject_call(&mut self, tool: &str, arguments: Value, problem: &str) -> Value {
        let id = self.announce(tool, &arguments);
        self.settle(id, tool, arguments, json!({ "error": problem }))
    }

    fn announce(&self, tool: &str, arguments: &Value) -> String {
        let id = format!("call_{}", self.calls.len() + 1);
        self.emit(AgentEvent::ToolCall {
            id: id.clone(),
            tool: tool.to_owned(),
            arguments: arguments.clone(),
        });
        id
    }

    fn settle(&mut self, id: String, tool: &str, arguments: Value, result: Value) -> Value {
        self.emit(AgentEvent::ToolResult {
            id: id.clone(),
            tool: tool.to_owned(),
            result: result.clone(),
        });
        self.calls.push(ToolCallRecord {
            id,
            tool: tool.to_owned(),
            arguments,
            result: result.clone(),
        });
        result
    }

    /// Streams a piece of the reply.
    pub(crate) fn say(&mut self, text: &str) {
        if text.is_empty() {
            return;
        }
        self.reply.push_str(text);
        self.emit(AgentEvent::Delta(text.to_owned()));
    }

    /// The reply so far.
    pub(crate) fn reply(&self) -> &str {
        &self.reply
    }

    /// Tool calls made so far in this turn, in order.
    pub(crate) fn calls(&self) -> &[ToolCallRecord] {
        &self.calls
    }

    /// The reply, the tool calls, and the dialogue state to store (if the engine set one).
    pub(crate) fn into_parts(self) -> (String, Vec<ToolCallRecord>, Option<Value>) {
        (self.reply, self.calls, self.remembered)
    }

    fn emit(&self, event: AgentEvent) {
        if let Some(events) = &self.events {
            // A listener that went away (client disconnected) does not stop the turn: it is still stored.
            let _ = events.send(event);
        }
    }
}

/// An engine that answers a turn by calling tools and speaking.
pub(crate) trait Agent {
    fn run(&self, turn: &mut Turn<'_>) -> impl Future<Output = Result<(), AgentError>> + Send;
}

/// The engine chosen by `LLM_PROVIDER`.
#[derive(Debug)]
pub(crate) enum Engine {
    Rules(RulesAgent),
    OpenAi(OpenAiAgent),
}

impl Engine {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Self::Rules(_) => "rules",
            Self::OpenAi(_) => "openai",
        }
    }

    pub(crate) async fn run(&self, turn: &mut Turn<'_>) -> Result<(), AgentError> {
        match self {
            Self::Rules(agent) => agent.run(turn).await,
            Self::OpenAi(agent) => agent.run(turn).await,
        }
    }
}
