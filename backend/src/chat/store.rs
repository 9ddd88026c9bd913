//! Every SQL statement on `conversations` and `messages`. Each one is scoped to the owner, so
//! another user's conversation is simply "not found".

use serde_json::Value;
use sqlx::{PgExecutor, PgPool, types::Json};
use uuid::Uuid;

use super::model::{ConversationSummary, Message, Role, ToolCallRecord};
use crate::error::{Error, Result};

const NOT_FOUND: Error = Error::NotFound("conversation");

pub(crate) async fn create_conversation(db: &PgPool, user_id: Uuid, title: &str) -> Result<ConversationSummary> {
    let conversation = sqlx::query_as!(
        ConversationSummary,
        "insert into conversations (user_id, title) values ($1, $2)
         returning id, title, created_at, updated_at",
        user_id,
        title,
    )
    .fetch_one(db)
    .await?;
    Ok(conversation)
}

pub(crate) async fn conversation(db: &PgPool, user_id: Uuid, id: i64) -> Result<ConversationSummary> {
    sqlx::query_as!(
        ConversationSummary,
        "select id, title, created_at, updated_at from conversations where id = $1 and user_id = $2",
        id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Newest activity first.
pub(crate) async fn conversations(
    db: &PgPool,
    user_id: Uuid,
    limit: i64,
    offset: i64,
) -> Result<Vec<ConversationSummary>> {
    let rows = sqlx::query_as!(
        ConversationSummary,
        "select id, title, created_at, updated_at from conversations
         where user_id = $1
         order by updated_at desc, id desc
         limit $2 offset $3",
        user_id,
        limit,
        offset,
    )
    .fetch_all(db)
    .await?;
    Ok(rows)
}

/// Deletes the conversation and, by cascade, its messages.
pub(crate) async fn delete_conversation(db: &PgPool, user_id: Uuid, id: i64) -> Result<()> {
    let deleted = sqlx::query!("delete from conversations where id = $1 and user_id = $2", id, user_id)
        .execute(db)
        .await?;
    if deleted.rows_affected() == 0 {
        return Err(NOT_FOUND);
    }
    Ok(())
}

/// The latest `limit` messages of a conversation, returned oldest first.
pub(crate) async fn latest_messages(
    db: &PgPool,
    user_id: Uuid,
    conversation_id: i64,
    limit: i64,
) -> Result<Vec<Message>> {
    let mut rows = sqlx::query!(
        r#"select id, role, content, tool_calls as "tool_calls: Json<Vec<ToolCallRecord>>", created_at
           from messages
           where conversation_id = $1 and user_id = $2
           order by id desc
           limit $3"#,
        conversation_id,
        user_id,
        limit,
    )
    .fetch_all(db)
    .await?;
    rows.reverse();
    Ok(rows
        .into_iter()
        .map(|row| Message {
            id: row.id,
            role: Role::parse(&row.role),
            content: row.content,
            tool_calls: row.tool_calls.0,
            created_at: row.created_at,
        })
        .collect())
}

/// What the embedded engine remembered at the end of the conversation's latest turn.
pub(crate) async fn dialogue(db: &PgPool, user_id: Uuid, conversation_id: i64) -> Result<Value> {
    sqlx::query_scalar!(
        "select dialogue from conversations where id = $1 and user_id = $2",
        conversation_id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Appends a message and marks the conversation as active now, in one statement; `dialogue`, when
/// given, replaces what the engine remembers.
pub(crate) async fn append_message(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    conversation_id: i64,
    role: Role,
    content: &str,
    tool_calls: &[ToolCallRecord],
    dialogue: Option<&Value>,
) -> Result<i64> {
    let id = sqlx::query_scalar!(
        r#"with touched as (
               update conversations set updated_at = now(), dialogue = coalesce($6, dialogue)
               where id = $1 and user_id = $2 returning id
           )
           insert into messages (conversation_id, user_id, role, content, tool_calls)
           select id, $2, $3, $4, $5 from touched
           returning id"#,
        conversation_id,
        user_id,
        role.as_str(),
        content,
        Json(tool_calls) as _,
        dialogue,
    )
    .fetch_optional(db)
    .await?
    // The conversation was deleted while the turn ran.
    .ok_or(NOT_FOUND)?;
    Ok(id)
}
