//! What the services' integration tests share (a dev-dependency only): ports that stay held,
//! waiting until something is ready, in-process requests, the service binaries as child processes,
//! a stand-in language model, and `TEST_LOG`.
//!
//! Tests run many at once, in one process (`cargo test`) or in many (`cargo nextest`), so nothing
//! here picks a "free" port and hopes it stays free: servers bind port 0 and report the port they
//! got, and a port that must refuse connections is bound (and never listened on) for as long as
//! the test needs it.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "helpers of tests, which fail loudly when something they rely on is missing"
)]

use std::{future::Future, net::SocketAddr, sync::Once, time::Duration};

pub mod http;
pub mod llm;
pub mod process;

/// How long [`wait_until`] keeps trying.
const PATIENCE: Duration = Duration::from_secs(30);

/// Log output for tests, opt-in: with `TEST_LOG` set, the tracing output of the code under test (in
/// this process) is printed, filtered by `RUST_LOG` (default `info`), and the service processes'
/// log lines are echoed as they arrive. Without it tests stay quiet. Safe to call from every test.
pub fn init_test_log() {
    static INIT: Once = Once::new();
    if !test_log_enabled() {
        return;
    }
    INIT.call_once(|| {
        let filter = tracing_subscriber::EnvFilter::try_from_default_env()
            .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        // A subscriber installed by someone else is fine: its output is what the person asked for.
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_test_writer()
            .try_init();
    });
}

fn test_log_enabled() -> bool {
    std::env::var_os("TEST_LOG").is_some()
}

/// A loopback port that is bound but never listened on: connections to it are refused, and no
/// other test or process can take it while this value lives.
#[derive(Debug)]
pub struct ClosedPort {
    _socket: tokio::net::TcpSocket,
    address: SocketAddr,
}

impl ClosedPort {
    /// Binds a fresh loopback port.
    pub fn new() -> Self {
        let socket = tokio::net::TcpSocket::new_v4().expect("a TCP socket");
        socket
            .bind(SocketAddr::from(([127, 0, 0, 1], 0)))
            .expect("bind a loopback port");
        let address = socket.local_addr().expect("bound address");
        Self {
            _socket: socket,
            address,
        }
    }

    /// `http://127.0.0.1:PORT{path}`: a URL where nothing answers.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }
}

impl Default for ClosedPort {
    fn default() -> Self {
        Self::new()
    }
}

/// Polls `condition` every 100 ms for up to 30 s; panics naming `what` if it never holds.
pub async fn wait_until<F, Fut>(what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + PATIENCE;
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
    client
        .get(url)
        .send()
        .await
        .ok()
        .map(|response| response.status().as_u16())
}

/// `base` (a PostgreSQL URL such as `DATABASE_URL`) with its database name replaced by `database`.
pub fn database_url(base: &str, database: &str) -> String {
    let (without_query, query) = base
        .split_once('?')
        .map_or((base, None), |(url, query)| (url, Some(query)));
    let prefix = without_query
        .rsplit_once('/')
        .map_or(without_query, |(prefix, _)| prefix);
    match query {
        Some(query) => format!("{prefix}/{database}?{query}"),
        None => format!("{prefix}/{database}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_closed_port_refuses_connections() {
        let port = ClosedPort::new();
        let refused = tokio::net::TcpStream::connect(port.address).await;
        assert_eq!(
            refused.map_err(|err| err.kind()).err(),
            Some(std::io::ErrorKind::ConnectionRefused)
        );
        assert_eq!(get_status(&port.url("/readyz")).await, None);
    }

    #[test]
    fn database_names_are_swapped_keeping_the_query() {
        assert_eq!(
            database_url("postgres://u@h:5432/postgres?sslmode=disable", "t1"),
            "postgres://u@h:5432/t1?sslmode=disable"
        );
        assert_eq!(database_url("postgres://u@h/postgres", "t2"), "postgres://u@h/t2");
    }
}
