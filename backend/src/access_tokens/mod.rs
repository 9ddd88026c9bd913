//! Personal access tokens: named, optionally expiring bearer tokens a user creates for an assistant
//! (the MCP endpoint) or a script, listed with their last use and revoked at will. The auth extractor
//! accepts them beside session tokens; only their SHA-256 digest is stored (docs/mcp.md).

mod routes;
pub(crate) mod secret;
pub(crate) mod store;

pub(crate) use routes::routes;
