//! Text that hides what it says: control characters (terminal escape sequences) and invisible or
//! text-direction characters are refused in task titles and descriptions, with a field message
//! naming the character, whether the task comes through REST or is created by the chat agent.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::support::TestApp;

#[sqlx::test]
async fn hidden_characters_in_titles_and_descriptions_are_422(db: PgPool) {
    let app = TestApp::new(db.clone());
    let session = app.signup("hygiene@example.com").await;
    let tasks = format!("/api/{}/tasks", session.user_id);
    let cases = [
        (json!({"title": "invoice\u{202E}fdp.exe"}), "title", "U+202E"),
        (json!({"title": "zero\u{200B}width"}), "title", "U+200B"),
        (json!({"title": "\u{FEFF}bom"}), "title", "U+FEFF"),
        (json!({"title": "red \u{1b}[31mtitle"}), "title", "U+001B"),
        (
            json!({"title": "ok", "description": "clear \u{1b}[2J screen"}),
            "description",
            "U+001B",
        ),
        (
            json!({"title": "ok", "description": "turn\u{2066}around\u{2069}"}),
            "description",
            "U+2066",
        ),
    ];
    for (body, field, code) in cases {
        let created = app
            .call(Method::POST, &tasks, Some(&session.token), Some(body.clone()))
            .await;
        assert_eq!(
            created.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{body}: {}",
            created.text
        );
        assert_eq!(created.error_code(), "validation_failed");
        let problem = created.json()["error"]["fields"][field].as_str().unwrap().to_owned();
        assert!(problem.contains(code), "{problem}");
    }

    let task = app.create_task(&session, json!({"title": "Plain"})).await;
    let uri = format!("{tasks}/{}", task["id"]);
    let renamed = app
        .call(
            Method::PUT,
            &uri,
            Some(&session.token),
            Some(json!({"title": "Pl\u{202E}ain"})),
        )
        .await;
    assert_eq!(renamed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", renamed.text);

    // Real text of any script, emoji sequences and line breaks in descriptions are fine.
    let fine = app
        .create_task(
            &session,
            json!({"title": "می‌خواهم 👨‍👩‍👧 ❤️ שלום", "description": "line one\nline two\ttabbed"}),
        )
        .await;
    assert_eq!(fine["title"], "می‌خواهم 👨‍👩‍👧 ❤️ שלום");
    let titles: Vec<String> = sqlx::query_scalar("select title from tasks order by id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(titles.len(), 2, "{titles:?}");
}

#[sqlx::test]
async fn the_chat_agent_cannot_store_hidden_characters_either(db: PgPool) {
    let app = TestApp::new(db.clone());
    let session = app.signup("hygiene-chat@example.com").await;
    let reply = app
        .chat(&session, None, "Add a task to pay the \u{202E}gnp.exe invoice")
        .await;
    let titles: Vec<String> = sqlx::query_scalar("select title from tasks")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(
        titles.iter().all(|title| !title.contains('\u{202E}')),
        "a hidden character reached the database: {titles:?} ({reply})"
    );
}
