//! The real `todo-frontend` binary: configuration errors, the healthcheck subcommand, and a
//! graceful SIGTERM with JSON logs.

use test_support::{ClosedPort, get_status, process::run};

use crate::support::{
    backend::TestBackend,
    frontend::{BINARY, spawn_frontend},
};

async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    run(BINARY, args, env).await
}

#[tokio::test]
async fn bad_configuration_stops_with_one_line_and_exit_code_2() {
    let (code, out) = run_binary(&[], &[("BACKEND_URL", "backend:8000")]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-frontend: configuration error: BACKEND_URL must be an absolute http:// or https:// URL\n"
    );
    let (code, out) = run_binary(&[], &[("PORT", "eighty")]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-frontend: configuration error: PORT is invalid: invalid digit found in string\n"
    );
    let (code, out) = run_binary(&[], &[("COOKIE_SECURE", "maybe")]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-frontend: configuration error: COOKIE_SECURE has an invalid value\n"
    );

    let (code, out) = run_binary(&["--help"], &[]).await;
    assert_eq!(code, Some(0), "help is not an error");
    for variable in ["BACKEND_URL", "HOST", "PORT", "COOKIE_SECURE", "LOG_FORMAT", "RUST_LOG"] {
        assert!(out.contains(&format!("[env: {variable}")), "{variable} in {out}");
    }
}

#[tokio::test]
async fn healthcheck_subcommand_follows_readiness() {
    let backend = TestBackend::start().await;
    let frontend = spawn_frontend(&backend.base_url(), &[]).await;
    let (code, _) = run_binary(&["healthcheck", &frontend.url("/readyz")], &[]).await;
    assert_eq!(code, Some(0));

    let nowhere = ClosedPort::new();
    let orphan = spawn_frontend(&nowhere.url(""), &[]).await;
    let (code, out) = run_binary(&["healthcheck", &orphan.url("/readyz")], &[]).await;
    assert_eq!(code, Some(1));
    assert!(out.contains("HTTP 503"), "{out}");
    let (code, _) = run_binary(&["healthcheck", &orphan.url("/healthz")], &[]).await;
    assert_eq!(code, Some(0), "liveness does not depend on the backend");
    let (code, _) = run_binary(&["healthcheck", &nowhere.url("/readyz")], &[]).await;
    assert_eq!(code, Some(1), "nothing listening");
}

#[tokio::test]
async fn sigterm_drains_and_exits_zero_with_json_logs() {
    let backend = TestBackend::start().await;
    let frontend = spawn_frontend(&backend.base_url(), &[("SHUTDOWN_GRACE_SECS", "5")]).await;
    assert_eq!(get_status(&frontend.url("/login")).await, Some(200));
    assert_eq!(get_status(&frontend.url("/readyz")).await, Some(200));

    frontend.signal("TERM").await;
    let (code, logs) = frontend.wait_output().await;
    assert_eq!(code, Some(0), "{logs}");
    let mut routes = Vec::new();
    for line in logs.lines().filter(|line| !line.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        if let Some(route) = entry["span"]["route"].as_str() {
            routes.push(route.to_owned());
            assert!(
                entry["span"]["request_id"].as_str().is_some_and(|id| !id.is_empty()),
                "{line}"
            );
        }
    }
    assert!(
        routes.contains(&"/login".to_owned()),
        "request logs carry the route: {logs}"
    );
    assert!(
        logs.contains("draining in-flight requests") && logs.contains("\"stopped\""),
        "{logs}"
    );
}
