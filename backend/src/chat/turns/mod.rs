//! Chat turns by id, beside the contract's one-request `POST /api/{user_id}/chat`: the message is
//! stored as a pending turn (`POST …/chat/turns`), and a stream asks for the turn by its opaque id
//! (`POST …/chat/turns/{turn_id}/run`), so no user text travels in a URL. The first request for
//! the id claims the turn atomically and runs it; every later one (a reconnect, a second tab,
//! another replica) never runs it again: it waits for the turn and replays what is stored. A turn
//! can be stopped (`…/stop`) from any replica; it stops between steps, never inside a tool call.

mod routes;
mod runner;
mod store;

pub(crate) use routes::routes;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::model::ToolCallRecord;

/// Where a turn is. `pending` until a stream claims it, `running` while it runs, then one of the
/// final states; a pending turn that nobody claims within [`PENDING_TTL_MINUTES`] is `expired`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub(crate) enum TurnState {
    Pending,
    Running,
    Done,
    Failed,
    Stopped,
    Expired,
}

impl TurnState {
    fn parse(value: &str) -> Self {
        match value {
            "pending" => Self::Pending,
            "running" => Self::Running,
            "done" => Self::Done,
            "stopped" => Self::Stopped,
            "expired" => Self::Expired,
            _ => Self::Failed,
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Done => "done",
            Self::Failed => "failed",
            Self::Stopped => "stopped",
            Self::Expired => "expired",
        }
    }

    /// Whether the turn will not change any more.
    fn is_final(self) -> bool {
        !matches!(self, Self::Pending | Self::Running)
    }
}

/// Minutes a pending turn waits for its stream.
pub(crate) const PENDING_TTL_MINUTES: i32 = 10;

/// A turn and how it went.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TurnStatus {
    /// The turn's opaque id, for its stream, its status and stopping it.
    pub turn_id: Uuid,
    pub state: TurnState,
    /// The conversation the turn runs in (null until a new conversation has been started).
    pub conversation_id: Option<i64>,
    /// The stored assistant reply, once the turn has finished with one.
    pub reply: Option<StoredReply>,
    /// Why a turn failed, stopped or expired.
    pub error: Option<TurnError>,
}

/// The assistant message a turn stored.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct StoredReply {
    pub message_id: i64,
    pub content: String,
    pub tool_calls: Vec<ToolCallRecord>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub(crate) struct TurnError {
    /// `stopped`, `turn_expired`, `interrupted`, or the agent's own code (e.g. `llm_timeout`).
    pub code: String,
    pub message: String,
}
