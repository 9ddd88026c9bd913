//! Accounts: signup, login, the current user, session tokens and login throttling.

pub mod extract;
mod input;
pub mod password;
pub mod rate_limit;
mod routes;
pub mod token;
pub mod users;

pub use routes::routes;
