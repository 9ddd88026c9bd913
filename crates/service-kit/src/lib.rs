//! The plumbing `todo-backend` and `todo-frontend` share, so each service's own crate holds only what
//! makes it that service: binding and serving with graceful shutdown ([`server`]), one-line
//! configuration errors ([`config`]), the client's address behind trusted proxies ([`client`]), the shutdown flag ([`lifecycle`]), logs ([`telemetry`]), the
//! middleware around every route ([`http`], [`metrics`]), `/healthz` and `/readyz` ([`health`]), and
//! `main` with its `healthcheck` subcommand ([`cli`]).

mod allocator;
pub mod cli;
pub mod client;
pub mod config;
mod connection;
pub mod error;
pub mod health;
pub mod http;
pub mod lifecycle;
pub mod metrics;
pub mod server;
pub mod telemetry;

pub use cli::Service;
pub use error::Error;
pub use lifecycle::Lifecycle;
