//! Adding: "add …", "remind me to …", "I need to …", with priorities and due dates taken out of the title.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{NewItem, trim_suffix};
use crate::{
    chat::rules::{
        dates,
        text::{Token, capitalise, clean_phrase, match_any},
    },
    tasks::model::Priority,
};

/// "add …", "create …", "remind me to …", "I need to …".
pub(super) fn addition(words: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Option<Vec<NewItem>> {
    let triggers = [
        "i need to remember to",
        "i have to remember to",
        "don't let me forget to",
        "remind me to",
        "remember to",
        "note to self",
        "i need to",
        "i have to",
        "i've got to",
        "i gotta",
        "i must",
        "i should",
        "add",
        "create",
        "new task",
        "new todo",
        "make a task",
        "put",
        "todo",
        "task",
    ];
    let len = match_any(words, 0, &triggers)?;
    let fillers = [
        "a new task to",
        "a new task",
        "a task to",
        "a task for",
        "a task",
        "new task",
        "task to",
        "task",
        "a todo to",
        "a todo",
        "a reminder to",
        "an item",
        "called",
        "named",
        "titled",
        "to",
    ];
    let mut body = &words[len..];
    while let Some(n) = match_any(body, 0, &fillers) {
        body = &body[n..];
    }
    let body = trim_suffix(
        body,
        &[
            "to my list",
            "to the list",
            "to my tasks",
            "to my to-do list",
            "to my todo list",
            "on my list",
            "on the list",
            "for me",
        ],
    );
    if body.is_empty() {
        // "add a task" with nothing to add: the engine asks what it should be.
        return Some(Vec::new());
    }
    let priority = priority_phrase(body);
    let due = dates::find(body, now, timezone);
    let mut keep: Vec<&Token<'_>> = Vec::new();
    for (i, token) in body.iter().enumerate() {
        let in_date = due
            .as_ref()
            .is_some_and(|found| found.spans.iter().any(|span| span.contains(&i)));
        if !in_date && !priority_word(body, i) {
            keep.push(token);
        }
    }
    let text = keep.iter().map(|t| t.raw).collect::<Vec<_>>().join(" ");
    let items: Vec<NewItem> = split_items(&text)
        .into_iter()
        .map(|title| NewItem {
            title: capitalise(&title),
            priority,
            due_at: due.as_ref().map(|found| found.at),
        })
        .collect();
    Some(items)
}

/// "milk, eggs and bread" → three titles; a quoted title is never split.
fn split_items(text: &str) -> Vec<String> {
    if text.trim_start().starts_with(['"', '\'', '\u{201c}']) {
        return vec![clean_phrase(text)];
    }
    text.split(", ")
        .flat_map(|part| part.split(" and "))
        .map(|part| clean_phrase(part.trim_start_matches("and ")))
        .filter(|part| !part.is_empty())
        .collect()
}

/// "high priority", "priority high", "urgent", "important", "low priority".
pub(super) fn priority_phrase(words: &[Token<'_>]) -> Option<Priority> {
    words.iter().enumerate().find_map(|(i, token)| {
        if !priority_word(words, i) {
            return None;
        }
        match token.word.as_str() {
            "urgent" | "urgently" | "important" | "asap" => Some(Priority::High),
            word => Priority::parse(word),
        }
    })
}

/// Whether word `i` is part of a priority phrase (so it is not part of a title).
pub(super) fn priority_word(words: &[Token<'_>], i: usize) -> bool {
    let word = |k: usize| words.get(k).map(|t| t.word.as_str());
    let level = |w: Option<&str>| matches!(w, Some("low" | "medium" | "normal" | "high"));
    match word(i) {
        Some("urgent" | "urgently" | "asap") => true,
        Some("important") => i + 1 == words.len(),
        Some("priority") => level(word(i + 1)) || (i > 0 && level(word(i - 1))),
        Some("low" | "medium" | "normal" | "high") => {
            word(i + 1) == Some("priority") || (i > 0 && word(i - 1) == Some("priority"))
        }
        Some("with" | "as" | "at") => level(word(i + 1)) && word(i + 2) == Some("priority"),
        _ => false,
    }
}
