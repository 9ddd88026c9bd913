//! Changing a task: title, priority or due date.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{Change, Command, add::priority_phrase};
use crate::{
    chat::rules::{
        dates,
        refs::task_ref,
        text::{Token, capitalise, clean_phrase, join_raw, match_any},
    },
    tasks::model::Priority,
};

/// "change task 1 to 'Call mom tonight'", "rename the report task to Q3 report",
/// "set task 2 priority to high", "move task 3 to friday".
pub(super) fn update(words: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Option<Command> {
    let verbs = [
        "change",
        "rename",
        "update",
        "edit",
        "set",
        "make",
        "move",
        "reschedule",
        "postpone",
        "push back",
        "push",
    ];
    let len = match_any(words, 0, &verbs)?;
    let verb = words[0].word.as_str();
    let rest = &words[len..];
    let to = rest
        .iter()
        .position(|t| matches!(t.word.as_str(), "to" | "as" | "into"));
    let (target, value) = match to {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        // "make task 2 high priority", "set task 2 high"
        None => split_trailing_priority(rest)?,
    };
    if target
        .first()
        .is_some_and(|t| matches!(t.word.as_str(), "a" | "an" | "new"))
    {
        return None; // "make a task to …" adds one
    }
    let (target, field) = strip_field(target);
    let value_text = clean_phrase(&join_raw(value));
    if value_text.is_empty() {
        return None;
    }
    let mut change = Change::default();
    let priority = priority_phrase(value).or_else(|| bare_priority(value));
    let due = dates::find(value, now, timezone).filter(|found| covers_all(&found.spans, value.len()));
    match field.or(match verb {
        "rename" => Some(Field::Title),
        "move" | "reschedule" | "postpone" | "push" => Some(Field::Due),
        _ => None,
    }) {
        Some(Field::Title) => change.title = Some(capitalise(&value_text)),
        Some(Field::Priority) => change.priority = Some(priority?),
        Some(Field::Due) => change.due_at = Some(due?.at),
        None => match (priority, due) {
            (Some(priority), _) => change.priority = Some(priority),
            (None, Some(due)) => change.due_at = Some(due.at),
            (None, None) => change.title = Some(capitalise(&value_text)),
        },
    }
    Some(Command::Update(task_ref(target), change))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Priority,
    Due,
}

/// "the title of task 1" / "task 1's title" / "task 1 priority" → ("task 1", Some(Title)).
fn strip_field<'t, 'a>(target: &'t [Token<'a>]) -> (&'t [Token<'a>], Option<Field>) {
    let field_of = |word: &str| match word.trim_end_matches("'s") {
        "title" | "name" | "text" => Some(Field::Title),
        "priority" | "importance" => Some(Field::Priority),
        "due" | "date" | "deadline" | "time" => Some(Field::Due),
        _ => None,
    };
    let mut field = None;
    let mut start = 0;
    while start < target.len()
        && (matches!(target[start].word.as_str(), "the" | "of" | "its") || field_of(&target[start].word).is_some())
    {
        field = field.or(field_of(&target[start].word));
        start += 1;
    }
    let mut end = target.len();
    while end > start && field_of(&target[end - 1].word).is_some() {
        field = field.or(field_of(&target[end - 1].word));
        end -= 1;
    }
    (&target[start..end], field)
}

fn split_trailing_priority<'t, 'a>(rest: &'t [Token<'a>]) -> Option<(&'t [Token<'a>], &'t [Token<'a>])> {
    let at = rest
        .iter()
        .position(|t| Priority::parse(&t.word).is_some() || t.word == "urgent")?;
    Some((&rest[..at], &rest[at..]))
}

/// A value that is only a level: "high", "low priority".
fn bare_priority(value: &[Token<'_>]) -> Option<Priority> {
    match value.iter().map(|t| t.word.as_str()).collect::<Vec<_>>().as_slice() {
        ["urgent"] => Some(Priority::High),
        [level] | [level, "priority"] => Priority::parse(level),
        _ => None,
    }
}

fn covers_all(spans: &[std::ops::Range<usize>], len: usize) -> bool {
    spans.iter().map(|span| span.len()).sum::<usize>() == len
}
