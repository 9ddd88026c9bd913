//! The task service: every SQL statement on `tasks`. Each function is scoped to one owner, so a
//! caller can never read or change another user's task (it is simply "not found").

use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use super::{
    input::{ListFilter, NewTask, TaskPatch},
    model::{Priority, SortKey, SortOrder, Task},
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

/// Filters, searches, sorts and pages. Each sort key and direction has its own statement, whose ORDER BY
/// an index walks in order (migration 20261201003001), so a page reads about `offset + limit` of the
/// user's tasks instead of sorting all of them. The total is counted only when the page cannot tell it.
pub(crate) async fn list(db: &PgPool, user_id: Uuid, filter: &ListFilter) -> Result<TaskPage> {
    let pattern = filter.q.as_deref().map(like_pattern);
    let completed = filter.status.completed();
    let (limit, offset) = (i64::from(filter.limit), i64::from(filter.offset));
    // One statement text per order; filters and paging stay parameters, so each text is prepared once per
    // connection and its plan cached.
    macro_rules! page {
        ($order:literal) => {
            sqlx::query_as!(
                Task,
                r#"select id, user_id, title, description, completed, priority as "priority: Priority",
                          due_at, created_at, updated_at
                   from tasks
                   where user_id = $1
                     and ($2::bool is null or completed = $2)
                     and ($3::text is null or title ilike $3 or description ilike $3)
                   order by "#
                    + $order
                    + " limit $4 offset $5",
                user_id,
                completed,
                pattern,
                limit,
                offset,
            )
            .fetch_all(db)
            .await?
        };
    }
    let tasks = match (filter.sort, filter.order) {
        (SortKey::Created, SortOrder::Asc) => page!("created_at, id"),
        (SortKey::Created, SortOrder::Desc) => page!("created_at desc, id desc"),
        (SortKey::Title, SortOrder::Asc) => page!("lower(title), created_at, id"),
        (SortKey::Title, SortOrder::Desc) => page!("lower(title) desc, created_at desc, id desc"),
        (SortKey::DueDate, SortOrder::Asc) => page!("due_at nulls last, created_at, id"),
        (SortKey::DueDate, SortOrder::Desc) => page!("due_at desc nulls last, created_at desc, id desc"),
        (SortKey::Priority, SortOrder::Asc) => page!("priority, created_at, id"),
        (SortKey::Priority, SortOrder::Desc) => page!("priority desc, created_at desc, id desc"),
    };
    let shown = i64::try_from(tasks.len()).unwrap_or(i64::MAX);
    let total = if shown < limit && (shown > 0 || offset == 0) {
        // The last page (or the only one): everything before it was full.
        offset + shown
    } else {
        count(db, user_id, completed, pattern.as_deref()).await?
    };
    Ok(TaskPage { tasks, total })
}

/// How many tasks match the filter, all pages. Without a search an index-only scan of
/// `tasks_user_completed_created_idx` answers it.
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
