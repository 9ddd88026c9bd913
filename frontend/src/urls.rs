//! Every path the frontend serves, in one place: handlers, templates and tests name routes through
//! these constants and helpers instead of spelling paths out.

pub const HOME: &str = "/";
pub const LOGIN: &str = "/login";
pub const SIGNUP: &str = "/signup";
pub const LOGOUT: &str = "/logout";

pub const CHAT: &str = "/chat";
pub const CHAT_CONVERSATION: &str = "/chat/{id}";
pub const CHAT_SEND: &str = "/chat/send";
pub const CHAT_STREAM: &str = "/chat/stream";
pub const CHAT_SYNC: &str = "/chat/{id}/sync";
pub const CHAT_DELETE: &str = "/chat/{id}/delete";

pub const TASKS: &str = "/tasks";
pub const TASK_PANEL: &str = "/tasks/panel";
pub const TASK_EDIT: &str = "/tasks/{id}/edit";
pub const TASK_UPDATE: &str = "/tasks/{id}";
pub const TASK_TOGGLE: &str = "/tasks/{id}/toggle";
pub const TASK_DELETE: &str = "/tasks/{id}/delete";

pub const STATIC: &str = "/static/{file}";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";

/// Fills the `{id}` of a route template.
pub fn with_id(template: &str, id: impl std::fmt::Display) -> String {
    template.replace("{id}", &id.to_string())
}

pub fn conversation(id: i64) -> String {
    with_id(CHAT_CONVERSATION, id)
}

/// `/static/<file>`; asset file names carry their version, so they can be cached forever.
pub fn asset(file: &str) -> String {
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
