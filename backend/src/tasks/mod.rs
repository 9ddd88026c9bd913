//! Tasks: the model, input validation, the task service (all task SQL) and the REST routes.
//! The chat tools call [`service`] too, so REST and chat share one code path per behaviour.

mod hidden;
pub(crate) mod input;
pub(crate) mod model;
mod routes;
pub(crate) mod service;

pub(crate) use routes::routes;
