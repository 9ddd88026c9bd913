//! A fresh database on the test PostgreSQL (`DATABASE_URL`, as `scripts/test` exports it) and the
//! real `todo-backend` binary serving it. Both are removed when the value is dropped.

use std::{
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use super::{free_port, get_status, wait_until};

pub const AUTH_SECRET: &str = "frontend-test-secret-that-is-long-enough-0123";

/// `todo-backend` from the same target directory as this test (cargo builds every workspace binary
/// before `cargo test --workspace` runs tests); `TODO_BACKEND_BIN` overrides.
pub fn backend_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("TODO_BACKEND_BIN") {
        return PathBuf::from(path);
    }
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test> → target/<profile>/todo-backend
    let profile_dir = exe.parent().and_then(Path::parent).expect("target profile directory");
    let binary = profile_dir.join("todo-backend");
    assert!(
        binary.exists(),
        "{} is missing: build it first (cargo build --bin todo-backend) or set TODO_BACKEND_BIN",
        binary.display()
    );
    binary
}

pub struct TestBackend {
    child: Child,
    pub port: u16,
    database: TestDatabase,
}

impl TestBackend {
    /// Starts the backend on a fresh database and waits until it is ready.
    pub async fn start() -> Self {
        let database = TestDatabase::create();
        let port = free_port();
        let child = Command::new(backend_binary())
            .env_clear()
            .env("DATABASE_URL", &database.url)
            .env("AUTH_SECRET", AUTH_SECRET)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .env("TRUST_FORWARDED_FOR", "true")
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("todo-backend starts");
        let backend = Self { child, port, database };
        let ready = backend.url("/readyz");
        wait_until("todo-backend ready", || async { get_status(&ready).await == Some(200) }).await;
        backend
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url())
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Fields drop after this: the database goes once no process holds connections to it.
    }
}

/// A database of the test's own on the server of `DATABASE_URL`, created and dropped with `psql`.
pub struct TestDatabase {
    admin_url: String,
    name: String,
    pub url: String,
}

impl TestDatabase {
    fn create() -> Self {
        let admin_url = std::env::var("DATABASE_URL").expect(
            "DATABASE_URL must point at a PostgreSQL server whose role may create databases (scripts/test sets it)",
        );
        let name = format!("todo_frontend_{}", uuid::Uuid::new_v4().simple());
        psql(&admin_url, &format!("create database {name}"));
        let url = with_database(&admin_url, &name);
        Self { admin_url, name, url }
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        psql(
            &self.admin_url,
            &format!("drop database if exists {} with (force)", self.name),
        );
    }
}

fn psql(url: &str, sql: &str) {
    let output = Command::new(psql_binary())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql `{sql}` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `psql` from PG_BINDIR, PATH, or the newest /usr/lib/postgresql/*/bin.
fn psql_binary() -> PathBuf {
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Some(dir) = std::env::var_os("PG_BINDIR") {
        candidates.push(PathBuf::from(dir));
    }
    if let Some(path) = std::env::var_os("PATH") {
        candidates.extend(std::env::split_paths(&path));
    }
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|entries| entries.flatten().map(|entry| entry.path().join("bin")).collect())
        .unwrap_or_default();
    debian.sort();
    candidates.extend(debian.into_iter().rev());
    candidates
        .into_iter()
        .map(|dir| dir.join("psql"))
        .find(|path| path.exists())
        .expect("psql not found: install the PostgreSQL client or set PG_BINDIR")
}

/// `DATABASE_URL` with its database name replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url
        .split_once('?')
        .map_or((url, None), |(base, query)| (base, Some(query)));
    let prefix = base.rsplit_once('/').map_or(base, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{name}?{query}"),
        None => format!("{prefix}/{name}"),
    }
}
