//! Accounts: signup, login, the current user, session tokens and login throttling.

pub(crate) mod extract;
mod input;
pub(crate) mod password;
pub(crate) mod rate_limit;
mod routes;
pub(crate) mod token;
pub(crate) mod users;

pub(crate) use routes::routes;
