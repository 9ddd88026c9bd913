//! Bad task input: each case gets the contract's status and error body, and the database is unchanged.

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::json;
use sqlx::PgPool;

use crate::support::{TestApp, tasks_snapshot};

#[sqlx::test]
async fn invalid_fields_are_422_with_the_field_named(db: PgPool) {
    let app = TestApp::new(db.clone());
    let me = app.signup("v@example.com").await;
    let existing = app
        .create_task(&me, json!({"title": "Keep me", "description": "as is"}))
        .await;
    let id = existing["id"].as_i64().unwrap();
    let before = tasks_snapshot(&db).await;
    let cases = [
        (json!({"title": ""}), "title"),
        (json!({"title": "   "}), "title"),
        (json!({"title": "x".repeat(201)}), "title"),
        (json!({"title": "ok", "description": "d".repeat(1001)}), "description"),
        (json!({"title": "ok", "priority": "urgent"}), "priority"),
        (json!({"title": "ok", "due_at": "tomorrow"}), "due_at"),
        (json!({"title": "ok", "due_at": "2026-13-45T25:00:00Z"}), "due_at"),
        (json!({"description": "no title"}), "title"),
        // PostgreSQL text cannot hold NUL: refused up front instead of failing in the database.
        (json!({"title": "nul\u{0}byte"}), "title"),
        (json!({"title": "ok", "description": "nul\u{0}byte"}), "description"),
    ];
    for (body, field) in cases {
        for (method, uri) in [
            (Method::POST, format!("/api/{}/tasks", me.user_id)),
            (Method::PUT, format!("/api/{}/tasks/{id}", me.user_id)),
        ] {
            if method == Method::PUT && body.get("title").is_none() {
                continue; // a PUT without title keeps the old one: valid
            }
            let response = app
                .call(method.clone(), &uri, Some(&me.token), Some(body.clone()))
                .await;
            assert_eq!(
                response.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{method} {body}: {}",
                response.text
            );
            assert_eq!(response.error_code(), "validation_failed");
            assert!(
                response.json()["error"]["fields"][field].is_string(),
                "{method} {body}: {}",
                response.text
            );
        }
    }
    assert_eq!(tasks_snapshot(&db).await, before);
}

#[sqlx::test]
async fn boundaries_are_inclusive(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("edge@example.com").await;
    let task = app
        .create_task(&me, json!({"title": "x".repeat(200), "description": "d".repeat(1000)}))
        .await;
    assert_eq!(task["title"].as_str().unwrap().len(), 200);
    assert_eq!(task["description"].as_str().unwrap().len(), 1000);
}

#[sqlx::test]
async fn unknown_field_wrong_type_malformed_json_and_oversize_body(db: PgPool) {
    let app = TestApp::new(db.clone());
    let me = app.signup("body@example.com").await;
    let id = app.create_task(&me, json!({"title": "Original"})).await["id"]
        .as_i64()
        .unwrap();
    let before = tasks_snapshot(&db).await;
    let create = format!("/api/{}/tasks", me.user_id);
    let update = format!("/api/{}/tasks/{id}", me.user_id);
    let huge = json!({"title": "big", "description": "x".repeat(70 * 1024)}).to_string();

    let cases: [(&str, String, StatusCode, &str); 5] = [
        (
            "unknown field",
            json!({"title": "ok", "colour": "red"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "wrong type",
            json!({"title": 42}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            "malformed",
            r#"{"title": "ok""#.to_owned(),
            StatusCode::BAD_REQUEST,
            "malformed_json",
        ),
        (
            "not an object",
            "[1, 2]".to_owned(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        ("over 64 KiB", huge, StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large"),
    ];
    for (name, body, status, code) in &cases {
        for (method, uri) in [(Method::POST, &create), (Method::PUT, &update)] {
            let response = app.call_raw(method.clone(), uri, Some(&me.token), Some(body)).await;
            assert_eq!(response.status, *status, "{name} {method}: {}", response.text);
            assert_eq!(response.error_code(), *code, "{name} {method}");
        }
    }
    let unknown = app
        .call_raw(Method::POST, &create, Some(&me.token), Some(&cases[0].1))
        .await;
    assert!(
        unknown.json()["error"]["message"].as_str().unwrap().contains("colour"),
        "names the unknown field"
    );

    let no_content_type = Request::builder()
        .method(Method::POST)
        .uri(&create)
        .header(header::AUTHORIZATION, format!("Bearer {}", me.token))
        .body(Body::from(json!({"title": "ok"}).to_string()))
        .unwrap();
    let response = app.send(no_content_type).await;
    assert_eq!(response.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(response.error_code(), "unsupported_media_type");

    assert_eq!(tasks_snapshot(&db).await, before);
}

#[sqlx::test]
async fn errors_never_leak_internals(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("leak@example.com").await;
    let response = app
        .call_raw(
            Method::POST,
            &format!("/api/{}/tasks", me.user_id),
            Some(&me.token),
            Some(r#"{"title": "#),
        )
        .await;
    let text = response.text.to_lowercase();
    for word in ["sqlx", "postgres", "panicked", "select ", "axum"] {
        assert!(!text.contains(word), "{word} in {text}");
    }
}
