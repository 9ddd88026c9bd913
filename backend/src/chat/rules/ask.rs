//! Questions about the list: which tasks (by status, priority, words, due window), how many, in
//! what order, and whether one task is done.

use super::{
    command::{DueWindow, Intent, Query, Sort, Target},
    grammar::QUERY,
    refs::target,
    slots::{self, longest_at, phrase_at, strip_tail},
    text::Token,
    write::Context,
};
use crate::tasks::model::StatusFilter;

#[rustfmt::skip]
const TASK_CUES: &[&str] = &[
    "finish", "priorities", "deadline", "task", "tasks", "todo", "todos", "list", "pending", "done", "completed",
    "complete", "finished", "due", "overdue", "priority", "urgent", "important", "left", "remaining", "open",
    "outstanding", "agenda", "plate", "deadline", "deadlines", "today", "tomorrow", "week", "weekend", "items",
    "reminders", "late", "upcoming", "unfinished", "incomplete", "accomplished", "about", "scheduled", "soon",
    "status", "my",
];

/// Cues that say "when" but not "my list".
const WEAK_CUES: &[&str] = &["today", "tomorrow", "week", "weekend", "soon", "upcoming", "my"];

#[rustfmt::skip]
const COMPLETED: &[&str] = &[
    "completed", "complete", "done", "finished", "accomplished", "ticked", "checked",
];
#[rustfmt::skip]
const PENDING: &[&str] = &[
    "pending", "left", "remaining", "open", "incomplete", "unfinished", "outstanding", "plate", "agenda", "undone",
];

/// A question about the list, or about one task's status.
pub(crate) fn query(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let keys: Vec<&str> = tokens.iter().map(|t| t.key.as_str()).collect();
    let has = |word: &str| keys.contains(&word);
    let lead = longest_at(tokens, 0, QUERY);
    let asked = tokens.iter().any(|t| t.question);
    let phrase = |p: &str| (0..tokens.len()).any(|i| phrase_at(tokens, i, p).is_some());
    if (lead.is_some() || asked)
        && let Some(status) = one_status(ctx, tokens)
    {
        return Some(status);
    }
    // A time word alone ("what's the weather like today?") is not about the list; with "do I
    // have", "on", "due"… or in a short question ("today?") it is.
    let about_the_list = [
        "to do",
        "what is next",
        "do i have",
        "have i got",
        "on my",
        "i have",
        "on for",
        "is on",
        "coming up",
        "up next",
        "planned",
        "scheduled",
    ]
    .iter()
    .any(|p| phrase(p));
    let strong_cue = keys.iter().any(|k| TASK_CUES.contains(k) && !WEAK_CUES.contains(k));
    let weak_cue = keys.iter().any(|k| WEAK_CUES.contains(k));
    let cue = strong_cue || about_the_list || (weak_cue && tokens.len() <= 3);
    let search = longest_at(
        tokens,
        0,
        &[
            "find",
            "search for",
            "search",
            "look for",
            "look up",
            "find me",
            "search my tasks for",
        ],
    );
    let strong = longest_at(
        tokens,
        0,
        &["show", "list", "display", "view", "give me", "pull up", "bring up"],
    )
    .is_some();
    if search.is_none() && !strong && !(cue && (lead.is_some() || asked || tokens.len() <= 4)) {
        return None;
    }
    let mut query = Query::default();
    let did = phrase("did i") || phrase("have i") || phrase("did we") || phrase("have we");
    if (keys.iter().any(|k| COMPLETED.contains(k)) || (did && !phrase("have i got"))) && !has("not") {
        query.status = StatusFilter::Completed;
    }
    if keys.iter().any(|k| PENDING.contains(k))
        || (has("to") && has("do") && !has("done"))
        || phrase_at(tokens, 0, "what is next").is_some()
        || (has("not") && keys.iter().any(|k| COMPLETED.contains(k)))
    {
        query.status = StatusFilter::Pending;
    }
    query.count = longest_at(tokens, 0, &["how many", "count", "number of"]).is_some()
        || phrase_at(tokens, 0, "how much").is_some();
    query.due = due_window(tokens, &keys);
    if matches!(query.due, Some(window) if window != DueWindow::NoDate && window != DueWindow::HasDate)
        && query.status == StatusFilter::All
    {
        query.status = StatusFilter::Pending;
    }
    if let Some((level, _)) = slots::priority(tokens) {
        query.priority = Some(level);
        if query.status == StatusFilter::All {
            query.status = StatusFilter::Pending;
        }
    }
    query.sort = sort(tokens);
    query.words = topic(ctx, tokens, search);
    Some(Intent::Query(query))
}

/// "is #4 done yet?", "did I finish the report?", "what's the status of the dentist task?"
fn one_status(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    const TAILS: &[&str] = &[
        "done",
        "done yet",
        "finished",
        "finished yet",
        "complete",
        "completed",
        "complete yet",
        "completed yet",
        "still pending",
        "still open",
        "pending",
        "open",
        "still on my list",
        "still there",
        "been done",
        "been done yet",
        "been finished",
        "been completed",
    ];
    // "is #4 done yet?", "has task six been done?"
    if let Some(len) = longest_at(tokens, 0, &["is", "are", "was", "has", "have"]) {
        let rest = &tokens[len..];
        let cut = strip_tail(rest, TAILS);
        if cut.len() < rest.len()
            && !cut.is_empty()
            && !cut
                .iter()
                .any(|t| matches!(t.key.as_str(), "anything" | "everything" | "there"))
        {
            return Some(Intent::Status(target(ctx.message, cut)));
        }
    }
    // "is the garage cleaned?": the subject and the participle together name the task.
    if let Some(len) = longest_at(tokens, 0, &["is", "are", "was", "has", "have"])
        && tokens.len() > len + 1
        && tokens
            .last()
            .is_some_and(|t| t.key.ends_with("ed") || super::lexicon::irregular_past(&t.key).is_some())
        && tokens.iter().any(|t| t.question)
        && !tokens.iter().any(|t| {
            matches!(
                t.key.as_str(),
                "any" | "anything" | "there" | "tasks" | "everything" | "something"
            )
        })
    {
        let rest = &tokens[len..];
        let rest = strip_tail(rest, &["yet", "already"]);
        return Some(Intent::Status(target(ctx.message, rest)));
    }
    if let Some(len) = longest_at(tokens, 0, &["did i", "have i", "did we", "have we"]) {
        let rest = strip_tail(&tokens[len..], &["yet", "already", "or not"]);
        let rest = match rest.first() {
            Some(first)
                if matches!(
                    first.key.as_str(),
                    "finish" | "complete" | "do" | "finished" | "completed" | "done"
                ) =>
            {
                &rest[1..]
            }
            _ => rest,
        };
        if !rest.is_empty()
            && !rest
                .iter()
                .any(|t| matches!(t.key.as_str(), "anything" | "everything" | "tasks" | "today"))
        {
            return Some(Intent::Status(target(ctx.message, rest)));
        }
    }
    if let Some(at) = (0..tokens.len()).find(|i| phrase_at(tokens, *i, "status of").is_some()) {
        let rest = &tokens[at + 2..];
        if !rest.is_empty() {
            return Some(Intent::Status(target(ctx.message, rest)));
        }
    }
    None
}

fn due_window(tokens: &[Token], keys: &[&str]) -> Option<DueWindow> {
    let has = |word: &str| keys.contains(&word);
    let phrase = |p: &str| (0..tokens.len()).any(|i| phrase_at(tokens, i, p).is_some());
    Some(
        if has("overdue") || has("late") || phrase("past due") || phrase("missed") {
            DueWindow::Overdue
        } else if (keys
            .iter()
            .any(|k| matches!(*k, "deadline" | "deadlines" | "date" | "dates" | "due"))
            && keys
                .iter()
                .any(|k| matches!(*k, "no" | "not" | "without" | "never" | "none")))
            || [
                "no due date",
                "without a due date",
                "without due date",
                "without a date",
                "no date",
                "no deadline",
                "without a deadline",
                "without deadlines",
                "without due dates",
                "undated",
                "not scheduled",
                "no due dates",
                "without any due date",
                "no dates",
            ]
            .iter()
            .any(|p| phrase(p))
        {
            DueWindow::NoDate
        } else if phrase("next week") {
            DueWindow::NextWeek
        } else if phrase("this week") || phrase("the week") || phrase("end of the week") {
            DueWindow::ThisWeek
        } else if has("tomorrow") {
            DueWindow::Tomorrow
        } else if has("today") || has("tonight") {
            DueWindow::Today
        } else if has("soon")
            || has("upcoming")
            || phrase("coming up")
            || phrase("next few days")
            || phrase("next 7 days")
        {
            DueWindow::Soon
        } else if has("due") || has("deadline") || has("deadlines") || phrase("with a due date") {
            DueWindow::HasDate
        } else {
            return None;
        },
    )
}

fn sort(tokens: &[Token]) -> Option<Sort> {
    let phrase = |p: &str| (0..tokens.len()).any(|i| phrase_at(tokens, i, p).is_some());
    let any = |ps: &[&str]| ps.iter().any(|p| phrase(p));
    if any(&[
        "order of deadline",
        "by deadline",
        "by due date",
        "by due",
        "sorted by due",
        "by date",
        "soonest first",
        "order of due date",
        "by when",
        "sorted by deadline",
        "chronological",
        "chronologically",
        "earliest first",
        "in order of due",
    ]) {
        Some(Sort::Due)
    } else if any(&[
        "by priority",
        "order of priority",
        "most important first",
        "highest priority first",
        "by importance",
        "sorted by priority",
    ]) {
        Some(Sort::Priority)
    } else if any(&["alphabetically", "alphabetical", "by name", "by title", "a-z", "a to z"]) {
        Some(Sort::Title)
    } else if any(&[
        "newest first",
        "latest first",
        "most recent",
        "recently added",
        "newest",
    ]) {
        Some(Sort::Newest)
    } else if any(&["oldest first", "oldest"]) {
        Some(Sort::Oldest)
    } else {
        None
    }
}

/// Words the titles must match: "anything about the bike?", "find the report", "any dentist tasks?".
fn topic(ctx: Context<'_>, tokens: &[Token], search: Option<usize>) -> Option<String> {
    let start = match search {
        Some(len) => len,
        None => (0..tokens.len())
            .find(|i| {
                !tokens[*i].quoted
                    && matches!(
                        tokens[*i].key.as_str(),
                        "about"
                            | "matching"
                            | "containing"
                            | "mentioning"
                            | "regarding"
                            | "involving"
                            | "called"
                            | "named"
                    )
            })
            .map(|i| i + 1)
            .or_else(|| {
                // "any bike tasks?", "anything for the dentist?"
                let at = (0..tokens.len()).find(|i| matches!(tokens[*i].key.as_str(), "any" | "anything"))?;
                let end = (at + 1..tokens.len()).find(|i| {
                    matches!(
                        tokens[*i].key.as_str(),
                        "tasks" | "task" | "todos" | "items" | "things" | "stuff"
                    )
                })?;
                let words: Vec<&Token> = tokens[at + 1..end].iter().filter(|t| !is_filter_word(&t.key)).collect();
                (!words.is_empty()).then_some(at + 1)
            })?,
    };
    let words: Vec<Token> = tokens[start..]
        .iter()
        .filter(|t| !is_filter_word(&t.key))
        .cloned()
        .collect();
    let Target::Words(phrases) = target(ctx.message, &words) else {
        return None;
    };
    let text = phrases.join(" ");
    (!text.is_empty()).then_some(text)
}

/// Words of a question that say which tasks, not what they are about.
fn is_filter_word(word: &str) -> bool {
    COMPLETED.contains(&word)
        || PENDING.contains(&word)
        || matches!(
            word,
            "task"
                | "tasks"
                | "todos"
                | "items"
                | "things"
                | "stuff"
                | "on"
                | "in"
                | "my"
                | "list"
                | "the"
                | "do"
                | "i"
                | "have"
                | "are"
                | "there"
                | "is"
                | "any"
                | "anything"
                | "for"
                | "please"
                | "still"
                | "yet"
                | "due"
                | "today"
                | "tomorrow"
                | "overdue"
                | "high"
                | "low"
                | "priority"
                | "urgent"
        )
}
