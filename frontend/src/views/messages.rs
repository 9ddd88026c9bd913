//! The thread's pieces: a stored message as a bubble, and the chips that say what a tool call did.
//! The same partials render a stored conversation, a streamed turn and a replayed one.

use askama::Template;
use serde_json::Value;

use crate::models::{Message, Role, ToolCall};

/// A compact summary of one tool call ("Added #5 Buy groceries").
#[derive(Debug, Clone, Template)]
#[template(path = "partials/chip.html")]
pub(crate) struct Chip {
    pub label: String,
    pub failed: bool,
}

impl Chip {
    /// Describes a tool's result in the words a person would use.
    pub(crate) fn describe(tool: &str, result: &Value) -> Self {
        if let Some(problem) = result.get("error").and_then(Value::as_str) {
            return Self {
                label: format!("{} failed: {problem}", tool.replace('_', " ")),
                failed: true,
            };
        }
        if let Some(tasks) = result.as_array() {
            let noun = if tasks.len() == 1 { "task" } else { "tasks" };
            return Self {
                label: format!("Found {} {noun}", tasks.len()),
                failed: false,
            };
        }
        let verb = match result.get("status").and_then(Value::as_str) {
            Some("created") => "Added",
            Some("completed") => "Completed",
            Some("deleted") => "Deleted",
            Some("updated") => "Updated",
            Some("pending" | "reopened") => "Reopened",
            _ => tool,
        };
        let id = result.get("task_id").and_then(Value::as_i64);
        let title = result.get("title").and_then(Value::as_str).unwrap_or_default();
        let label = match id {
            Some(id) => format!("{verb} #{id} {title}"),
            None => format!("{verb} {title}"),
        };
        Self {
            label: label.trim_end().to_owned(),
            failed: false,
        }
    }
}

/// One stored message; assistant text is escaped by askama and keeps its line breaks through CSS.
#[derive(Debug, Template)]
#[template(path = "partials/message.html")]
pub(crate) struct MessageView {
    pub from_user: bool,
    pub content: String,
    pub chips: Vec<Chip>,
}

impl MessageView {
    /// Only user and assistant messages are shown (tool or system rows are the agent's business).
    pub(crate) fn from_message(message: Message) -> Option<Self> {
        let from_user = match message.role {
            Role::User => true,
            Role::Assistant => false,
            Role::Other => return None,
        };
        Some(Self {
            from_user,
            content: message.content,
            chips: chips(&message.tool_calls),
        })
    }
}

/// The chips of a reply's tool calls, in order.
pub(crate) fn chips(calls: &[ToolCall]) -> Vec<Chip> {
    calls
        .iter()
        .map(|call| Chip::describe(&call.tool, &call.result))
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn chips_read_like_sentences() {
        let added = json!({"task_id": 5, "status": "created", "title": "Buy groceries"});
        assert_eq!(Chip::describe("add_task", &added).label, "Added #5 Buy groceries");
        let listed = json!([{"id": 1}, {"id": 2}]);
        assert_eq!(Chip::describe("list_tasks", &listed).label, "Found 2 tasks");
        let failed = Chip::describe("complete_task", &json!({"error": "task 9 not found"}));
        assert!(failed.failed);
        assert_eq!(failed.label, "complete task failed: task 9 not found");
    }

    #[test]
    fn messages_are_attributed_escaped_and_only_known_roles_show() {
        let message = Message {
            role: Role::Assistant,
            content: "<b>bold</b>\nnext line".into(),
            tool_calls: vec![],
        };
        let html = MessageView::from_message(message).unwrap().render().unwrap();
        assert!(html.contains("&#60;b&#62;bold&#60;/b&#62;\nnext line"), "{html}");
        assert!(
            html.contains("Assistant said:") && html.contains("class=\"copy\""),
            "{html}"
        );
        let mine = Message {
            role: Role::User,
            content: "hi".into(),
            tool_calls: vec![],
        };
        let html = MessageView::from_message(mine).unwrap().render().unwrap();
        assert!(html.contains("You said:") && !html.contains("class=\"copy\""), "{html}");
        let tool: Message = serde_json::from_value(json!({"role": "tool", "content": "{}"})).unwrap();
        assert_eq!(tool.role, Role::Other);
        assert!(MessageView::from_message(tool).is_none());
    }
}
