//! One turn at a time per conversation, and turns lost with their replica (issue 15 items 7, 8).
//!
//! A conversation row names the turn it is answering (`turn`, the undo journal's key for it) and
//! when that turn's replica last said it is still working on it (`turn_seen_at`). A second turn
//! while one runs is refused with 409 instead of interleaving replies. A turn whose heartbeat has
//! stopped died with its process (kill -9, OOM, a node lost); the changes it made were journalled
//! as they happened ([`super::undo`]), so the next load of the conversation stores a reply that
//! says the turn was interrupted and lists them, and the conversation is free again.

use std::time::Duration;

use sqlx::PgPool;
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::{model::Role, store, undo::TurnKey};
use crate::{
    error::{Error, Result},
    transaction,
};

/// How often a running turn says it is still alive.
const HEARTBEAT: Duration = Duration::from_secs(10);
/// A turn not heard of for this long was lost with its replica.
const LOST_AFTER: Duration = Duration::from_secs(30);

/// Marks the conversation as answering the turn `key`; `TurnInProgress` while another turn runs
/// in it. A lost turn in the way is closed first.
pub(crate) async fn begin(db: &PgPool, user_id: Uuid, conversation_id: i64, key: TurnKey) -> Result<()> {
    // Looking for a lost turn costs a transaction; only a conversation that is taken can have one.
    if claim(db, user_id, conversation_id, key).await? {
        return Ok(());
    }
    close_lost(db, user_id, conversation_id).await?;
    if claim(db, user_id, conversation_id, key).await? {
        return Ok(());
    }
    Err(Error::TurnInProgress)
}

/// `true` when the conversation was free and now answers the turn `key`.
async fn claim(db: &PgPool, user_id: Uuid, conversation_id: i64, key: TurnKey) -> Result<bool> {
    let claimed = sqlx::query_scalar!(
        "update conversations set turn = $3, turn_seen_at = now()
         where id = $1 and user_id = $2 and turn is null
         returning id",
        conversation_id,
        user_id,
        key.turn,
    )
    .fetch_optional(db)
    .await?;
    Ok(claimed.is_some())
}

/// Frees the conversation once the turn `key` has stored its reply (or could not).
pub(crate) async fn end(db: &PgPool, user_id: Uuid, conversation_id: i64, key: TurnKey) -> Result<()> {
    sqlx::query!(
        "update conversations set turn = null, turn_seen_at = null
         where id = $1 and user_id = $2 and turn = $3",
        conversation_id,
        user_id,
        key.turn,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps the turn `key` marked alive until the returned guard is dropped.
pub(crate) fn heartbeat(db: PgPool, conversation_id: i64, key: TurnKey) -> Heartbeat {
    Heartbeat(tokio::spawn(async move {
        let mut ticks = tokio::time::interval(HEARTBEAT);
        ticks.tick().await;
        loop {
            ticks.tick().await;
            let beat = sqlx::query!(
                "update conversations set turn_seen_at = now() where id = $1 and turn = $2",
                conversation_id,
                key.turn,
            )
            .execute(&db)
            .await;
            if let Err(err) = beat {
                tracing::warn!(error = %err, "could not mark the chat turn as alive");
            }
        }
    }))
}

/// Stops the heartbeat when the turn ends, however it ends.
#[derive(Debug)]
pub(crate) struct Heartbeat(JoinHandle<()>);

impl Drop for Heartbeat {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Closes a turn of the conversation that was lost with its replica: frees the conversation and,
/// when the user's message is still unanswered, stores a reply that says so and lists the changes
/// the turn had made. Exactly one caller closes a given lost turn.
pub(crate) async fn close_lost(db: &PgPool, user_id: Uuid, conversation_id: i64) -> Result<()> {
    let mut tx = transaction::begin(db).await?;
    let lost = sqlx::query_scalar!(
        r#"with lost as (
               select id, turn from conversations
               where id = $1 and user_id = $2 and turn_seen_at < now() - make_interval(secs => $3)
               for update skip locked
           )
           update conversations set turn = null, turn_seen_at = null
           from lost where conversations.id = lost.id
           returning lost.turn as "turn!""#,
        conversation_id,
        user_id,
        LOST_AFTER.as_secs_f64(),
    )
    .fetch_optional(&mut *tx)
    .await?;
    let Some(turn) = lost else {
        return Ok(());
    };
    let unanswered = sqlx::query_scalar!(
        "select role = 'user' as \"unanswered!\" from messages where conversation_id = $1
         order by id desc limit 1",
        conversation_id,
    )
    .fetch_optional(&mut *tx)
    .await?
    .unwrap_or(false);
    if unanswered {
        let changes = sqlx::query!(
            r#"select c.task_id, c.action, coalesce(t.title, c.before ->> 'title', '') as "title!"
               from task_changes c left join tasks t on t.id = c.task_id and t.user_id = c.user_id
               where c.user_id = $1 and c.turn = $2
               order by c.id"#,
            user_id,
            turn,
        )
        .fetch_all(&mut *tx)
        .await?;
        let done: Vec<String> = changes
            .iter()
            .map(|change| change_summary(&change.action, change.task_id, &change.title))
            .collect();
        store::append_message(
            &mut *tx,
            user_id,
            conversation_id,
            Role::Assistant,
            &note(&done),
            &[],
            None,
        )
        .await?;
    }
    tx.commit().await?;
    tracing::warn!(conversation_id, %turn, "closed a chat turn lost with its replica");
    Ok(())
}

/// "added task #5 "Buy milk"" for a journalled change.
fn change_summary(action: &str, task_id: i64, title: &str) -> String {
    let verb = match action {
        "created" => "added",
        "deleted" => "deleted",
        _ => "changed",
    };
    format!("{verb} task #{task_id} \"{title}\"")
}

/// What an interrupted turn's stored reply says.
fn note(done: &[String]) -> String {
    let start = "Sorry, I was interrupted before I could finish that reply (the server stopped).";
    if done.is_empty() {
        format!("{start} Nothing was changed.")
    } else {
        format!("{start} Before that I had already {}.", done.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_note_lists_what_was_done() {
        assert!(note(&[]).ends_with("Nothing was changed."));
        let done = [
            change_summary("created", 5, "Buy milk"),
            change_summary("updated", 3, "Call mom"),
            change_summary("deleted", 2, "Old"),
        ];
        assert!(
            note(&done).ends_with(
                "already added task #5 \"Buy milk\", changed task #3 \"Call mom\", deleted task #2 \"Old\"."
            )
        );
    }
}
