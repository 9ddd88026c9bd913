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

use crate::{
    error::{Error, Result, redirect},
    models::{ChatRequest, ConversationSummary},
    urls,
    views::{Id, Layout, Nav, SignedIn, messages::MessageView, stream::StreamingReply, tasks::TaskPanel},
};

/// Longest message the backend accepts (characters, after trimming).
pub(crate) const MAX_MESSAGE_CHARS: usize = 4000;

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

/// Partial: the thread's `h1`, its conversation's title (updated out-of-band once a new
/// conversation has one).
#[derive(Debug, Template)]
#[template(path = "partials/thread_heading.html")]
pub(crate) struct ThreadHeading {
    pub title: String,
    pub oob: bool,
}

/// What the heading of a conversation that does not exist yet says.
const NEW_CHAT: &str = "New chat";

#[derive(Debug, Template, WebTemplate)]
#[template(path = "chat.html")]
pub(crate) struct ChatPage {
    pub layout: Layout,
    /// The document's title: the conversation's, or "New chat".
    pub title: String,
    pub heading: ThreadHeading,
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
    pub reply: StreamingReply,
}

/// Partial fetched when a turn is done: out-of-band updates of the list and the conversation id.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/sync.html")]
pub(crate) struct Sync {
    pub heading: ThreadHeading,
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
    let (title, messages) = match thread {
        Some(thread) => (
            thread.summary.label().to_owned(),
            thread
                .messages
                .into_iter()
                .filter_map(MessageView::from_message)
                .collect(),
        ),
        None => (NEW_CHAT.to_owned(), Vec::new()),
    };
    Ok(ChatPage {
        layout: Layout::new(csrf, true, Nav::Chat),
        heading: ThreadHeading {
            title: title.clone(),
            oob: false,
        },
        title,
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

/// `POST /chat/send`: stores the message as a pending turn. With htmx, the answer is the turn's
/// bubble, which streams it by its id; without, the turn runs here and the browser is redirected to
/// the conversation.
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
    let body = ChatRequest {
        conversation_id,
        message,
    };
    let pending = user
        .backend
        .create_turn(&user.caller, &user.session, &body)
        .await
        .map_err(not_found_as_page)?;
    if user.partial {
        let reply = StreamingReply { turn: pending.turn_id };
        let turn = Turn {
            message: message.to_owned(),
            reply,
        };
        return Ok(turn.into_response());
    }
    let finished = user
        .backend
        .run_turn(&user.caller, &user.session, pending.turn_id)
        .await?;
    Ok(redirect(&finished.conversation_id.map_or(back, urls::conversation)))
}

/// `GET /chat/{id}/sync` (htmx only): refreshes the list and the form's conversation id and puts the
/// conversation's URL in the address bar, so a reload shows the same thread.
pub(crate) async fn sync(user: SignedIn, Id(id): Id) -> Result<Response> {
    let items = user.backend.conversations(&user.caller, &user.session).await?;
    let title = items
        .iter()
        .find(|item| item.id == id)
        .map_or(NEW_CHAT, ConversationSummary::label)
        .to_owned();
    let sync = Sync {
        heading: ThreadHeading { title, oob: true },
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

/// The conversation open when another one is deleted.
#[derive(Debug, Deserialize)]
pub(crate) struct DeleteFields {
    #[serde(default)]
    current: String,
}

/// `POST /chat/{id}/delete`: deletes, then back to the conversation that was open, or afresh when
/// that was the one deleted.
pub(crate) async fn delete(user: SignedIn, Id(id): Id, Form(fields): Form<DeleteFields>) -> Result<Response> {
    user.backend
        .delete_conversation(&user.caller, &user.session, id)
        .await
        .map_err(not_found_as_page)?;
    let open = fields.current.trim().parse::<i64>().ok().filter(|open| *open != id);
    Ok(redirect(
        &open.map_or_else(|| urls::CHAT.to_owned(), urls::conversation),
    ))
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
    use super::*;

    #[test]
    fn message_limits_match_the_backend() {
        assert!(check_message("").is_err());
        assert!(check_message(&"é".repeat(4000)).is_ok());
        assert!(check_message(&"é".repeat(4001)).is_err());
    }
}
