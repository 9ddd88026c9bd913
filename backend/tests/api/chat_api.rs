//! The chat HTTP contract: the event stream of a turn, conversations, validation and access.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, chat::StreamEvent};

#[sqlx::test]
async fn a_streamed_turn_sends_call_result_deltas_then_done(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("sse@example.com").await;
    let (response, events) = app
        .chat_stream(&user, json!({"message": "Add a task to buy groceries"}))
        .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("content-type"), Some("text/event-stream"));

    let names: Vec<&str> = events.iter().map(|e| e.name.as_str()).collect();
    let deltas = names.iter().filter(|n| **n == "delta").count();
    assert!(deltas > 1, "the reply streams in pieces: {names:?}");
    let mut expected = vec!["tool_call", "tool_result"];
    expected.extend(std::iter::repeat_n("delta", deltas));
    expected.push("done");
    assert_eq!(names, expected);

    assert_eq!(
        events[0],
        StreamEvent {
            name: "tool_call".into(),
            data: json!({"id": "call_1", "tool": "add_task", "arguments": {"title": "Buy groceries"}})
        }
    );
    assert_eq!(
        events[1].data,
        json!({"id": "call_1", "tool": "add_task", "result": {"task_id": 1, "status": "created", "title": "Buy groceries"}})
    );
    let text: String = events
        .iter()
        .filter(|e| e.name == "delta")
        .map(|e| e.data["content"].as_str().unwrap().to_owned())
        .collect();
    let done = &events.last().unwrap().data;
    let conversation = done["conversation_id"].as_i64().unwrap();

    // What streamed is what was stored.
    let uri = format!("/api/{}/conversations/{conversation}", user.user_id);
    let stored = app.get(&uri, Some(&user.token)).await.json();
    let reply = &stored["messages"][1];
    assert_eq!(reply["id"], done["message_id"]);
    assert_eq!(reply["role"], "assistant");
    assert_eq!(reply["content"], text);
    assert_eq!(reply["tool_calls"][0]["result"]["task_id"], 1);
}

#[sqlx::test]
async fn conversations_are_listed_newest_first_shown_and_deleted(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("conv@example.com").await;
    let first = app.chat(&user, None, "add water plants").await["conversation_id"]
        .as_i64()
        .unwrap();
    let second = app.chat(&user, None, "what's pending?").await["conversation_id"]
        .as_i64()
        .unwrap();
    app.chat(&user, Some(first), "show all my tasks").await;

    let list_uri = format!("/api/{}/conversations", user.user_id);
    let list = app.get(&list_uri, Some(&user.token)).await.json();
    let ids: Vec<i64> = list
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [first, second], "the conversation used last comes first");
    assert_eq!(list[0]["title"], "add water plants");
    assert!(list[0]["updated_at"].as_str().unwrap() > list[1]["updated_at"].as_str().unwrap());

    let shown = app.get(&format!("{list_uri}/{first}"), Some(&user.token)).await.json();
    let contents: Vec<&str> = shown["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["content"].as_str().unwrap())
        .collect();
    assert_eq!(contents.len(), 4);
    assert_eq!(contents[0], "add water plants");
    assert_eq!(contents[2], "show all my tasks");

    let deleted = app
        .call(Method::DELETE, &format!("{list_uri}/{first}"), Some(&user.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    let gone = app.get(&format!("{list_uri}/{first}"), Some(&user.token)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    let messages: i64 = sqlx::query_scalar("select count(*) from messages where conversation_id = $1")
        .bind(first)
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(messages, 0, "messages go with their conversation");
    let tasks: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(tasks, 1, "deleting a conversation keeps the tasks it made");
}

#[sqlx::test]
async fn someone_elses_conversation_is_404_everywhere(db: PgPool) {
    let app = TestApp::new(db.clone());
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let conversation = app.chat(&alice, None, "add secret plan").await["conversation_id"]
        .as_i64()
        .unwrap();

    let continued = app
        .chat_raw(
            &bob,
            json!({"conversation_id": conversation, "message": "show all my tasks"}),
        )
        .await;
    assert_eq!(
        (continued.status, continued.error_code().as_str()),
        (StatusCode::NOT_FOUND, "not_found")
    );
    let uri = format!("/api/{}/conversations/{conversation}", bob.user_id);
    assert_eq!(app.get(&uri, Some(&bob.token)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&bob.token), None).await.status,
        StatusCode::NOT_FOUND
    );
    let (streamed, events) = app
        .chat_stream(&bob, json!({"conversation_id": conversation, "message": "hi"}))
        .await;
    assert_eq!(
        streamed.status,
        StatusCode::NOT_FOUND,
        "errors before the stream are plain HTTP errors"
    );
    assert!(events.is_empty());

    let alices = format!("/api/{}/chat", alice.user_id);
    let forbidden = app
        .call(Method::POST, &alices, Some(&bob.token), Some(json!({"message": "hi"})))
        .await;
    assert_eq!(forbidden.status, StatusCode::FORBIDDEN);
    let anonymous = app
        .call(Method::POST, &alices, None, Some(json!({"message": "hi"})))
        .await;
    assert_eq!(anonymous.status, StatusCode::UNAUTHORIZED);
    let count: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, 2, "only alice's own turn was stored");
}

#[sqlx::test]
async fn bad_messages_are_422_and_store_nothing(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("val@example.com").await;
    let long = "x".repeat(4001);
    for body in [
        json!({"message": "   "}),
        json!({"message": long}),
        json!({"message": "a\u{0}b"}),
        json!({"message": "hi", "extra": true}),
        json!({}),
    ] {
        let response = app.chat_raw(&user, body.clone()).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            response.text
        );
    }
    let response = app.chat_raw(&user, json!({"message": ""})).await;
    assert_eq!(response.json()["error"]["fields"]["message"], "must not be empty");
    let stored: i64 = sqlx::query_scalar("select count(*) from conversations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored, 0);
}

#[sqlx::test]
async fn the_openapi_document_describes_the_chat_routes(db: PgPool) {
    let app = TestApp::new(db);
    let document = app.get("/openapi.json", None).await.json();
    let paths = &document["paths"];
    assert!(paths["/api/{user_id}/chat"]["post"]["responses"]["200"]["content"]["text/event-stream"].is_object());
    assert!(paths["/api/{user_id}/conversations"]["get"].is_object());
    assert!(paths["/api/{user_id}/conversations/{id}"]["delete"].is_object());
}

#[sqlx::test]
async fn conversation_ids_are_json_schema_integers(db: PgPool) {
    let app = TestApp::new(db);
    let user = app.signup("ids@example.com").await;
    let first = app.chat(&user, None, "hi").await["conversation_id"].as_i64().unwrap();
    let as_float = app
        .chat_raw(&user, json!({"conversation_id": first as f64, "message": "thanks"}))
        .await;
    assert_eq!(as_float.status, StatusCode::OK, "{}", as_float.text);
    assert_eq!(as_float.json()["conversation_id"], first);
    let fractional = app
        .chat_raw(&user, json!({"conversation_id": 1.5, "message": "hi"}))
        .await;
    assert_eq!(fractional.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn turns_and_tool_calls_are_counted(db: PgPool) {
    let app = TestApp::new(db);
    let user = app.signup("metrics@example.com").await;
    app.chat(&user, None, "add milk and eggs").await;
    app.chat(&user, None, "complete task 99").await;
    let text = app.get("/metrics", None).await.text;
    for line in [
        r#"chat_turns_total{engine="rules",outcome="ok"} 2"#,
        r#"chat_tool_calls_total{tool="add_task",outcome="ok"} 2"#,
        r#"chat_tool_calls_total{tool="complete_task",outcome="error"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
    }
}
