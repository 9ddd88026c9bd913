//! Operational endpoints and cross-cutting middleware: health, readiness, metrics, request ids,
//! error bodies for unknown routes, and the OpenAPI document against the real router.

use std::collections::BTreeSet;

use axum::{
    body::Body,
    http::{Method, Request, StatusCode},
};
use serde_json::Value;
use sqlx::{PgPool, postgres::PgPoolOptions};

use crate::support::TestApp;

#[sqlx::test]
async fn health_and_readiness(db: PgPool) {
    let app = TestApp::new(db);
    let health = app.get("/healthz", None).await;
    assert_eq!(
        (health.status, health.json()["status"].clone()),
        (StatusCode::OK, "ok".into())
    );
    let ready = app.get("/readyz", None).await;
    assert_eq!(ready.status, StatusCode::OK);

    app.state.lifecycle.begin_shutdown();
    let draining = app.get("/readyz", None).await;
    assert_eq!(draining.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(draining.error_code(), "not_ready");
    assert_eq!(
        app.get("/healthz", None).await.status,
        StatusCode::OK,
        "liveness ignores draining"
    );
}

#[sqlx::test]
async fn metrics_count_requests_by_route_and_status(db: PgPool) {
    let app = TestApp::new(db);
    let me = app.signup("metrics@example.com").await;
    app.get(&format!("/api/{}/tasks", me.user_id), Some(&me.token)).await;
    app.get("/api/nowhere/at/all", None).await;
    let metrics = app.get("/metrics", None).await;
    assert_eq!(metrics.status, StatusCode::OK);
    assert!(metrics.header("content-type").unwrap().starts_with("text/plain"));
    let text = metrics.text;
    for expected in [
        r#"http_requests_total{method="POST",route="/api/auth/signup",status="201"} 1"#,
        r#"http_requests_total{method="GET",route="/api/{user_id}/tasks",status="200"} 1"#,
        r#"http_requests_total{method="GET",route="unmatched",status="404"} 1"#,
        r#"http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/{user_id}/tasks"} 1"#,
        "# TYPE db_pool_connections gauge",
        "# TYPE db_pool_max_connections gauge",
    ] {
        assert!(text.contains(expected), "missing `{expected}` in:\n{text}");
    }
}

#[sqlx::test]
async fn request_ids_are_echoed_or_generated(db: PgPool) {
    let app = TestApp::new(db);
    let given = Request::builder()
        .uri("/healthz")
        .header("x-request-id", "abc-123")
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.send(given).await.header("x-request-id"), Some("abc-123"));
    let generated = app.get("/healthz", None).await;
    let id = generated.header("x-request-id").expect("a request id is generated");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
}

#[sqlx::test]
async fn slow_requests_are_cancelled_with_a_json_503(db: PgPool) {
    // A one-connection pool whose connection the test holds: readiness waits for it (up to its
    // own 2 s) and the 1 s request timeout fires first.
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with((*db.connect_options()).clone())
        .await
        .unwrap();
    let _held = pool.acquire().await.unwrap();
    let app = TestApp::with_args(pool.clone(), &["--request-timeout-secs", "1"]);
    let response = app.get("/readyz", None).await;
    assert_eq!(response.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(response.error_code(), "timeout");
    assert!(response.header("x-request-id").is_some());
}

#[sqlx::test]
async fn unknown_routes_and_methods_get_json_errors(db: PgPool) {
    let app = TestApp::new(db);
    let missing = app.get("/no/such/route", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.error_code(), "not_found");
    let wrong_method = app.call(Method::DELETE, "/healthz", None, None).await;
    assert_eq!(wrong_method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(wrong_method.error_code(), "method_not_allowed");
}

/// Every route the contract names, as (METHOD, OpenAPI path), and the two that end sessions.
const CONTRACT_ROUTES: &[(&str, &str)] = &[
    ("GET", "/healthz"),
    ("GET", "/readyz"),
    ("GET", "/metrics"),
    ("GET", "/openapi.json"),
    ("POST", "/api/auth/signup"),
    ("POST", "/api/auth/login"),
    ("GET", "/api/auth/me"),
    ("POST", "/api/auth/logout"),
    ("POST", "/api/auth/logout-everywhere"),
    ("GET", "/api/{user_id}/tasks"),
    ("POST", "/api/{user_id}/tasks"),
    ("GET", "/api/{user_id}/tasks/{id}"),
    ("PUT", "/api/{user_id}/tasks/{id}"),
    ("DELETE", "/api/{user_id}/tasks/{id}"),
    ("PATCH", "/api/{user_id}/tasks/{id}/complete"),
    ("POST", "/api/{user_id}/chat"),
    ("GET", "/api/{user_id}/conversations"),
    ("GET", "/api/{user_id}/conversations/{id}"),
    ("DELETE", "/api/{user_id}/conversations/{id}"),
    ("GET", "/api/{user_id}/access-tokens"),
    ("POST", "/api/{user_id}/access-tokens"),
    ("DELETE", "/api/{user_id}/access-tokens/{id}"),
    // Beside the contract's chat route: turns by id (docs/chat.md).
    ("POST", "/api/{user_id}/chat/turns"),
    ("GET", "/api/{user_id}/chat/turns/{turn_id}"),
    ("POST", "/api/{user_id}/chat/turns/{turn_id}/run"),
    ("POST", "/api/{user_id}/chat/turns/{turn_id}/stop"),
];

#[sqlx::test]
async fn openapi_document_lists_exactly_the_served_routes(db: PgPool) {
    let app = TestApp::new(db);
    let response = app.get("/openapi.json", None).await;
    assert_eq!(response.status, StatusCode::OK);
    let doc: Value = response.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let documented: BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(path, item)| {
            item.as_object()
                .unwrap()
                .keys()
                .map(move |method| (method.to_uppercase(), path.clone()))
        })
        .collect();
    let contract: BTreeSet<(String, String)> = CONTRACT_ROUTES
        .iter()
        .map(|(m, p)| ((*m).to_owned(), (*p).to_owned()))
        .collect();
    assert_eq!(documented, contract);

    // Each documented operation is really routed: never the router's 404/405 fallbacks.
    let me = app.signup("openapi@example.com").await;
    for (method, path) in &documented {
        let uri = path
            .replace("{user_id}", &me.user_id.to_string())
            .replace("{id}", "1")
            .replace("{turn_id}", &uuid::Uuid::new_v4().to_string());
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let response = app.call_raw(method.clone(), &uri, Some(&me.token), Some("{}")).await;
        assert_ne!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {uri}");
        if response.status == StatusCode::NOT_FOUND {
            // The route's own "not found", not the fallback's "no route for this path".
            let message = response.json()["error"]["message"].as_str().unwrap().to_owned();
            assert!(
                [
                    "task not found",
                    "conversation not found",
                    "turn not found",
                    "access token not found"
                ]
                .contains(&message.as_str()),
                "{method} {uri} fell through: {message}"
            );
        }
    }

    // Bodies and responses reference schemas that exist.
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    for name in [
        "Task",
        "ErrorBody",
        "NewTaskRequest",
        "TaskPatchRequest",
        "SignupRequest",
        "SessionResponse",
        "NewAccessTokenRequest",
        "CreatedAccessToken",
        "AccessToken",
    ] {
        assert!(schemas.contains_key(name), "schema {name} missing");
    }
    assert!(doc["components"]["securitySchemes"]["bearer"].is_object());
}
