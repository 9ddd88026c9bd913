//! The embedded rules engine end to end: each command of docs/contract.md in a fresh conversation on
//! a seeded user, checked by the tool calls it made AND by the database afterwards; multi-turn references,
//! ambiguity, relative dates in the user's timezone, isolation between users, and persistence.

use chrono::{DateTime, Datelike, Timelike, Utc};
use chrono_tz::Tz;
use serde_json::json;
use sqlx::PgPool;

use crate::support::{
    Session, TestApp,
    chat::{reply_text, tools_called},
};

/// Seeds #1 Call mom, #2 Team meeting prep, #3 Write report (ids are fresh per test database).
async fn seeded(app: &TestApp) -> Session {
    let user = app.signup("sam@example.com").await;
    for title in ["Call mom", "Team meeting prep", "Write report"] {
        app.create_task(&user, json!({ "title": title })).await;
    }
    user
}

async fn task(db: &PgPool, id: i64) -> Option<(String, bool)> {
    sqlx::query_as::<_, (String, bool)>("select title, completed from tasks where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .expect("task query")
}

async fn titles(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select title from tasks order by id")
        .fetch_all(db)
        .await
        .expect("titles")
}

#[sqlx::test]
async fn add_a_task_to_buy_groceries(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "Add a task to buy groceries").await;
    assert_eq!(tools_called(&reply), ["add_task"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"title": "Buy groceries"}));
    assert_eq!(
        reply["tool_calls"][0]["result"],
        json!({"task_id": 4, "status": "created", "title": "Buy groceries"})
    );
    assert_eq!(task(&db, 4).await, Some(("Buy groceries".into(), false)));
    assert!(
        reply_text(&reply).contains("#4") && reply_text(&reply).contains("Buy groceries"),
        "{reply}"
    );
}

#[sqlx::test]
async fn show_me_all_my_tasks(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    sqlx::query("update tasks set completed = true where id = 2")
        .execute(&db)
        .await
        .unwrap();
    let reply = app.chat(&user, None, "Show me all my tasks").await;
    assert_eq!(tools_called(&reply), ["list_tasks"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"status": "all"}));
    assert_eq!(reply["tool_calls"][0]["result"].as_array().unwrap().len(), 3);
    let text = reply_text(&reply);
    for line in ["#1 Call mom", "✓ #2 Team meeting prep", "#3 Write report"] {
        assert!(text.contains(line), "{line} missing from {text}");
    }
    assert_eq!(titles(&db).await.len(), 3, "listing changes nothing");
}

#[sqlx::test]
async fn whats_pending(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    sqlx::query("update tasks set completed = true where id = 1")
        .execute(&db)
        .await
        .unwrap();
    let reply = app.chat(&user, None, "What's pending?").await;
    assert_eq!(tools_called(&reply), ["list_tasks"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"status": "pending"}));
    let listed: Vec<i64> = reply["tool_calls"][0]["result"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_i64().unwrap())
        .collect();
    assert_eq!(listed, [2, 3]);
    assert!(!reply_text(&reply).contains("Call mom"));
}

#[sqlx::test]
async fn mark_task_3_as_complete(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "Mark task 3 as complete").await;
    assert_eq!(tools_called(&reply), ["complete_task"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"task_id": 3}));
    assert_eq!(
        reply["tool_calls"][0]["result"],
        json!({"task_id": 3, "status": "completed", "title": "Write report"})
    );
    assert_eq!(task(&db, 3).await, Some(("Write report".into(), true)));
    assert_eq!(task(&db, 1).await, Some(("Call mom".into(), false)));
}

#[sqlx::test]
async fn delete_the_meeting_task(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "Delete the meeting task").await;
    assert_eq!(tools_called(&reply), ["list_tasks", "delete_task"]);
    assert_eq!(reply["tool_calls"][1]["arguments"], json!({"task_id": 2}));
    assert_eq!(
        reply["tool_calls"][1]["result"],
        json!({"task_id": 2, "status": "deleted", "title": "Team meeting prep"})
    );
    assert_eq!(titles(&db).await, ["Call mom", "Write report"]);
}

#[sqlx::test]
async fn change_task_1_to_call_mom_tonight(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "Change task 1 to 'Call mom tonight'").await;
    assert_eq!(tools_called(&reply), ["update_task"]);
    assert_eq!(
        reply["tool_calls"][0]["arguments"],
        json!({"task_id": 1, "title": "Call mom tonight"})
    );
    assert_eq!(
        reply["tool_calls"][0]["result"],
        json!({"task_id": 1, "status": "updated", "title": "Call mom tonight"})
    );
    assert_eq!(task(&db, 1).await, Some(("Call mom tonight".into(), false)));
    let due: Option<DateTime<Utc>> = sqlx::query_scalar("select due_at from tasks where id = 1")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(due, None, "a quoted title is a title, not a date");
}

#[sqlx::test]
async fn i_need_to_remember_to_pay_bills(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "I need to remember to pay bills").await;
    assert_eq!(tools_called(&reply), ["add_task"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"title": "Pay bills"}));
    assert_eq!(titles(&db).await.last().map(String::as_str), Some("Pay bills"));
}

#[sqlx::test]
async fn what_have_i_completed(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    sqlx::query("update tasks set completed = true where id = 3")
        .execute(&db)
        .await
        .unwrap();
    let reply = app.chat(&user, None, "What have I completed?").await;
    assert_eq!(tools_called(&reply), ["list_tasks"]);
    assert_eq!(reply["tool_calls"][0]["arguments"], json!({"status": "completed"}));
    assert_eq!(reply["tool_calls"][0]["result"][0]["title"], "Write report");
    assert_eq!(reply["tool_calls"][0]["result"].as_array().unwrap().len(), 1);
}

#[sqlx::test]
async fn add_then_it_then_what_have_i_completed(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("pat@example.com").await;
    let first = app.chat(&user, None, "add buy milk").await;
    let conversation = first["conversation_id"].as_i64();
    assert_eq!(first["tool_calls"][0]["result"]["title"], "Buy milk");
    let id = first["tool_calls"][0]["result"]["task_id"].as_i64().unwrap();

    let second = app.chat(&user, conversation, "mark it done").await;
    assert_eq!(tools_called(&second), ["complete_task"]);
    assert_eq!(second["tool_calls"][0]["arguments"], json!({"task_id": id}));
    assert_eq!(task(&db, id).await, Some(("Buy milk".into(), true)));

    let third = app.chat(&user, conversation, "what have I completed?").await;
    assert_eq!(third["tool_calls"][0]["arguments"], json!({"status": "completed"}));
    assert!(reply_text(&third).contains("Buy milk"), "{third}");
}

#[sqlx::test]
async fn ambiguity_is_a_question_and_the_answer_acts(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("ria@example.com").await;
    app.create_task(&user, json!({"title": "Write quarterly report"})).await;
    app.create_task(&user, json!({"title": "Send report to Bo"})).await;
    app.create_task(&user, json!({"title": "Water plants"})).await;

    let question = app.chat(&user, None, "delete the report task").await;
    assert_eq!(
        tools_called(&question),
        ["list_tasks"],
        "nothing is deleted while it is ambiguous"
    );
    let text = reply_text(&question);
    assert!(
        text.contains("Which one") && text.contains("#1") && text.contains("#2"),
        "{text}"
    );
    assert_eq!(titles(&db).await.len(), 3);

    let answer = app
        .chat(&user, question["conversation_id"].as_i64(), "the second one")
        .await;
    assert_eq!(tools_called(&answer), ["delete_task"]);
    assert_eq!(answer["tool_calls"][0]["arguments"], json!({"task_id": 2}));
    assert_eq!(titles(&db).await, ["Write quarterly report", "Water plants"]);
}

#[sqlx::test]
async fn not_found_is_said_and_changes_nothing(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let by_words = app.chat(&user, None, "delete the dentist task").await;
    assert!(
        tools_called(&by_words).iter().all(|tool| tool == "list_tasks"),
        "only lookups (narrowed by the word, then every task for a typo): {by_words}"
    );
    assert!(
        reply_text(&by_words).contains("couldn't find a task matching \"dentist\""),
        "{by_words}"
    );
    let by_number = app.chat(&user, None, "complete task 99").await;
    assert_eq!(
        by_number["tool_calls"][0]["result"],
        json!({"error": "task 99 not found"})
    );
    assert!(reply_text(&by_number).contains("couldn't find task #99"), "{by_number}");
    assert_eq!(titles(&db).await.len(), 3);
}

#[sqlx::test]
async fn relative_dates_resolve_in_the_users_timezone(db: PgPool) {
    let app = TestApp::new(db.clone());
    let tokyo: Tz = "Asia/Tokyo".parse().unwrap();
    let user = app.signup_in("kei@example.com", "Asia/Tokyo").await;
    let reply = app
        .chat(&user, None, "remind me to call the bank tomorrow at 5pm")
        .await;
    assert_eq!(reply["tool_calls"][0]["arguments"]["title"], "Call the bank");
    let due: DateTime<Utc> = sqlx::query_scalar("select due_at from tasks")
        .fetch_one(&db)
        .await
        .unwrap();
    let local = due.with_timezone(&tokyo);
    let tomorrow = Utc::now().with_timezone(&tokyo).date_naive().succ_opt().unwrap();
    assert_eq!(
        (local.date_naive(), local.hour(), local.minute()),
        (tomorrow, 17, 0),
        "stored {due}"
    );
    assert_eq!(due.hour(), 8, "17:00 in Tokyo is 08:00 UTC");

    let monday = app
        .chat(
            &user,
            reply["conversation_id"].as_i64(),
            "move it to next monday at 9am",
        )
        .await;
    assert_eq!(tools_called(&monday), ["update_task"]);
    let due: DateTime<Utc> = sqlx::query_scalar("select due_at from tasks")
        .fetch_one(&db)
        .await
        .unwrap();
    let local = due.with_timezone(&tokyo);
    assert_eq!((local.weekday(), local.hour()), (chrono::Weekday::Mon, 9));
    assert!(local.date_naive() > Utc::now().with_timezone(&tokyo).date_naive());
}

#[sqlx::test]
async fn several_actions_in_one_message(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "add milk and eggs, then mark task 1 done").await;
    assert_eq!(tools_called(&reply), ["add_task", "add_task", "complete_task"]);
    assert_eq!(titles(&db).await[3..], ["Milk".to_owned(), "Eggs".to_owned()]);
    assert_eq!(task(&db, 1).await, Some(("Call mom".into(), true)));
}

#[sqlx::test]
async fn what_it_cannot_do_gets_the_list_of_what_it_can(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = seeded(&app).await;
    let reply = app.chat(&user, None, "sing me a song about llamas").await;
    assert_eq!(tools_called(&reply), Vec::<String>::new());
    assert!(reply_text(&reply).contains("Add a task to buy groceries"), "{reply}");
}

#[sqlx::test]
async fn another_users_task_is_out_of_reach(db: PgPool) {
    let app = TestApp::new(db.clone());
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let bobs = app.create_task(&bob, json!({"title": "Bob's secret plan"})).await;
    let id = bobs["id"].as_i64().unwrap();

    for message in [
        format!("delete task {id}"),
        format!("mark task {id} as done"),
        format!("rename task {id} to pwned"),
    ] {
        let reply = app.chat(&alice, None, &message).await;
        assert_eq!(
            reply["tool_calls"][0]["result"],
            json!({"error": format!("task {id} not found")}),
            "{message}"
        );
    }
    let listed = app.chat(&alice, None, "show all my tasks").await;
    assert_eq!(listed["tool_calls"][0]["result"], json!([]));
    assert_eq!(task(&db, id).await, Some(("Bob's secret plan".into(), false)));
}

#[sqlx::test]
async fn a_conversation_continues_on_a_fresh_app_instance(db: PgPool) {
    let first_replica = TestApp::new(db.clone());
    let user = first_replica.signup("max@example.com").await;
    let reply = first_replica.chat(&user, None, "add renew passport").await;
    let conversation = reply["conversation_id"].as_i64();
    drop(first_replica);

    // A new instance shares nothing in memory with the first, as after a restart or on another replica.
    let second_replica = TestApp::new(db.clone());
    let reply = second_replica.chat(&user, conversation, "mark it done").await;
    assert_eq!(reply["tool_calls"][0]["result"]["title"], "Renew passport");
    let uri = format!("/api/{}/conversations/{}", user.user_id, conversation.unwrap());
    let history = second_replica.get(&uri, Some(&user.token)).await.json();
    let roles: Vec<&str> = history["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
}
