//! The real `todo-backend` binary as a child process, for black-box tests over TCP.

use std::{
    process::Stdio,
    time::{Duration, Instant},
};

use sqlx::PgPool;
use tokio::process::{Child, Command};

use super::{AUTH_SECRET, cluster::free_port};

pub const BINARY: &str = env!("CARGO_BIN_EXE_todo-backend");

pub struct Backend {
    pub child: Child,
    pub port: u16,
}

impl Backend {
    /// Starts the binary with a clean environment plus `extra`, and waits until it listens.
    pub async fn spawn(database_url: &str, extra: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("DATABASE_URL", database_url)
            .env("AUTH_SECRET", AUTH_SECRET)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in extra {
            command.env(key, value);
        }
        let child = command.spawn().expect("backend starts");
        let backend = Self { child, port };
        let url = backend.url("/healthz");
        wait_until("listening", || async { get_status(&url).await == Some(200) }).await;
        backend
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for exit and returns the exit code and everything printed.
    pub async fn wait_output(self) -> (Option<i32>, String) {
        let output = tokio::time::timeout(Duration::from_secs(30), self.child.wait_with_output())
            .await
            .expect("backend exits within 30 s")
            .expect("backend output");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), text)
    }
}

/// Polls `condition` every 100 ms for up to 30 s.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if condition().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("gave up waiting for: {what}");
}

/// Status code of a GET, or `None` when nothing answers.
pub async fn get_status(url: &str) -> Option<u16> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .ok()?;
    client
        .get(url)
        .send()
        .await
        .ok()
        .map(|response| response.status().as_u16())
}

/// A URL for the per-test database behind `pool`: `DATABASE_URL` with the database name swapped.
pub fn database_url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for the tests");
    let database = pool
        .connect_options()
        .get_database()
        .expect("test database name")
        .to_string();
    let (without_query, query) = base
        .split_once('?')
        .map_or((base.as_str(), None), |(url, q)| (url, Some(q)));
    let prefix = without_query
        .rsplit_once('/')
        .map_or(without_query, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}
