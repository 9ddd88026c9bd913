//! `todo-frontend`: the browser UI of the Todo AI Chatbot. Server-rendered askama pages enhanced
//! with htmx; every piece of data comes from todo-backend over HTTP. The binary runs
//! [`Application`]; tests drive [`router`] over an [`AppState`] or run the binary.

mod app;
mod assets;
mod backend_client;
mod config;
mod error;
mod health;
mod mcp;
mod models;
mod security;
mod session;
mod urls;
mod views;

pub use app::{AppState, Application, router};
pub use config::Config;
