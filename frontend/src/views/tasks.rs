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
    error::{Error, FieldErrors, Result, redirect},
    models::{Priority, Task, TaskInput, TaskQuery, TaskStatus},
    urls,
    views::{Id, Layout, Nav, SignedIn},
};

/// The add/edit form as typed, with the backend's verdict per field.
#[derive(Debug, Clone)]
pub(crate) struct TaskForm {
    pub title: String,
    pub description: String,
    pub priority: String,
    pub errors: FieldErrors,
    /// The field the page focuses when it loads: the first in error, or the title on a fresh page.
    /// Never set in a partial that merely refreshes the list (htmx focuses `autofocus` in swaps).
    pub focus: Option<&'static str>,
}

impl TaskForm {
    pub(crate) fn focuses(&self, field: &str) -> bool {
        self.focus == Some(field)
    }

    /// The form as typed, with the backend's verdict on each field; the first in error is focused.
    fn with_errors(mut self, errors: FieldErrors) -> Self {
        self.focus = ["title", "priority", "description"]
            .into_iter()
            .find(|name| errors.contains_key(*name));
        self.errors = errors;
        self
    }
}

impl Default for TaskForm {
    fn default() -> Self {
        Self {
            title: String::new(),
            description: String::new(),
            priority: Priority::default().to_string(),
            errors: FieldErrors::new(),
            focus: None,
        }
    }
}

/// Partial: the add form and the list, swapped as one so form errors and the list stay in step.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/task_section.html")]
pub(crate) struct TaskSection {
    pub csrf: String,
    pub query: TaskQuery,
    pub form: TaskForm,
    pub tasks: Vec<Task>,
    pub total: u64,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "tasks.html")]
pub(crate) struct TasksPage {
    pub layout: Layout,
    pub query: TaskQuery,
    pub section: TaskSection,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "task_edit.html")]
pub(crate) struct TaskEditPage {
    pub layout: Layout,
    pub id: i64,
    pub form: TaskForm,
}

impl TaskEditPage {
    /// Where the edit form posts.
    pub(crate) fn action(&self) -> String {
        urls::with_id(urls::TASK_UPDATE, self.id)
    }
}

/// Partial beside the chat: what the agent just changed, without leaving the conversation.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/task_panel.html")]
pub(crate) struct TaskPanel {
    pub tasks: Vec<Task>,
    pub total: u64,
}

impl TaskPanel {
    /// Pending first (newest first within each group), as the backend returns them otherwise.
    pub(crate) async fn load(user: &SignedIn) -> Result<Self> {
        let (mut tasks, total) = user
            .backend
            .list_tasks(&user.caller, &user.session, &TaskQuery::default())
            .await?;
        tasks.sort_by_key(|task| task.completed);
        Ok(Self { tasks, total })
    }
}

/// Fields of the add form plus the list state it was posted from.
#[derive(Debug, Deserialize)]
pub(crate) struct TaskFields {
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    priority: String,
    #[serde(flatten)]
    query: TaskQuery,
}

impl TaskFields {
    /// The backend call: every field, an empty description as none, an empty priority left out.
    fn input(&self) -> TaskInput {
        TaskInput {
            title: Some(self.title.clone()),
            description: Some(Some(self.description.clone()).filter(|d| !d.trim().is_empty())),
            priority: Some(self.priority.clone()).filter(|p| !p.is_empty()),
        }
    }

    /// The form as typed, shown again with the backend's verdict.
    fn form_with(&self, errors: FieldErrors) -> TaskForm {
        TaskForm {
            title: self.title.clone(),
            description: self.description.clone(),
            priority: self.priority.clone(),
            ..TaskForm::default()
        }
        .with_errors(errors)
    }
}

/// The list state carried by toggle/delete forms, so the answer shows the same filter.
#[derive(Debug, Deserialize)]
pub(crate) struct ListState {
    #[serde(flatten)]
    query: TaskQuery,
}

/// `GET /tasks`.
pub(crate) async fn index(user: SignedIn, Query(query): Query<TaskQuery>) -> Result<Response> {
    let section = section(&user, query, TaskForm::default()).await?;
    Ok(respond(&user, section, StatusCode::OK))
}

/// `POST /tasks`.
pub(crate) async fn create(user: SignedIn, Form(fields): Form<TaskFields>) -> Result<Response> {
    let input = fields.input();
    let (form, status) = match user.backend.create_task(&user.caller, &user.session, &input).await {
        Ok(_) if !user.partial => return Ok(redirect(&list_url(&fields.query))),
        Ok(_) => (TaskForm::default(), StatusCode::OK),
        Err(err) => (fields.form_with(form_errors(err)?), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let section = section(&user, fields.query, form).await?;
    Ok(respond(&user, section, status))
}

/// `POST /tasks/{id}/toggle`.
pub(crate) async fn toggle(user: SignedIn, Id(id): Id, Form(state): Form<ListState>) -> Result<Response> {
    user.backend.toggle_task(&user.caller, &user.session, id).await?;
    after_change(&user, state.query).await
}

/// `POST /tasks/{id}/delete`.
pub(crate) async fn delete(user: SignedIn, Id(id): Id, Form(state): Form<ListState>) -> Result<Response> {
    user.backend.delete_task(&user.caller, &user.session, id).await?;
    after_change(&user, state.query).await
}

/// `GET /tasks/{id}/edit`.
pub(crate) async fn edit_page(user: SignedIn, Id(id): Id) -> Result<Response> {
    let task = user.backend.get_task(&user.caller, &user.session, id).await?;
    let form = TaskForm {
        title: task.title,
        description: task.description.unwrap_or_default(),
        priority: task.priority.to_string(),
        errors: FieldErrors::new(),
        focus: Some("title"),
    };
    Ok(TaskEditPage {
        layout: Layout::new(&user.csrf, true, Nav::Tasks),
        id,
        form,
    }
    .into_response())
}

/// `POST /tasks/{id}`: saves the edit form; an empty description clears it.
pub(crate) async fn update(user: SignedIn, Id(id): Id, Form(fields): Form<TaskFields>) -> Result<Response> {
    let input = fields.input();
    match user.backend.update_task(&user.caller, &user.session, id, &input).await {
        Ok(_) => Ok(redirect(urls::TASKS)),
        Err(err) => {
            let page = TaskEditPage {
                layout: Layout::new(&user.csrf, true, Nav::Tasks),
                id,
                form: fields.form_with(form_errors(err)?),
            };
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

/// `GET /tasks/panel` (partial only).
pub(crate) async fn panel(user: SignedIn) -> Result<TaskPanel> {
    TaskPanel::load(&user).await
}

async fn after_change(user: &SignedIn, query: TaskQuery) -> Result<Response> {
    if !user.partial {
        return Ok(redirect(&list_url(&query)));
    }
    let section = section(user, query, TaskForm::default()).await?;
    Ok(respond(user, section, StatusCode::OK))
}

async fn section(user: &SignedIn, query: TaskQuery, form: TaskForm) -> Result<TaskSection> {
    let (tasks, total) = user.backend.list_tasks(&user.caller, &user.session, &query).await?;
    Ok(TaskSection {
        csrf: user.csrf.0.clone(),
        query,
        form,
        tasks,
        total,
    })
}

/// The section alone for htmx, the whole page otherwise.
fn respond(user: &SignedIn, section: TaskSection, status: StatusCode) -> Response {
    if user.partial {
        return (status, section).into_response();
    }
    let mut section = section;
    section.form.focus = section.form.focus.or(Some("title"));
    let page = TasksPage {
        layout: Layout::new(&user.csrf, true, Nav::Tasks),
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
        Err(_) => urls::TASKS.to_owned(),
    }
}

impl TaskSection {
    pub(crate) fn statuses(&self) -> [TaskStatus; 3] {
        TaskStatus::ALL
    }
}
