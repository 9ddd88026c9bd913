//! The tasks page: list with filter and search, add, edit, toggle, delete. Every action is a plain
//! form POST answered by a redirect; with htmx the same forms swap the task section in place.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::Query,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use serde::Deserialize;

use crate::{
    backend_client::{BackendClient, Caller},
    error::{Error, FieldErrors, Result, redirect},
    models::{Task, TaskInput, TaskQuery, TaskStatus},
    security::CsrfToken,
    session::Session,
    urls,
    views::{Id, Layout, Nav, Partial},
};

pub const PRIORITIES: [&str; 3] = ["low", "medium", "high"];

/// The add/edit form as typed, with the backend's verdict per field.
#[derive(Debug, Clone)]
pub struct TaskForm {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub errors: FieldErrors,
}

impl Default for TaskForm {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            priority: "medium".into(),
            errors: FieldErrors::new(),
        }
    }
}

/// Partial: the add form and the list, swapped as one so form errors and the list stay in step.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/task_section.html")]
pub struct TaskSection {
    pub csrf: String,
    pub query: TaskQuery,
    pub form: TaskForm,
    pub tasks: Vec<Task>,
    pub total: u64,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "tasks.html")]
pub struct TasksPage {
    pub layout: Layout,
    pub query: TaskQuery,
    pub section: TaskSection,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "task_edit.html")]
pub struct TaskEditPage {
    pub layout: Layout,
    pub id: i64,
    pub form: TaskForm,
}

impl TaskEditPage {
    /// Where the edit form posts.
    pub fn action(&self) -> String {
        urls::with_id(urls::TASK_UPDATE, self.id)
    }
}

/// Partial beside the chat: what the agent just changed, without leaving the conversation.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/task_panel.html")]
pub struct TaskPanel {
    pub tasks: Vec<Task>,
    pub total: u64,
}

impl TaskPanel {
    /// Pending first (newest first within each group), as the backend returns them otherwise.
    pub async fn load(backend: &BackendClient, caller: &Caller, session: &Session) -> Result<Self> {
        let (mut tasks, total) = backend.list_tasks(caller, session, &TaskQuery::default()).await?;
        tasks.sort_by_key(|task| task.completed);
        Ok(Self { tasks, total })
    }
}

/// Fields of the add form plus the list state it was posted from.
#[derive(Debug, Deserialize)]
pub struct TaskFields {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    priority: String,
    #[serde(flatten)]
    query: TaskQuery,
}

/// The list state carried by toggle/delete forms, so the answer shows the same filter.
#[derive(Debug, Deserialize)]
pub struct ListState {
    #[serde(flatten)]
    query: TaskQuery,
}

/// `GET /tasks`.
pub async fn index(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Partial(partial): Partial,
    Query(query): Query<TaskQuery>,
) -> Result<Response> {
    let section = section(&backend, &caller, &session, &csrf, query, TaskForm::default()).await?;
    Ok(respond(partial, &csrf, section, StatusCode::OK))
}

/// `POST /tasks`.
pub async fn create(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Partial(partial): Partial,
    Form(fields): Form<TaskFields>,
) -> Result<Response> {
    let input = TaskInput {
        title: Some(fields.title.clone()),
        description: Some(Some(fields.description.clone()).filter(|d| !d.trim().is_empty())),
        priority: Some(fields.priority.clone()).filter(|p| !p.is_empty()),
    };
    let (form, status) = match backend.create_task(&caller, &session, &input).await {
        Ok(_) if !partial => return Ok(redirect(&list_url(&fields.query))),
        Ok(_) => (TaskForm::default(), StatusCode::OK),
        Err(err) => {
            let errors = form_errors(err)?;
            let form = TaskForm {
                title: fields.title,
                description: fields.description,
                priority: fields.priority,
                errors,
            };
            (form, StatusCode::UNPROCESSABLE_ENTITY)
        }
    };
    let section = section(&backend, &caller, &session, &csrf, fields.query, form).await?;
    Ok(respond(partial, &csrf, section, status))
}

/// `POST /tasks/{id}/toggle`.
pub async fn toggle(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Partial(partial): Partial,
    Id(id): Id,
    Form(state): Form<ListState>,
) -> Result<Response> {
    backend.toggle_task(&caller, &session, id).await?;
    after_change(backend, caller, session, csrf, partial, state.query).await
}

/// `POST /tasks/{id}/delete`.
pub async fn delete(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Partial(partial): Partial,
    Id(id): Id,
    Form(state): Form<ListState>,
) -> Result<Response> {
    backend.delete_task(&caller, &session, id).await?;
    after_change(backend, caller, session, csrf, partial, state.query).await
}

/// `GET /tasks/{id}/edit`.
pub async fn edit_page(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Id(id): Id,
) -> Result<Response> {
    let task = backend.get_task(&caller, &session, id).await?;
    let form = TaskForm {
        title: task.title,
        description: task.description.unwrap_or_default(),
        priority: task.priority,
        errors: FieldErrors::new(),
    };
    Ok(TaskEditPage {
        layout: Layout::new(&csrf, true, Nav::Tasks),
        id,
        form,
    }
    .into_response())
}

/// `POST /tasks/{id}`: saves the edit form; an empty description clears it.
pub async fn update(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    Id(id): Id,
    Form(fields): Form<TaskFields>,
) -> Result<Response> {
    let input = TaskInput {
        title: Some(fields.title.clone()),
        description: Some(Some(fields.description.clone()).filter(|d| !d.trim().is_empty())),
        priority: Some(fields.priority.clone()).filter(|p| !p.is_empty()),
    };
    match backend.update_task(&caller, &session, id, &input).await {
        Ok(_) => Ok(redirect(urls::TASKS)),
        Err(err) => {
            let form = TaskForm {
                errors: form_errors(err)?,
                title: fields.title,
                description: fields.description,
                priority: fields.priority,
            };
            let page = TaskEditPage {
                layout: Layout::new(&csrf, true, Nav::Tasks),
                id,
                form,
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `GET /tasks/panel` (partial only).
pub async fn panel(backend: BackendClient, caller: Caller, session: Session) -> Result<TaskPanel> {
    TaskPanel::load(&backend, &caller, &session).await
}

async fn after_change(
    backend: BackendClient,
    caller: Caller,
    session: Session,
    csrf: CsrfToken,
    partial: bool,
    query: TaskQuery,
) -> Result<Response> {
    if !partial {
        return Ok(redirect(&list_url(&query)));
    }
    let section = section(&backend, &caller, &session, &csrf, query, TaskForm::default()).await?;
    Ok(respond(partial, &csrf, section, StatusCode::OK))
}

async fn section(
    backend: &BackendClient,
    caller: &Caller,
    session: &Session,
    csrf: &CsrfToken,
    query: TaskQuery,
    form: TaskForm,
) -> Result<TaskSection> {
    let (tasks, total) = backend.list_tasks(caller, session, &query).await?;
    Ok(TaskSection {
        csrf: csrf.0.clone(),
        query,
        form,
        tasks,
        total,
    })
}

fn respond(partial: bool, csrf: &CsrfToken, section: TaskSection, status: StatusCode) -> Response {
    if partial {
        return (status, section).into_response();
    }
    let page = TasksPage {
        layout: Layout::new(csrf, true, Nav::Tasks),
        query: section.query.clone(),
        section,
    };
    (status, page).into_response()
}

/// Field errors go back into the form; anything else is a real error.
fn form_errors(err: Error) -> Result<FieldErrors> {
    match err.field_errors() {
        Some(fields) => Ok(fields.clone()),
        None => Err(err),
    }
}

/// `/tasks?status=…&q=…` for redirects back to the list the form came from.
fn list_url(query: &TaskQuery) -> String {
    let mut params = vec![("status", query.status.as_str())];
    if !query.q.is_empty() {
        params.push(("q", query.q.as_str()));
    }
    match serde_urlencoded::to_string(&params) {
        Ok(encoded) => format!("{}?{encoded}", urls::TASKS),
        Err(_) => urls::TASKS.to_string(),
    }
}

impl TaskSection {
    pub fn statuses(&self) -> [TaskStatus; 3] {
        TaskStatus::ALL
    }
}
