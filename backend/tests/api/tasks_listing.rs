//! Filters, search, sorts and pagination on a seeded set, against a real PostgreSQL.

use axum::http::StatusCode;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Session, TestApp};

/// Seeds tasks whose created_at are one minute apart in this order (oldest first).
async fn seed(app: &TestApp, db: &PgPool, me: &Session) {
    let tasks = [
        json!({"title": "Pay bills", "priority": "high", "due_at": "2026-12-05T10:00:00Z"}),
        json!({"title": "buy groceries", "description": "milk and 100% juice", "priority": "medium"}),
        json!({"title": "Call mom", "priority": "low", "due_at": "2026-12-01T10:00:00Z"}),
        json!({"title": "Team meeting", "description": "weekly sync", "priority": "high", "due_at": "2026-12-03T10:00:00Z"}),
        json!({"title": "Archive_2025", "priority": "low"}),
    ];
    for task in tasks {
        app.create_task(me, task).await;
    }
    sqlx::query("update tasks set created_at = now() - make_interval(mins => (100 - id)::int)")
        .execute(db)
        .await
        .unwrap();
    for title in ["Call mom", "Pay bills"] {
        sqlx::query("update tasks set completed = true where title = $1")
            .bind(title)
            .execute(db)
            .await
            .unwrap();
    }
}

async fn titles(app: &TestApp, me: &Session, query: &str) -> (Vec<String>, String) {
    let response = app
        .get(&format!("/api/{}/tasks?{query}", me.user_id), Some(&me.token))
        .await;
    assert_eq!(response.status, StatusCode::OK, "{query}: {}", response.text);
    let total = response.header("x-total-count").expect("X-Total-Count").to_owned();
    let titles = response
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|task: &Value| task["title"].as_str().unwrap().to_owned())
        .collect();
    (titles, total)
}

#[sqlx::test]
async fn filters_search_sorts_and_pages(db: PgPool) {
    let app = TestApp::new(db.clone());
    let me = app.signup("list@example.com").await;
    let other = app.signup("other@example.com").await;
    app.create_task(&other, json!({"title": "Other user's bills"})).await;
    seed(&app, &db, &me).await;

    let cases: &[(&str, &[&str], &str)] = &[
        (
            "",
            &["Archive_2025", "Team meeting", "Call mom", "buy groceries", "Pay bills"],
            "5",
        ),
        (
            "status=all",
            &["Archive_2025", "Team meeting", "Call mom", "buy groceries", "Pay bills"],
            "5",
        ),
        (
            "status=pending",
            &["Archive_2025", "Team meeting", "buy groceries"],
            "3",
        ),
        ("status=completed", &["Call mom", "Pay bills"], "2"),
        (
            "sort=created&order=asc",
            &["Pay bills", "buy groceries", "Call mom", "Team meeting", "Archive_2025"],
            "5",
        ),
        (
            "sort=title",
            &["Archive_2025", "buy groceries", "Call mom", "Pay bills", "Team meeting"],
            "5",
        ),
        (
            "sort=title&order=desc",
            &["Team meeting", "Pay bills", "Call mom", "buy groceries", "Archive_2025"],
            "5",
        ),
        // Soonest first; tasks without a due date go last; ties follow creation in the same order.
        (
            "sort=due_date",
            &["Call mom", "Team meeting", "Pay bills", "buy groceries", "Archive_2025"],
            "5",
        ),
        (
            "sort=due_date&order=desc",
            &["Pay bills", "Team meeting", "Call mom", "Archive_2025", "buy groceries"],
            "5",
        ),
        // Highest first, newest first within a priority.
        (
            "sort=priority",
            &["Team meeting", "Pay bills", "buy groceries", "Archive_2025", "Call mom"],
            "5",
        ),
        (
            "sort=priority&order=asc",
            &["Call mom", "Archive_2025", "buy groceries", "Pay bills", "Team meeting"],
            "5",
        ),
        ("q=BILLS", &["Pay bills"], "1"),
        ("q=sync", &["Team meeting"], "1"),
        ("q=100%25", &["buy groceries"], "1"),
        ("q=e_2", &["Archive_2025"], "1"),
        ("q=nothing-matches", &[], "0"),
        ("status=pending&q=m&sort=title", &["buy groceries", "Team meeting"], "2"),
        ("limit=2", &["Archive_2025", "Team meeting"], "5"),
        ("limit=2&offset=2", &["Call mom", "buy groceries"], "5"),
        ("limit=2&offset=4", &["Pay bills"], "5"),
        ("limit=2&offset=10", &[], "5"),
        ("status=completed&limit=1&offset=1", &["Pay bills"], "2"),
    ];
    for (query, expected, total) in cases {
        let (got, got_total) = titles(&app, &me, query).await;
        assert_eq!(got, *expected, "?{query}");
        assert_eq!(got_total, *total, "X-Total-Count for ?{query}");
    }
}

#[sqlx::test]
async fn bad_query_parameters_are_422(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("q@example.com").await;
    for query in [
        "status=done",
        "sort=colour",
        "order=up",
        "limit=0",
        "limit=501",
        "limit=-1",
        "offset=x",
        "offset=2147483648",
        "q=nul%00byte",
    ] {
        let response = app
            .get(&format!("/api/{}/tasks?{query}", me.user_id), Some(&me.token))
            .await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}: {}",
            response.text
        );
        assert_eq!(response.error_code(), "invalid_query", "{query}");
    }
    let max = app
        .get(&format!("/api/{}/tasks?limit=500", me.user_id), Some(&me.token))
        .await;
    assert_eq!(max.status, StatusCode::OK);
}

#[sqlx::test]
async fn default_limit_is_100(db: PgPool) {
    let app = TestApp::new(db.clone());
    let me = app.signup("many@example.com").await;
    sqlx::query("insert into tasks (user_id, title) select $1, 'Task ' || n from generate_series(1, 120) n")
        .bind(me.user_id)
        .execute(&db)
        .await
        .unwrap();
    let response = app.get(&format!("/api/{}/tasks", me.user_id), Some(&me.token)).await;
    assert_eq!(response.json().as_array().unwrap().len(), 100);
    assert_eq!(response.header("x-total-count"), Some("120"));
}
