//! The chat page: conversations on the left, the thread in the middle, the task panel on the right.
//! Sending a message appends a turn whose assistant half streams over SSE (see `stream.rs`);
//! without JavaScript the same form posts, waits for the whole answer and redirects.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_htmx::HxPushUrl;
use serde::Deserialize;
use serde_json::Value;

use crate::{
    error::{Error, Result, redirect},
    models::{ChatRequest, ConversationSummary, Message, Role},
    security::CSRF_FIELD,
    urls,
    views::{Id, Layout, Nav, SignedIn, tasks::TaskPanel},
};

/// Longest message the backend accepts (characters, after trimming).
pub(crate) const MAX_MESSAGE_CHARS: usize = 4000;

/// A compact summary of one tool call ("Added #5 Buy groceries").
#[derive(Debug, Clone, Template)]
#[template(path = "partials/chip.html")]
pub(crate) struct Chip {
    pub label: String,
    pub failed: bool,
}

impl Chip {
    /// Describes a tool's result in the words a person would use.
    pub(crate) fn describe(tool: &str, result: &Value) -> Self {
        if let Some(problem) = result.get("error").and_then(Value::as_str) {
            return Self {
                label: format!("{} failed: {problem}", tool.replace('_', " ")),
                failed: true,
            };
        }
        if let Some(tasks) = result.as_array() {
            let noun = if tasks.len() == 1 { "task" } else { "tasks" };
            return Self {
                label: format!("Found {} {noun}", tasks.len()),
                failed: false,
            };
        }
        let verb = match result.get("status").and_then(Value::as_str) {
            Some("created") => "Added",
            Some("completed") => "Completed",
            Some("deleted") => "Deleted",
            Some("updated") => "Updated",
            Some("pending" | "reopened") => "Reopened",
            _ => tool,
        };
        let id = result.get("task_id").and_then(Value::as_i64);
        let title = result.get("title").and_then(Value::as_str).unwrap_or_default();
        let label = match id {
            Some(id) => format!("{verb} #{id} {title}"),
            None => format!("{verb} {title}"),
        };
        Self {
            label: label.trim_end().to_owned(),
            failed: false,
        }
    }
}

/// One stored message; assistant text is escaped by askama and keeps its line breaks through CSS.
#[derive(Debug, Template)]
#[template(path = "partials/message.html")]
pub(crate) struct MessageView {
    pub from_user: bool,
    pub content: String,
    pub chips: Vec<Chip>,
}

impl MessageView {
    /// Only user and assistant messages are shown (tool or system rows are the agent's business).
    pub(crate) fn from_message(message: Message) -> Option<Self> {
        let from_user = match message.role {
            Role::User => true,
            Role::Assistant => false,
            Role::Other => return None,
        };
        let chips = message
            .tool_calls
            .iter()
            .map(|call| Chip::describe(&call.tool, &call.result))
            .collect();
        Some(Self {
            from_user,
            content: message.content,
            chips,
        })
    }
}

/// Partial: the conversation list (also swapped out-of-band after a turn creates or renames one).
#[derive(Debug, Template)]
#[template(path = "partials/conversation_list.html")]
pub(crate) struct ConversationList {
    pub csrf: String,
    pub current: Option<i64>,
    pub items: Vec<ConversationSummary>,
    pub oob: bool,
}

impl ConversationList {
    pub(crate) fn is_current(&self, id: &i64) -> bool {
        self.current == Some(*id)
    }
}

/// Partial: the form's hidden conversation id, updated out-of-band once a new conversation exists.
#[derive(Debug, Template)]
#[template(path = "partials/conversation_field.html")]
pub(crate) struct ConversationField {
    pub id: Option<i64>,
    pub oob: bool,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "chat.html")]
pub(crate) struct ChatPage {
    pub layout: Layout,
    pub conversation: ConversationField,
    pub messages: Vec<MessageView>,
    pub list: ConversationList,
    pub panel: TaskPanel,
    pub max_chars: usize,
}

/// Partial answered to an htmx send: the user's message and the assistant's streaming bubble.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/turn.html")]
pub(crate) struct Turn {
    pub message: String,
    pub stream_url: String,
}

/// Partial fetched when a turn is done: out-of-band updates of the list and the conversation id.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/sync.html")]
pub(crate) struct Sync {
    pub conversation: ConversationField,
    pub list: ConversationList,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SendFields {
    #[serde(default)]
    conversation_id: String,
    #[serde(default)]
    message: String,
}

/// `GET /chat`: a fresh conversation.
pub(crate) async fn new_chat(user: SignedIn) -> Result<ChatPage> {
    page(&user, None).await
}

/// `GET /chat/{id}`: a stored conversation.
pub(crate) async fn conversation(user: SignedIn, Id(id): Id) -> Result<ChatPage> {
    page(&user, Some(id)).await
}

async fn page(user: &SignedIn, id: Option<i64>) -> Result<ChatPage> {
    let SignedIn {
        backend,
        caller,
        session,
        csrf,
        ..
    } = user;
    let thread = async {
        match id {
            Some(id) => backend.conversation(caller, session, id).await.map(Some),
            None => Ok(None),
        }
    };
    let (thread, items, panel) =
        tokio::try_join!(thread, backend.conversations(caller, session), TaskPanel::load(user),)
            .map_err(not_found_as_page)?;
    let messages = thread
        .map(|c| c.messages.into_iter().filter_map(MessageView::from_message).collect())
        .unwrap_or_default();
    Ok(ChatPage {
        layout: Layout::new(csrf, true, Nav::Chat),
        conversation: ConversationField { id, oob: false },
        messages,
        list: ConversationList {
            csrf: csrf.0.clone(),
            current: id,
            items,
            oob: false,
        },
        panel,
        max_chars: MAX_MESSAGE_CHARS,
    })
}

/// `POST /chat/send`: with htmx, the streaming turn; without, one blocking turn and a redirect.
pub(crate) async fn send(user: SignedIn, Form(fields): Form<SendFields>) -> Result<Response> {
    let conversation_id = fields.conversation_id.trim().parse::<i64>().ok();
    let message = fields.message.trim();
    let back = conversation_id.map_or_else(|| urls::CHAT.to_owned(), urls::conversation);
    if let Err(problem) = check_message(message) {
        if user.partial {
            return Err(Error::Invalid(problem));
        }
        return Ok(redirect(&back));
    }
    if user.partial {
        let mut query = vec![("message", message.to_owned()), (CSRF_FIELD, user.csrf.0.clone())];
        if let Some(id) = conversation_id {
            query.push(("conversation_id", id.to_string()));
        }
        let encoded = serde_urlencoded::to_string(&query).map_err(anyhow::Error::from)?;
        let turn = Turn {
            message: message.to_owned(),
            stream_url: format!("{}?{encoded}", urls::CHAT_STREAM),
        };
        return Ok(turn.into_response());
    }
    let body = ChatRequest {
        conversation_id,
        message,
    };
    let reply = user.backend.chat(&user.caller, &user.session, &body).await?;
    Ok(redirect(&urls::conversation(reply.conversation_id)))
}

/// `GET /chat/{id}/sync` (htmx only): refreshes the list and the form's conversation id and puts the
/// conversation's URL in the address bar, so a reload shows the same thread.
pub(crate) async fn sync(user: SignedIn, Id(id): Id) -> Result<Response> {
    let items = user.backend.conversations(&user.caller, &user.session).await?;
    let sync = Sync {
        conversation: ConversationField {
            id: Some(id),
            oob: true,
        },
        list: ConversationList {
            csrf: user.csrf.0.clone(),
            current: Some(id),
            items,
            oob: true,
        },
    };
    Ok((HxPushUrl(urls::conversation(id)), sync).into_response())
}

/// `POST /chat/{id}/delete`: deletes and starts afresh.
pub(crate) async fn delete(user: SignedIn, Id(id): Id) -> Result<Response> {
    user.backend
        .delete_conversation(&user.caller, &user.session, id)
        .await
        .map_err(not_found_as_page)?;
    Ok(redirect(urls::CHAT))
}

/// The backend's message rules, checked before anything is sent.
pub(crate) fn check_message(message: &str) -> Result<(), &'static str> {
    if message.is_empty() {
        return Err("Type a message first.");
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err("Messages can be at most 4000 characters long.");
    }
    Ok(())
}

/// Someone else's or a deleted conversation is simply "not found".
fn not_found_as_page(err: Error) -> Error {
    match err {
        Error::Backend { status, .. } if status == StatusCode::NOT_FOUND => Error::NotFound,
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn chips_read_like_sentences() {
        let added = json!({"task_id": 5, "status": "created", "title": "Buy groceries"});
        assert_eq!(Chip::describe("add_task", &added).label, "Added #5 Buy groceries");
        let listed = json!([{"id": 1}, {"id": 2}]);
        assert_eq!(Chip::describe("list_tasks", &listed).label, "Found 2 tasks");
        let failed = Chip::describe("complete_task", &json!({"error": "task 9 not found"}));
        assert!(failed.failed);
        assert_eq!(failed.label, "complete task failed: task 9 not found");
    }

    #[test]
    fn assistant_text_is_escaped_and_only_known_roles_show() {
        let message = Message {
            role: Role::Assistant,
            content: "<b>bold</b>\nnext line".into(),
            tool_calls: vec![],
        };
        let html = MessageView::from_message(message).unwrap().render().unwrap();
        assert!(html.contains("&#60;b&#62;bold&#60;/b&#62;\nnext line"), "{html}");
        let tool: Message = serde_json::from_value(json!({"role": "tool", "content": "{}"})).unwrap();
        assert_eq!(tool.role, Role::Other);
        assert!(MessageView::from_message(tool).is_none());
    }

    #[test]
    fn message_limits_match_the_backend() {
        assert!(check_message("").is_err());
        assert!(check_message(&"é".repeat(4000)).is_ok());
        assert!(check_message(&"é".repeat(4001)).is_err());
    }
}
