//! `todo-backend`: the JSON API, accounts, tasks and the chat agent of the Todo AI Chatbot.

pub mod app;
pub mod auth;
pub mod chat;
pub mod config;
pub mod error;
pub mod extract;
pub mod health;
pub mod metrics;
pub mod openapi;
pub mod tasks;

pub use app::{AppState, Application, openapi, router};
