//! From a message to commands: which action, on which task, with what.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    dates,
    refs::{Selection, TaskRef, selection, task_ref},
    text::{Token, capitalise, clean_phrase, join_raw, match_any, starts_with, tokens},
};
use crate::tasks::model::{Priority, StatusFilter};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
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
pub struct NewItem {
    pub title: String,
    pub priority: Option<Priority>,
    pub due_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListRequest {
    pub status: StatusFilter,
    pub q: Option<String>,
    pub due: Option<DueWindow>,
}

/// "what's due today?", "what's overdue?"
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DueWindow {
    Overdue,
    Today,
    Tomorrow,
    ThisWeek,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Change {
    pub title: Option<String>,
    pub priority: Option<Priority>,
    pub due_at: Option<DateTime<Utc>>,
}

/// Reads a message as one or more commands, in the order they were said.
pub fn parse(message: &str, now: DateTime<Utc>, timezone: Tz) -> Vec<Command> {
    let words = tokens(message);
    clauses(&words)
        .into_iter()
        .map(|clause| command(strip_politeness(clause), now, timezone))
        .collect()
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
    while clause
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

/// "change task 1 to 'Call mom tonight'", "rename the report task to Q3 report",
/// "set task 2 priority to high", "move task 3 to friday".
fn update(words: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Option<Command> {
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
        Some(Field::Title) => change.title = Some(value_text),
        Some(Field::Priority) => change.priority = Some(priority?),
        Some(Field::Due) => change.due_at = Some(due?.at),
        None => match (priority, due) {
            (Some(priority), _) => change.priority = Some(priority),
            (None, Some(due)) => change.due_at = Some(due.at),
            (None, None) => change.title = Some(value_text),
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

/// "add …", "create …", "remind me to …", "I need to …".
fn addition(words: &[Token<'_>], now: DateTime<Utc>, timezone: Tz) -> Option<Vec<NewItem>> {
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
        return None;
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
    (!items.is_empty()).then_some(items)
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
fn priority_phrase(words: &[Token<'_>]) -> Option<Priority> {
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
fn priority_word(words: &[Token<'_>], i: usize) -> bool {
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

/// "show my tasks", "what's pending?", "what have I completed?", "find the report".
fn listing(words: &[Token<'_>], first: &str) -> Option<ListRequest> {
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
    if ["completed", "complete", "done", "finished", "accomplished"]
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

fn trim_suffix<'t, 'a>(words: &'t [Token<'a>], suffixes: &[&str]) -> &'t [Token<'a>] {
    for suffix in suffixes {
        let n = suffix.split(' ').count();
        if words.len() > n && starts_with(words, words.len() - n, suffix) {
            return &words[..words.len() - n];
        }
    }
    words
}
