//! `GET /chat/stream`: runs one chat turn against the backend's event stream and re-emits it as
//! SSE the htmx extension swaps straight into the page: `tool` (a chip, and a cue to refresh the
//! task panel), `delta` (escaped text), and exactly one final `done` that closes the connection.
//!
//! EventSource can only GET, so the message travels in the query string with the CSRF token beside
//! it (the GET has side effects and must be as protected as a POST). Every failure is reported as a
//! `done` event rather than an HTTP error: a failed EventSource would reconnect and send the
//! message again.

use std::{convert::Infallible, time::Duration};

use askama::Template;
use axum::{
    extract::{Query, State},
    http::HeaderMap,
    response::sse::{Event, KeepAlive, Sse},
};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use serde_json::Value;
use tokio::sync::mpsc;

use crate::{
    backend_client::{BackendClient, Caller},
    error::Error,
    models::ChatRequest,
    security::CsrfToken,
    session::MaybeSession,
    views::{chat::check_message, messages::Chip},
};

#[derive(Debug, Deserialize)]
pub(crate) struct StreamParams {
    #[serde(default)]
    conversation_id: Option<i64>,
    #[serde(default)]
    message: String,
    #[serde(default)]
    csrf_token: String,
}

/// How a turn ended, as the person is told.
#[derive(Debug)]
pub(crate) enum TurnEnding {
    Answered,
    /// The turn could not finish; Retry gives the message back.
    Failed(String),
    SignedOut,
}

/// A turn that had already run when this stream asked for it: what is stored.
#[derive(Debug)]
pub(crate) struct Replay {
    pub chips: Vec<Chip>,
    pub text: String,
}

/// The closing fragment of a turn: how it ended, the replay of a turn that had already run, and
/// the hook that syncs the page.
#[derive(Debug, Template)]
#[template(path = "partials/turn_end.html")]
struct TurnEnd {
    dom_id: String,
    replay: Option<Replay>,
    ending: TurnEnding,
    conversation_id: Option<i64>,
}

impl TurnEnd {
    fn problem(problem: impl Into<String>, conversation_id: Option<i64>) -> Self {
        Self {
            dom_id: String::new(),
            replay: None,
            ending: TurnEnding::Failed(problem.into()),
            conversation_id,
        }
    }

    fn signed_out() -> Self {
        Self {
            dom_id: String::new(),
            replay: None,
            ending: TurnEnding::SignedOut,
            conversation_id: None,
        }
    }
}

/// What the browser receives, in order.
enum Out {
    Tool(Chip),
    Delta(String),
    Done(TurnEnd),
}

pub(crate) async fn stream(
    State(backend): State<BackendClient>,
    caller: Caller,
    MaybeSession(session): MaybeSession,
    csrf: CsrfToken,
    headers: HeaderMap,
    Query(params): Query<StreamParams>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = mpsc::channel::<Out>(32);
    tokio::spawn(async move {
        let end = run_turn(&backend, &caller, session, &csrf, &headers, &params, &tx).await;
        // Nobody listening any more is fine: the browser left.
        let _ = tx.send(Out::Done(end)).await;
    });
    let events = futures_util::stream::unfold((rx, 0u64), |(mut rx, id)| async move {
        let out = rx.recv().await?;
        Some((Ok(event(out, id)), (rx, id + 1)))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// Ids let us recognise an automatic reconnect (it sends `Last-Event-ID`) and refuse to repeat the turn.
fn event(out: Out, id: u64) -> Event {
    let (name, html) = match out {
        Out::Tool(chip) => ("tool", chip.render().unwrap_or_default()),
        Out::Delta(text) => ("delta", DeltaText { text: &text }.render().unwrap_or_default()),
        Out::Done(end) => ("done", end.render().unwrap_or_default()),
    };
    Event::default().id(id.to_string()).event(name).data(html)
}

/// Everything up to the final `done`; returns what that `done` should say.
async fn run_turn(
    backend: &BackendClient,
    caller: &Caller,
    session: Option<crate::session::Session>,
    csrf: &CsrfToken,
    headers: &HeaderMap,
    params: &StreamParams,
    tx: &mpsc::Sender<Out>,
) -> TurnEnd {
    if headers.contains_key("last-event-id") {
        return TurnEnd::problem("The connection dropped. Reload the page to see the whole reply.", None);
    }
    if !csrf.matches(&params.csrf_token) {
        return TurnEnd::problem("This page has expired. Reload it and send your message again.", None);
    }
    let Some(session) = session else {
        return TurnEnd::signed_out();
    };
    let message = params.message.trim();
    if let Err(problem) = check_message(message) {
        return TurnEnd::problem(problem, params.conversation_id);
    }
    let body = ChatRequest {
        conversation_id: params.conversation_id,
        message,
    };
    let response = match backend.chat_stream(caller, &session, &body).await {
        Ok(response) => response,
        Err(Error::SessionExpired) => return TurnEnd::signed_out(),
        Err(Error::BackendUnavailable(err)) => {
            tracing::warn!(error = format!("{err:#}"), "chat stream: backend unavailable");
            return TurnEnd::problem(
                "The assistant is unreachable right now. Please try again in a moment.",
                params.conversation_id,
            );
        }
        Err(other) => return TurnEnd::problem(other.user_message(), params.conversation_id),
    };
    relay(response, params.conversation_id, tx).await
}

/// Translates the backend's events until `done` or `error`.
async fn relay(response: reqwest::Response, conversation_id: Option<i64>, tx: &mpsc::Sender<Out>) -> TurnEnd {
    let mut events = response.bytes_stream().eventsource();
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(error = %err, "chat stream: backend stream broke");
                break;
            }
        };
        let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        let out = match event.event.as_str() {
            "tool_result" => {
                let tool = data["tool"].as_str().unwrap_or("tool");
                Out::Tool(Chip::describe(tool, &data["result"]))
            }
            "delta" => Out::Delta(data["content"].as_str().unwrap_or_default().to_owned()),
            "done" => {
                return TurnEnd {
                    dom_id: String::new(),
                    replay: None,
                    ending: TurnEnding::Answered,
                    conversation_id: data["conversation_id"].as_i64().or(conversation_id),
                };
            }
            "error" => {
                let message = data["message"]
                    .as_str()
                    .unwrap_or("The assistant could not finish this reply.");
                return TurnEnd::problem(message, data["conversation_id"].as_i64().or(conversation_id));
            }
            _ => continue, // tool_call: the chip appears with its result
        };
        if tx.send(out).await.is_err() {
            return TurnEnd::problem("", None); // the browser is gone; nobody reads this
        }
    }
    TurnEnd::problem(
        "The reply was cut off. Reload the page to see what was saved.",
        conversation_id,
    )
}

/// Text for `beforeend` swaps, escaped by askama like every template, so model output can never
/// become markup.
#[derive(Template)]
#[template(source = "{{ text }}", ext = "html")]
struct DeltaText<'a> {
    text: &'a str,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deltas_are_escaped() {
        let html = DeltaText {
            text: "<img src=x onerror=alert(1)> & \"q\"\nline",
        }
        .render()
        .unwrap();
        assert_eq!(html, "&#60;img src=x onerror=alert(1)&#62; &#38; &#34;q&#34;\nline");
    }

    #[test]
    fn turn_end_links_the_sync_and_escapes_problems() {
        let html = TurnEnd::problem("<b>nope</b>", Some(7)).render().unwrap();
        assert!(html.contains("hx-get=\"/chat/7/sync\""), "{html}");
        assert!(!html.contains("<b>"), "{html}");
    }
}
