//! The frontend's integration tests, one binary: route tests drive `router(state)` with `oneshot`
//! in front of a real backend (in this process, on a database of its own), `process` runs the real
//! `todo-frontend` binary, and `e2e` drives headless Chromium (only with the `browser-tests`
//! feature, which `scripts/test` turns on).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

#[cfg(feature = "browser-tests")]
mod a11y;
mod chat_routes;
mod connect_routes;
#[cfg(feature = "browser-tests")]
mod details;
#[cfg(feature = "browser-tests")]
mod e2e;
#[cfg(feature = "browser-tests")]
mod e2e_connect;
mod forms;
#[cfg(feature = "browser-tests")]
mod keyboard;
#[cfg(feature = "browser-tests")]
mod layout;
mod process;
mod routes;
mod security;
mod support;
#[cfg(feature = "browser-tests")]
mod turns;
