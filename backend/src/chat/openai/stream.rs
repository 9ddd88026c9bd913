//! Reading one model step, streamed or whole, into reply text (spoken as it arrives) and tool calls.

use eventsource_stream::Eventsource;
use futures_util::StreamExt;

use super::{
    client::{LlmClient, LlmError},
    wire::{Chunk, Completion, DeltaToolCall, WireFunction, WireToolCall},
};
use crate::chat::{agent::Turn, tools};

/// What one step of the model produced.
#[derive(Debug, Default)]
pub(super) struct Step {
    pub content: String,
    pub tool_calls: Vec<WireToolCall>,
    /// Why the model stopped (`stop`, `tool_calls`, `length`, `content_filter`…), when it said.
    pub finish_reason: Option<String>,
}

/// How a streamed step can go wrong.
#[derive(Debug)]
pub(super) enum StreamFailure {
    /// Nothing arrived and no `[DONE]` (llama.cpp on some tool-picking turns): ask again without streaming.
    Empty,
    Failed(LlmError),
}

/// Reads a streamed response, passing content deltas to the turn as they arrive.
pub(super) async fn read_stream(response: reqwest::Response, turn: &mut Turn<'_>) -> Result<Step, StreamFailure> {
    let mut events = response.bytes_stream().eventsource();
    let mut step = Step::default();
    let mut received = false;
    let mut finished = false;
    while let Some(event) = events.next().await {
        let event = event.map_err(|err| match err {
            eventsource_stream::EventStreamError::Transport(err) if err.is_timeout() => {
                StreamFailure::Failed(LlmError::Timeout)
            }
            other => StreamFailure::Failed(LlmError::Malformed(other.to_string())),
        })?;
        let data = event.data.trim();
        if data == "[DONE]" {
            finished = true;
            break;
        }
        if data.is_empty() {
            continue;
        }
        let chunk: Chunk =
            serde_json::from_str(data).map_err(|err| StreamFailure::Failed(LlmError::Malformed(err.to_string())))?;
        if let Some(error) = chunk.error {
            return Err(StreamFailure::Failed(LlmError::Malformed(error.to_string())));
        }
        received = true;
        for choice in chunk.choices {
            // A refusal is the model's answer in words, like content.
            for text in [choice.delta.content.as_deref(), choice.delta.refusal.as_deref()]
                .into_iter()
                .flatten()
            {
                step.content.push_str(text);
                turn.say(text);
            }
            for call in choice.delta.tool_calls.into_iter().flatten() {
                merge_call(&mut step.tool_calls, call);
            }
            if let Some(reason) = choice.finish_reason {
                finished = true;
                step.finish_reason = Some(reason);
            }
        }
    }
    match (received, finished) {
        (_, true) => Ok(step),
        (false, false) => Err(StreamFailure::Empty),
        (true, false) if step.content.is_empty() => Err(StreamFailure::Empty),
        (true, false) => Err(StreamFailure::Failed(LlmError::Malformed(
            "the answer was cut off".into(),
        ))),
    }
}

/// Reads a whole response; its text is spoken at once.
pub(super) async fn read_whole(response: reqwest::Response, turn: &mut Turn<'_>) -> Result<Step, LlmError> {
    let body = LlmClient::json(response).await?;
    let completion: Completion = serde_json::from_value(body).map_err(|err| LlmError::Malformed(err.to_string()))?;
    let choice = completion
        .choices
        .into_iter()
        .next()
        .ok_or_else(|| LlmError::Malformed("no choices in the response".into()))?;
    let (message, finish_reason) = (choice.message, choice.finish_reason);
    let content = match (message.content, message.refusal) {
        (Some(content), _) if !content.is_empty() => content,
        (_, Some(refusal)) => refusal,
        (content, None) => content.unwrap_or_default(),
    };
    turn.say(&content);
    Ok(Step {
        content,
        tool_calls: message.tool_calls.unwrap_or_default(),
        finish_reason,
    })
}

/// Folds a streamed tool-call fragment into the calls so far. Arguments arrive in pieces and are
/// appended; some servers repeat the whole name in every chunk, so a name is only ever extended
/// when the pieces together spell a tool. A fragment without an index (Gemini) continues the last
/// call unless it brings a new id, which starts the next one.
fn merge_call(calls: &mut Vec<WireToolCall>, fragment: DeltaToolCall) {
    let fresh_id = fragment.id.as_deref().filter(|id| !id.is_empty());
    let index = match fragment.index {
        Some(index) => index,
        None => match (calls.last(), fresh_id) {
            (Some(last), Some(id)) if !last.id.is_empty() && last.id != id => calls.len(),
            (Some(_), _) => calls.len() - 1,
            (None, _) => 0,
        },
    };
    while calls.len() <= index {
        calls.push(WireToolCall {
            id: String::new(),
            kind: "function".into(),
            function: WireFunction {
                name: String::new(),
                arguments: String::new(),
            },
            extra_content: None,
        });
    }
    let call = &mut calls[index];
    if let Some(id) = fresh_id
        && call.id.is_empty()
    {
        call.id = id.to_owned();
    }
    if fragment.extra_content.is_some() {
        call.extra_content = fragment.extra_content;
    }
    let Some(function) = fragment.function else { return };
    if let Some(name) = function.name.filter(|name| !name.is_empty()) {
        let joined = format!("{}{name}", call.function.name);
        if call.function.name.is_empty() || tools::is_tool(&joined) {
            call.function.name = joined;
        } else if call.function.name != name {
            call.function.name = name;
        }
    }
    if let Some(arguments) = function.arguments {
        call.function.arguments.push_str(&arguments);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fragment(index: usize, id: Option<&str>, name: Option<&str>, arguments: Option<&str>) -> DeltaToolCall {
        DeltaToolCall {
            index: Some(index),
            id: id.map(Into::into),
            function: Some(super::super::wire::DeltaFunction {
                name: name.map(Into::into),
                arguments: arguments.map(Into::into),
            }),
            extra_content: None,
        }
    }

    #[test]
    fn repeated_names_are_not_concatenated_and_arguments_are() {
        let mut calls = Vec::new();
        merge_call(
            &mut calls,
            fragment(0, Some("call_a"), Some("add_task"), Some("{\"title\":")),
        );
        merge_call(&mut calls, fragment(0, None, Some("add_task"), Some("\"Milk\"}")));
        merge_call(&mut calls, fragment(1, Some("call_b"), Some("list_"), None));
        merge_call(&mut calls, fragment(1, None, Some("tasks"), Some("{}")));
        assert_eq!(calls[0].function.name, "add_task");
        assert_eq!(calls[0].function.arguments, "{\"title\":\"Milk\"}");
        assert_eq!(calls[1].id, "call_b");
        assert_eq!(calls[1].function.name, "list_tasks");
    }
}
