//! Quotas (issue 15 item 9): tasks per account, tool calls per chat turn, chat turns per user per
//! minute — each a 429 `quota_exceeded` that says which limit was hit, or for a tool call the
//! same sentence as the tool's error. Before the quotas, one message created 457 tasks.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::{
    chat_openai::{answer, app_for, json_reply, provider, titles, tool_calls},
    support::{TestApp, chat::tools_called},
};

#[sqlx::test]
async fn an_account_keeps_at_most_its_quota_of_tasks_by_rest_and_by_chat(db: PgPool) {
    let app = TestApp::with_args(db.clone(), &["--quota-tasks-per-user", "3"]);
    let user = app.signup("full@example.com").await;
    let other = app.signup("other@example.com").await;
    let uri = format!("/api/{}/tasks", user.user_id);
    let mut ids = Vec::new();
    for title in ["One", "Two", "Three"] {
        ids.push(app.create_task(&user, json!({"title": title})).await["id"].clone());
    }

    let refused = app
        .call(Method::POST, &uri, Some(&user.token), Some(json!({"title": "Four"})))
        .await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert_eq!(refused.error_code(), "quota_exceeded");
    assert!(
        refused.json()["error"]["message"].as_str().unwrap().contains("3 tasks"),
        "{}",
        refused.text
    );
    assert_eq!(
        refused.header("retry-after"),
        None,
        "waiting does not help: deleting does"
    );

    let reply = app.chat(&user, None, "add a task to buy milk").await;
    assert_eq!(tools_called(&reply), ["add_task"]);
    let error = reply["tool_calls"][0]["result"]["error"].as_str().unwrap_or_default();
    assert!(error.contains("3 tasks"), "the tool says why: {reply}");

    app.create_task(&other, json!({"title": "Someone else's"})).await;
    let deleted = app
        .call(Method::DELETE, &format!("{uri}/{}", ids[0]), Some(&user.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    app.create_task(&user, json!({"title": "Four"})).await;
    assert_eq!(titles(&db).await, ["Two", "Three", "Someone else's", "Four"]);
}

#[sqlx::test]
async fn a_turn_stops_acting_at_its_quota_of_tool_calls(db: PgPool) {
    let calls: Vec<(String, String)> = (1..=6)
        .map(|n| (format!("call_{n}"), format!(r#"{{"title":"Task {n}"}}"#)))
        .collect();
    let calls: Vec<(&str, &str, &str)> = calls
        .iter()
        .map(|(id, args)| (id.as_str(), "add_task", args.as_str()))
        .collect();
    let server = provider(vec![
        json_reply(tool_calls(&calls)),
        json_reply(answer("I added three; send another message for the rest.")),
    ])
    .await;
    let (app, user) = app_for(db.clone(), &server, &[("--quota-actions-per-turn", "3")]).await;

    let reply = app.chat(&user, None, "add six tasks").await;
    assert_eq!(titles(&db).await, ["Task 1", "Task 2", "Task 3"]);
    // The first refused call is kept in the stored reply; later ones only answer the model.
    assert_eq!(tools_called(&reply), ["add_task"; 4]);
    let refusal = reply["tool_calls"][3]["result"]["error"].as_str().unwrap_or_default();
    assert!(refusal.contains("3 tool calls"), "{reply}");
    let answered: Vec<Value> = server.received_requests().await.unwrap()[1]
        .body_json::<Value>()
        .unwrap()["messages"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["role"] == "tool")
        .cloned()
        .collect();
    assert_eq!(answered.len(), 6, "every call the model made gets an answer");
    assert!(answered[5]["content"].as_str().unwrap().contains("3 tool calls"));
}

#[sqlx::test]
async fn chat_turns_per_user_per_minute(db: PgPool) {
    let app = TestApp::with_args(db, &["--quota-chat-turns-per-minute", "2"]);
    let user = app.signup("chatty@example.com").await;
    let other = app.signup("quiet@example.com").await;
    app.chat(&user, None, "hello").await;
    app.chat(&user, None, "hello again").await;

    let refused = app.chat_raw(&user, json!({"message": "and again"})).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS, "{}", refused.text);
    assert_eq!(refused.error_code(), "quota_exceeded");
    let wait: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(refused.text.contains("too many chat messages"), "{}", refused.text);
    app.chat(&other, None, "hello").await;
}
