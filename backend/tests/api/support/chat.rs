//! Chat helpers: a turn as JSON or as a parsed event stream.

use std::convert::Infallible;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use eventsource_stream::Eventsource;
use futures_util::StreamExt;
use serde_json::{Value, json};

use super::{Session, TestApp, TestResponse};

/// One Server-Sent Event: its name and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct StreamEvent {
    pub(crate) name: String,
    pub(crate) data: Value,
}

impl TestApp {
    /// A chat turn as sent; the response is not checked.
    pub(crate) async fn chat_raw(&self, session: &Session, body: Value) -> TestResponse {
        let uri = format!("/api/{}/chat", session.user_id);
        self.call(Method::POST, &uri, Some(&session.token), Some(body)).await
    }

    /// A successful chat turn (JSON mode); `conversation` continues one.
    pub(crate) async fn chat(&self, session: &Session, conversation: Option<i64>, message: &str) -> Value {
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        let response = self.chat_raw(session, body).await;
        assert_eq!(response.status, StatusCode::OK, "{message}: {}", response.text);
        response.json()
    }

    /// A chat turn with `Accept: text/event-stream`, read to the end of the stream.
    pub(crate) async fn chat_stream(&self, session: &Session, body: Value) -> (TestResponse, Vec<StreamEvent>) {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/{}/chat", session.user_id))
            .header(header::AUTHORIZATION, format!("Bearer {}", session.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "text/event-stream")
            .body(Body::from(body.to_string()))
            .expect("request builds");
        let response = self.send(request).await;
        let events = parse_events(&response.text).await;
        (response, events)
    }
}

/// Parses an SSE body with the parser the backend reads its provider's stream with.
pub(crate) async fn parse_events(text: &str) -> Vec<StreamEvent> {
    let body = futures_util::stream::iter([Ok::<_, Infallible>(text.as_bytes().to_vec())]);
    body.eventsource()
        .map(|event| {
            let event = event.unwrap_or_else(|err| panic!("not an event stream ({err}): {text}"));
            let data = serde_json::from_str(&event.data)
                .unwrap_or_else(|err| panic!("event {} data is not JSON ({err}): {}", event.event, event.data));
            StreamEvent {
                name: event.event,
                data,
            }
        })
        .collect()
        .await
}

/// The text of a reply.
pub(crate) fn reply_text(reply: &Value) -> &str {
    reply["response"].as_str().expect("response text")
}

/// The tools a reply called, in order.
pub(crate) fn tools_called(reply: &Value) -> Vec<String> {
    reply["tool_calls"]
        .as_array()
        .expect("tool_calls array")
        .iter()
        .map(|call| call["tool"].as_str().expect("tool name").to_owned())
        .collect()
}
