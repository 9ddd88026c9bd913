//! Tasks: the model, input validation, the task service (all task SQL) and the REST routes.
//! The chat tools call [`service`] too, so REST and chat share one code path per behaviour.

pub mod input;
pub mod model;
mod routes;
pub mod service;

pub use routes::routes;
