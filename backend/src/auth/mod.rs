//! Accounts: signup, login, logout, the current user, sessions, and the throttles on all of it.

pub(crate) mod extract;
pub(crate) mod input;
pub(crate) mod password;
pub(crate) mod rate_limit;
mod routes;
pub(crate) mod session_cache;
pub(crate) mod sessions;
pub(crate) mod token;
pub(crate) mod users;

pub(crate) use routes::routes;
