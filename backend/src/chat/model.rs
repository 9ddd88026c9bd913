//! What the chat API receives and returns, and what a stored message holds.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// Longest chat message accepted, in characters.
pub(crate) const MAX_MESSAGE_CHARS: usize = 4000;
/// Longest conversation title, taken from the first message.
pub(crate) const MAX_TITLE_CHARS: usize = 80;

/// Body of `POST /api/{user_id}/chat`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(crate) struct ChatRequest {
    /// Continue this conversation; omit it to start a new one.
    #[serde(default, deserialize_with = "json_integer")]
    pub conversation_id: Option<i64>,
    /// What the user says; 1–4000 characters.
    #[schema(
        example = "Add a task to buy groceries",
        min_length = 1,
        max_length = 4000,
        pattern = r"^[^\u0000]*[^\s\u0000][^\u0000]*$"
    )]
    pub message: String,
}

/// An integer as JSON Schema counts them: `7` and `7.0` alike (a JSON number with no fraction).
fn json_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    use serde::de::Error;
    let Some(number) = Option::<serde_json::Number>::deserialize(deserializer)? else {
        return Ok(None);
    };
    let float = number.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 2f64.powi(53));
    #[allow(clippy::cast_possible_truncation, reason = "integral and within ±2^53, so exact")]
    let value = number.as_i64().or(float.map(|f| f as i64));
    value
        .map(Some)
        .ok_or_else(|| D::Error::custom(format!("conversation_id must be an integer, got {number}")))
}

/// Reply to a chat turn (JSON mode).
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ChatResponse {
    pub conversation_id: i64,
    /// Id of the stored assistant message.
    pub message_id: i64,
    /// The assistant's reply.
    pub response: String,
    /// Tool calls made during this turn, in order.
    pub tool_calls: Vec<ToolCallRecord>,
}

/// One tool call and what it returned.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub(crate) struct ToolCallRecord {
    /// Call id, unique within its turn; pairs `tool_call` and `tool_result` stream events.
    #[serde(default)]
    pub id: String,
    /// `add_task`, `list_tasks`, `complete_task`, `delete_task` or `update_task`.
    pub tool: String,
    #[schema(value_type = Object)]
    pub arguments: Value,
    /// The tool's result: a task, a list of tasks (`list_tasks`), or `{"error": "…"}`.
    pub result: Value,
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Assistant,
    Tool,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Assistant => "assistant",
            Self::Tool => "tool",
        }
    }

    /// Unknown roles cannot be stored (a check constraint), so they only come from a damaged row.
    pub(crate) fn parse(value: &str) -> Self {
        match value {
            "user" => Self::User,
            "tool" => Self::Tool,
            _ => Self::Assistant,
        }
    }
}

/// A stored message.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct Message {
    pub id: i64,
    pub role: Role,
    pub content: String,
    pub tool_calls: Vec<ToolCallRecord>,
    pub created_at: DateTime<Utc>,
}

/// A conversation in the list.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct ConversationSummary {
    pub id: i64,
    pub title: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A conversation with its messages, oldest first.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct ConversationDetail {
    #[serde(flatten)]
    pub conversation: ConversationSummary,
    pub messages: Vec<Message>,
}

/// Title of a new conversation: the first line of its first message, shortened on a word boundary.
pub(crate) fn title_from(message: &str) -> String {
    let line = message
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("New conversation");
    if line.chars().count() <= MAX_TITLE_CHARS {
        return line.to_owned();
    }
    let cut: String = line.chars().take(MAX_TITLE_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(space) if space > MAX_TITLE_CHARS / 2 => &cut[..space],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_the_first_line_shortened_on_a_word() {
        assert_eq!(title_from("  \nAdd milk\nand more"), "Add milk");
        let long = "word ".repeat(40);
        let title = title_from(&long);
        assert!(title.chars().count() <= MAX_TITLE_CHARS, "{title}");
        assert!(title.ends_with("word…"), "{title}");
    }
}
