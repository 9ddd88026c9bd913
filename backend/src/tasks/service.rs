//! The task service: every SQL statement on `tasks`. Each function is scoped to one owner, so a
//! caller can never read or change another user's task (it is simply "not found").

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::{
    input::{ListFilter, NewTask, TaskPatch},
    model::{Priority, Task},
};
use crate::{
    error::{Error, Result},
    quotas::Quotas,
};

/// One page of tasks and how many match the filter in total.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TaskPage {
    pub tasks: Vec<Task>,
    pub total: i64,
}

const NOT_FOUND: Error = Error::NotFound("task");

/// Creates a task, unless the owner already keeps `max_tasks` (then `QuotaExceeded`). The count and
/// the insert are one statement but not serialised: creates racing at the limit may each pass it.
pub(crate) async fn create(
    db: impl PgExecutor<'_>,
    user_id: Uuid,
    task: NewTask,
    max_tasks: Option<i64>,
) -> Result<Task> {
    sqlx::query_as!(
        Task,
        r#"insert into tasks (user_id, title, description, priority, due_at)
           select $1, $2, $3, $4, $5
           where $6::bigint is null
              or (select count(*) from (select from tasks where user_id = $1 limit $6) as kept) < $6
           returning id, user_id, title, description, completed, priority as "priority: Priority",
                     due_at, created_at, updated_at"#,
        user_id,
        task.title,
        task.description,
        task.priority as Priority,
        task.due_at,
        max_tasks,
    )
    .fetch_optional(db)
    .await?
    .ok_or_else(|| Quotas::too_many_tasks(max_tasks.unwrap_or_default()))
}

pub(crate) async fn get(db: impl PgExecutor<'_>, user_id: Uuid, id: i64) -> Result<Task> {
    sqlx::query_as!(
        Task,
        r#"select id, user_id, title, description, completed, priority as "priority: Priority",
                  due_at, created_at, updated_at
           from tasks where id = $1 and user_id = $2"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Filters, searches, sorts and pages in one statement; the total comes from a window count.
pub(crate) async fn list(db: &PgPool, user_id: Uuid, filter: &ListFilter) -> Result<TaskPage> {
    let pattern = filter.q.as_deref().map(like_pattern);
    let rows = sqlx::query!(
        r#"select id, user_id, title, description, completed, priority as "priority: Priority",
                  due_at, created_at, updated_at, count(*) over () as "total!"
           from tasks
           where user_id = $1
             and ($2::bool is null or completed = $2)
             and ($3::text is null or title ilike $3 or description ilike $3)
           order by
             case when $4 = 'title' and $5 = 'asc' then lower(title) end asc,
             case when $4 = 'title' and $5 = 'desc' then lower(title) end desc,
             case when $4 = 'due_date' and $5 = 'asc' then due_at end asc nulls last,
             case when $4 = 'due_date' and $5 = 'desc' then due_at end desc nulls last,
             case when $4 = 'priority' and $5 = 'asc' then priority end asc,
             case when $4 = 'priority' and $5 = 'desc' then priority end desc,
             case when $5 = 'asc' then created_at end asc,
             case when $5 = 'desc' then created_at end desc,
             case when $5 = 'asc' then id end asc,
             case when $5 = 'desc' then id end desc
           limit $6 offset $7"#,
        user_id,
        filter.status.completed(),
        pattern,
        filter.sort.as_str(),
        filter.order.as_str(),
        i64::from(filter.limit),
        i64::from(filter.offset),
    )
    .fetch_all(db)
    .await?;

    let total = match rows.first() {
        Some(row) => row.total,
        // A page past the end has no row to carry the window count.
        None if filter.offset > 0 => count(db, user_id, filter.status.completed(), pattern.as_deref()).await?,
        None => 0,
    };
    let tasks = rows
        .into_iter()
        .map(|row| Task {
            id: row.id,
            user_id: row.user_id,
            title: row.title,
            description: row.description,
            completed: row.completed,
            priority: row.priority,
            due_at: row.due_at,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
        .collect();
    Ok(TaskPage { tasks, total })
}

async fn count(db: &PgPool, user_id: Uuid, completed: Option<bool>, pattern: Option<&str>) -> Result<i64> {
    let total = sqlx::query_scalar!(
        r#"select count(*) as "total!" from tasks
           where user_id = $1
             and ($2::bool is null or completed = $2)
             and ($3::text is null or title ilike $3 or description ilike $3)"#,
        user_id,
        completed,
        pattern,
    )
    .fetch_one(db)
    .await?;
    Ok(total)
}

/// Applies the fields present in `patch`; the others keep their values.
pub(crate) async fn update(db: impl PgExecutor<'_>, user_id: Uuid, id: i64, patch: TaskPatch) -> Result<Task> {
    sqlx::query_as!(
        Task,
        r#"update tasks set
             title = coalesce($3, title),
             description = case when $4 then $5 else description end,
             priority = coalesce($6, priority),
             due_at = case when $7 then $8 else due_at end,
             completed = coalesce($9, completed)
           where id = $1 and user_id = $2
           returning id, user_id, title, description, completed, priority as "priority: Priority",
                     due_at, created_at, updated_at"#,
        id,
        user_id,
        patch.title,
        patch.description.is_some(),
        patch.description.flatten(),
        patch.priority as Option<Priority>,
        patch.due_at.is_some(),
        patch.due_at.flatten(),
        patch.completed,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Flips `completed`.
pub(crate) async fn toggle(db: &PgPool, user_id: Uuid, id: i64) -> Result<Task> {
    sqlx::query_as!(
        Task,
        r#"update tasks set completed = not completed
           where id = $1 and user_id = $2
           returning id, user_id, title, description, completed, priority as "priority: Priority",
                     due_at, created_at, updated_at"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Deletes the task and returns it as it was.
pub(crate) async fn delete(db: impl PgExecutor<'_>, user_id: Uuid, id: i64) -> Result<Task> {
    sqlx::query_as!(
        Task,
        r#"delete from tasks where id = $1 and user_id = $2
           returning id, user_id, title, description, completed, priority as "priority: Priority",
                     due_at, created_at, updated_at"#,
        id,
        user_id,
    )
    .fetch_optional(db)
    .await?
    .ok_or(NOT_FOUND)
}

/// Puts back a task exactly as it was (same id, fields and timestamps), for undo. A task that
/// exists again already is left alone: `None`.
pub(crate) async fn restore(db: impl PgExecutor<'_>, task: &Task) -> Result<Option<Task>> {
    let restored = sqlx::query_as!(
        Task,
        r#"insert into tasks (id, user_id, title, description, completed, priority, due_at, created_at, updated_at)
           overriding system value
           values ($1, $2, $3, $4, $5, $6, $7, $8, $9)
           on conflict (id) do nothing
           returning id, user_id, title, description, completed, priority as "priority: Priority",
                     due_at, created_at, updated_at"#,
        task.id,
        task.user_id,
        task.title,
        task.description,
        task.completed,
        task.priority as Priority,
        task.due_at,
        task.created_at,
        task.updated_at,
    )
    .fetch_optional(db)
    .await?;
    Ok(restored)
}

/// `%text%` for ILIKE with the user's `%`, `_` and `\` matched literally.
fn like_pattern(text: &str) -> String {
    let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
    format!("%{escaped}%")
}

#[cfg(test)]
mod tests {
    use super::like_pattern;

    #[test]
    fn like_pattern_escapes_wildcards() {
        assert_eq!(like_pattern("50%_off\\"), "%50\\%\\_off\\\\%");
    }
}
