//! `todo-frontend`: the browser UI of the Todo AI Chatbot. Server-rendered askama pages enhanced
//! with htmx; every piece of data comes from todo-backend over HTTP.

pub mod app;
pub mod assets;
pub mod backend_client;
pub mod config;
pub mod error;
pub mod health;
pub mod models;
pub mod security;
pub mod session;
pub mod urls;
pub mod views;

pub use app::{AppState, Application, router};
