//! The chat views against the real backend and its built-in rules engine: the streamed turn as the
//! browser receives it, the out-of-band sync, the no-JavaScript path, resume and delete.

use std::convert::Infallible;

use axum::http::StatusCode;
use eventsource_stream::Eventsource;
use futures_util::StreamExt;

use crate::support::{backend::TestBackend, frontend::TestFrontend};

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
    turn[start..end].replace("&#38;", "&").replace("&amp;", "&")
}

#[tokio::test]
async fn a_streamed_turn_arrives_as_chips_text_and_one_closing_event() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;

    let turn = ui
        .post_form_with(
            "/chat/send",
            &[("message", "Add a task to buy <b>milk</b>")],
            &[("hx-request", "true")],
        )
        .await;
    assert!(
        turn.text.contains("buy &#60;b&#62;milk") || turn.text.contains("buy &lt;b&gt;milk"),
        "{}",
        turn.text
    );
    let stream = ui.get(&stream_url(&turn.text)).await;
    assert_eq!(stream.status, StatusCode::OK);
    assert_eq!(stream.header("content-type"), Some("text/event-stream"));
    let events = events(&stream.text).await;
    let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names.first(), Some(&"tool"), "{names:?}");
    assert_eq!(names.last(), Some(&"done"), "{names:?}");
    assert_eq!(names.iter().filter(|n| **n == "done").count(), 1);
    assert!(names.contains(&"delta"));
    let chip = &events[0].1;
    assert!(chip.contains("Added #"), "{chip}");
    assert!(!chip.contains("<b>"), "chips are escaped: {chip}");
    let text: String = events
        .iter()
        .filter(|(n, _)| n == "delta")
        .map(|(_, d)| d.as_str())
        .collect();
    assert!(
        text.contains("&#60;b&#62;milk&#60;/b&#62;") && !text.contains("<b>"),
        "escaped reply: {text}"
    );
    let done = &events.last().unwrap().1;
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

    // A reconnecting EventSource must not send the message a second time.
    let again = ui
        .send(
            axum::http::Request::get(stream_url(&turn.text))
                .header("last-event-id", "3")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await;
    assert!(again.text.contains("The connection dropped"), "{}", again.text);
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
