//! The tools the agents act through: the contract's five (docs/contract.md, "The agent's tools") and
//! `undo`. Each is one function over the task service — the same code the REST routes run — scoped
//! to the authenticated user, so no tool can reach another user's tasks. Every change is journalled
//! with its turn in the same transaction ([`super::undo`]). A failing tool answers `{"error": "…"}`;
//! it never fails the turn.

use serde::Deserialize;
use serde_json::{Map, Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use super::undo::{self, ChangeKind, TurnKey};
use crate::{
    error::Error,
    quotas::Quotas,
    tasks::{
        input::{ListQuery, MAX_LIMIT, NewTaskRequest, TaskPatchRequest},
        model::{SortKey, SortOrder, StatusFilter, Task},
        service,
    },
    transaction,
};

pub(crate) const ADD_TASK: &str = "add_task";
pub(crate) const LIST_TASKS: &str = "list_tasks";
pub(crate) const COMPLETE_TASK: &str = "complete_task";
pub(crate) const DELETE_TASK: &str = "delete_task";
pub(crate) const UPDATE_TASK: &str = "update_task";
/// Not one of the contract's five: reverts the changes of the latest turn.
pub(crate) const UNDO: &str = "undo";

/// The tools, bound to one user's tasks and to the turn their changes are journalled under, and held
/// to the user's quotas.
#[derive(Debug, Clone)]
pub struct ToolBox {
    db: PgPool,
    user_id: Uuid,
    key: TurnKey,
    quotas: Quotas,
}

impl ToolBox {
    /// Tools for a caller outside a conversation; its changes form one turn.
    pub fn new(db: PgPool, user_id: Uuid) -> Self {
        Self::for_turn(db, user_id, TurnKey::new(None))
    }

    /// Tools for one turn of a conversation.
    pub fn for_turn(db: PgPool, user_id: Uuid, key: TurnKey) -> Self {
        Self {
            db,
            user_id,
            key,
            quotas: Quotas::default(),
        }
    }

    /// The same tools held to the configured quotas instead of the defaults.
    pub(crate) fn with_quotas(self, quotas: Quotas) -> Self {
        Self { quotas, ..self }
    }

    pub(crate) fn quotas(&self) -> &Quotas {
        &self.quotas
    }

    /// Runs `tool` with `arguments`; every failure becomes `{"error": "…"}` for the agent to read.
    #[tracing::instrument(name = "tool_call", skip_all, fields(tool = %tool, outcome))]
    pub async fn call(&self, tool: &str, arguments: &Value) -> Value {
        let started = std::time::Instant::now();
        let result = match tool {
            ADD_TASK => self.add_task(arguments).await,
            LIST_TASKS => self.list_tasks(arguments).await,
            COMPLETE_TASK => self.complete_task(arguments).await,
            DELETE_TASK => self.delete_task(arguments).await,
            UPDATE_TASK => self.update_task(arguments).await,
            UNDO => self.undo(arguments).await,
            other => Err(format!(
                "unknown tool `{other}`; the tools are {}",
                TOOL_NAMES.join(", ")
            )),
        };
        let span = tracing::Span::current();
        span.record("outcome", if result.is_ok() { "ok" } else { "error" });
        tracing::info!(duration_ms = started.elapsed().as_millis() as u64, "tool finished");
        result.unwrap_or_else(|message| json!({ "error": message }))
    }

    async fn add_task(&self, arguments: &Value) -> Result<Value, String> {
        let request: NewTaskRequest = parse(arguments.clone())?;
        let task = request.validate().map_err(problem)?;
        let mut tx = transaction::begin(&self.db).await.map_err(database)?;
        let task = service::create(&mut *tx, self.user_id, task, self.quotas.max_tasks())
            .await
            .map_err(problem)?;
        undo::record(&mut *tx, self.user_id, self.key, task.id, ChangeKind::Created, None)
            .await
            .map_err(problem)?;
        tx.commit().await.map_err(database)?;
        Ok(outcome(&task, "created"))
    }

    async fn list_tasks(&self, arguments: &Value) -> Result<Value, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Arguments {
            status: Option<StatusFilter>,
            q: Option<String>,
        }
        let Arguments { status, q } = parse(arguments.clone())?;
        // Oldest first reads naturally as a numbered list in a conversation; the page is the
        // largest the API allows, so a lookup by words sees every task of a real user.
        let query = ListQuery {
            status,
            q,
            sort: Some(SortKey::Created),
            order: Some(SortOrder::Asc),
            limit: Some(MAX_LIMIT),
            ..ListQuery::default()
        };
        let page = service::list(&self.db, self.user_id, &query.validate().map_err(problem)?)
            .await
            .map_err(problem)?;
        serde_json::to_value(page.tasks).map_err(|err| err.to_string())
    }

    async fn complete_task(&self, arguments: &Value) -> Result<Value, String> {
        let (id, _) = task_id_and_rest(arguments)?;
        let patch = TaskPatchRequest {
            completed: Some(true),
            ..TaskPatchRequest::default()
        };
        let task = self.patch(id, patch).await?;
        Ok(outcome(&task, "completed"))
    }

    async fn delete_task(&self, arguments: &Value) -> Result<Value, String> {
        let (id, _) = task_id_and_rest(arguments)?;
        let mut tx = transaction::begin(&self.db).await.map_err(database)?;
        let task = service::delete(&mut *tx, self.user_id, id)
            .await
            .map_err(|err| not_found_or(err, id))?;
        undo::record(&mut *tx, self.user_id, self.key, id, ChangeKind::Deleted, Some(&task))
            .await
            .map_err(problem)?;
        tx.commit().await.map_err(database)?;
        Ok(outcome(&task, "deleted"))
    }

    async fn update_task(&self, arguments: &Value) -> Result<Value, String> {
        let (id, rest) = task_id_and_rest(arguments)?;
        if rest.is_empty() {
            return Err("nothing to change: pass title, description, priority, due_at or completed".into());
        }
        let task = self.patch(id, parse(Value::Object(rest))?).await?;
        Ok(outcome(&task, "updated"))
    }

    async fn patch(&self, id: i64, request: TaskPatchRequest) -> Result<Task, String> {
        let patch = request.validate().map_err(problem)?;
        let mut tx = transaction::begin(&self.db).await.map_err(database)?;
        let before = service::get(&mut *tx, self.user_id, id)
            .await
            .map_err(|err| not_found_or(err, id))?;
        let task = service::update(&mut *tx, self.user_id, id, patch)
            .await
            .map_err(|err| not_found_or(err, id))?;
        undo::record(&mut *tx, self.user_id, self.key, id, ChangeKind::Updated, Some(&before))
            .await
            .map_err(problem)?;
        tx.commit().await.map_err(database)?;
        Ok(task)
    }

    /// Reverts the latest turn of this conversation (or, outside one, of this caller) that changed tasks.
    async fn undo(&self, arguments: &Value) -> Result<Value, String> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Arguments {}
        let Arguments {} = parse(match arguments {
            Value::Null => json!({}),
            other => other.clone(),
        })?;
        let reverted = undo::undo_last_turn(&self.db, self.user_id, self.key.conversation_id)
            .await
            .map_err(problem)?;
        if reverted.is_empty() {
            return Err("nothing to undo: no change has been made in this conversation".into());
        }
        Ok(json!({ "status": "undone", "changes": reverted }))
    }
}

const TOOL_NAMES: [&str; 6] = [ADD_TASK, LIST_TASKS, COMPLETE_TASK, DELETE_TASK, UPDATE_TASK, UNDO];

/// Whether `name` is one of the tools.
pub(crate) fn is_tool(name: &str) -> bool {
    TOOL_NAMES.contains(&name)
}

/// The spec's result shape for a change to one task.
fn outcome(task: &Task, status: &str) -> Value {
    json!({ "task_id": task.id, "status": status, "title": task.title })
}

fn parse<T: serde::de::DeserializeOwned>(arguments: Value) -> Result<T, String> {
    serde_json::from_value(arguments).map_err(|err| format!("invalid arguments: {err}"))
}

/// `task_id` (an integer, or a string of digits as small models send) and the other arguments.
fn task_id_and_rest(arguments: &Value) -> Result<(i64, Map<String, Value>), String> {
    let Value::Object(map) = arguments else {
        return Err("invalid arguments: expected a JSON object".into());
    };
    let mut rest = map.clone();
    let id = match rest.remove("task_id") {
        Some(Value::Number(number)) => number.as_i64(),
        Some(Value::String(text)) => text.trim().trim_start_matches('#').parse().ok(),
        Some(_) => None,
        None => return Err("invalid arguments: task_id is required".into()),
    };
    let id = id.ok_or("invalid arguments: task_id must be an integer")?;
    Ok((id, rest))
}

/// A validation problem as one sentence the model (or the rules engine) can repeat to the user.
fn problem(err: Error) -> String {
    match err {
        Error::Validation(fields) => {
            let parts: Vec<String> = fields.iter().map(|(field, issue)| format!("{field} {issue}")).collect();
            format!("invalid arguments: {}", parts.join("; "))
        }
        Error::InvalidQuery(message) | Error::InvalidBody(message) => format!("invalid arguments: {message}"),
        Error::Database(err) | Error::DatabaseUnavailable(Some(err)) => {
            tracing::error!(error = %err, "tool could not reach the database");
            "the task store is unavailable right now; nothing was changed".into()
        }
        Error::DatabaseUnavailable(None) => "the task store is unavailable right now; nothing was changed".into(),
        other => other.to_string(),
    }
}

fn database(err: sqlx::Error) -> String {
    problem(Error::Database(err))
}

fn not_found_or(err: Error, id: i64) -> String {
    match err {
        Error::NotFound(_) => format!("task {id} not found"),
        other => problem(other),
    }
}

/// The tools as OpenAI function definitions (JSON Schema parameters).
pub(crate) fn definitions() -> Value {
    let priority = json!({ "type": "string", "enum": ["low", "medium", "high"] });
    let due_at = json!({
        "type": ["string", "null"],
        "description": "Due date and time as RFC 3339 with the user's UTC offset, e.g. 2026-12-03T17:00:00+01:00"
    });
    let task_id = json!({ "type": "integer", "description": "The task's number (id)" });
    json!([
        function(
            ADD_TASK,
            "Create a new task for the user.",
            json!({
                "title": { "type": "string", "description": "Short task title, e.g. Buy groceries" },
                "description": { "type": "string" },
                "priority": priority,
                "due_at": due_at,
            }),
            &["title"]
        ),
        function(
            LIST_TASKS,
            "List the user's tasks, optionally only pending or completed ones, or those matching text.",
            json!({
                "status": { "type": "string", "enum": ["all", "pending", "completed"] },
                "q": { "type": "string", "description": "Text to search for in titles and descriptions" },
            }),
            &[]
        ),
        function(
            COMPLETE_TASK,
            "Mark a task as completed.",
            json!({ "task_id": task_id }),
            &["task_id"]
        ),
        function(
            DELETE_TASK,
            "Delete a task.",
            json!({ "task_id": task_id }),
            &["task_id"]
        ),
        function(
            UPDATE_TASK,
            "Change a task's title, description, priority, due date, or completion.",
            json!({
                "task_id": task_id,
                "title": { "type": "string" },
                "description": { "type": ["string", "null"] },
                "priority": priority,
                "due_at": due_at,
                "completed": { "type": "boolean" },
            }),
            &["task_id"]
        ),
        function(
            UNDO,
            "Undo the changes of the latest turn that changed tasks (a deleted task comes back as it was). \
             Use it when the user says undo, scratch that or never mind right after a change.",
            json!({}),
            &[]
        ),
    ])
}

fn function(name: &str, description: &str, properties: Value, required: &[&str]) -> Value {
    let mut parameters = json!({ "type": "object", "required": required });
    parameters["properties"] = properties;
    json!({
        "type": "function",
        "function": { "name": name, "description": description, "parameters": parameters },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_ids_come_as_integers_or_digit_strings() {
        assert_eq!(task_id_and_rest(&json!({"task_id": 3})).unwrap().0, 3);
        assert_eq!(task_id_and_rest(&json!({"task_id": "#12"})).unwrap().0, 12);
        assert!(task_id_and_rest(&json!({"task_id": "three"})).is_err());
        assert!(task_id_and_rest(&json!({})).is_err());
        let (_, rest) = task_id_and_rest(&json!({"task_id": 1, "title": "x"})).unwrap();
        assert_eq!(Value::Object(rest), json!({"title": "x"}));
    }

    #[test]
    fn every_tool_has_a_definition() {
        let names: Vec<String> = definitions()
            .as_array()
            .unwrap()
            .iter()
            .map(|tool| tool["function"]["name"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(names, TOOL_NAMES);
    }
}
