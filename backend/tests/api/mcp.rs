//! `/mcp` in-process: the checks in front of the transport (origin, then token), the tool list, and
//! tool calls acting as the token's user with their errors as tool errors. The official Python SDK
//! drives the real process in `backend/tests/mcp-client` (run by scripts/test).

use axum::{
    body::Body,
    http::{Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Session, TestApp, TestResponse, tasks_snapshot};

const INSPECTOR_ORIGIN: &str = "http://localhost:6274";

/// One JSON-RPC message POSTed as an MCP client of the 2025-11-25 revision sends it.
async fn post(app: &TestApp, token: Option<&str>, origin: Option<&str>, message: &Value) -> TestResponse {
    let mut request = Request::builder()
        .method(Method::POST)
        .uri("/mcp")
        .header(header::HOST, "localhost")
        .header(header::CONTENT_TYPE, "application/json")
        .header(header::ACCEPT, "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25");
    if let Some(token) = token {
        request = request.header(header::AUTHORIZATION, format!("Bearer {token}"));
    }
    if let Some(origin) = origin {
        request = request.header(header::ORIGIN, origin);
    }
    app.send(request.body(Body::from(message.to_string())).unwrap()).await
}

/// Code and message of a JSON-RPC error answer without an id (a refusal before the transport).
fn rpc_error(response: &TestResponse) -> (i64, String) {
    let body = response.json();
    assert_eq!(
        (body["jsonrpc"].as_str(), &body["id"]),
        (Some("2.0"), &Value::Null),
        "{body}"
    );
    let error = &body["error"];
    (
        error["code"].as_i64().unwrap(),
        error["message"].as_str().unwrap().to_owned(),
    )
}

/// The `result` of a request that must succeed at the protocol level.
async fn result(app: &TestApp, token: &str, method: &str, params: Value) -> Value {
    let response = post(
        app,
        Some(token),
        None,
        &json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let body = response.json();
    assert!(body.get("error").is_none(), "{body}");
    body["result"].clone()
}

/// A tool call's text and whether it is a tool error.
async fn call_tool(app: &TestApp, token: &str, tool: &str, arguments: Value) -> (String, bool) {
    let result = result(app, token, "tools/call", json!({"name": tool, "arguments": arguments})).await;
    let text = result["content"][0]["text"].as_str().unwrap().to_owned();
    (text, result["isError"].as_bool().unwrap())
}

async fn access_token(app: &TestApp, session: &Session) -> String {
    let uri = format!("/api/{}/access-tokens", session.user_id);
    let response = app
        .call(Method::POST, &uri, Some(&session.token), Some(json!({"name": "test"})))
        .await;
    response.json()["token"].as_str().unwrap().to_owned()
}

#[sqlx::test]
async fn a_foreign_origin_is_403_before_anything_else_and_no_token_is_401(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    let token = access_token(&app, &ada).await;
    let add = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                     "params": {"name": "add_task", "arguments": {"title": "Rebound"}}});
    for (origin, credential) in [
        ("http://evil.example", None),
        ("http://evil.example", Some(token.as_str())),
        ("null", Some(token.as_str())),
    ] {
        let response = post(&app, credential, Some(origin), &add).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{origin} {credential:?}");
        assert_eq!(
            rpc_error(&response),
            (-32003, "requests from this origin are not allowed".into())
        );
    }
    // By default even the origin of an MCP inspector is refused: the endpoint is for clients outside browsers.
    assert_eq!(
        post(&app, Some(&token), Some(INSPECTOR_ORIGIN), &add).await.status,
        StatusCode::FORBIDDEN
    );

    for credential in [None, Some("not-a-token"), Some("todo_pat_forged")] {
        let response = post(&app, credential, None, &add).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "{credential:?}");
        assert_eq!(response.header("www-authenticate"), Some("Bearer"));
        assert_eq!(rpc_error(&response).0, -32001);
    }
    assert!(tasks_snapshot(&db).await.is_empty(), "nothing refused ran");

    let allowing = TestApp::with_args(
        db.clone(),
        &["--mcp-allowed-origins", "https://other.example,http://localhost:6274/"],
    );
    let response = post(&allowing, Some(&token), Some(INSPECTOR_ORIGIN), &add).await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    assert_eq!(tasks_snapshot(&db).await.len(), 1);
}

#[sqlx::test]
async fn the_tools_are_the_chat_tools_with_their_hints(db: PgPool) {
    let app = TestApp::new(db);
    let ada = app.signup("ada@example.com").await;
    let token = access_token(&app, &ada).await;
    let initialized = result(
        &app,
        &token,
        "initialize",
        json!({
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    assert_eq!(initialized["protocolVersion"], "2025-11-25");
    assert!(initialized["capabilities"]["tools"].is_object());

    let tools = result(&app, &token, "tools/list", json!({})).await["tools"].clone();
    let by_name = |name: &str| {
        tools
            .as_array()
            .unwrap()
            .iter()
            .find(|tool| tool["name"] == name)
            .cloned()
            .unwrap()
    };
    let names: Vec<&str> = tools
        .as_array()
        .unwrap()
        .iter()
        .map(|tool| tool["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "add_task",
            "list_tasks",
            "complete_task",
            "delete_task",
            "update_task",
            "undo"
        ]
    );
    assert_eq!(by_name("add_task")["inputSchema"]["required"], json!(["title"]));
    assert_eq!(
        by_name("list_tasks")["inputSchema"]["properties"]["status"]["enum"],
        json!(["all", "pending", "completed"])
    );
    assert_eq!(by_name("list_tasks")["annotations"]["readOnlyHint"], true);
    assert_eq!(by_name("delete_task")["annotations"]["destructiveHint"], true);
    assert_eq!(by_name("add_task")["annotations"]["destructiveHint"], false);
    assert_eq!(by_name("undo")["annotations"]["destructiveHint"], true);
    assert_eq!(by_name("undo")["annotations"]["idempotentHint"], false);
    for tool in tools.as_array().unwrap() {
        assert_eq!(tool["annotations"]["openWorldHint"], false, "{tool}");
    }
}

#[sqlx::test]
async fn calls_act_as_the_tokens_user_and_failures_are_tool_errors(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let adas = access_token(&app, &ada).await;
    let bobs = access_token(&app, &bob).await;

    let (text, failed) = call_tool(
        &app,
        &adas,
        "add_task",
        json!({"title": "Call mom", "priority": "high"}),
    )
    .await;
    assert!(!failed, "{text}");
    let added: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        (added["status"].clone(), added["title"].clone()),
        ("created".into(), "Call mom".into())
    );
    let id = added["task_id"].as_i64().unwrap();
    let listed = app
        .get(&format!("/api/{}/tasks", ada.user_id), Some(&ada.token))
        .await
        .json();
    assert_eq!(
        (listed[0]["id"].as_i64(), listed[0]["priority"].clone()),
        (Some(id), "high".into())
    );

    // Bob's token sees nothing of Ada's: her task is "not found" to him, exactly as in chat and REST.
    let before = tasks_snapshot(&db).await;
    for tool in ["complete_task", "delete_task"] {
        assert_eq!(
            call_tool(&app, &bobs, tool, json!({"task_id": id})).await,
            (format!("task {id} not found"), true)
        );
    }
    let (text, failed) = call_tool(&app, &bobs, "update_task", json!({"task_id": id, "title": "Mine now"})).await;
    assert_eq!((text, failed), (format!("task {id} not found"), true));
    assert_eq!(
        call_tool(&app, &bobs, "list_tasks", json!({})).await,
        ("[]".to_owned(), false)
    );
    assert_eq!(tasks_snapshot(&db).await, before);

    // Malformed arguments: the chat tools' own messages, as tool errors; nothing changes.
    let (text, failed) = call_tool(&app, &adas, "add_task", json!({"title": "x", "colour": "red"})).await;
    assert!(
        failed && text.starts_with("invalid arguments: unknown field `colour`"),
        "{text}"
    );
    let (text, failed) = call_tool(&app, &adas, "complete_task", json!({"task_id": "soon"})).await;
    assert_eq!(
        (text.as_str(), failed),
        ("invalid arguments: task_id must be an integer", true)
    );
    assert_eq!(tasks_snapshot(&db).await, before);

    // A tool that does not exist is a protocol error (JSON-RPC -32602), not a tool result.
    let response = post(
        &app,
        Some(&adas),
        None,
        &json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "drop_tables", "arguments": {}}}),
    )
    .await;
    assert_eq!(response.json()["error"]["code"], -32602);

    // A session token reaches the endpoint too.
    let (text, failed) = call_tool(&app, &ada.token, "complete_task", json!({"task_id": id})).await;
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap()["status"],
        "completed",
        "{failed}"
    );

    let metrics = app.get("/metrics", None).await.text;
    for expected in [
        r#"mcp_tool_calls_total{tool="add_task",outcome="ok"} 1"#,
        r#"mcp_tool_calls_total{tool="add_task",outcome="error"} 1"#,
        r#"mcp_tool_calls_total{tool="complete_task",outcome="error"} 2"#,
        r#"mcp_tool_calls_total{tool="complete_task",outcome="ok"} 1"#,
        r#"mcp_tool_calls_total{tool="unknown",outcome="error"} 1"#,
        r#"mcp_tool_call_duration_seconds_count{tool="list_tasks"} 1"#,
    ] {
        assert!(metrics.contains(expected), "missing `{expected}` in:\n{metrics}");
    }
}

#[sqlx::test]
async fn there_are_no_sessions_to_open_or_close(db: PgPool) {
    let app = TestApp::new(db);
    let ada = app.signup("ada@example.com").await;
    let token = access_token(&app, &ada).await;
    for method in [Method::GET, Method::DELETE] {
        let request = Request::builder()
            .method(method.clone())
            .uri("/mcp")
            .header(header::HOST, "localhost")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .header(header::ACCEPT, "text/event-stream")
            .header("mcp-session-id", "anything")
            .body(Body::empty())
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(response.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(response.header("allow"), Some("POST"));
    }
    // Initializing hands out no session id: the next request may go to any replica.
    let response = post(
        &app,
        Some(&token),
        None,
        &json!({"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}),
    )
    .await;
    assert_eq!(response.status, StatusCode::OK);
    assert_eq!(response.header("mcp-session-id"), None);
    assert_eq!(response.header("content-type"), Some("application/json"));
}

/// The title of task `id`, or `None` once it is gone.
async fn title_of(db: &PgPool, id: i64) -> Option<String> {
    sqlx::query_scalar("select title from tasks where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn undo_reverts_mcp_calls_one_by_one_and_never_a_chat_turn(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let token = access_token(&app, &ada).await;
    let chatted = app.chat(&ada, None, "add a task to water the plants").await;
    let from_chat = tasks_snapshot(&db).await;
    assert_eq!(from_chat.len(), 1, "{chatted}");

    let (text, _) = call_tool(&app, &token, "add_task", json!({"title": "Call mom"})).await;
    let id = serde_json::from_str::<Value>(&text).unwrap()["task_id"]
        .as_i64()
        .unwrap();
    call_tool(&app, &token, "delete_task", json!({"task_id": id})).await;
    assert_eq!(title_of(&db, id).await, None);

    // Bob's undo has nothing of his own to revert, and Ada's changes stay as they are.
    let (text, failed) = call_tool(&app, &access_token(&app, &bob).await, "undo", json!({})).await;
    assert!(failed && text.starts_with("nothing to undo"), "{text}");
    assert_eq!(title_of(&db, id).await, None);

    // The latest call first: the deleted task comes back with its id, then the add is undone;
    // a session token shares the same steps as the access token.
    let (text, failed) = call_tool(&app, &token, "undo", json!({})).await;
    assert!(!failed, "{text}");
    assert_eq!(
        serde_json::from_str::<Value>(&text).unwrap(),
        json!({"status": "undone", "changes": [{"task_id": id, "title": "Call mom", "status": "restored"}]})
    );
    assert_eq!(title_of(&db, id).await.as_deref(), Some("Call mom"));
    let (text, failed) = call_tool(&app, &ada.token, "undo", json!({})).await;
    assert_eq!(
        (
            serde_json::from_str::<Value>(&text).unwrap()["changes"][0]["status"].clone(),
            failed
        ),
        (json!("removed"), false)
    );
    assert_eq!(title_of(&db, id).await, None);

    // The chat's task is the chat's to undo: over MCP there is nothing left.
    let (text, failed) = call_tool(&app, &token, "undo", json!({})).await;
    assert_eq!(
        (text.as_str(), failed),
        ("nothing to undo: no change has been made in this conversation", true)
    );
    let (text, failed) = call_tool(&app, &token, "undo", json!({"steps": 2})).await;
    assert!(
        failed && text.starts_with("invalid arguments: unknown field `steps`"),
        "{text}"
    );
    assert_eq!(tasks_snapshot(&db).await, from_chat);
}
