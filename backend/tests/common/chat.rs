//! Chat helpers: a turn as JSON or as a parsed event stream.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};

use super::{Session, TestApp, TestResponse};

/// One Server-Sent Event: its name and JSON data.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    pub name: String,
    pub data: Value,
}

impl TestApp {
    /// A chat turn as sent; the response is not checked.
    pub async fn chat_raw(&self, session: &Session, body: Value) -> TestResponse {
        let uri = format!("/api/{}/chat", session.user_id);
        self.call(Method::POST, &uri, Some(&session.token), Some(body)).await
    }

    /// A successful chat turn (JSON mode); `conversation` continues one.
    pub async fn chat(&self, session: &Session, conversation: Option<i64>, message: &str) -> Value {
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        let response = self.chat_raw(session, body).await;
        assert_eq!(response.status, StatusCode::OK, "{message}: {}", response.text);
        response.json()
    }

    /// A chat turn with `Accept: text/event-stream`, read to the end of the stream.
    pub async fn chat_stream(&self, session: &Session, body: Value) -> (TestResponse, Vec<StreamEvent>) {
        let request = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/{}/chat", session.user_id))
            .header(header::AUTHORIZATION, format!("Bearer {}", session.token))
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::ACCEPT, "text/event-stream")
            .body(Body::from(body.to_string()))
            .expect("request builds");
        let response = self.send(request).await;
        let events = parse_events(&response.text);
        (response, events)
    }
}

/// Parses an SSE body (`event:` / `data:` lines, blank-line separated; keep-alive comments skipped).
pub fn parse_events(text: &str) -> Vec<StreamEvent> {
    text.split("\n\n")
        .filter_map(|block| {
            let mut name = None;
            let mut data = String::new();
            for line in block.lines() {
                if let Some(value) = line.strip_prefix("event:") {
                    name = Some(value.trim().to_string());
                } else if let Some(value) = line.strip_prefix("data:") {
                    data.push_str(value.strip_prefix(' ').unwrap_or(value));
                }
            }
            let name = name?;
            let data = serde_json::from_str(&data)
                .unwrap_or_else(|err| panic!("event {name} data is not JSON ({err}): {data}"));
            Some(StreamEvent { name, data })
        })
        .collect()
}

/// The tools a reply called, in order.
pub fn tools_called(reply: &Value) -> Vec<String> {
    reply["tool_calls"]
        .as_array()
        .expect("tool_calls array")
        .iter()
        .map(|call| call["tool"].as_str().expect("tool name").to_string())
        .collect()
}
