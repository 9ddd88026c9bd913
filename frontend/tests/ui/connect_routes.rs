//! The "Connect an assistant" page and `/mcp` forwarding, driven with `oneshot`: the page and its
//! partial in front of the real backend, and what the forwarding carries on (checked against a
//! stand-in backend that echoes what it received, since the real one does not show its headers).

use axum::{
    Json, Router,
    body::{Body, Bytes},
    http::{HeaderMap, Method, Request, StatusCode, header},
    routing::any,
};
use serde_json::{Value, json};

use crate::support::{
    backend::TestBackend,
    frontend::{TestFrontend, TestResponse},
};

const HOST: &str = "todo.example:8080";

async fn connect_page(ui: &mut TestFrontend, htmx: bool) -> TestResponse {
    let mut request = Request::get("/connect").header(header::HOST, HOST);
    if htmx {
        request = request.header("hx-request", "true");
    }
    ui.send(request.body(Body::empty()).unwrap()).await
}

async fn create(ui: &mut TestFrontend, name: &str, lifetime: &str) -> TestResponse {
    ui.post_form_with(
        "/connect/tokens",
        &[("name", name), ("expires_in_days", lifetime)],
        &[("host", HOST)],
    )
    .await
}

/// The value of the new-token field in a page or partial.
fn new_token(response: &TestResponse) -> String {
    let after = response
        .text
        .split("id=\"new-token\" class=\"token\" value=\"")
        .nth(1)
        .unwrap_or_else(|| panic!("no new token in {}", response.text));
    after.chars().take_while(|c| *c != '"').collect()
}

#[tokio::test]
async fn tokens_are_created_shown_once_and_revoked_through_plain_forms() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    assert_eq!(
        connect_page(&mut ui, false).await.location(),
        "/login",
        "signed-in users only"
    );
    ui.sign_up().await;

    let page = connect_page(&mut ui, false).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text.starts_with("<!doctype html>") && page.text.contains("http://todo.example:8080/mcp"));
    assert!(page.text.contains("No tokens yet."));
    let partial = connect_page(&mut ui, true).await;
    assert!(
        partial.text.starts_with("<section id=\"token-section\""),
        "{}",
        partial.text
    );

    let refused = create(&mut ui, "   ", "30").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("id=\"token-name-error\""), "{}", refused.text);
    let refused = create(&mut ui, "Script", "9999").await;
    assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.text.contains("id=\"token-lifetime-error\""));

    let created = create(&mut ui, "Script", "").await;
    assert_eq!(created.status, StatusCode::CREATED);
    assert_eq!(created.header("cache-control"), Some("no-store"));
    let token = new_token(&created);
    assert!(token.starts_with("todo_pat_"), "{token}");
    assert!(
        created.text.contains(&format!("Bearer {token}")),
        "the examples carry it"
    );

    let later = connect_page(&mut ui, false).await;
    assert!(!later.text.contains(&token), "shown once");
    assert!(later.text.contains("Script") && later.text.contains(&token[..13]));
    assert!(later.text.contains("<td>never</td>"), "no expiry chosen, never used");
    let revoke = later
        .text
        .split("action=\"/connect/tokens/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .map(|rest| format!("/connect/tokens/{rest}"))
        .expect("a revoke form");

    let revoked = ui.post_form(&revoke, &[]).await;
    assert_eq!(
        (revoked.status, revoked.location()),
        (StatusCode::SEE_OTHER, "/connect")
    );
    assert!(connect_page(&mut ui, false).await.text.contains("No tokens yet."));
    assert_eq!(ui.post_form(&revoke, &[]).await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn mcp_requests_reach_the_backend_without_cookies_or_forged_addresses() {
    // Stand-in backend: answers with the headers and body it got, plus headers of its own.
    let echo = Router::new().route(
        "/mcp",
        any(|method: Method, headers: HeaderMap, body: Bytes| async move {
            let headers: serde_json::Map<String, Value> = headers
                .iter()
                .map(|(name, value)| (name.to_string(), json!(value.to_str().unwrap_or_default())))
                .collect();
            let answer = json!({"method": method.as_str(), "headers": headers, "body": String::from_utf8_lossy(&body)});
            (StatusCode::ACCEPTED, [("www-authenticate", "Bearer")], Json(answer))
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, echo).await });
    let mut ui = TestFrontend::new(&format!("http://{address}"));

    let request = Request::post("/mcp")
        .header(header::AUTHORIZATION, "Bearer todo_pat_x")
        .header(header::CONTENT_TYPE, "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header(header::ORIGIN, "http://elsewhere.example")
        .header(header::COOKIE, "todo_session=secret-session; todo_csrf=abc")
        .header("x-forwarded-for", "203.0.113.9")
        .body(Body::from(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#))
        .unwrap();
    let answer = ui.send(request).await;
    assert_eq!(answer.status, StatusCode::ACCEPTED, "the backend's status, as it is");
    assert_eq!(answer.header("www-authenticate"), Some("Bearer"));
    let seen: Value = serde_json::from_str(&answer.text).unwrap();
    let headers = &seen["headers"];
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["body"], r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#);
    assert_eq!(headers["authorization"], "Bearer todo_pat_x");
    assert_eq!(headers["mcp-protocol-version"], "2026-07-28");
    assert_eq!(
        headers["origin"], "http://elsewhere.example",
        "the backend judges the origin"
    );
    assert!(headers.get("cookie").is_none(), "UI cookies stay in the UI: {headers}");
    assert!(
        headers.get("x-forwarded-for").is_none(),
        "a forged address is dropped: {headers}"
    );
    assert!(headers["x-request-id"].is_string(), "the request id travels");

    let nowhere = TestFrontend::new(&test_support::ClosedPort::new().url(""))
        .send(Request::post("/mcp").body(Body::from("{}")).unwrap())
        .await;
    assert_eq!(nowhere.status, StatusCode::BAD_GATEWAY);
    assert_eq!(
        serde_json::from_str::<Value>(&nowhere.text).unwrap()["error"]["code"],
        "backend_unavailable"
    );
}
