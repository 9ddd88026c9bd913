//! `todo-backend`: the JSON API, accounts, tasks and the chat agent of the Todo AI Chatbot. The
//! binary runs [`Application`]; tests drive [`router`] over an [`AppState`] or start the
//! [`Application`] on port 0.

mod app;
mod auth;
mod chat;
mod config;
mod database;
mod error;
mod extract;
mod health;
mod metrics;
mod openapi;
mod quotas;
mod tasks;

pub use app::{AppState, Application, router};
pub use config::Config;
