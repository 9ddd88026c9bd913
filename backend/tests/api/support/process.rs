//! The real `todo-backend` binary as a child process, for black-box tests over TCP.

use serde_json::{Value, json};
use sqlx::PgPool;
use test_support::process::ServiceProcess;

use super::{AUTH_SECRET, PASSWORD, Session};

pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_todo-backend");

/// Starts the binary on `database_url` with a clean environment plus `extra`; returns once it listens.
pub(crate) async fn spawn_backend(database_url: &str, extra: &[(&str, &str)]) -> ServiceProcess {
    let mut env = vec![
        ("DATABASE_URL", database_url),
        ("AUTH_SECRET", AUTH_SECRET),
        ("RUST_LOG", "info"),
    ];
    env.extend_from_slice(extra);
    ServiceProcess::spawn(BINARY, &env).await
}

/// A URL for the per-test database behind `pool`: `DATABASE_URL` with the database name swapped.
pub(crate) fn database_url_of(pool: &PgPool) -> String {
    let base = std::env::var("DATABASE_URL").expect("DATABASE_URL is set for the tests");
    let database = pool
        .connect_options()
        .get_database()
        .expect("test database name")
        .to_owned();
    test_support::database_url(&base, &database)
}

/// Signs `email` up over HTTP against a backend process.
pub(crate) async fn signup_over_http(client: &reqwest::Client, backend: &ServiceProcess, email: &str) -> Session {
    let body: Value = client
        .post(backend.url("/api/auth/signup"))
        .json(&json!({"email": email, "password": PASSWORD}))
        .send()
        .await
        .expect("the backend answers")
        .json()
        .await
        .expect("a JSON body");
    Session {
        user_id: body["user_id"].as_str().expect("user_id").parse().expect("a uuid"),
        token: body["token"].as_str().expect("token").to_owned(),
    }
}
