//! Helpers shared by the frontend's tests: a real PostgreSQL database per test, the real
//! `todo-backend` binary on it, and the frontend either in-process (`router(state)` driven with
//! `oneshot`) or as its own process.
#![allow(dead_code, unreachable_pub)]

pub mod backend;
pub mod browser;
pub mod frontend;

use std::{net::TcpListener, time::Duration};

/// Polls `condition` every 100 ms for up to 30 s.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while tokio::time::Instant::now() < deadline {
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
    client.get(url).send().await.ok().map(|r| r.status().as_u16())
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("free port")
        .port()
}

/// A unique, valid email for one test user.
pub fn email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub const PASSWORD: &str = "correct horse battery";
