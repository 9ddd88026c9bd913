//! The 401/403/404 matrix of docs/contract.md across two users, for every task route.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Session, TestApp, expired_token, tasks_snapshot};

/// Every task route as (method, path under `/api/{user_id}`, body).
fn routes(task_id: i64) -> Vec<(Method, String, Option<Value>)> {
    vec![
        (Method::GET, "/tasks".into(), None),
        (Method::POST, "/tasks".into(), Some(json!({"title": "Sneaky"}))),
        (Method::GET, format!("/tasks/{task_id}"), None),
        (
            Method::PUT,
            format!("/tasks/{task_id}"),
            Some(json!({"title": "Hijacked"})),
        ),
        (Method::DELETE, format!("/tasks/{task_id}"), None),
        (Method::PATCH, format!("/tasks/{task_id}/complete"), None),
    ]
}

async fn two_users_with_a_task(app: &TestApp) -> (Session, Session, i64) {
    let alice = app.signup("alice@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let task = app.create_task(&alice, json!({"title": "Alice's secret"})).await;
    (alice, bob, task["id"].as_i64().unwrap())
}

#[sqlx::test]
async fn no_invalid_or_expired_token_is_401(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (alice, _, task_id) = two_users_with_a_task(&app).await;
    let before = tasks_snapshot(&db).await;
    let expired = expired_token(alice.user_id);
    for token in [None, Some("not-a-jwt"), Some(expired.as_str())] {
        for (method, path, body) in routes(task_id) {
            let uri = format!("/api/{}{path}", alice.user_id);
            let response = app.call(method.clone(), &uri, token, body).await;
            assert_eq!(
                response.status,
                StatusCode::UNAUTHORIZED,
                "{method} {uri} with {token:?}"
            );
            assert_eq!(response.error_code(), "unauthorized");
        }
    }
    assert_eq!(tasks_snapshot(&db).await, before);
}

#[sqlx::test]
async fn someone_elses_user_id_in_the_path_is_403(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (alice, bob, task_id) = two_users_with_a_task(&app).await;
    let before = tasks_snapshot(&db).await;
    for (method, path, body) in routes(task_id) {
        for user_part in [alice.user_id.to_string(), "not-a-uuid".to_owned()] {
            let uri = format!("/api/{user_part}{path}");
            let response = app.call(method.clone(), &uri, Some(&bob.token), body.clone()).await;
            assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {uri}");
            assert_eq!(response.error_code(), "forbidden");
        }
    }
    assert_eq!(tasks_snapshot(&db).await, before);
}

#[sqlx::test]
async fn someone_elses_task_is_404_never_revealed(db: PgPool) {
    let app = TestApp::new(db.clone());
    let (_alice, bob, task_id) = two_users_with_a_task(&app).await;
    let before = tasks_snapshot(&db).await;
    for (method, path, body) in routes(task_id)
        .into_iter()
        .filter(|(_, path, _)| path.contains(&task_id.to_string()))
    {
        let uri = format!("/api/{}{path}", bob.user_id);
        let foreign = app.call(method.clone(), &uri, Some(&bob.token), body.clone()).await;
        let missing_path = path.replace(&task_id.to_string(), "999999999");
        let missing_uri = format!("/api/{}{missing_path}", bob.user_id);
        let missing = app.call(method.clone(), &missing_uri, Some(&bob.token), body).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{method} {uri}");
        assert_eq!(
            foreign.json(),
            missing.json(),
            "another user's task looks exactly like a missing one"
        );
    }
    let listed = app.get(&format!("/api/{}/tasks", bob.user_id), Some(&bob.token)).await;
    assert_eq!(listed.json(), json!([]));
    assert_eq!(listed.header("x-total-count"), Some("0"));
    assert_eq!(tasks_snapshot(&db).await, before);
}

#[sqlx::test]
async fn non_numeric_task_id_is_404(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("ids@example.com").await;
    for id in ["abc", "1.5", "99999999999999999999"] {
        let response = app
            .get(&format!("/api/{}/tasks/{id}", me.user_id), Some(&me.token))
            .await;
        assert_eq!(response.status, StatusCode::NOT_FOUND, "{id}");
        assert_eq!(response.error_code(), "not_found");
    }
}
