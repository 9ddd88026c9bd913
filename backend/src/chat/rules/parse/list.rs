//! Asking for tasks: by status, by due date, by words.

use super::{DueWindow, ListRequest};
use crate::{
    chat::rules::{
        refs::{TaskRef, task_ref},
        text::{Token, match_any, starts_with},
    },
    tasks::model::StatusFilter,
};

/// "show my tasks", "what's pending?", "what have I completed?", "find the report".
pub(super) fn listing(words: &[Token<'_>], first: &str) -> Option<ListRequest> {
    let all: Vec<&str> = words.iter().map(|t| t.word.as_str()).collect();
    let has = |w: &str| all.contains(&w);
    let search = match_any(words, 0, &["search for", "search", "find", "look for", "look up"]);
    let asks = matches!(
        first,
        "show"
            | "list"
            | "display"
            | "view"
            | "see"
            | "get"
            | "give"
            | "what"
            | "what's"
            | "whats"
            | "which"
            | "how"
            | "do"
            | "did"
            | "are"
            | "is"
            | "tell"
            | "any"
            | "anything"
            | "my"
            | "pending"
            | "completed"
            | "tasks"
            | "todo"
    ) || words.last().is_some_and(|t| t.raw.ends_with('?'));
    if search.is_none() && !asks {
        return None;
    }
    let mut request = ListRequest::default();
    if ["completed", "complete", "done", "finished", "finish", "accomplished"]
        .iter()
        .any(|w| has(w))
    {
        request.status = StatusFilter::Completed;
    }
    if [
        "pending",
        "left",
        "remaining",
        "open",
        "incomplete",
        "unfinished",
        "outstanding",
        "todo",
        "to-do",
    ]
    .iter()
    .any(|w| has(w))
        || (has("to") && has("do") && !has("done"))
        || starts_with(words, 0, "what's next")
    {
        request.status = StatusFilter::Pending;
    }
    if has("overdue") || has("late") {
        request = ListRequest {
            status: StatusFilter::Pending,
            due: Some(DueWindow::Overdue),
            ..request
        };
    } else if has("due") || has("today") || has("tomorrow") {
        let due = if has("tomorrow") {
            DueWindow::Tomorrow
        } else if has("week") {
            DueWindow::ThisWeek
        } else {
            DueWindow::Today
        };
        request = ListRequest {
            status: StatusFilter::Pending,
            due: Some(due),
            ..request
        };
    }
    let topic = match search {
        Some(len) => Some(&words[len..]),
        None => ["about", "matching", "containing", "mentioning"]
            .iter()
            .find_map(|lead| all.iter().position(|w| w == lead))
            .map(|at| &words[at + 1..]),
    };
    if let Some(topic) = topic {
        match task_ref(topic) {
            TaskRef::Words(text) => request.q = Some(text),
            _ => return None,
        }
    }
    Some(request)
}
