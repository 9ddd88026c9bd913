//! The `openai` engine against what real OpenAI-compatible providers send. Each fixture in
//! `fixtures/llm/` beside this file is a provider's documented response shape (see its `provider`, `covers`
//! and `source` fields), replayed by wiremock in order, one response per model request; the turn's
//! effect is checked in the database. Nothing here reaches a real provider.

use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;
use wiremock::{Mock, MockServer, ResponseTemplate, matchers};

use crate::support::{
    Session, TestApp,
    chat::{reply_text, tools_called},
};

#[derive(Debug, Deserialize)]
struct Fixture {
    provider: String,
    #[allow(dead_code, reason = "documentation of the fixture, read by people")]
    covers: String,
    #[allow(dead_code, reason = "documentation of the fixture, read by people")]
    source: String,
    responses: Vec<Recorded>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "lowercase")]
enum Recorded {
    /// A streamed response: each entry is a chunk, or the `[DONE]` marker.
    Sse(Vec<Value>),
    Json(Value),
}

fn load(name: &str) -> Fixture {
    let path = format!("{}/tests/api/fixtures/llm/{name}.json", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn template(recorded: &Recorded) -> ResponseTemplate {
    match recorded {
        Recorded::Json(body) => ResponseTemplate::new(200).set_body_json(body),
        Recorded::Sse(events) => {
            let body: String = events
                .iter()
                .map(|event| match event {
                    Value::String(marker) => format!("data: {marker}\n\n"),
                    chunk => format!("data: {chunk}\n\n"),
                })
                .collect();
            ResponseTemplate::new(200)
                .insert_header("content-type", "text/event-stream")
                .set_body_string(body)
        }
    }
}

/// The app on the openai engine, pointed at a mock that replays `fixture`; a fixture of streamed
/// responses is asked with `stream: true`.
async fn replay(db: PgPool, name: &str) -> (TestApp, Session, MockServer, Fixture) {
    let fixture = load(name);
    let server = MockServer::start().await;
    for recorded in &fixture.responses {
        Mock::given(matchers::method("POST"))
            .and(matchers::path("/v1/chat/completions"))
            .respond_with(template(recorded))
            .up_to_n_times(1)
            .mount(&server)
            .await;
    }
    let streamed = matches!(fixture.responses.first(), Some(Recorded::Sse(_)));
    // The recorded llama.cpp exchange took two steps; the others end well within the default.
    let steps = if name.starts_with("llamacpp") { "2" } else { "6" };
    let base = format!("{}/v1", server.uri());
    let args = [
        "--llm-provider",
        "openai",
        "--llm-base-url",
        base.as_str(),
        "--llm-model",
        "recorded",
        "--llm-timeout-secs",
        "5",
        "--llm-retry-backoff-ms",
        "10",
        "--llm-stream",
        if streamed { "true" } else { "false" },
        "--llm-max-steps",
        steps,
    ];
    let app = TestApp::with_args(db, &args);
    let user = app.signup_in("provider@example.com", "Europe/Madrid").await;
    (app, user, server, fixture)
}

async fn requests(server: &MockServer) -> Vec<Value> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .iter()
        .map(|request| serde_json::from_slice(&request.body).unwrap_or(Value::Null))
        .collect()
}

async fn tasks(db: &PgPool) -> Vec<(String, bool, String)> {
    sqlx::query_as("select title, completed, priority::text from tasks order by id")
        .fetch_all(db)
        .await
        .unwrap_or_default()
}

/// The call ids the tool results of a request answer, in order.
fn result_ids(request: &Value) -> Vec<String> {
    request["messages"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|m| m["role"] == "tool")
        .filter_map(|m| m["tool_call_id"].as_str().map(str::to_owned))
        .collect()
}

#[sqlx::test]
async fn openai_arguments_split_over_many_chunks_and_a_usage_chunk(db: PgPool) {
    let (app, user, server, fixture) = replay(db.clone(), "openai-stream-split-arguments").await;
    let reply = app.chat(&user, None, "add buy groceries, it's urgent").await;
    assert_eq!(tools_called(&reply), ["add_task"], "{}: {reply}", fixture.provider);
    assert_eq!(
        reply["tool_calls"][0]["arguments"],
        json!({"title": "Buy groceries", "priority": "high"})
    );
    assert_eq!(tasks(&db).await, [("Buy groceries".into(), false, "high".into())]);
    assert_eq!(reply_text(&reply), "Added task #1: Buy groceries.");
    assert_eq!(requests(&server).await.len(), 2);
}

#[sqlx::test]
async fn openai_parallel_calls_interleaved_by_index(db: PgPool) {
    let (app, user, server, _) = replay(db.clone(), "openai-stream-parallel-calls").await;
    let reply = app.chat(&user, None, "add milk and eggs").await;
    assert_eq!(tools_called(&reply), ["add_task", "add_task"]);
    let titles: Vec<String> = tasks(&db).await.into_iter().map(|(title, ..)| title).collect();
    assert_eq!(titles, ["Milk", "Eggs"]);
    assert_eq!(result_ids(&requests(&server).await[1]), ["call_m1", "call_e2"]);
}

#[sqlx::test]
async fn openai_refusals_are_said_whole_or_streamed(db: PgPool) {
    for name in ["openai-refusal", "openai-refusal-stream"] {
        let (app, user, _server, _) = replay(db.clone(), name).await;
        let reply = app.chat(&user, None, "help me with something shady").await;
        assert_eq!(tools_called(&reply), Vec::<String>::new(), "{name}");
        assert_eq!(
            reply_text(&reply),
            "I'm sorry, I can't help with that request.",
            "{name}"
        );
        sqlx::query("truncate users cascade")
            .execute(&db)
            .await
            .expect("next user");
    }
}

/// A fixture whose turn makes one change: `(fixture, seeded titles, message, tool, tasks after)`.
type OneChange = (
    &'static str,
    &'static [&'static str],
    &'static str,
    &'static str,
    &'static [(&'static str, bool)],
);

const ONE_CHANGE: [OneChange; 4] = [
    // Azure: a first chunk with no choices, filter annotations, a choice without a delta.
    (
        "azure-stream-filter-annotations",
        &["Call mom"],
        "mark task 1 done",
        "complete_task",
        &[("Call mom", true)],
    ),
    // Ollama: the whole call in one chunk, content "".
    (
        "ollama-stream-whole-call",
        &["Keep me", "Old errand"],
        "delete task 2",
        "delete_task",
        &[("Keep me", false)],
    ),
    // Ollama (older releases): a tool call whose step finishes with "stop".
    (
        "ollama-whole-stop",
        &[],
        "add call the vet",
        "add_task",
        &[("Call the vet", false)],
    ),
    // Gemini: a whole call without an index, content null.
    (
        "gemini-whole-call",
        &["Water plants"],
        "water plants is done",
        "complete_task",
        &[("Water plants", true)],
    ),
];

#[sqlx::test]
async fn provider_shapes_of_a_single_change(db: PgPool) {
    for (name, seeded, message, tool, after) in ONE_CHANGE {
        let (app, user, _server, fixture) = replay(db.clone(), name).await;
        for title in seeded {
            app.create_task(&user, json!({ "title": title })).await;
        }
        let reply = app.chat(&user, None, message).await;
        assert_eq!(tools_called(&reply), [tool], "{name} ({}): {reply}", fixture.provider);
        let expected: Vec<(String, bool, String)> = after
            .iter()
            .map(|(title, done)| (title.to_string(), *done, "medium".to_owned()))
            .collect();
        assert_eq!(tasks(&db).await, expected, "{name}");
        sqlx::query("truncate users, tasks restart identity cascade")
            .execute(&db)
            .await
            .expect("next fixture");
    }
}

#[sqlx::test]
async fn azure_content_filter_is_explained(db: PgPool) {
    let (app, user, _server, _) = replay(db.clone(), "azure-content-filter").await;
    let reply = app.chat(&user, None, "something the filter dislikes").await;
    assert!(reply_text(&reply).contains("content filter"), "{reply}");
    assert!(tasks(&db).await.is_empty());
}

#[sqlx::test]
async fn vllm_fragments_with_empty_ids_join_the_first(db: PgPool) {
    let (app, user, _server, _) = replay(db.clone(), "vllm-stream-tool-parser").await;
    for title in ["One", "Two", "Three"] {
        app.create_task(&user, json!({ "title": title })).await;
    }
    let reply = app.chat(&user, None, "make task 3 high priority").await;
    assert_eq!(tools_called(&reply), ["update_task"]);
    assert_eq!(
        reply["tool_calls"][0]["arguments"],
        json!({"task_id": 3, "priority": "high"})
    );
    assert_eq!(tasks(&db).await[2], ("Three".into(), false, "high".into()));
}

#[sqlx::test]
async fn groq_whole_call_with_usage_in_x_groq(db: PgPool) {
    let (app, user, _server, _) = replay(db.clone(), "groq-stream-whole-call").await;
    app.create_task(&user, json!({"title": "Pending one"})).await;
    let reply = app.chat(&user, None, "what's pending?").await;
    assert_eq!(tools_called(&reply), ["list_tasks"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"status": "pending"}));
    assert_eq!(reply_text(&reply), "You have 2 pending tasks.");
}

#[sqlx::test]
async fn gemini_calls_without_index_and_their_thought_signature(db: PgPool) {
    let (app, user, server, _) = replay(db.clone(), "gemini-stream-indexless-calls").await;
    let reply = app.chat(&user, None, "add book flights and renew passport").await;
    assert_eq!(
        tools_called(&reply),
        ["add_task", "add_task"],
        "a new id starts a new call"
    );
    let titles: Vec<String> = tasks(&db).await.into_iter().map(|(title, ..)| title).collect();
    assert_eq!(titles, ["Book flights", "Renew passport"]);
    let follow_up = &requests(&server).await[1]["messages"];
    let calls = follow_up
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["tool_calls"].is_array())
        .map(|m| m["tool_calls"].clone())
        .unwrap_or_default();
    assert_eq!(
        calls[0]["extra_content"],
        json!({"google": {"thought_signature": "CiQB0e2Kb7aZ3p"}}),
        "the signature goes back with its call"
    );
    assert!(calls[1].get("extra_content").is_none());
}

#[sqlx::test]
async fn call_ids_reused_within_and_across_steps_still_pair(db: PgPool) {
    let (app, user, server, _) = replay(db.clone(), "reused-call-ids").await;
    let reply = app
        .chat(&user, None, "add water plants and feed cat, then finish the first")
        .await;
    assert_eq!(tools_called(&reply), ["add_task", "add_task", "complete_task"]);
    assert_eq!(
        tasks(&db).await,
        [
            ("Water plants".into(), true, "medium".into()),
            ("Feed cat".into(), false, "medium".into())
        ]
    );
    let ids = result_ids(&requests(&server).await[1]);
    assert_eq!(ids.len(), 2);
    assert_ne!(ids[0], ids[1], "two results of one step never share an id");
}

#[sqlx::test]
async fn a_message_without_content_gets_a_sentence(db: PgPool) {
    let (app, user, _server, _) = replay(db.clone(), "content-missing").await;
    let reply = app.chat(&user, None, "hello?").await;
    assert!(
        reply_text(&reply).starts_with("Sorry, I have no answer to that."),
        "{reply}"
    );
}

#[sqlx::test]
async fn arguments_cut_off_by_the_length_limit_are_refused(db: PgPool) {
    let (app, user, server, _) = replay(db.clone(), "finish-length-cut-arguments").await;
    let reply = app.chat(&user, None, "add write the long report").await;
    assert_eq!(
        reply["tool_calls"][0]["result"]["error"],
        "arguments must be a JSON object matching the tool's schema"
    );
    assert!(
        tasks(&db).await.is_empty(),
        "nothing is written from half an argument list"
    );
    assert_eq!(reply_text(&reply), "Sorry, I ran out of room. Please say it again.");
    assert_eq!(requests(&server).await.len(), 2);
}

#[sqlx::test]
async fn llama_cpp_recorded_here_writes_nothing_from_wrong_arguments(db: PgPool) {
    let (app, user, server, _) = replay(db.clone(), "llamacpp-recorded").await;
    let reply = app.chat(&user, None, "Add a task to buy groceries").await;
    assert_eq!(tools_called(&reply), ["add_task", "add_task"]);
    for call in reply["tool_calls"].as_array().into_iter().flatten() {
        assert!(
            call["result"]["error"]
                .as_str()
                .is_some_and(|e| e.contains("invalid arguments")),
            "{call}"
        );
    }
    assert!(
        tasks(&db).await.is_empty(),
        "a date that is not a date, an empty title: nothing written"
    );
    assert!(reply_text(&reply).contains("stopped after 2 steps"), "{reply}");
    let streamed: Vec<Option<bool>> = requests(&server).await.iter().map(|r| r["stream"].as_bool()).collect();
    assert_eq!(
        streamed,
        [Some(true), Some(false), Some(true), Some(false)],
        "each empty stream is asked again whole"
    );
}
