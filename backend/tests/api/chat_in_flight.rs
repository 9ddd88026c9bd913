//! One turn at a time per conversation, and a turn lost with its process (issue 15 items 7 and 8).
//! Before: 20 turns at once on one conversation stored every message but the replies no longer sat
//! next to their messages, and kill -9 during a turn left the message unanswered and the task its
//! tool call had created unmentioned.

use std::time::Duration;

use axum::http::StatusCode;
use futures_util::future::join_all;
use serde_json::json;
use sqlx::PgPool;
use wiremock::ResponseTemplate;

use crate::{
    chat_openai::{answer, app_for, json_reply, provider, tool_calls},
    support::{
        TestApp,
        process::{database_url_of, signup_over_http, spawn_backend},
    },
};

/// The roles of the conversation's messages, oldest first.
async fn roles(db: &PgPool, conversation_id: i64) -> Vec<String> {
    sqlx::query_scalar("select role from messages where conversation_id = $1 order by id")
        .bind(conversation_id)
        .fetch_all(db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn a_second_turn_while_one_runs_is_409_and_other_conversations_go_on(db: PgPool) {
    let slow = json_reply(answer("Here I am, at last.")).set_delay(Duration::from_millis(1500));
    let server = provider(vec![
        json_reply(answer("Hello!")),
        slow,
        json_reply(answer("Another conversation.")),
        json_reply(answer("Your turn now.")),
    ])
    .await;
    let (app, user) = app_for(db.clone(), &server, &[]).await;
    let conversation = app.chat(&user, None, "hi").await["conversation_id"].as_i64().unwrap();

    let body = |message: &str| json!({"message": message, "conversation_id": conversation});
    let (first, (second, elsewhere)) = tokio::join!(app.chat_raw(&user, body("are you there?")), async {
        tokio::time::sleep(Duration::from_millis(300)).await;
        let second = app.chat_raw(&user, body("hello??")).await;
        let elsewhere = app.chat_raw(&user, json!({"message": "a new topic"})).await;
        (second, elsewhere)
    });
    assert_eq!(first.status, StatusCode::OK, "{}", first.text);
    assert_eq!(second.status, StatusCode::CONFLICT, "{}", second.text);
    assert_eq!(second.error_code(), "turn_in_progress");
    assert!(second.text.contains("still answering"), "{}", second.text);
    assert_eq!(elsewhere.status, StatusCode::OK, "another conversation is not held up");

    // The refused message was not stored; once the turn is over the conversation takes turns again.
    assert_eq!(
        roles(&db, conversation).await,
        ["user", "assistant", "user", "assistant"]
    );
    let next = app.chat_raw(&user, body("ok, next")).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text);
}

#[sqlx::test]
async fn twenty_turns_at_once_never_interleave(db: PgPool) {
    let app = TestApp::with_args(db.clone(), &["--quota-chat-turns-per-minute", "0"]);
    let user = app.signup("busy@example.com").await;
    let first = app.chat(&user, None, "add a task to buy milk").await;
    let conversation = first["conversation_id"].as_i64().unwrap();

    let turns = (0..20).map(|n| {
        let body = json!({"message": format!("add a task to call person {n}"), "conversation_id": conversation});
        app.chat_raw(&user, body)
    });
    let answers = join_all(turns).await;
    let answered = answers.iter().filter(|a| a.status == StatusCode::OK).count();
    for answer in &answers {
        assert!(
            [StatusCode::OK, StatusCode::CONFLICT].contains(&answer.status),
            "{}: {}",
            answer.status,
            answer.text
        );
    }
    assert!(answered >= 1);
    // Every stored message is followed by its own reply: user, assistant, user, assistant, …
    let expected: Vec<&str> = ["user", "assistant"].repeat(1 + answered);
    assert_eq!(roles(&db, conversation).await, expected);
}

#[sqlx::test]
async fn a_turn_killed_mid_way_is_shown_interrupted_with_the_changes_it_made(db: PgPool) {
    // The model adds a task, then never answers: the process is killed while it waits.
    let server = provider(vec![
        json_reply(tool_calls(&[("call_1", "add_task", r#"{"title":"Buy milk"}"#)])),
        ResponseTemplate::new(200).set_delay(Duration::from_secs(600)),
    ])
    .await;
    let base_url = format!("{}/v1", server.uri());
    let backend = spawn_backend(
        &database_url_of(&db),
        &[
            ("LLM_PROVIDER", "openai"),
            ("LLM_BASE_URL", &base_url),
            ("LLM_API_KEY", "sk-test"),
            ("LLM_STREAM", "false"),
            ("LLM_TIMEOUT_SECS", "600"),
        ],
    )
    .await;
    let client = reqwest::Client::new();
    let user = signup_over_http(&client, &backend, "crash@example.com").await;
    let turn = client
        .post(backend.url(&format!("/api/{}/chat", user.user_id)))
        .bearer_auth(&user.token)
        .json(&json!({"message": "add buy milk"}))
        .send();
    let turn = tokio::spawn(turn);
    let mut created = false;
    for _ in 0..100 {
        let titles: Vec<String> = sqlx::query_scalar("select title from tasks")
            .fetch_all(&db)
            .await
            .unwrap();
        if titles == ["Buy milk"] {
            created = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(created, "the tool call ran");
    backend.signal("KILL").await;
    assert!(
        turn.await.unwrap().is_err(),
        "the turn's connection died with the process"
    );
    let conversation: i64 = sqlx::query_scalar("select id from conversations")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(
        roles(&db, conversation).await,
        ["user"],
        "the message is left unanswered"
    );

    // Another replica (here: the app in this process) over the same database.
    let app = TestApp::new(db.clone());
    let uri = format!("/api/{}/conversations/{conversation}", user.user_id);
    let body = json!({"message": "hello?", "conversation_id": conversation});
    let held = app.chat_raw(&user, body.clone()).await;
    assert_eq!(
        held.status,
        StatusCode::CONFLICT,
        "its heartbeat is still recent: {}",
        held.text
    );

    // Stands in for the 30 s without a heartbeat after which a turn counts as lost.
    sqlx::query("update conversations set turn_seen_at = now() - interval '1 minute'")
        .execute(&db)
        .await
        .unwrap();
    let loaded = app.get(&uri, Some(&user.token)).await;
    assert_eq!(loaded.status, StatusCode::OK);
    let messages = loaded.json()["messages"].as_array().unwrap().clone();
    assert_eq!(messages.len(), 2, "{messages:?}");
    let note = messages[1]["content"].as_str().unwrap();
    assert_eq!(messages[1]["role"], "assistant");
    assert!(note.contains("interrupted"), "{note}");
    assert!(note.contains("added task #1 \"Buy milk\""), "{note}");

    // Loading again adds nothing; the conversation takes turns again.
    let again = app.get(&uri, Some(&user.token)).await.json();
    assert_eq!(again["messages"].as_array().unwrap().len(), 2);
    let next = app.chat_raw(&user, body).await;
    assert_eq!(next.status, StatusCode::OK, "{}", next.text);
}
