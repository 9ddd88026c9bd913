//! Every SQL statement on `chat_turns`. Requests from people are scoped to the owner (another
//! user's turn is "not found"); the runner's own updates go by id and only move a turn forward.

use chrono::{DateTime, Utc};
use sqlx::{PgPool, types::Json};
use uuid::Uuid;

use super::{PENDING_TTL_MINUTES, StoredReply, TurnError, TurnState, TurnStatus};
use crate::{
    chat::model::ToolCallRecord,
    error::{Error, Result},
};

const NOT_FOUND: Error = Error::NotFound("turn");
/// The code and sentence of a turn nobody asked for in time.
const EXPIRED: (&str, &str) = (
    "turn_expired",
    "This message waited too long to be answered. Send it again.",
);
/// How long a finished (or abandoned) turn is kept for replays before it is forgotten.
const KEEP_DAYS: i32 = 1;

/// Stores `message` as a pending turn of `user_id`, forgetting the user's turns older than a day.
pub(super) async fn create(
    db: &PgPool,
    user_id: Uuid,
    conversation_id: Option<i64>,
    message: &str,
) -> Result<TurnStatus> {
    sqlx::query!(
        "delete from chat_turns where user_id = $1 and created_at < now() - make_interval(days => $2)",
        user_id,
        KEEP_DAYS,
    )
    .execute(db)
    .await?;
    let turn_id = Uuid::new_v4();
    sqlx::query!(
        "insert into chat_turns (id, user_id, conversation_id, message) values ($1, $2, $3, $4)",
        turn_id,
        user_id,
        conversation_id,
        message,
    )
    .execute(db)
    .await?;
    Ok(TurnStatus {
        turn_id,
        state: TurnState::Pending,
        conversation_id,
        reply: None,
        error: None,
    })
}

/// What a claim found.
#[derive(Debug)]
pub(super) enum Claim {
    /// This caller now runs the turn.
    Claimed {
        conversation_id: Option<i64>,
        message: String,
    },
    /// The turn had waited too long; it is now `expired`.
    Expired,
    /// Another request claimed it first (or it is final): nothing to run here.
    Taken,
}

/// Claims a pending turn in one statement, so that of any number of concurrent requests exactly
/// one gets [`Claim::Claimed`].
pub(super) async fn claim(db: &PgPool, user_id: Uuid, turn_id: Uuid) -> Result<Claim> {
    let claimed = sqlx::query!(
        "update chat_turns
         set state = case when created_at > now() - make_interval(mins => $3) then 'running' else 'expired' end,
             error_code = case when created_at > now() - make_interval(mins => $3) then null else $4 end,
             error_message = case when created_at > now() - make_interval(mins => $3) then null else $5 end,
             finished_at = case when created_at > now() - make_interval(mins => $3) then null else now() end,
             claimed_at = now()
         where id = $1 and user_id = $2 and state = 'pending'
         returning state, conversation_id, message",
        turn_id,
        user_id,
        PENDING_TTL_MINUTES,
        EXPIRED.0,
        EXPIRED.1,
    )
    .fetch_optional(db)
    .await?;
    Ok(match claimed {
        Some(row) if row.state == "running" => Claim::Claimed {
            conversation_id: row.conversation_id,
            message: row.message,
        },
        Some(_) => Claim::Expired,
        None if load(db, user_id, turn_id).await?.is_some() => Claim::Taken,
        None => return Err(NOT_FOUND),
    })
}

/// The turn as its owner sees it, and when it was claimed.
pub(super) async fn load(
    db: &PgPool,
    user_id: Uuid,
    turn_id: Uuid,
) -> Result<Option<(TurnStatus, Option<DateTime<Utc>>)>> {
    let row = sqlx::query!(
        r#"select t.state, t.conversation_id, t.error_code, t.error_message, t.claimed_at,
                  m.id as "message_id?", m.content as "content?",
                  m.tool_calls as "tool_calls?: Json<Vec<ToolCallRecord>>"
           from chat_turns t left join messages m on m.id = t.reply_message_id
           where t.id = $1 and t.user_id = $2"#,
        turn_id,
        user_id,
    )
    .fetch_optional(db)
    .await?;
    Ok(row.map(|row| {
        let state = TurnState::parse(&row.state);
        let reply = match (row.message_id, row.content, row.tool_calls) {
            (Some(message_id), Some(content), Some(Json(tool_calls))) => Some(StoredReply {
                message_id,
                content,
                tool_calls,
            }),
            _ => None,
        };
        let error = row.error_code.map(|code| TurnError {
            code,
            message: row.error_message.unwrap_or_default(),
        });
        let status = TurnStatus {
            turn_id,
            state,
            conversation_id: row.conversation_id,
            reply,
            error,
        };
        (status, row.claimed_at)
    }))
}

pub(super) async fn status(db: &PgPool, user_id: Uuid, turn_id: Uuid) -> Result<TurnStatus> {
    load(db, user_id, turn_id)
        .await?
        .map(|(status, _)| status)
        .ok_or(NOT_FOUND)
}

/// The conversation a running turn runs in (a new one exists only once the turn has started).
pub(super) async fn set_conversation(db: &PgPool, turn_id: Uuid, conversation_id: i64) -> Result<()> {
    sqlx::query!(
        "update chat_turns set conversation_id = $2 where id = $1",
        turn_id,
        conversation_id
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Records how a running turn ended.
pub(super) async fn finish(
    db: &PgPool,
    turn_id: Uuid,
    state: TurnState,
    reply_message_id: Option<i64>,
    error: Option<&TurnError>,
) -> Result<()> {
    sqlx::query!(
        "update chat_turns
         set state = $2, reply_message_id = $3, error_code = $4, error_message = $5, finished_at = now()
         where id = $1 and state = 'running'",
        turn_id,
        state.as_str(),
        reply_message_id,
        error.map(|e| e.code.as_str()),
        error.map(|e| e.message.as_str()),
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Asks a turn to stop: a pending one is stopped at once (it will never run), a running one
/// stops at its next step; a finished one is left as it is.
pub(super) async fn request_stop(db: &PgPool, user_id: Uuid, turn_id: Uuid, note: &TurnError) -> Result<()> {
    let found = sqlx::query!(
        "update chat_turns
         set stop_requested = true,
             error_code = case when state = 'pending' then $3 else error_code end,
             error_message = case when state = 'pending' then $4 else error_message end,
             finished_at = case when state = 'pending' then now() else finished_at end,
             state = case when state = 'pending' then 'stopped' else state end
         where id = $1 and user_id = $2",
        turn_id,
        user_id,
        note.code,
        note.message,
    )
    .execute(db)
    .await?;
    if found.rows_affected() == 0 {
        return Err(NOT_FOUND);
    }
    Ok(())
}

pub(super) async fn stop_requested(db: &PgPool, turn_id: Uuid) -> Result<bool> {
    let requested = sqlx::query_scalar!("select stop_requested from chat_turns where id = $1", turn_id)
        .fetch_optional(db)
        .await?;
    Ok(requested.unwrap_or(false))
}

/// Gives up on a turn still `running` long after its claim: the replica that ran it is gone.
pub(super) async fn mark_lost(
    db: &PgPool,
    turn_id: Uuid,
    claimed_before: DateTime<Utc>,
    note: &TurnError,
) -> Result<()> {
    sqlx::query!(
        "update chat_turns
         set state = 'failed', error_code = $3, error_message = $4, finished_at = now()
         where id = $1 and state = 'running' and claimed_at < $2",
        turn_id,
        claimed_before,
        note.code,
        note.message,
    )
    .execute(db)
    .await?;
    Ok(())
}
