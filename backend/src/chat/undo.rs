//! Undo: every change a chat tool makes to a task is journalled with the turn that made it, in
//! the same transaction as the change; [`undo_last_turn`] puts the tasks of the latest turn back
//! as they were. It works over the task service alone, so any caller of the tools (the chat
//! engines, a future MCP endpoint) can offer it.

use serde::Serialize;
use sqlx::{PgExecutor, PgPool, types::Json};
use uuid::Uuid;

use crate::{
    error::{Error, Result},
    tasks::{input::TaskPatch, model::Task, service},
    transaction,
};

/// Which turn a change belongs to: a conversation (or none, for a caller outside one) and a
/// random key per turn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TurnKey {
    pub conversation_id: Option<i64>,
    pub turn: Uuid,
}

impl TurnKey {
    pub fn new(conversation_id: Option<i64>) -> Self {
        Self {
            conversation_id,
            turn: Uuid::new_v4(),
        }
    }
}

/// What a journalled change did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ChangeKind {
    Created,
    Updated,
    Deleted,
}

impl ChangeKind {
    fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Updated => "updated",
            Self::Deleted => "deleted",
        }
    }
}

/// Records one change; `before` is the task as it was (none for a created task).
pub(crate) async fn record(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    key: TurnKey,
    task_id: i64,
    kind: ChangeKind,
    before: Option<&Task>,
) -> Result<()> {
    sqlx::query!(
        "insert into task_changes (user_id, conversation_id, turn, task_id, action, before)
         values ($1, $2, $3, $4, $5, $6)",
        user_id,
        key.conversation_id,
        key.turn,
        task_id,
        kind.as_str(),
        before.map(Json) as _,
    )
    .execute(db)
    .await?;
    Ok(())
}

/// One change put back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub(crate) struct Reverted {
    pub task_id: i64,
    pub title: String,
    /// `removed` (it had been created), `restored` (it had been deleted), `reverted` (changed
    /// back), or `skipped` (changed again since, so it was left as it is).
    pub status: &'static str,
}

/// Reverts the latest turn of `conversation_id` that changed tasks and has not been undone yet,
/// newest change first, in one transaction. Empty when there is nothing to undo.
pub(crate) async fn undo_last_turn(db: &PgPool, user_id: Uuid, conversation_id: Option<i64>) -> Result<Vec<Reverted>> {
    let mut tx = transaction::begin(db).await?;
    let changes = sqlx::query!(
        r#"select id, task_id, action, before as "before: Json<Task>", created_at
           from task_changes
           where user_id = $1 and conversation_id is not distinct from $2 and undone_at is null
             and turn = (select turn from task_changes
                         where user_id = $1 and conversation_id is not distinct from $2 and undone_at is null
                         order by id desc limit 1)
           order by id desc
           for update"#,
        user_id,
        conversation_id,
    )
    .fetch_all(&mut *tx)
    .await?;
    let mut reverted = Vec::new();
    let mut handled = std::collections::HashSet::new();
    for change in &changes {
        let current = match service::get(&mut *tx, user_id, change.task_id).await {
            Ok(task) => Some(task),
            Err(Error::NotFound(_)) => None,
            Err(err) => return Err(err),
        };
        // A task changed since the journal last saw it (in the app, say) is left alone rather
        // than overwritten; the journal's own events are its changes and earlier undos.
        let last_seen = sqlx::query_scalar!(
            r#"select max(greatest(created_at, coalesce(undone_at, created_at))) as "last_seen"
               from task_changes where user_id = $1 and task_id = $2"#,
            user_id,
            change.task_id,
        )
        .fetch_one(&mut *tx)
        .await?
        .unwrap_or(change.created_at);
        let untouched_since =
            handled.contains(&change.task_id) || current.as_ref().is_none_or(|task| task.updated_at <= last_seen);
        handled.insert(change.task_id);
        let before = change.before.as_ref().map(|before| &before.0);
        let outcome = match (change.action.as_str(), current, before) {
            ("created", Some(task), _) if untouched_since => {
                service::delete(&mut *tx, user_id, task.id).await?;
                ("removed", task.title)
            }
            ("deleted", None, Some(before)) => match service::restore(&mut *tx, before).await? {
                Some(task) => ("restored", task.title),
                None => ("skipped", before.title.clone()),
            },
            ("updated", Some(_), Some(before)) if untouched_since => {
                let task = service::update(&mut *tx, user_id, before.id, patch_back_to(before)).await?;
                ("reverted", task.title)
            }
            (_, Some(task), _) => ("skipped", task.title),
            (_, None, before) => ("skipped", before.map(|b| b.title.clone()).unwrap_or_default()),
        };
        reverted.push(Reverted {
            task_id: change.task_id,
            title: outcome.1,
            status: outcome.0,
        });
    }
    let ids: Vec<i64> = changes.iter().map(|change| change.id).collect();
    sqlx::query!("update task_changes set undone_at = now() where id = any($1)", &ids)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    reverted.reverse();
    Ok(reverted)
}

/// Every field a tool can change, set back to `before`.
fn patch_back_to(before: &Task) -> TaskPatch {
    TaskPatch {
        title: Some(before.title.clone()),
        description: Some(before.description.clone()),
        priority: Some(before.priority),
        due_at: Some(before.due_at),
        completed: Some(before.completed),
    }
}
