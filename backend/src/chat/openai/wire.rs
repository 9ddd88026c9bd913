//! The Chat Completions wire format, as far as this client uses it. Deserialisation is lenient
//! (every field optional) because OpenAI-compatible servers differ in what they leave out.

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A message sent to the model.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(super) struct WireMessage {
    pub role: &'static str,
    /// Always a string: llama.cpp's server answers 500 to an assistant message whose content is
    /// null or missing, so a message that only calls tools carries `""`.
    pub content: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tool_calls: Vec<WireToolCall>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tool_call_id: Option<String>,
}

impl WireMessage {
    pub(super) fn new(role: &'static str, content: impl Into<String>) -> Self {
        Self {
            role,
            content: content.into(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    pub(super) fn calls(tool_calls: Vec<WireToolCall>) -> Self {
        Self {
            tool_calls,
            ..Self::new("assistant", "")
        }
    }

    pub(super) fn tool_result(call_id: &str, result: &Value) -> Self {
        Self {
            tool_call_id: Some(call_id.to_owned()),
            ..Self::new("tool", result.to_string())
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct WireToolCall {
    #[serde(default)]
    pub id: String,
    #[serde(rename = "type", default = "function_type")]
    pub kind: String,
    pub function: WireFunction,
    /// Provider data to send back with the call (Gemini's `thought_signature`, which it requires
    /// on the follow-up request of the same turn).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extra_content: Option<Value>,
}

fn function_type() -> String {
    "function".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(super) struct WireFunction {
    #[serde(default)]
    pub name: String,
    /// JSON text, exactly as the model wrote it (it may not parse).
    #[serde(default)]
    pub arguments: String,
}

/// A non-streamed response.
#[derive(Debug, Deserialize)]
pub(super) struct Completion {
    #[serde(default)]
    pub choices: Vec<Choice>,
}

#[derive(Debug, Deserialize)]
pub(super) struct Choice {
    pub message: ChoiceMessage,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct ChoiceMessage {
    pub content: Option<String>,
    /// OpenAI's refusal: the model declined, in words, with `content` null.
    pub refusal: Option<String>,
    #[serde(default)]
    pub tool_calls: Option<Vec<WireToolCall>>,
}

/// One streamed chunk.
#[derive(Debug, Deserialize)]
pub(super) struct Chunk {
    #[serde(default)]
    pub choices: Vec<ChunkChoice>,
    /// Some servers report failures inside the stream.
    pub error: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct ChunkChoice {
    #[serde(default)]
    pub delta: Delta,
    pub finish_reason: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub(super) struct Delta {
    pub content: Option<String>,
    pub refusal: Option<String>,
    pub tool_calls: Option<Vec<DeltaToolCall>>,
}

#[derive(Debug, Deserialize)]
pub(super) struct DeltaToolCall {
    /// Gemini leaves it out.
    pub index: Option<usize>,
    pub id: Option<String>,
    pub function: Option<DeltaFunction>,
    pub extra_content: Option<Value>,
}

#[derive(Debug, Deserialize)]
pub(super) struct DeltaFunction {
    pub name: Option<String>,
    pub arguments: Option<String>,
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_tool_calling_message_has_empty_content_not_null() {
        let message = WireMessage::calls(vec![WireToolCall {
            id: "call_1".into(),
            kind: "function".into(),
            function: WireFunction {
                name: "add_task".into(),
                arguments: "{}".into(),
            },
            extra_content: None,
        }]);
        let json = serde_json::to_value(message).unwrap();
        assert_eq!(json["content"], json!(""));
        assert_eq!(json["tool_calls"][0]["type"], "function");
        assert!(json.get("tool_call_id").is_none());
    }
}
