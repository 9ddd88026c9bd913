//! The tools as MCP lists them: the chat tools' own definitions (names, descriptions, JSON Schemas),
//! so both describe the same functions with the same words, plus the hints MCP clients use to decide
//! which calls to confirm with the user first.

use std::sync::{Arc, LazyLock};

use rmcp::model::{Tool, ToolAnnotations};
use serde_json::Value;

use crate::chat::tools;

static TOOLS: LazyLock<Vec<Tool>> = LazyLock::new(|| match tools::definitions() {
    Value::Array(definitions) => definitions.iter().filter_map(tool).collect(),
    _ => Vec::new(),
});

/// Every tool, in the chat tools' order.
pub(super) fn all() -> Vec<Tool> {
    TOOLS.clone()
}

/// The tool called `name`, if there is one.
pub(super) fn find(name: &str) -> Option<Tool> {
    TOOLS.iter().find(|tool| tool.name == name).cloned()
}

/// One OpenAI-style function definition (`{"type": "function", "function": {...}}`) as an MCP tool.
fn tool(definition: &Value) -> Option<Tool> {
    let function = definition.get("function")?;
    let name = function.get("name")?.as_str()?.to_owned();
    let description = function.get("description")?.as_str()?.to_owned();
    let Some(Value::Object(schema)) = function.get("parameters").cloned() else {
        return None;
    };
    let annotations = hints(&name);
    let tool = Tool::new(name, description, Arc::new(schema));
    Some(match annotations.title.clone() {
        Some(title) => tool.with_title(title).with_annotations(annotations),
        None => tool.with_annotations(annotations),
    })
}

/// What each tool does to the task list. Every tool acts on the caller's own tasks only, a closed
/// world. A tool not named here gets the protocol's cautious defaults, spelled out: it may change or
/// remove tasks, and calling it twice may do more than calling it once.
fn hints(name: &str) -> ToolAnnotations {
    let titled = |title: &str| ToolAnnotations::with_title(title).open_world(false);
    match name {
        tools::ADD_TASK => titled("Add a task")
            .read_only(false)
            .destructive(false)
            .idempotent(false),
        tools::LIST_TASKS => titled("List tasks").read_only(true),
        tools::COMPLETE_TASK => titled("Complete a task")
            .read_only(false)
            .destructive(false)
            .idempotent(true),
        tools::DELETE_TASK => titled("Delete a task")
            .read_only(false)
            .destructive(true)
            .idempotent(true),
        tools::UPDATE_TASK => titled("Update a task")
            .read_only(false)
            .destructive(true)
            .idempotent(true),
        // Undoing an add deletes the task; a second call undoes the change before.
        tools::UNDO => titled("Undo the latest change")
            .read_only(false)
            .destructive(true)
            .idempotent(false),
        _ => ToolAnnotations::new()
            .read_only(false)
            .destructive(true)
            .idempotent(false)
            .open_world(false),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_chat_tool_is_listed_with_its_own_schema() {
        let definitions = tools::definitions();
        let definitions = definitions.as_array().unwrap();
        let listed = all();
        assert_eq!(listed.len(), definitions.len());
        for (tool, definition) in listed.iter().zip(definitions) {
            let function = &definition["function"];
            assert_eq!(tool.name, function["name"].as_str().unwrap());
            assert_eq!(Value::Object((*tool.input_schema).clone()), function["parameters"]);
            assert!(tool.annotations.is_some(), "{} has hints", tool.name);
        }
    }

    #[test]
    fn only_listing_is_read_only_and_removals_are_destructive() {
        let hint = |name: &str| find(name).and_then(|tool| tool.annotations).unwrap();
        assert_eq!(hint(tools::LIST_TASKS).read_only_hint, Some(true));
        for name in [
            tools::ADD_TASK,
            tools::COMPLETE_TASK,
            tools::DELETE_TASK,
            tools::UPDATE_TASK,
            tools::UNDO,
        ] {
            assert_eq!(hint(name).read_only_hint, Some(false), "{name}");
        }
        assert!(hint(tools::DELETE_TASK).is_destructive());
        assert!(hint(tools::UNDO).is_destructive());
        assert_eq!(hint(tools::UNDO).idempotent_hint, Some(false));
        assert!(!hint(tools::ADD_TASK).is_destructive());
        assert!(hints("a tool added later").is_destructive());
        assert!(find("no such tool").is_none());
    }
}
