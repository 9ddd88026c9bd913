//! Every path the frontend serves, in one place: handlers, templates and tests name routes through
//! these constants and helpers instead of spelling paths out.

pub(crate) const HOME: &str = "/";
pub(crate) const LOGIN: &str = "/login";
pub(crate) const SIGNUP: &str = "/signup";
pub(crate) const LOGOUT: &str = "/logout";
pub(crate) const LOGOUT_EVERYWHERE: &str = "/logout/everywhere";

pub(crate) const CHAT: &str = "/chat";
pub(crate) const CHAT_CONVERSATION: &str = "/chat/{id}";
pub(crate) const CHAT_SEND: &str = "/chat/send";
/// A turn's assistant bubble, streaming again (after a lost connection).
pub(crate) const CHAT_TURN: &str = "/chat/turns/{id}";
/// The turn's event stream: the EventSource URL, which carries nothing but the turn's opaque id.
pub(crate) const CHAT_TURN_STREAM: &str = "/chat/turns/{id}/stream";
pub(crate) const CHAT_TURN_STOP: &str = "/chat/turns/{id}/stop";
pub(crate) const CHAT_SYNC: &str = "/chat/{id}/sync";
pub(crate) const CHAT_DELETE: &str = "/chat/{id}/delete";

pub(crate) const TASKS: &str = "/tasks";
pub(crate) const TASK_PANEL: &str = "/tasks/panel";
pub(crate) const TASK_EDIT: &str = "/tasks/{id}/edit";
pub(crate) const TASK_UPDATE: &str = "/tasks/{id}";
pub(crate) const TASK_TOGGLE: &str = "/tasks/{id}/toggle";
pub(crate) const TASK_DELETE: &str = "/tasks/{id}/delete";

pub(crate) const CONNECT: &str = "/connect";
pub(crate) const CONNECT_TOKENS: &str = "/connect/tokens";
pub(crate) const CONNECT_TOKEN_REVOKE: &str = "/connect/tokens/{id}/revoke";
/// MCP requests, passed on to the backend (`crate::mcp`).
pub(crate) const MCP: &str = "/mcp";

pub(crate) const STATIC: &str = "/static/{file}";
pub(crate) const HEALTHZ: &str = "/healthz";
pub(crate) const READYZ: &str = "/readyz";
pub(crate) const METRICS: &str = "/metrics";

/// Fills the `{id}` of a route template.
pub(crate) fn with_id(template: &str, id: impl std::fmt::Display) -> String {
    template.replace("{id}", &id.to_string())
}

pub(crate) fn conversation(id: i64) -> String {
    with_id(CHAT_CONVERSATION, id)
}

/// `/static/<file>`; asset file names carry their version, so they can be cached forever.
pub(crate) fn asset(file: &str) -> String {
    STATIC.replace("{file}", file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fill_templates() {
        assert_eq!(with_id(TASK_TOGGLE, 7), "/tasks/7/toggle");
        assert_eq!(conversation(3), "/chat/3");
        assert_eq!(asset("app.css"), "/static/app.css");
    }
}
