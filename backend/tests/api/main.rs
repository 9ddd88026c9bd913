//! The backend's integration tests, one binary (linking once is what makes a change quick to test):
//! route tests drive `router(state)` with `oneshot` over a fresh database per test
//! (`#[sqlx::test]`), and `process` runs the real binary over TCP.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    reason = "a failing test should fail loudly"
)]

mod access_tokens;
mod auth;
mod cancelled_transactions;
mod chat_api;
mod chat_corpus;
mod chat_fuzz;
mod chat_in_flight;
mod chat_openai;
mod chat_providers;
mod chat_rules;
mod chat_turns;
mod chat_undo;
mod connections;
mod fuzz;
mod input_hygiene;
mod mcp;
mod operations;
mod outage;
mod process;
mod quotas;
mod sessions;
mod support;
mod tasks_access;
mod tasks_crud;
mod tasks_listing;
mod tasks_validation;
mod throttles;
