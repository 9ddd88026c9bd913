//! A chat turn in the browser, by its opaque id (docs/ui.md): `GET /chat/turns/{id}/stream` asks
//! the backend to run the turn and re-emits its events as SSE the htmx extension swaps straight
//! into the page: `tool` (a chip, and a cue to refresh the task panel), `delta` (escaped text), and
//! exactly one final `done` that closes the stream. The URL carries nothing but the id, so the
//! EventSource may reconnect or be opened again at will: the backend runs a turn once and answers
//! every later request with a replay, which this relay turns into one `done` that replaces whatever
//! the bubble had shown with what is stored.

use std::{convert::Infallible, time::Duration};

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    extract::State,
    http::StatusCode,
    response::sse::{Event, KeepAlive, Sse},
};
use eventsource_stream::Eventsource;
use futures_util::{Stream, StreamExt};
use serde_json::Value;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::{
    backend_client::{BackendClient, Caller},
    error::{Error, Result},
    session::{MaybeSession, Session},
    urls,
    views::{SignedIn, TurnId, messages::Chip},
};

/// Partial: the assistant's bubble of a turn, streaming (sent with the user's message, and again on
/// its own when a lost connection is retried).
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/streaming_reply.html")]
pub(crate) struct StreamingReply {
    pub turn: Uuid,
}

impl StreamingReply {
    pub(crate) fn dom_id(&self) -> String {
        dom_id(self.turn)
    }

    pub(crate) fn url(&self, template: &str) -> String {
        urls::with_id(template, self.turn)
    }
}

fn dom_id(turn: Uuid) -> String {
    format!("turn-{}", turn.simple())
}

/// How a turn ended, as the person is told.
#[derive(Debug)]
pub(crate) enum TurnEnding {
    Answered,
    /// Stopped on request; the note says what had already been done.
    Stopped(String),
    /// The turn failed; Retry sends the message again as a new turn.
    Failed(String),
    /// The backend could not be reached to the end: Retry asks for the same turn again (a replay,
    /// never a second run).
    Lost,
    SignedOut,
}

/// A turn that had already run when this stream asked for it: what is stored.
#[derive(Debug, Default)]
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
    fn new(turn: Uuid, ending: TurnEnding) -> Self {
        Self {
            dom_id: dom_id(turn),
            replay: None,
            ending,
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

/// `GET /chat/turns/{id}/stream`. Every outcome, failures included, arrives as the final `done`
/// event, never as an HTTP error: the htmx extension would answer an error by reconnecting forever.
pub(crate) async fn stream(
    State(backend): State<BackendClient>,
    caller: Caller,
    MaybeSession(session): MaybeSession,
    TurnId(turn): TurnId,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let (tx, rx) = mpsc::channel::<Out>(32);
    tokio::spawn(async move {
        let end = match session {
            Some(session) => relay_turn(&backend, &caller, &session, turn, &tx).await,
            None => TurnEnd::new(turn, TurnEnding::SignedOut),
        };
        // Nobody listening any more is fine: the browser left, the turn still runs and is stored.
        let _ = tx.send(Out::Done(end)).await;
    });
    let events = futures_util::stream::unfold(rx, |mut rx| async move {
        let out = rx.recv().await?;
        Some((Ok(event(out)), rx))
    });
    Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

fn event(out: Out) -> Event {
    let (name, html) = match out {
        Out::Tool(chip) => ("tool", chip.render().unwrap_or_default()),
        Out::Delta(text) => ("delta", DeltaText { text: &text }.render().unwrap_or_default()),
        Out::Done(end) => ("done", end.render().unwrap_or_default()),
    };
    // A dropped connection is retried after a second (a reconnect only ever replays the turn).
    Event::default().event(name).data(html).retry(Duration::from_secs(1))
}

/// Asks the backend for the turn; when its stream breaks, asks once more (which can only replay
/// it, whichever replica answers) before telling the person the connection was lost.
async fn relay_turn(
    backend: &BackendClient,
    caller: &Caller,
    session: &Session,
    turn: Uuid,
    tx: &mpsc::Sender<Out>,
) -> TurnEnd {
    for attempt in 0..2 {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        match backend.run_turn_stream(caller, session, turn).await {
            Ok(response) => {
                if let Some(end) = relay(response, turn, tx).await {
                    return end;
                }
            }
            Err(Error::SessionExpired) => return TurnEnd::new(turn, TurnEnding::SignedOut),
            Err(Error::BackendUnavailable(err)) => {
                tracing::warn!(error = format!("{err:#}"), "chat stream: backend unavailable");
            }
            Err(Error::Backend { status, .. }) if status == StatusCode::NOT_FOUND => {
                let gone = "This message is no longer waiting for an answer. Send it again.";
                return TurnEnd::new(turn, TurnEnding::Failed(gone.into()));
            }
            Err(other) => return TurnEnd::new(turn, TurnEnding::Failed(other.user_message())),
        }
    }
    TurnEnd::new(turn, TurnEnding::Lost)
}

/// Translates the backend's events until `done` or `error`; `None` when the stream broke first.
async fn relay(response: reqwest::Response, turn: Uuid, tx: &mpsc::Sender<Out>) -> Option<TurnEnd> {
    let mut events = response.bytes_stream().eventsource();
    let mut replay: Option<Replay> = None;
    while let Some(event) = events.next().await {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(error = %err, "chat stream: backend stream broke");
                return None;
            }
        };
        let data: Value = serde_json::from_str(&event.data).unwrap_or(Value::Null);
        let out = match event.event.as_str() {
            "replay" => {
                replay = Some(Replay::default());
                continue;
            }
            "tool_result" => {
                let tool = data["tool"].as_str().unwrap_or("tool");
                Out::Tool(Chip::describe(tool, &data["result"]))
            }
            "delta" => Out::Delta(data["content"].as_str().unwrap_or_default().to_owned()),
            "done" | "error" => {
                let ending = match (event.event.as_str(), data["code"].as_str()) {
                    ("done", _) => TurnEnding::Answered,
                    (_, Some("stopped")) => TurnEnding::Stopped(sentence(&data)),
                    _ => TurnEnding::Failed(sentence(&data)),
                };
                return Some(TurnEnd {
                    dom_id: dom_id(turn),
                    replay,
                    ending,
                    conversation_id: data["conversation_id"].as_i64(),
                });
            }
            _ => continue, // tool_call: the chip appears with its result
        };
        match (&mut replay, out) {
            (Some(replay), Out::Tool(chip)) => replay.chips.push(chip),
            (Some(replay), Out::Delta(text)) => replay.text.push_str(&text),
            (_, out) => {
                if tx.send(out).await.is_err() {
                    // The browser is gone; the turn runs on and is stored all the same.
                    return Some(TurnEnd::new(turn, TurnEnding::Lost));
                }
            }
        }
    }
    None
}

fn sentence(data: &Value) -> String {
    data["message"]
        .as_str()
        .unwrap_or("The assistant could not finish this reply.")
        .to_owned()
}

/// `GET /chat/turns/{id}` (htmx): the turn's bubble streaming again, after a lost connection.
pub(crate) async fn resume(_user: SignedIn, TurnId(turn): TurnId) -> StreamingReply {
    StreamingReply { turn }
}

/// `POST /chat/turns/{id}/stop`: the turn stops at its next step; its stream then ends with a note.
pub(crate) async fn stop(user: SignedIn, TurnId(turn): TurnId) -> Result<StatusCode> {
    user.backend.stop_turn(&user.caller, &user.session, turn).await?;
    Ok(StatusCode::NO_CONTENT)
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
    fn a_replay_replaces_the_bubble_and_problems_are_escaped() {
        let turn = Uuid::new_v4();
        let end = TurnEnd {
            dom_id: dom_id(turn),
            replay: Some(Replay {
                chips: vec![],
                text: "<b>stored</b>".into(),
            }),
            ending: TurnEnding::Failed("<b>nope</b>".into()),
            conversation_id: Some(7),
        };
        let html = end.render().unwrap();
        let text_id = format!("id=\"turn-{}-text\" hx-swap-oob=\"true\"", turn.simple());
        assert!(html.contains(&text_id), "{html}");
        assert!(html.contains("hx-get=\"/chat/7/sync\""), "{html}");
        assert!(!html.contains("<b>"), "{html}");
        assert!(html.contains("class=\"retry\""), "{html}");
    }
}
