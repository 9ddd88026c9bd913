//! REST routes under `/api/{user_id}/tasks`; thin wrappers over [`super::service`].

use axum::{
    extract::{FromRequestParts, State},
    http::{HeaderMap, HeaderValue, StatusCode, request::Parts},
};
use sqlx::PgPool;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    input::{ListQuery, NewTaskRequest, TaskPatchRequest},
    model::Task,
    service,
};
use crate::{
    app::AppState,
    auth::extract::UserScope,
    error::{Error, ErrorBody, Result},
    extract::{JsonBody, QueryParams, path_id},
    quotas::UserQuotas,
};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_tasks, create_task))
        .routes(routes!(get_task, update_task, delete_task))
        .routes(routes!(toggle_task))
}

/// `{id}` of a task URL. An id that is not an integer names no task: 404, like any unknown id.
#[derive(Debug, Clone, Copy)]
struct TaskId(i64);

impl<S: Send + Sync> FromRequestParts<S> for TaskId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_id(parts, state, "task").await.map(Self)
    }
}

/// List, filter, search, sort and page your tasks.
#[utoipa::path(get, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ListQuery),
    responses(
        (status = 200, description = "One page of tasks", body = Vec<Task>,
            headers(("X-Total-Count" = i64, description = "Tasks matching the filter, all pages"))),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn list_tasks(
    scope: UserScope,
    State(db): State<PgPool>,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<(HeaderMap, axum::Json<Vec<Task>>)> {
    let page = service::list(&db, scope.user_id, &query.validate()?).await?;
    let mut headers = HeaderMap::new();
    headers.insert("x-total-count", HeaderValue::from(page.total));
    Ok((headers, axum::Json(page.tasks)))
}

/// Create a task.
#[utoipa::path(post, path = "/api/{user_id}/tasks", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = NewTaskRequest,
    responses(
        (status = 201, description = "Created", body = Task),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "You already keep the most tasks an account may (QUOTA_TASKS_PER_USER)",
            body = ErrorBody),
    ))]
async fn create_task(
    scope: UserScope,
    State(db): State<PgPool>,
    State(quotas): State<UserQuotas>,
    JsonBody(request): JsonBody<NewTaskRequest>,
) -> Result<(StatusCode, axum::Json<Task>)> {
    let task = service::create(&db, scope.user_id, request.validate()?, quotas.settings.max_tasks()).await?;
    tracing::info!(task_id = task.id, "task created");
    Ok((StatusCode::CREATED, axum::Json(task)))
}

/// One task.
#[utoipa::path(get, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, body = Task),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn get_task(scope: UserScope, State(db): State<PgPool>, TaskId(id): TaskId) -> Result<axum::Json<Task>> {
    Ok(axum::Json(service::get(&db, scope.user_id, id).await?))
}

/// Change the fields sent; the others keep their values.
#[utoipa::path(put, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task id")),
    request_body = TaskPatchRequest,
    responses(
        (status = 200, body = Task),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 422, body = ErrorBody),
    ))]
async fn update_task(
    scope: UserScope,
    State(db): State<PgPool>,
    TaskId(id): TaskId,
    JsonBody(request): JsonBody<TaskPatchRequest>,
) -> Result<axum::Json<Task>> {
    let task = service::update(&db, scope.user_id, id, request.validate()?).await?;
    tracing::info!(task_id = task.id, "task updated");
    Ok(axum::Json(task))
}

/// Delete a task.
#[utoipa::path(delete, path = "/api/{user_id}/tasks/{id}", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn delete_task(scope: UserScope, State(db): State<PgPool>, TaskId(id): TaskId) -> Result<StatusCode> {
    let task = service::delete(&db, scope.user_id, id).await?;
    tracing::info!(task_id = task.id, "task deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// Toggle completed.
#[utoipa::path(patch, path = "/api/{user_id}/tasks/{id}/complete", tag = "tasks", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Task id")),
    responses(
        (status = 200, body = Task),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn toggle_task(scope: UserScope, State(db): State<PgPool>, TaskId(id): TaskId) -> Result<axum::Json<Task>> {
    let task = service::toggle(&db, scope.user_id, id).await?;
    tracing::info!(task_id = task.id, completed = task.completed, "task toggled");
    Ok(axum::Json(task))
}
