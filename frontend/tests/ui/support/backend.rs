//! The real backend (`todo_backend::Application`) serving on a loopback port of its own, inside
//! the test's process, over a database of the test's own on the `DATABASE_URL` server. Both go
//! when the value is dropped.

use std::net::SocketAddr;

use service_kit::{Service, config::LoadConfig};
use sqlx::{Connection, PgConnection};
use todo_backend::{Application, Config};
use tokio::task::JoinHandle;

pub(crate) const AUTH_SECRET: &str = "frontend-test-secret-that-is-long-enough-0123";

pub(crate) struct TestBackend {
    address: SocketAddr,
    server: JoinHandle<anyhow::Result<()>>,
    _database: ScratchDatabase,
}

impl TestBackend {
    /// Migrates a fresh database and starts serving it; returns once the listener is bound.
    pub(crate) async fn start() -> Self {
        Self::with_args(&[]).await
    }

    /// [`TestBackend::start`] with extra settings (`--flag value` pairs, e.g. a language model's).
    pub(crate) async fn with_args(extra: &[String]) -> Self {
        test_support::init_test_log();
        let database = ScratchDatabase::create().await;
        let mut args = vec![
            "todo-backend",
            "--database-url",
            &database.url,
            "--auth-secret",
            AUTH_SECRET,
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            // As in the chart: the frontend (here on loopback) forwards the browser's address.
            "--trusted-proxies",
            "127.0.0.1",
        ];
        args.extend(extra.iter().map(String::as_str));
        let config = Config::load_from(args).expect("backend test configuration parses");
        let app = Application::build(config).await.expect("the backend starts");
        let address = app.local_addr().expect("bound address");
        let server = tokio::spawn(app.run_until_stopped(std::future::pending()));
        Self {
            address,
            server,
            _database: database,
        }
    }

    pub(crate) fn base_url(&self) -> String {
        format!("http://{}", self.address)
    }
}

impl Drop for TestBackend {
    fn drop(&mut self) {
        // Fields drop after this: the database goes once the server stops using it.
        self.server.abort();
    }
}

/// A database of the test's own on the server of `DATABASE_URL`, dropped with the value.
struct ScratchDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl ScratchDatabase {
    async fn create() -> Self {
        let admin_url = std::env::var("DATABASE_URL")
            .expect("DATABASE_URL must point at a PostgreSQL server whose role may create databases");
        let name = format!("todo_frontend_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("connect to DATABASE_URL");
        sqlx::raw_sql(&format!("create database {name}"))
            .execute(&mut admin)
            .await
            .expect("create the test database");
        let url = test_support::database_url(&admin_url, &name);
        Self { admin_url, name, url }
    }
}

impl Drop for ScratchDatabase {
    /// Runs on a thread of its own: drop cannot await, and the test's runtime may be the one
    /// that is ending.
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let sql = format!("drop database if exists {} with (force)", self.name);
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
            runtime.block_on(async {
                let mut admin = PgConnection::connect(&admin_url).await?;
                sqlx::raw_sql(&sql).execute(&mut admin).await?;
                admin.close().await?;
                Ok::<_, anyhow::Error>(())
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) && !std::thread::panicking() {
            panic!("could not drop the test database {}: {dropped:?}", self.name);
        }
    }
}
