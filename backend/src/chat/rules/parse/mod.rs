//! From a message to commands: which action, on which task, with what.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

mod add;
mod list;
mod update;

use self::{add::addition, list::listing, update::update};
use super::{
    refs::{Selection, TaskRef, selection, task_numbers, task_ref},
    text::{Token, match_any, starts_with, tokens},
};
use crate::tasks::model::{Priority, StatusFilter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Command {
    Add(Vec<NewItem>),
    List(ListRequest),
    Complete(TaskRef),
    Reopen(TaskRef),
    Delete(TaskRef),
    Update(TaskRef, Change),
    Select(Selection),
    Greet,
    Thank,
    Help,
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct NewItem {
    pub title: String,
    pub priority: Option<Priority>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct ListRequest {
    pub status: StatusFilter,
    pub q: Option<String>,
    pub due: Option<DueWindow>,
}

/// "what's due today?", "what's overdue?"
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum DueWindow {
    Overdue,
    Today,
    Tomorrow,
    ThisWeek,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(super) struct Change {
    pub title: Option<String>,
    pub priority: Option<Priority>,
    pub due_at: Option<DateTime<Utc>>,
}

/// Reads a message as one or more commands, in the order they were said.
pub(super) fn parse(message: &str, now: DateTime<Utc>, timezone: Tz) -> Vec<Command> {
    let words = tokens(message);
    clauses(&words)
        .into_iter()
        .map(|clause| command(strip_politeness(clause), now, timezone))
        .flat_map(one_per_task)
        .collect()
}

/// "mark 4 and 5 as done" is two completions.
fn one_per_task(command: Command) -> Vec<Command> {
    let (words, make): (&str, fn(TaskRef) -> Command) = match &command {
        Command::Complete(TaskRef::Words(words)) => (words, Command::Complete),
        Command::Reopen(TaskRef::Words(words)) => (words, Command::Reopen),
        Command::Delete(TaskRef::Words(words)) => (words, Command::Delete),
        _ => return vec![command],
    };
    match task_numbers(words) {
        Some(ids) => ids.into_iter().map(|id| make(TaskRef::Id(id))).collect(),
        None => vec![command],
    }
}

const VERBS: [&str; 24] = [
    "add",
    "create",
    "remind",
    "remember",
    "mark",
    "complete",
    "finish",
    "check",
    "tick",
    "delete",
    "remove",
    "cancel",
    "drop",
    "change",
    "rename",
    "update",
    "edit",
    "set",
    "move",
    "reschedule",
    "show",
    "list",
    "what",
    "what's",
];

/// Splits at sentence ends, and at "and"/"then"/"also" when a new command verb follows.
fn clauses<'t, 'a>(words: &'t [Token<'a>]) -> Vec<&'t [Token<'a>]> {
    let mut clauses = Vec::new();
    let mut start = 0;
    let mut i = 0;
    while i < words.len() {
        let joiner = matches!(words[i].word.as_str(), "and" | "then" | "also");
        let next = words[i + 1..]
            .iter()
            .find(|t| !matches!(t.word.as_str(), "then" | "also"));
        if joiner && i > start && next.is_some_and(|t| VERBS.contains(&t.word.as_str())) {
            clauses.push(&words[start..i]);
            start = i + 1;
        } else if words[i].raw.ends_with(['.', '!', '?', ';']) && i + 1 < words.len() {
            clauses.push(&words[start..=i]);
            start = i + 1;
        }
        i += 1;
    }
    if start < words.len() {
        clauses.push(&words[start..]);
    }
    clauses.retain(|clause| !clause.is_empty());
    clauses
}

fn strip_politeness<'t, 'a>(mut clause: &'t [Token<'a>]) -> &'t [Token<'a>] {
    const LEADS: [&str; 17] = [
        "please",
        "pls",
        "can you",
        "could you",
        "would you",
        "will you",
        "i want you to",
        "i'd like you to",
        "go ahead and",
        "ok",
        "okay",
        "so",
        "now",
        "also",
        "and",
        "then",
        "just",
    ];
    while let Some(len) = match_any(clause, 0, &LEADS) {
        clause = &clause[len..];
    }
    while clause.len() > 1
        && clause
            .last()
            .is_some_and(|t| matches!(t.word.as_str(), "please" | "pls" | "thanks" | ""))
    {
        clause = &clause[..clause.len() - 1];
    }
    clause
}

fn command(words: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Command {
    let phrase = words.iter().map(|t| t.word.as_str()).collect::<Vec<_>>().join(" ");
    let first = words.first().map_or("", |t| t.word.as_str());
    if matches!(
        phrase.as_str(),
        "hi" | "hello" | "hey" | "hey there" | "good morning" | "good evening" | "yo"
    ) {
        return Command::Greet;
    }
    if matches!(
        phrase.as_str(),
        "thanks" | "thank you" | "thx" | "cheers" | "great" | "great thanks" | "perfect"
    ) {
        return Command::Thank;
    }
    if matches!(
        phrase.as_str(),
        "help" | "what can you do" | "what can i say" | "how does this work" | "commands"
    ) {
        return Command::Help;
    }
    if let Some(choice) = selection(words) {
        return Command::Select(choice);
    }
    if let Some(command) = completion(words) {
        return command;
    }
    if let Some(len) = match_any(
        words,
        0,
        &[
            "delete",
            "remove",
            "cancel",
            "drop",
            "erase",
            "scrap",
            "trash",
            "get rid of",
            "forget about",
        ],
    ) {
        let target = trim_suffix(
            &words[len..],
            &["from my list", "from the list", "from my tasks", "from my to-do list"],
        );
        return Command::Delete(task_ref(target));
    }
    if let Some(command) = update(words, now, timezone) {
        return command;
    }
    if let Some(items) = addition(words, now, timezone) {
        return Command::Add(items);
    }
    if let Some(request) = listing(words, first) {
        return Command::List(request);
    }
    Command::Unknown
}

/// "mark task 3 as done", "complete task 3", "I finished the report", "task 3 is done", "reopen it".
fn completion(words: &[Token<'_>]) -> Option<Command> {
    const DONE: [&str; 6] = [
        "as complete",
        "as completed",
        "as done",
        "as finished",
        "complete",
        "done",
    ];
    const UNDONE: [&str; 8] = [
        "as not done",
        "as incomplete",
        "as pending",
        "as undone",
        "as open",
        "not done",
        "incomplete",
        "pending",
    ];
    if let Some(len) = match_any(words, 0, &["mark", "set"]) {
        let rest = &words[len..];
        for (i, _) in rest.iter().enumerate() {
            if match_any(rest, i, &UNDONE).is_some_and(|n| i + n == rest.len()) {
                return Some(Command::Reopen(task_ref(&rest[..i])));
            }
            if match_any(rest, i, &DONE).is_some_and(|n| i + n == rest.len())
                || match_any(rest, i, &["finished", "completed"]).is_some_and(|n| i + n == rest.len())
            {
                return Some(Command::Complete(task_ref(&rest[..i])));
            }
        }
        return None;
    }
    let leads = [
        "check off",
        "tick off",
        "cross off",
        "complete",
        "finish",
        "finished",
        "completed",
        "close",
        "i finished",
        "i completed",
        "i've finished",
        "i have finished",
        "i did",
        "i've done",
        "i have done",
        "i'm done with",
        "done with",
        "i am done with",
    ];
    if let Some(len) = match_any(words, 0, &leads) {
        let rest = trim_suffix(&words[len..], &["off"]);
        return Some(Command::Complete(task_ref(rest)));
    }
    if let Some(len) = match_any(words, 0, &["reopen", "uncomplete", "unmark", "undo"]) {
        return Some(Command::Reopen(task_ref(&words[len..])));
    }
    let n = words.len();
    for tail in ["is done", "is finished", "is complete", "is completed"] {
        if n > 2 && starts_with(words, n - 2, tail) {
            return Some(Command::Complete(task_ref(&words[..n - 2])));
        }
    }
    None
}

pub(super) fn trim_suffix<'t, 'a>(words: &'t [Token<'a>], suffixes: &[&str]) -> &'t [Token<'a>] {
    for suffix in suffixes {
        let n = suffix.split(' ').count();
        if words.len() > n && starts_with(words, words.len() - n, suffix) {
            return &words[..words.len() - n];
        }
    }
    words
}
