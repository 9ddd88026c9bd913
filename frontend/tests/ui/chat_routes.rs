//! The chat views against the real backend and its built-in rules engine: the streamed turn as the
//! browser receives it, the out-of-band sync, the no-JavaScript path, resume and delete.

use std::convert::Infallible;

use axum::http::StatusCode;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;

use crate::support::{
    backend::TestBackend,
    frontend::{TestFrontend, TestResponse},
};

/// `(event, data)` pairs of an SSE body, read with the parser the frontend reads the backend with.
async fn events(body: &str) -> Vec<(String, String)> {
    futures_util::stream::iter([Ok::<_, Infallible>(body.as_bytes().to_vec())])
        .eventsource()
        .map(|event| {
            let event = event.unwrap_or_else(|err| panic!("not an event stream ({err}): {body}"));
            (event.event, event.data)
        })
        .collect()
        .await
}

fn stream_url(turn: &str) -> String {
    let start = turn.find("sse-connect=\"").expect("a streaming bubble") + "sse-connect=\"".len();
    let end = start + turn[start..].find('"').expect("attribute ends");
    turn[start..end].to_owned()
}

/// A signed-in frontend over a fresh backend, and the htmx answer to sending `message`.
async fn sent(message: &str) -> (TestBackend, TestFrontend, TestResponse) {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    let turn = ui
        .post_form_with("/chat/send", &[("message", message)], &[("hx-request", "true")])
        .await;
    (backend, ui, turn)
}

#[tokio::test]
async fn a_streamed_turn_arrives_as_chips_text_and_one_closing_event_and_never_runs_twice() {
    let (_backend, mut ui, turn) = sent("Add a task to buy <b>milk</b>").await;
    assert!(
        turn.text.contains("buy &#60;b&#62;milk") || turn.text.contains("buy &lt;b&gt;milk"),
        "{}",
        turn.text
    );
    let url = stream_url(&turn.text);
    let stream = ui.get(&url).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let live = events(&stream.text).await;
    let names: Vec<&str> = live.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.first(), Some(&"tool"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "done").count(), 1);
    assert!(names.contains(&"delta"));
    let chip = &live[0].1;
    assert!(chip.contains("Added #"), "{chip}");
    assert!(!chip.contains("<b>"), "chips are escaped: {chip}");
    let text: String = live
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d.as_str())
        .collect();
    assert!(
        text.contains("&#60;b&#62;milk&#60;/b&#62;") && !text.contains("<b>"),
        "escaped reply: {text}"
    );
    let done = &live.last().unwrap().1;
    assert!(
        done.contains("class=\"copy\""),
        "an answered turn can be copied: {done}"
    );
    let id: i64 = done
        .split("/chat/")
        .nth(1)
        .and_then(|rest| rest.split('/').next())
        .and_then(|id| id.parse().ok())
        .unwrap_or_else(|| panic!("done links the sync: {done}"));

    let sync = ui.hx_get(&format!("/chat/{id}/sync")).await;
    assert_eq!(sync.header("hx-push-url"), Some(format!("/chat/{id}").as_str()));
    assert!(
        sync.text
            .contains(&format!("id=\"conversation-id\" value=\"{id}\" hx-swap-oob=\"true\""))
    );
    assert!(sync.text.contains("id=\"conversation-list\"") && sync.text.contains("hx-swap-oob=\"true\""));
    assert!(
        sync.text
            .contains("<h1 id=\"thread-title\" hx-swap-oob=\"true\">Add a task to buy"),
        "{}",
        sync.text
    );

    // A reconnecting EventSource (with or without Last-Event-ID) gets the stored turn as one
    // `done` that replaces the bubble; the turn does not run again.
    for reconnect in [
        axum::http::Request::get(&url).body(axum::body::Body::empty()).unwrap(),
        axum::http::Request::get(&url)
            .header("last-event-id", "3")
            .body(axum::body::Body::empty())
            .unwrap(),
    ] {
        let again = events(&ui.send(reconnect).await.text).await;
        assert_eq!(again.len(), 1, "{again:?}");
        let (name, html) = &again[0];
        assert_eq!(name, "done");
        assert!(
            html.contains("-text\" hx-swap-oob=\"true\">") && html.contains("milk"),
            "{html}"
        );
        assert!(html.contains("Added #"), "the replay has the chips: {html}");
    }
    let panel = ui.hx_get("/tasks/panel").await;
    assert_eq!(
        panel.text.matches("milk").count(),
        1,
        "one task, not two: {}",
        panel.text
    );

    let page = ui.get(&format!("/chat/{id}")).await;
    assert!(page.text.contains("class=\"msg user\"") && page.text.contains("class=\"msg assistant\""));
    assert!(page.text.contains("Added #"), "stored tool calls show as chips");
    assert_eq!(page.text.matches("class=\"msg assistant\"").count(), 1);
}

#[tokio::test]
async fn a_turn_can_be_stopped_resumed_and_is_reported_when_it_is_gone() {
    let (backend, mut ui, turn) = sent("Add a task to buy bread").await;
    let url = stream_url(&turn.text);
    let id = url
        .trim_start_matches("/chat/turns/")
        .trim_end_matches("/stream")
        .to_owned();

    // Stopped before its stream asked for it: it never runs, and the stream says so.
    let stop = ui
        .post_form_with(&format!("/chat/turns/{id}/stop"), &[], &[("hx-request", "true")])
        .await;
    assert_eq!(stop.status, StatusCode::NO_CONTENT);
    let stopped = events(&ui.get(&url).await.text).await;
    assert_eq!(stopped.len(), 1);
    assert!(
        stopped[0]
            .1
            .contains("class=\"turn-note\">Stopped before the assistant started."),
        "{stopped:?}"
    );
    assert!(!ui.hx_get("/tasks/panel").await.text.contains("bread"), "nothing ran");

    // Resuming renders the bubble again, streaming the same turn.
    let resumed = ui.hx_get(&format!("/chat/turns/{id}")).await;
    assert_eq!(resumed.status, StatusCode::OK);
    assert_eq!(stream_url(&resumed.text), url);
    assert!(
        resumed.text.starts_with("<article class=\"msg assistant streaming\""),
        "{}",
        resumed.text
    );

    // A turn the backend does not know, and a stream without a session.
    let unknown = events(
        &ui.get(&format!("/chat/turns/{}/stream", uuid::Uuid::new_v4()))
            .await
            .text,
    )
    .await;
    assert!(unknown[0].1.contains("no longer waiting"), "{unknown:?}");
    assert!(unknown[0].1.contains("class=\"retry\""), "{unknown:?}");
    let mut stranger = TestFrontend::new(&backend.base_url());
    let signed_out = events(&stranger.get(&url).await.text).await;
    assert!(signed_out[0].1.contains("Log in again"), "{signed_out:?}");
    assert_eq!(
        ui.get("/chat/turns/not-a-uuid/stream").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn without_javascript_a_turn_posts_and_redirects_and_conversations_can_be_deleted() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;

    let sent = ui
        .post_form("/chat/send", &[("message", "Add a task to pay bills")])
        .await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let conversation = sent.location().to_owned();
    assert!(conversation.starts_with("/chat/"), "{conversation}");
    let id = conversation.trim_start_matches("/chat/").to_owned();

    let resumed = ui
        .post_form(
            "/chat/send",
            &[("conversation_id", &id), ("message", "What's pending?")],
        )
        .await;
    assert_eq!(resumed.location(), conversation, "the same conversation continues");
    let page = ui.get(&conversation).await;
    assert_eq!(page.text.matches("class=\"msg user\"").count(), 2);
    assert!(page.text.contains("Pay bills"));
    assert!(
        page.text.contains(&format!("value=\"{id}\"")),
        "the form continues this conversation"
    );

    let empty = ui
        .post_form("/chat/send", &[("conversation_id", &id), ("message", "  ")])
        .await;
    assert_eq!(empty.location(), conversation, "nothing to send: back to the thread");

    let list = ui.get("/chat").await;
    assert!(list.text.contains(&format!("href=\"/chat/{id}\"")));
    let deleted = ui.post_form(&format!("/chat/{id}/delete"), &[]).await;
    assert_eq!(deleted.location(), "/chat");
    assert_eq!(ui.get(&conversation).await.status, StatusCode::NOT_FOUND);
    assert!(!ui.get("/chat").await.text.contains(&format!("href=\"/chat/{id}\"")));
    assert_eq!(
        ui.post_form(&format!("/chat/{id}/delete"), &[]).await.status,
        StatusCode::NOT_FOUND
    );
}
