//! The server's own defences over real TCP (they live in service-kit, so the frontend has them
//! too): clients that send request heads too slowly are disconnected, idle kept-alive connections
//! are closed after their own longer deadline, and a flood of slow connections (slowloris) cannot
//! stop the server from answering others, even under a low open-file limit.

use std::{
    os::unix::fs::PermissionsExt,
    time::{Duration, Instant},
};

use sqlx::PgPool;
use test_support::process::ServiceProcess;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
    task::JoinSet,
};

use crate::support::process::{BINARY, database_url_of, spawn_backend};

const HEALTHZ: &[u8] = b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n";

/// Opens a connection and sends the start of a request head, then one more header line every
/// 200 ms, never finishing it. Returns how long the server kept the connection open.
async fn slow_head(port: u16, patience: Duration) -> Duration {
    let started = Instant::now();
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)).await else {
        return started.elapsed();
    };
    if stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: localhost\r\n")
        .await
        .is_err()
    {
        return started.elapsed();
    }
    let mut buffer = [0u8; 64];
    while started.elapsed() < patience {
        tokio::select! {
            read = stream.read(&mut buffer) => {
                // The server closed it (0 bytes, or a reset).
                if !matches!(read, Ok(n) if n > 0) {
                    return started.elapsed();
                }
            }
            () = tokio::time::sleep(Duration::from_millis(200)) => {
                if stream.write_all(b"X-Slow: 1\r\n").await.is_err() {
                    return started.elapsed();
                }
            }
        }
    }
    started.elapsed()
}

/// One request on `stream`; the whole response (its head and a `Content-Length` body) as text.
async fn exchange(stream: &mut TcpStream, request: &[u8]) -> std::io::Result<String> {
    stream.write_all(request).await?;
    let mut received = Vec::new();
    let mut buffer = [0u8; 1024];
    loop {
        let n = stream.read(&mut buffer).await?;
        if n == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        received.extend_from_slice(&buffer[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        if let Some((head, body)) = text.split_once("\r\n\r\n") {
            let length: usize = head
                .lines()
                .find_map(|line| {
                    line.to_ascii_lowercase()
                        .strip_prefix("content-length:")
                        .map(str::to_owned)
                })
                .and_then(|value| value.trim().parse().ok())
                .unwrap_or(0);
            if body.len() >= length {
                return Ok(text);
            }
        }
    }
}

/// A fresh connection, one request, the response's status line; `None` if nothing answered in time.
async fn status_line(port: u16, timeout: Duration) -> Option<String> {
    let attempt = async {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).await.ok()?;
        let response = exchange(&mut stream, HEALTHZ).await.ok()?;
        response.lines().next().map(str::to_owned)
    };
    tokio::time::timeout(timeout, attempt).await.ok().flatten()
}

#[sqlx::test]
async fn a_request_head_sent_too_slowly_is_cut_off(db: PgPool) {
    let backend = spawn_backend(&database_url_of(&db), &[("HTTP_HEADER_READ_TIMEOUT_SECS", "1")]).await;
    let mut slow = JoinSet::new();
    for _ in 0..50 {
        slow.spawn(slow_head(backend.port(), Duration::from_secs(10)));
    }
    // Meanwhile the server answers everyone else at once.
    assert_eq!(
        status_line(backend.port(), Duration::from_secs(2)).await.as_deref(),
        Some("HTTP/1.1 200 OK")
    );
    while let Some(held) = slow.join_next().await {
        let held = held.unwrap();
        assert!(
            (Duration::from_millis(900)..Duration::from_secs(3)).contains(&held),
            "a slow head was held for {held:?}"
        );
    }
}

#[sqlx::test]
async fn idle_connections_get_their_own_longer_deadline(db: PgPool) {
    let backend = spawn_backend(
        &database_url_of(&db),
        &[("HTTP_HEADER_READ_TIMEOUT_SECS", "1"), ("HTTP_IDLE_TIMEOUT_SECS", "3")],
    )
    .await;
    let mut stream = TcpStream::connect(("127.0.0.1", backend.port())).await.unwrap();
    assert!(
        exchange(&mut stream, HEALTHZ)
            .await
            .unwrap()
            .starts_with("HTTP/1.1 200")
    );
    // Idle for longer than a head may take, shorter than the idle deadline: still open.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let again = exchange(&mut stream, HEALTHZ)
        .await
        .expect("the kept-alive connection still serves");
    assert!(again.starts_with("HTTP/1.1 200"), "{again}");
    // Idle past the deadline: the server closes it.
    let idle_from = Instant::now();
    let mut buffer = [0u8; 16];
    let read = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut buffer)).await;
    assert!(matches!(read, Ok(Ok(0) | Err(_))), "not closed: {read:?}");
    let closed_after = idle_from.elapsed();
    assert!(
        (Duration::from_millis(2500)..Duration::from_secs(5)).contains(&closed_after),
        "closed after {closed_after:?}"
    );
}

/// `todo-backend` started by a shell that first lowers the open-file limit to `files`.
async fn spawn_with_file_limit(
    database_url: &str,
    files: u32,
    env: &[(&str, &str)],
) -> (ServiceProcess, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("todo-backend");
    std::fs::write(
        &script,
        format!("#!/bin/sh\nulimit -n {files} || exit 3\nexec {BINARY} \"$@\"\n"),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let mut all = vec![
        ("DATABASE_URL", database_url),
        ("AUTH_SECRET", crate::support::AUTH_SECRET),
    ];
    all.extend_from_slice(env);
    let process = ServiceProcess::spawn(script.to_str().unwrap(), &all).await;
    (process, dir)
}

#[sqlx::test]
async fn a_slowloris_flood_past_the_open_file_limit_does_not_stop_the_server(db: PgPool) {
    // 256 files: without a cap the slow connections take every descriptor and accept() fails for good.
    let (backend, _dir) =
        spawn_with_file_limit(&database_url_of(&db), 256, &[("HTTP_HEADER_READ_TIMEOUT_SECS", "2")]).await;
    let mut slow = JoinSet::new();
    for _ in 0..400 {
        slow.spawn(slow_head(backend.port(), Duration::from_secs(30)));
    }
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Every request made during the flood is answered, if not at once then once earlier slow
    // clients have been cut off (the cap is 128 here: 256 files less those kept for the rest).
    let mut answered = JoinSet::new();
    for _ in 0..10 {
        let port = backend.port();
        answered.spawn(async move { status_line(port, Duration::from_secs(20)).await });
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    while let Some(status) = answered.join_next().await {
        assert_eq!(status.unwrap().as_deref(), Some("HTTP/1.1 200 OK"));
    }
    slow.abort_all();
    backend.signal("TERM").await;
    let (_, logs) = backend.wait_output().await;
    assert!(
        logs.contains("HTTP_MAX_CONNECTIONS lowered to fit the open-file limit"),
        "{logs}"
    );
}
