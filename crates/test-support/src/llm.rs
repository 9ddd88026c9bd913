//! A stand-in for an OpenAI-compatible provider, for tests that need a turn that takes its time (no
//! real model is reachable from the tests; the delay is what makes "in the middle of a turn"
//! something a test can act in). It answers in the Chat Completions wire format: the first request
//! asks for `add_task` with `title`, every later one answers in words after `delay`.

use std::time::Duration;

use serde_json::{Value, json};
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

/// What a test needs of the stand-in.
#[derive(Debug)]
pub struct SlowModel {
    server: MockServer,
}

impl SlowModel {
    pub async fn start(title: &str, answer: &str, delay: Duration) -> Self {
        let server = MockServer::start().await;
        let arguments = json!({ "title": title }).to_string();
        let call = json!({"role": "assistant", "content": null, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "add_task", "arguments": arguments}}]});
        Mock::given(matchers::method("POST"))
            .respond_with(ResponseTemplate::new(200).set_body_json(completion(&call)))
            .up_to_n_times(1)
            .mount(&server)
            .await;
        let words = json!({"role": "assistant", "content": answer});
        Mock::given(matchers::method("POST"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(completion(&words))
                    .set_delay(delay),
            )
            .mount(&server)
            .await;
        Self { server }
    }

    /// The backend's settings for this model (`--flag value` pairs).
    pub fn backend_args(&self) -> Vec<String> {
        [
            ("--llm-provider", "openai".to_owned()),
            ("--llm-base-url", format!("{}/v1", self.server.uri())),
            ("--llm-model", "stand-in".to_owned()),
            ("--llm-api-key", "sk-test".to_owned()),
            ("--llm-stream", "false".to_owned()),
            ("--llm-timeout-secs", "60".to_owned()),
        ]
        .into_iter()
        .flat_map(|(flag, value)| [flag.to_owned(), value])
        .collect()
    }

    /// How many requests the model has received.
    pub async fn requests(&self) -> usize {
        self.server
            .received_requests()
            .await
            .map_or(0, |requests| requests.len())
    }
}

fn completion(message: &Value) -> Value {
    json!({"id": "chatcmpl-stand-in", "object": "chat.completion", "created": 1764150000, "model": "stand-in",
           "choices": [{"index": 0, "finish_reason": "stop", "message": message}]})
}
