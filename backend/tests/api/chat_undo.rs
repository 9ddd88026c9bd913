//! Undo: each turn's changes are journalled; "undo" reverts the latest turn of the conversation
//! (a deleted task comes back exactly as it was, same id), turn by turn, never another
//! conversation's or another user's, and never over a change made since. The same function is a
//! tool any caller of the tool box can use (as a future MCP endpoint would, outside a conversation).

use axum::http::Method;
use chrono::{DateTime, Utc};
use serde_json::json;
use sqlx::PgPool;
use todo_backend::ToolBox;

use crate::support::{
    TestApp,
    chat::{reply_text, tools_called},
    tasks_snapshot,
};

#[sqlx::test]
async fn a_deleted_task_comes_back_as_it_was(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("undo@example.com").await;
    app.create_task(&user, json!({"title": "Call mom"})).await;
    app.create_task(
        &user,
        json!({"title": "File taxes", "description": "forms in the blue folder", "priority": "high", "due_at": "2027-04-15T12:00:00Z"}),
    )
    .await;
    let before = tasks_snapshot(&db).await;

    let deleted = app.chat(&user, None, "delete task 2").await;
    assert_eq!(tools_called(&deleted), ["delete_task"]);
    assert_eq!(tasks_snapshot(&db).await.len(), 1);

    let undone = app.chat(&user, deleted["conversation_id"].as_i64(), "undo").await;
    assert_eq!(tools_called(&undone), ["undo"]);
    assert_eq!(
        undone["tool_calls"][0]["result"],
        json!({"status": "undone", "changes": [{"task_id": 2, "title": "File taxes", "status": "restored"}]})
    );
    assert!(
        reply_text(&undone).contains("brought back task #2 \"File taxes\""),
        "{undone}"
    );
    assert_eq!(tasks_snapshot(&db).await, before, "same id, fields and timestamps");
}

#[sqlx::test]
async fn undo_goes_back_one_turn_at_a_time_within_its_conversation(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("steps@example.com").await;
    let first = app.chat(&user, None, "add buy milk and call the bank").await;
    let conversation = first["conversation_id"].as_i64();
    app.chat(&user, conversation, "mark task 1 done").await;
    let other = app.chat(&user, None, "add water the plants").await;

    let undo_done = app.chat(&user, conversation, "scratch that").await;
    assert!(
        reply_text(&undo_done).contains("put task #1 \"Buy milk\" back"),
        "{undo_done}"
    );
    let undo_adds = app.chat(&user, conversation, "undo").await;
    assert!(
        reply_text(&undo_adds).contains("removed task #1") && reply_text(&undo_adds).contains("removed task #2"),
        "{undo_adds}"
    );
    let nothing = app.chat(&user, conversation, "undo").await;
    assert!(reply_text(&nothing).contains("nothing to undo"), "{nothing}");

    let titles: Vec<String> = sqlx::query_scalar("select title from tasks order by id")
        .fetch_all(&db)
        .await
        .expect("titles");
    assert_eq!(titles, ["Water the plants"], "the other conversation's task stays");
    assert!(other["tool_calls"][0]["result"]["task_id"].is_i64());
}

#[sqlx::test]
async fn a_change_made_since_is_left_alone(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("since@example.com").await;
    let added = app.chat(&user, None, "add renew passport").await;
    let uri = format!("/api/{}/tasks/1", user.user_id);
    let edited = app
        .call(
            Method::PUT,
            &uri,
            Some(&user.token),
            Some(json!({"title": "Renew passport and visa"})),
        )
        .await;
    assert!(edited.status.is_success(), "{}", edited.text);

    let undone = app.chat(&user, added["conversation_id"].as_i64(), "undo").await;
    assert!(reply_text(&undone).contains("left task #1"), "{undone}");
    let title: String = sqlx::query_scalar("select title from tasks where id = 1")
        .fetch_one(&db)
        .await
        .expect("kept");
    assert_eq!(title, "Renew passport and visa");
}

#[sqlx::test]
async fn the_undo_tool_outside_a_conversation_is_scoped_to_its_user(db: PgPool) {
    let app = TestApp::new(db.clone());
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let alices = ToolBox::new(db.clone(), alice.user_id);
    let bobs = ToolBox::new(db.clone(), bob.user_id);

    let created = alices
        .call(
            "add_task",
            &json!({"title": "Alice's plan", "due_at": "2027-01-05T09:00:00Z"}),
        )
        .await;
    assert_eq!(created["status"], "created");
    let refused = bobs.call("undo", &json!({})).await;
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|e| e.starts_with("nothing to undo")),
        "{refused}"
    );
    assert_eq!(tasks_snapshot(&db).await.len(), 1, "bob cannot undo alice's change");

    let undone = alices.call("undo", &json!({})).await;
    assert_eq!(undone["changes"][0]["status"], "removed");
    assert!(tasks_snapshot(&db).await.is_empty());
    let unknown = alices.call("undo", &json!({"task_id": 1})).await;
    assert!(
        unknown["error"]
            .as_str()
            .is_some_and(|e| e.contains("invalid arguments")),
        "{unknown}"
    );
}

#[sqlx::test]
async fn a_turn_that_completed_and_changed_a_task_reverts_both(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("both@example.com").await;
    app.create_task(&user, json!({"title": "Write report", "priority": "low"}))
        .await;
    let before = tasks_snapshot(&db).await;
    let turn = app.chat(&user, None, "make the report urgent and mark it done").await;
    assert_eq!(
        tools_called(&turn).iter().filter(|t| *t != "list_tasks").count(),
        2,
        "{turn}"
    );
    app.chat(&user, turn["conversation_id"].as_i64(), "undo").await;
    let after = tasks_snapshot(&db).await;
    assert_eq!(after[0]["priority"], before[0]["priority"]);
    assert_eq!(after[0]["completed"], before[0]["completed"]);
    let updated: DateTime<Utc> = serde_json::from_value(after[0]["updated_at"].clone()).expect("timestamp");
    assert!(updated >= serde_json::from_value::<DateTime<Utc>>(before[0]["updated_at"].clone()).expect("timestamp"));
}
