//! Every task route's happy path against a real PostgreSQL.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::TestApp;

#[sqlx::test]
async fn create_read_update_toggle_delete(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("crud@example.com").await;
    let base = format!("/api/{}/tasks", me.user_id);

    let created = app
        .create_task(
            &me,
            json!({"title": "  Buy groceries  ", "description": "milk, eggs", "priority": "high", "due_at": "2026-12-03T17:00:00+01:00"}),
        )
        .await;
    assert_eq!(created["title"], "Buy groceries");
    assert_eq!(created["description"], "milk, eggs");
    assert_eq!(created["priority"], "high");
    assert_eq!(created["completed"], false);
    assert_eq!(created["user_id"], me.user_id.to_string());
    assert_eq!(created["due_at"], "2026-12-03T16:00:00Z");
    assert!(created["id"].is_i64());
    for stamp in ["created_at", "updated_at"] {
        let text = created[stamp].as_str().unwrap();
        assert!(
            text.ends_with('Z') && chrono::DateTime::parse_from_rfc3339(text).is_ok(),
            "{stamp}: {text}"
        );
    }
    let keys: Vec<&str> = created.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        [
            "completed",
            "created_at",
            "description",
            "due_at",
            "id",
            "priority",
            "title",
            "updated_at",
            "user_id"
        ]
    );
    let id = created["id"].as_i64().unwrap();

    let fetched = app.get(&format!("{base}/{id}"), Some(&me.token)).await;
    assert_eq!(fetched.status, StatusCode::OK);
    assert_eq!(fetched.json(), created);

    let defaults = app.create_task(&me, json!({"title": "Call mom"})).await;
    assert_eq!(
        (defaults["priority"].clone(), defaults["due_at"].clone()),
        (json!("medium"), Value::Null)
    );

    let listed = app.get(&base, Some(&me.token)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert_eq!(listed.header("x-total-count"), Some("2"));
    let listed = listed.json();
    let titles: Vec<&str> = listed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["Call mom", "Buy groceries"], "newest first");

    // PUT changes only what is sent; null clears nullable fields.
    let updated = app
        .call(
            Method::PUT,
            &format!("{base}/{id}"),
            Some(&me.token),
            Some(json!({"title": "Buy food", "due_at": null})),
        )
        .await;
    assert_eq!(updated.status, StatusCode::OK);
    let updated = updated.json();
    assert_eq!(updated["title"], "Buy food");
    assert_eq!(updated["due_at"], Value::Null);
    assert_eq!(updated["description"], "milk, eggs");
    assert_eq!(updated["priority"], "high");
    assert!(
        updated["updated_at"].as_str().unwrap() > created["updated_at"].as_str().unwrap(),
        "trigger bumps updated_at"
    );
    assert_eq!(updated["created_at"], created["created_at"]);

    let toggle = format!("{base}/{id}/complete");
    let once = app.call(Method::PATCH, &toggle, Some(&me.token), None).await;
    assert_eq!(once.status, StatusCode::OK);
    assert_eq!(once.json()["completed"], true);
    let twice = app.call(Method::PATCH, &toggle, Some(&me.token), None).await;
    assert_eq!(
        twice.json()["completed"],
        false,
        "toggling twice restores the original state"
    );

    let deleted = app
        .call(Method::DELETE, &format!("{base}/{id}"), Some(&me.token), None)
        .await;
    assert_eq!(deleted.status, StatusCode::NO_CONTENT);
    assert!(deleted.text.is_empty());
    let gone = app.get(&format!("{base}/{id}"), Some(&me.token)).await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND);
    assert_eq!(gone.error_code(), "not_found");
    let again = app
        .call(Method::DELETE, &format!("{base}/{id}"), Some(&me.token), None)
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn put_can_set_every_field(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("put@example.com").await;
    let id = app.create_task(&me, json!({"title": "Draft"})).await["id"]
        .as_i64()
        .unwrap();
    let response = app
        .call(
            Method::PUT,
            &format!("/api/{}/tasks/{id}", me.user_id),
            Some(&me.token),
            Some(json!({"title": "Final", "description": "done right", "priority": "low", "due_at": "2027-01-01T09:00:00Z", "completed": true})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let task = response.json();
    assert_eq!(
        (
            &task["title"],
            &task["description"],
            &task["priority"],
            &task["due_at"],
            &task["completed"]
        ),
        (
            &json!("Final"),
            &json!("done right"),
            &json!("low"),
            &json!("2027-01-01T09:00:00Z"),
            &json!(true)
        )
    );
}
