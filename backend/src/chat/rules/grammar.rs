//! The phrases that open a command, by intent. Matching is on normalised keys, so "pls remoev"
//! opens a removal like "please remove" does.

use super::{slots::longest_at, text::Token};

#[rustfmt::skip]
pub(crate) const ADD: &[&str] = &[
    "add", "create", "new task", "new todo", "new reminder", "make a task", "make a todo", "make a note",
    "make a reminder", "remind me to", "remind me about", "remind me", "remember to", "please remember to",
    "do not let me forget to", "do not let me forget", "do not forget to", "do not forget", "i need to remember to",
    "i have to remember to", "i need to", "i have to", "i got to", "got to", "i must", "i should", "i also need to",
    "i still need to", "i will need to", "need to", "have to", "must", "note to self", "note", "jot down",
    "write down", "put", "schedule", "todo", "set a reminder to", "set a reminder for", "set a reminder",
    "set reminder", "reminder to", "reminder", "track", "log", "i want to remember to", "stick", "throw", "pop",
    "new", "insert", "include", "can you remind me to", "adding", "remind me 2", "i need 2", "need 2", "i have 2",
    "have 2", "i got 2", "got 2", "remember 2",
];

#[rustfmt::skip]
pub(crate) const COMPLETE: &[&str] = &[
    "mark", "complete", "finish", "finished", "completed", "close", "done with", "i am done with", "i finished",
    "i have finished", "i completed", "i have completed", "i have done", "i did", "just did", "just finished",
    "check off", "tick off", "cross off", "strike off", "check", "tick", "cross", "got done", "i got done",
    "wrap up", "done", "i just finished", "i just did", "i just completed", "just completed", "knock out",
    "i am finished with", "finished with",
];

#[rustfmt::skip]
pub(crate) const REOPEN: &[&str] = &[
    "reopen", "uncomplete", "unmark", "uncheck", "untick", "re-open", "restore",
];

#[rustfmt::skip]
pub(crate) const DELETE: &[&str] = &[
    "delete", "remove", "cancel", "drop", "erase", "scrap", "trash", "get rid of", "forget about", "forget",
    "ditch", "kill", "nuke", "toss", "axe", "bin", "clear", "take off", "scratch off", "wipe", "purge", "dump",
];

#[rustfmt::skip]
pub(crate) const UPDATE: &[&str] = &[
    "change", "rename", "update", "edit", "set", "make", "move", "reschedule", "postpone", "push back", "push",
    "bump up", "bump down", "bump", "shift", "delay", "prioritize", "prioritise", "deprioritize", "deprioritise",
    "raise", "lower", "retitle", "call it", "call that", "modify", "adjust", "put off", "defer",
];

#[rustfmt::skip]
pub(crate) const QUERY: &[&str] = &[
    "sort", "sorted", "order", "show", "list", "display", "view", "see", "give me", "tell me", "what", "which",
    "any", "anything", "how many", "how much", "do i have", "have i", "did i", "is there", "are there", "find",
    "search", "look for", "look up", "get", "pull up", "bring up", "read", "where", "whats", "when", "is", "are",
    "do", "does", "count",
];

#[rustfmt::skip]
pub(crate) const UNDO: &[&str] = &[
    "undo", "scratch that", "never mind", "revert", "take that back", "take it back", "put it back",
    "bring it back", "cancel that", "forget that", "forget it", "oops", "whoops", "my bad", "roll back", "rollback",
    "go back", "reverse that",
];

/// Whether the clause opens with a command of its own (so a comma or "and" before it splits).
pub(crate) fn starts_command(tokens: &[Token]) -> bool {
    let tables: [&[&str]; 6] = [ADD, COMPLETE, REOPEN, DELETE, UPDATE, UNDO];
    // "and check the oil" is a new task's words, "and show me my list" a new command: a bare verb
    // shared with task titles only counts when its object is a reference ("tick it off").
    let ambiguous = [
        "check",
        "tick",
        "cross",
        "put",
        "set",
        "make",
        "note",
        "log",
        "track",
        "stick",
        "throw",
        "pop",
        "include",
        "insert",
        "new",
        "must",
        "need to",
        "have to",
        "got to",
        "get",
        "read",
        "do",
        "see",
        "find",
        "is",
        "are",
        "does",
        "when",
        "where",
        "clear",
        "bin",
        "kill",
        "drop",
        "close",
        "lower",
        "raise",
        "schedule",
        "finish",
        "complete",
        "cancel",
        "move",
        "push",
        "change",
        "update",
        "done",
        "finished",
        "completed",
    ];
    if tokens.is_empty() || tokens[0].quoted {
        return false;
    }
    if longest_at(
        tokens,
        0,
        &[
            "show",
            "list",
            "what",
            "which",
            "how many",
            "undo",
            "mark",
            "delete",
            "remove",
            "add",
            "remind me",
            "rename",
            "reschedule",
            "postpone",
            "reopen",
            "scratch that",
            "never mind",
            "actually",
            "no wait",
            "wait",
        ],
    )
    .is_some()
    {
        return true;
    }
    let Some(len) = tables.iter().filter_map(|table| longest_at(tokens, 0, table)).max() else {
        return false;
    };
    let phrase: Vec<&str> = tokens[..len].iter().map(|t| t.key.as_str()).collect();
    if len == 1 && ambiguous.contains(&phrase[0]) {
        return tokens.get(1).is_some_and(|t| {
            matches!(
                t.key.as_str(),
                "it" | "that" | "them" | "those" | "this" | "task" | "tasks" | "number"
            ) || t.key.starts_with('#')
                || t.key.parse::<i64>().is_ok()
        });
    }
    true
}
