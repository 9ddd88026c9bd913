//! `todo-backend`: the JSON API, accounts, tasks and the chat agent of the Todo AI Chatbot. The
//! binary runs [`Application`]; tests drive [`router`] over an [`AppState`] or start the
//! [`Application`] on port 0.

mod access_tokens;
mod app;
mod auth;
mod chat;
mod config;
mod database;
mod error;
mod extract;
mod health;
mod mcp;
mod metrics;
mod openapi;
mod quotas;
mod tasks;
mod transaction;

pub use app::{AppState, Application, router};
/// The agent's tools bound to one user, for a caller outside a chat turn (its changes are
/// journalled as one turn, so `undo` reverts them).
pub use chat::tools::ToolBox;
pub use config::Config;

/// The embedded engine's reading of a message and its title matching, without I/O, for
/// `benches/chat_turn.rs`; not an API.
#[doc(hidden)]
pub mod rules_engine {
    pub use crate::chat::rules::{decide, match_titles};
}
