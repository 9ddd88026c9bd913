//! What the backend sends and receives (docs/contract.md), as far as the UI needs it. Unknown fields in
//! answers are ignored so the backend can grow; requests carry only fields the backend knows.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::urls;

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AuthToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct SignupRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<&'a str>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct LoginRequest<'a> {
    pub email: &'a str,
    pub password: &'a str,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Task {
    pub id: i64,
    pub title: String,
    pub description: Option<String>,
    pub completed: bool,
    pub priority: Priority,
    pub due_at: Option<DateTime<Utc>>,
}

/// `low`, `medium` (the default) or `high`, as the backend names them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Priority {
    Low,
    #[default]
    Medium,
    High,
}

impl Priority {
    pub(crate) const ALL: [Self; 3] = [Self::Low, Self::Medium, Self::High];
}

/// The wire name, which is also what the UI shows.
impl std::fmt::Display for Priority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
        })
    }
}

impl Task {
    pub(crate) fn toggle_url(&self) -> String {
        urls::with_id(urls::TASK_TOGGLE, self.id)
    }

    pub(crate) fn delete_url(&self) -> String {
        urls::with_id(urls::TASK_DELETE, self.id)
    }

    pub(crate) fn edit_url(&self) -> String {
        urls::with_id(urls::TASK_EDIT, self.id)
    }

    /// Due date as the UI shows it (`2026-11-30`).
    pub(crate) fn due_label(&self) -> Option<String> {
        self.due_at.map(|due| due.format("%Y-%m-%d").to_string())
    }
}

/// `status`/`q` filters of the task list.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TaskQuery {
    #[serde(default)]
    pub status: TaskStatus,
    #[serde(default)]
    pub q: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum TaskStatus {
    #[default]
    All,
    Pending,
    Completed,
}

impl TaskStatus {
    pub(crate) const ALL: [Self; 3] = [Self::All, Self::Pending, Self::Completed];

    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::All => "all",
            Self::Pending => "pending",
            Self::Completed => "completed",
        }
    }

    pub(crate) fn label(self) -> &'static str {
        match self {
            Self::All => "All",
            Self::Pending => "Pending",
            Self::Completed => "Completed",
        }
    }
}

/// Body of create (all fields) and update (only what changes) calls.
#[derive(Debug, Clone, Default, Serialize)]
pub(crate) struct TaskInput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<Option<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct ChatRequest<'a> {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversation_id: Option<i64>,
    pub message: &'a str,
}

/// A chat turn asked for by id: its id, and the conversation it runs in once that exists.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct TurnStatus {
    pub turn_id: uuid::Uuid,
    pub conversation_id: Option<i64>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ConversationSummary {
    pub id: i64,
    pub title: Option<String>,
    pub updated_at: DateTime<Utc>,
}

impl ConversationSummary {
    pub(crate) fn label(&self) -> &str {
        self.title
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("New conversation")
    }

    pub(crate) fn url(&self) -> String {
        urls::conversation(self.id)
    }

    pub(crate) fn delete_url(&self) -> String {
        urls::with_id(urls::CHAT_DELETE, self.id)
    }

    pub(crate) fn when(&self) -> String {
        self.updated_at.format("%b %-d, %H:%M").to_string()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Conversation {
    #[serde(flatten)]
    pub summary: ConversationSummary,
    pub messages: Vec<Message>,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct Message {
    pub role: Role,
    pub content: String,
    #[serde(default)]
    pub tool_calls: Vec<ToolCall>,
}

/// Who wrote a stored message. Only people's and the assistant's messages are shown; whatever else
/// the backend stores (tool rows, say) is `Other`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Role {
    User,
    Assistant,
    #[serde(other)]
    Other,
}

#[derive(Debug, Clone, Deserialize)]
pub(crate) struct ToolCall {
    pub tool: String,
    #[serde(default)]
    pub result: Value,
}

/// A personal access token as the backend lists it (never the token itself).
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct AccessToken {
    pub id: i64,
    pub name: String,
    pub token_prefix: String,
    pub created_at: DateTime<Utc>,
    pub expires_at: Option<DateTime<Utc>>,
    pub last_used_at: Option<DateTime<Utc>>,
}

impl AccessToken {
    pub(crate) fn revoke_url(&self) -> String {
        urls::with_id(urls::CONNECT_TOKEN_REVOKE, self.id)
    }

    pub(crate) fn created_label(&self) -> String {
        day(self.created_at)
    }

    pub(crate) fn expires_label(&self) -> String {
        match self.expires_at {
            None => "never".into(),
            Some(at) if at <= Utc::now() => format!("expired {}", day(at)),
            Some(at) => day(at),
        }
    }

    pub(crate) fn last_used_label(&self) -> String {
        self.last_used_at
            .map_or_else(|| "never".into(), |at| at.format("%Y-%m-%d %H:%M UTC").to_string())
    }
}

fn day(at: DateTime<Utc>) -> String {
    at.format("%Y-%m-%d").to_string()
}

/// The backend's answer to creating a token: the only time the token itself is seen.
#[derive(Debug, Clone, Deserialize)]
pub(crate) struct CreatedAccessToken {
    pub name: String,
    pub token: String,
}

#[derive(Debug, Clone, Serialize)]
pub(crate) struct AccessTokenRequest<'a> {
    pub name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in_days: Option<u16>,
}
