//! Changing a task: its title, priority or due date ("move the vet visit to friday", "bump it up",
//! "make it high priority", "the report is due monday", "make that thursday").

use chrono::{DateTime, Utc};

use super::{
    command::{Action, Change, Intent},
    dates,
    grammar::UPDATE,
    refs::target,
    slots::{self, longest_at, strip_tail},
    text::{Token, capitalise, clean_phrase, span_text},
    write::Context,
};
use crate::tasks::model::Priority;

/// "change task 1 to 'Call mom tonight'", "move the vet visit to friday", "bump it up",
/// "make it high priority", "the report is due monday", "make that thursday".
pub(crate) fn update(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let Some(len) = longest_at(tokens, 0, UPDATE) else {
        return due_statement(ctx, tokens);
    };
    let verb: Vec<&str> = tokens[..len].iter().map(|t| t.key.as_str()).collect();
    let rest = &tokens[len..];
    let mut change = Change::default();
    // "lower the priority of the trash task"
    let (bare, _) = strip_field(rest);
    match verb.as_slice() {
        ["bump", "up"] | ["prioritize" | "prioritise" | "raise"] => {
            change.priority = Some(Priority::High);
            let rest = strip_tail(bare, &["up", "priority", "in priority"]);
            return Some(Intent::Act(Action::Update, target(ctx.message, rest), change));
        }
        ["bump", "down"] | ["deprioritize" | "deprioritise" | "lower"] => {
            change.priority = Some(Priority::Low);
            let rest = strip_tail(bare, &["down", "priority", "in priority"]);
            return Some(Intent::Act(Action::Update, target(ctx.message, rest), change));
        }
        ["bump"] if rest.last().is_some_and(|t| t.key == "up") => {
            change.priority = Some(Priority::High);
            return Some(Intent::Act(
                Action::Update,
                target(ctx.message, &rest[..rest.len() - 1]),
                change,
            ));
        }
        ["bump"] if rest.last().is_some_and(|t| t.key == "down") => {
            change.priority = Some(Priority::Low);
            return Some(Intent::Act(
                Action::Update,
                target(ctx.message, &rest[..rest.len() - 1]),
                change,
            ));
        }
        _ => {}
    }
    let rescheduling = matches!(
        verb.first().copied(),
        Some("move" | "reschedule" | "postpone" | "push" | "bump" | "shift" | "delay" | "put" | "defer")
    );
    let renaming = matches!(verb.as_slice(), ["rename" | "retitle"] | ["call", _]);
    // The split between target and value: a "to"/"as"/"for" after which the rest is a date or a
    // priority, else the first "to"/"as"/"into" (a new title follows it).
    let joins = |i: usize, words: &[&str]| !rest[i].quoted && words.contains(&rest[i].key.as_str());
    let typed = |value: &[Token]| !matches!(value_of(ctx, value, false, true), None | Some(Value::Title(_)));
    let split = (0..rest.len())
        .find(|i| joins(*i, &["to", "as", "into", "for", "until", "till"]) && typed(&rest[i + 1..]))
        .or_else(|| (0..rest.len()).find(|i| joins(*i, &["to", "as", "into"])))
        .map(|at| (&rest[..at], &rest[at + 1..]));
    let (subject, value) = match split {
        Some(parts) => parts,
        // "make it high priority", "postpone it", "make that thursday"
        None => match (0..rest.len()).find(|i| typed(&rest[*i..])) {
            Some(at) => (&rest[..at], &rest[at..]),
            None if rescheduling => (rest, &rest[rest.len()..]),
            None => return None,
        },
    };
    if subject
        .first()
        .is_some_and(|t| matches!(t.key.as_str(), "a" | "an" | "new"))
        && !rescheduling
    {
        return None; // "make a task to …" adds one
    }
    let (subject, field) = strip_field(subject);
    match value_of(
        ctx,
        value,
        renaming || field == Some(Field::Title),
        rescheduling || field == Some(Field::Due),
    ) {
        Some(Value::Title(title)) => change.title = Some(title),
        Some(Value::Priority(level)) => change.priority = Some(level),
        Some(Value::Due(at, time_only)) => {
            change.due_at = Some(at);
            change.time_only = time_only;
        }
        Some(Value::Both(level, at, time_only)) => {
            change.priority = Some(level);
            change.due_at = Some(at);
            change.time_only = time_only;
        }
        None if rescheduling => change.due_unclear = true,
        None => return None,
    }
    Some(Intent::Act(Action::Update, target(ctx.message, subject), change))
}

/// "the report is due monday", "dentist should be on friday", "the report is urgent".
fn due_statement(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let at = tokens
        .iter()
        .position(|t| {
            matches!(
                t.key.as_str(),
                "is" | "should" | "needs" | "due" | "can" | "could" | "must"
            )
        })
        .filter(|at| *at > 0)?;
    let mut value = &tokens[at..];
    while value
        .first()
        .is_some_and(|t| matches!(t.key.as_str(), "is" | "should" | "be" | "needs" | "to" | "now"))
    {
        value = &value[1..];
    }
    let mut change = Change::default();
    match value_of(ctx, value, false, true)? {
        Value::Due(due, time_only) => {
            change.due_at = Some(due);
            change.time_only = time_only;
        }
        Value::Priority(level) => change.priority = Some(level),
        Value::Both(level, due, time_only) => {
            change.priority = Some(level);
            change.due_at = Some(due);
            change.time_only = time_only;
        }
        Value::Title(_) => return None,
    }
    Some(Intent::Act(Action::Update, target(ctx.message, &tokens[..at]), change))
}

enum Value {
    Title(String),
    Priority(Priority),
    /// A due date, and whether only its time was said.
    Due(DateTime<Utc>, bool),
    Both(Priority, DateTime<Utc>, bool),
}

/// What a value phrase sets: a date or priority when it says only that, else (when a title is
/// allowed) the words as the new title.
fn value_of(ctx: Context<'_>, value: &[Token], title: bool, due_expected: bool) -> Option<Value> {
    let text = clean_phrase(span_text(ctx.message, value));
    if text.is_empty() {
        return None;
    }
    if value.iter().all(|t| t.quoted) || title {
        return Some(Value::Title(capitalise(&text)));
    }
    let due = dates::find(value, ctx.now, ctx.timezone);
    let level = slots::priority(value);
    if slots::is_modifier(value, due.as_ref(), level.as_ref()) {
        return Some(match (level, due) {
            (Some((level, _)), Some(due)) => Value::Both(level, due.at, due.time_only),
            (Some((level, _)), None) => Value::Priority(level),
            (None, Some(due)) => Value::Due(due.at, due.time_only),
            (None, None) => return None,
        });
    }
    if due_expected {
        return None;
    }
    Some(Value::Title(capitalise(&text)))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Title,
    Priority,
    Due,
}

/// "the title of task 1" / "task 1's title" / "its due date" → ("task 1", Some(Title)).
fn strip_field(target: &[Token]) -> (&[Token], Option<Field>) {
    let field_of = |word: &str| match word.trim_end_matches("'s") {
        "title" | "name" | "text" | "wording" => Some(Field::Title),
        "priority" | "importance" => Some(Field::Priority),
        "due" | "date" | "deadline" | "time" | "day" => Some(Field::Due),
        _ => None,
    };
    let mut field = None;
    let mut start = 0;
    while start < target.len()
        && (matches!(target[start].key.as_str(), "the" | "of" | "its" | "it's")
            || field_of(&target[start].key).is_some())
    {
        field = field.or(field_of(&target[start].key));
        start += 1;
    }
    let mut end = target.len();
    while end > start && (field_of(&target[end - 1].key).is_some() || target[end - 1].key == "the") {
        field = field.or(field_of(&target[end - 1].key));
        end -= 1;
    }
    (&target[start..end], field)
}
