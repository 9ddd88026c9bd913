//! The real binary over real TCP: start-up errors, the healthcheck subcommand, readiness through a
//! database outage, graceful shutdown, and no secrets in the logs.

use std::time::Duration;

use sqlx::PgPool;
use test_support::{ClosedPort, get_status, process::run, wait_until};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

use crate::support::{
    AUTH_SECRET,
    cluster::TestCluster,
    process::{BINARY, database_url_of, spawn_backend},
};

async fn run_binary(args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    run(BINARY, args, env).await
}

#[tokio::test]
async fn refuses_to_start_without_required_config_in_one_line() {
    let (code, out) = run_binary(&[], &[("AUTH_SECRET", AUTH_SECRET)]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-backend: configuration error: DATABASE_URL is required but not set\n"
    );

    let (code, out) = run_binary(&[], &[("DATABASE_URL", "postgres://localhost/x")]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-backend: configuration error: AUTH_SECRET is required but not set\n"
    );

    let weak = "tooshort-secret-value";
    let (code, out) = run_binary(
        &[],
        &[("DATABASE_URL", "postgres://localhost/x"), ("AUTH_SECRET", weak)],
    )
    .await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-backend: configuration error: AUTH_SECRET must be at least 32 bytes long\n"
    );
    assert!(!out.contains(weak), "the secret is never echoed");

    let valid = [("DATABASE_URL", "postgres://localhost/x"), ("AUTH_SECRET", AUTH_SECRET)];
    let (code, out) = run_binary(&[], &[valid[0], valid[1], ("PORT", "eighty")]).await;
    assert_eq!(code, Some(2));
    assert_eq!(
        out,
        "todo-backend: configuration error: PORT is invalid: invalid digit found in string\n"
    );

    let (code, out) = run_binary(&["--help"], &[]).await;
    assert_eq!(code, Some(0), "help is not an error");
    assert!(
        out.contains("[env: DATABASE_URL]") && out.contains("[env: AUTH_SECRET]"),
        "{out}"
    );
}

#[sqlx::test]
async fn healthcheck_subcommand_reflects_readiness(db: PgPool) {
    let backend = spawn_backend(&database_url_of(&db), &[]).await;
    let (code, _) = run_binary(&["healthcheck", &backend.url("/readyz")], &[]).await;
    assert_eq!(code, Some(0));
    let closed = ClosedPort::new();
    let (code, out) = run_binary(&["healthcheck", &closed.url("/readyz")], &[]).await;
    assert_eq!(code, Some(1));
    assert!(out.starts_with("todo-backend: healthcheck failed:"), "{out}");
    let (code, _) = run_binary(&["healthcheck", &backend.url("/no-such-page")], &[]).await;
    assert_eq!(code, Some(1), "non-200 is unhealthy");
}

#[tokio::test]
async fn readiness_follows_the_database_without_a_restart() {
    let cluster = TestCluster::start();
    let mut backend = spawn_backend(&cluster.url(), &[]).await;
    let ready = backend.url("/readyz");
    assert_eq!(get_status(&ready).await, Some(200));

    cluster.stop_server();
    wait_until("503 while PostgreSQL is down", || async {
        get_status(&ready).await == Some(503)
    })
    .await;
    assert_eq!(
        get_status(&backend.url("/healthz")).await,
        Some(200),
        "liveness does not depend on the database"
    );

    cluster.start_server();
    wait_until("200 once PostgreSQL is back", || async {
        get_status(&ready).await == Some(200)
    })
    .await;
    assert!(backend.is_running(), "same process throughout");
}

#[sqlx::test]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero(db: PgPool) {
    let database_url = database_url_of(&db);
    let backend = spawn_backend(&database_url, &[("SHUTDOWN_GRACE_SECS", "10")]).await;

    // A signup whose body is only half sent: the request is in flight when SIGTERM arrives.
    let body = r#"{"email": "inflight@example.com", "password": "correct horse battery"}"#;
    let (first, rest) = body.split_at(20);
    let mut stream = TcpStream::connect(("127.0.0.1", backend.port())).await.unwrap();
    let head = format!(
        "POST /api/auth/signup HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(first.as_bytes()).await.unwrap();
    // Give the server time to parse the head: only then is the request "in flight" rather than an idle connection.
    tokio::time::sleep(Duration::from_secs(1)).await;

    backend.signal("TERM").await;
    let port = backend.port();
    wait_until("listener closed", || async {
        TcpStream::connect(("127.0.0.1", port)).await.is_err()
    })
    .await;

    stream.write_all(rest.as_bytes()).await.unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).await.unwrap();
    assert!(
        response.starts_with("HTTP/1.1 201"),
        "in-flight request completed: {response}"
    );

    let (code, logs) = backend.wait_output().await;
    assert_eq!(code, Some(0), "{logs}");
    assert!(
        logs.contains("shutdown requested") && logs.contains("stopped"),
        "{logs}"
    );
    for line in logs.lines() {
        let entry: serde_json::Value = serde_json::from_str(line).unwrap_or_else(|_| panic!("not JSON: {line}"));
        assert!(entry["level"].is_string() && entry["timestamp"].is_string(), "{line}");
    }
    assert!(!logs.contains(AUTH_SECRET), "AUTH_SECRET leaked into logs");
    assert!(!logs.contains("correct horse battery"), "a password leaked into logs");
}
