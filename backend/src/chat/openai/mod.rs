//! The LLM engine (`LLM_PROVIDER=openai`): any OpenAI-compatible Chat Completions endpoint
//! (OpenAI, Ollama, vLLM, llama.cpp's server). The model sees the user's local time, the
//! conversation and the tool schemas; the tool calls it returns are executed (several per step
//! too) and fed back until it answers in words or the step limit is reached.

mod client;
mod stream;
mod wire;

use chrono::Offset;
use serde_json::{Value, json};

pub(crate) use self::client::LlmSettings;
use self::{
    client::{LlmClient, LlmError},
    stream::{Step, StreamFailure, read_stream, read_whole},
    wire::WireMessage,
};
use super::{
    agent::{Agent, AgentError, Turn},
    model::{Message, Role},
    tools::definitions,
};

#[derive(Debug, Clone)]
pub(crate) struct OpenAiAgent {
    client: LlmClient,
    max_steps: usize,
    stream: bool,
}

impl OpenAiAgent {
    pub(crate) fn new(settings: LlmSettings, max_steps: usize, stream: bool) -> anyhow::Result<Self> {
        Ok(Self {
            client: LlmClient::new(settings)?,
            max_steps: max_steps.max(1),
            stream,
        })
    }

    /// One request to the model. A stream that ends empty is asked again without streaming.
    async fn step(&self, messages: &[WireMessage], turn: &mut Turn<'_>) -> Result<Step, LlmError> {
        if self.stream {
            let response = self.client.send(&self.body(messages, true)).await?;
            match read_stream(response, turn).await {
                Ok(step) => return Ok(step),
                Err(StreamFailure::Failed(err)) => return Err(err),
                Err(StreamFailure::Empty) => {
                    tracing::warn!("the model's stream ended empty; asking again without streaming");
                }
            }
        }
        let response = self.client.send(&self.body(messages, false)).await?;
        read_whole(response, turn).await
    }

    fn body(&self, messages: &[WireMessage], stream: bool) -> Value {
        // `tool_choice: "required"` breaks llama.cpp's server; "auto" works everywhere.
        json!({
            "model": self.client.model,
            "messages": messages,
            "tools": definitions(),
            "tool_choice": "auto",
            "stream": stream,
        })
    }
}

impl Agent for OpenAiAgent {
    async fn run(&self, turn: &mut Turn<'_>) -> Result<(), AgentError> {
        let mut messages = vec![WireMessage::new("system", system_prompt(turn))];
        messages.extend(history(turn.history));
        messages.push(WireMessage::new("user", turn.message));
        for _ in 0..self.max_steps {
            let step = self.step(&messages, turn).await.map_err(|err| agent_error(&err))?;
            if step.tool_calls.is_empty() {
                if turn.reply().trim().is_empty() {
                    // Small models sometimes end a turn without a word; never leave the user with nothing.
                    turn.say(match (step.finish_reason.as_deref(), turn.calls().is_empty()) {
                        (Some("content_filter"), true) => {
                            "The language model service's content filter held back its answer; nothing was changed."
                        }
                        (_, true) => "Sorry, I have no answer to that. Try \"add a task to …\" or \"what's pending?\".",
                        (_, false) => "Done.",
                    });
                }
                return Ok(());
            }
            let mut calls = step.tool_calls;
            // Some servers leave ids out or repeat one within a step; each result must pair with
            // its own call.
            let mut seen = std::collections::HashSet::new();
            for (i, call) in calls.iter_mut().enumerate() {
                if call.id.is_empty() || !seen.insert(call.id.clone()) {
                    call.id = format!(
                        "{}call_{i}",
                        if call.id.is_empty() {
                            String::new()
                        } else {
                            format!("{}_", call.id)
                        }
                    );
                    seen.insert(call.id.clone());
                }
            }
            let mut results = Vec::new();
            for call in &calls {
                let name = call.function.name.as_str();
                let result = match serde_json::from_str::<Value>(non_empty(&call.function.arguments)) {
                    Ok(arguments @ Value::Object(_)) => turn.call_tool(name, arguments).await,
                    // Told to the model as a tool error, so it can correct itself.
                    Ok(_) | Err(_) => {
                        let raw = Value::String(call.function.arguments.clone());
                        turn.reject_call(name, raw, "arguments must be a JSON object matching the tool's schema")
                    }
                };
                results.push(WireMessage::tool_result(&call.id, &result));
            }
            if !step.content.is_empty() {
                turn.say("\n\n");
            }
            messages.push(WireMessage::calls(calls));
            messages.extend(results);
        }
        tracing::warn!(max_steps = self.max_steps, "the model reached the step limit");
        if !turn.reply().is_empty() {
            turn.say("\n\n");
        }
        let done = turn.calls().len();
        turn.say(&format!(
            "I stopped after {} steps without a final answer ({done} tool call{} made). Please check your tasks or rephrase.",
            self.max_steps,
            if done == 1 { "" } else { "s" }
        ));
        Ok(())
    }
}

fn non_empty(arguments: &str) -> &str {
    if arguments.trim().is_empty() { "{}" } else { arguments }
}

fn agent_error(err: &LlmError) -> AgentError {
    let (code, message) = match err {
        LlmError::Timeout => ("llm_timeout", "The language model took too long to answer."),
        LlmError::Unreachable => ("llm_unavailable", "I couldn't reach the language model service."),
        LlmError::Status { status: 429, .. } => ("llm_busy", "The language model service is busy right now."),
        LlmError::Status { status: 401 | 403, .. } => (
            "llm_rejected",
            "The language model service refused the request (is the API key right?).",
        ),
        LlmError::Status { .. } => ("llm_unavailable", "The language model service had an error."),
        LlmError::Malformed(_) => (
            "llm_bad_response",
            "The language model service sent an answer I couldn't read.",
        ),
    };
    tracing::warn!(error = %err, detail = ?err, "the LLM step failed");
    AgentError::new(code, message)
}

fn system_prompt(turn: &Turn<'_>) -> String {
    let local = turn.now.with_timezone(&turn.timezone);
    format!(
        "You are a friendly assistant that manages the user's to-do list with the tools provided.\n\
         Now it is {} in the user's timezone {} (UTC{}).\n\
         Rules: act only through the tools; never invent task numbers — call list_tasks to find a task by its words; \
         if several tasks match, ask which one; after acting, confirm in one short sentence that names the task and \
         its number (e.g. \"Added task #5: Buy groceries.\"); due_at is RFC 3339 with the user's UTC offset; \
         if a tool returns an error, explain it plainly.",
        local.format("%A, %Y-%m-%d %H:%M"),
        turn.timezone.name(),
        local.offset().fix(),
    )
}

/// Earlier turns as the model expects them: an assistant turn that used tools becomes its calls,
/// their results, then its words.
fn history(messages: &[Message]) -> Vec<WireMessage> {
    let mut wire = Vec::new();
    for message in messages {
        match message.role {
            Role::User => wire.push(WireMessage::new("user", message.content.clone())),
            Role::Assistant => {
                if !message.tool_calls.is_empty() {
                    let id = |call_id: &str| format!("m{}_{call_id}", message.id);
                    let calls = message
                        .tool_calls
                        .iter()
                        .map(|call| wire::WireToolCall {
                            id: id(&call.id),
                            kind: "function".into(),
                            function: wire::WireFunction {
                                name: call.tool.clone(),
                                arguments: call.arguments.to_string(),
                            },
                            extra_content: None,
                        })
                        .collect();
                    wire.push(WireMessage::calls(calls));
                    for call in &message.tool_calls {
                        wire.push(WireMessage::tool_result(&id(&call.id), &call.result));
                    }
                }
                wire.push(WireMessage::new("assistant", message.content.clone()));
            }
            Role::Tool => {}
        }
    }
    wire
}
