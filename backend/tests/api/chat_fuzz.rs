//! Adversarial messages through the real chat API on real PostgreSQL, with the rules engine
//! acting on a seeded user: every turn answers 200 (or 422 for a message the contract refuses),
//! never a 5xx, and the process stays up. The case count is bounded; the pipeline alone gets many
//! more cases in the crate's own property test.

use axum::http::StatusCode;
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, TestRunner},
};
use serde_json::json;
use sqlx::PgPool;

use crate::support::TestApp;

fn messages() -> impl Strategy<Value = String> {
    let huge = prop_oneof![
        Just("200000000000".to_owned()),
        Just("9223372036854775807".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
    ];
    let unit = prop::sample::select(vec!["days", "weeks", "hours", "minutes"]);
    prop_oneof![
        (huge.clone(), unit).prop_map(|(n, unit)| format!("add a task in {n} {unit}")),
        huge.clone().prop_map(|n| format!("mark task {n} as done")),
        huge.prop_map(|n| format!("delete #{n} and move it to dec {n} at {n}:99")),
        "\\PC{1,200}",
        "[a-z ,.'\":#!?-]{1,300}",
        ".{1,40}".prop_map(|s| s.repeat(100)),
    ]
}

#[sqlx::test]
async fn adversarial_messages_never_fail_the_server(db: PgPool) {
    // 64 turns of one user: more than a minute's quota.
    let app = TestApp::with_args(db, &["--quota-chat-turns-per-minute", "0"]);
    let user = app.signup("fuzz@example.com").await;
    for title in ["Buy milk", "Call mom", "Write report"] {
        app.create_task(&user, json!({ "title": title })).await;
    }
    let mut runner = TestRunner::new(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    });
    let strategy = messages();
    let mut conversation = None;
    for _ in 0..64 {
        let message = strategy.new_tree(&mut runner).expect("a message").current();
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        let response = app.chat_raw(&user, body).await;
        assert!(
            response.status == StatusCode::OK || response.status == StatusCode::UNPROCESSABLE_ENTITY,
            "{message:?} → {}: {}",
            response.status,
            response.text
        );
        if response.status == StatusCode::OK {
            let reply = response.json();
            assert!(
                !reply["response"].as_str().unwrap_or_default().is_empty(),
                "{message:?}: empty reply"
            );
            conversation = reply["conversation_id"].as_i64();
        }
    }
}

/// The message that used to reach `chrono::Duration::days` unchecked and abort the release build.
#[sqlx::test]
async fn offsets_too_large_for_a_date_are_answered_not_fatal(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("far@example.com").await;
    for unit in ["days", "weeks", "hours", "minutes"] {
        let message = format!("add a task in 200000000000 {unit}");
        let reply = app.chat(&user, None, &message).await;
        assert!(
            reply["response"]
                .as_str()
                .unwrap_or_default()
                .contains("didn't understand"),
            "{message}: {reply}"
        );
    }
    let tasks: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(tasks, 0, "no task is made of an unreadable date");
}
