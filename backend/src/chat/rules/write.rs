//! Adding tasks: the items of a clause, with dates and priorities taken out of the title.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    command::{Intent, NewItem},
    dates,
    grammar::{self, ADD},
    slots::{self, longest_at, phrase_at},
    text::{Stop, Token, clean_phrase, span_text},
};

/// Where a clause is read: the message (for titles as typed) and the clock.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Context<'m> {
    pub message: &'m str,
    pub now: DateTime<Utc>,
    pub timezone: Tz,
}

/// "add …", "remind me to …", "put … on my list".
pub(crate) fn add(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let len = longest_at(tokens, 0, ADD)?;
    let lead: Vec<&str> = tokens[..len].iter().map(|t| t.key.as_str()).collect();
    // "put" and "stick" add only with a list to put on; "new" only before a title.
    if matches!(
        lead.as_slice(),
        ["put" | "stick" | "throw" | "pop" | "include" | "insert" | "track" | "log"]
    ) && !tokens
        .iter()
        .any(|t| matches!(t.key.as_str(), "list" | "todo" | "tasks" | "down"))
    {
        return None;
    }
    if lead == ["must"] || (lead == ["need", "to"] && tokens.len() == len) {
        return None;
    }
    let body = &tokens[len..];
    if let Some(span) = dates::unreadable(body) {
        return Some(Intent::Unknown(clean_phrase(span_text(ctx.message, &body[span]))));
    }
    Some(Intent::Add(items(ctx, body)))
}

/// Words before the title of a task asked for without a verb: "a task to …", "new task: …",
/// "one more - …", "another one: …".
const NEW_WORDS: &[&str] = &[
    "a",
    "an",
    "one",
    "another",
    "new",
    "more",
    "1",
    "quick",
    "extra",
    "additional",
    "next",
    "small",
    "little",
];
const TASK_NOUNS: &[&str] = &["task", "todo", "to-do", "reminder", "item", "entry", "thing", "one"];
const GREETING: &[&str] = &[
    "hey", "hi", "ok", "okay", "so", "oh", "um", "also", "and", "plus", "right", "alright",
];

/// "a task to clean the fridge", "new task: water the plants", "one more - call the bank", "task
/// for tomorrow: renew insurance": a new task named without a verb. The lead says a task is
/// meant (a task noun, or "another"/"one more"), then a colon or dash, or "to"/"called", opens the
/// title; a date or priority in the lead counts.
pub(crate) fn verbless(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let mut start = 0;
    while tokens.get(start).is_some_and(|t| GREETING.contains(&t.key.as_str())) {
        start += 1;
    }
    let due = dates::find(&tokens[start..], ctx.now, ctx.timezone);
    let level = slots::priority(&tokens[start..]);
    let (mut noun, mut new) = (false, false);
    let mut at = start;
    let mut opened = false;
    while let Some(token) = tokens.get(at).filter(|t| !t.quoted) {
        let key = token.key.as_str();
        if TASK_NOUNS.contains(&key) && (key != "one" || new) {
            noun = true;
        } else if NEW_WORDS.contains(&key) {
            new |= !matches!(key, "a" | "an" | "one" | "1" | "quick" | "small" | "little");
        } else if !slots::covered(due.as_ref(), level.as_ref(), at - start) {
            break;
        }
        at += 1;
        if token.stop == Some(Stop::Colon) {
            opened = true;
            break;
        }
    }
    if !(noun || new) || at == start {
        return None;
    }
    let to_do =
        phrase_at(tokens, at, "to do").is_some() && tokens.get(at + 1).is_some_and(|t| t.stop == Some(Stop::Colon));
    let title_at = match tokens.get(at).map(|t| t.key.as_str()) {
        _ if opened => at,
        // "one more thing to do: …"
        Some("to") if to_do => at + 2,
        Some("to" | "called" | "named" | "titled") if noun => at + 1,
        Some(word) if new && is_task_verb(word) => at,
        _ => return None,
    };
    let body = &tokens[title_at..];
    let commandish = grammar::starts_command(body) || body.iter().any(|t| t.question);
    if body.is_empty() || commandish || refs_only(body) {
        return None;
    }
    let lead = &tokens[start..title_at];
    let lead_due = dates::find(lead, ctx.now, ctx.timezone).map(|found| found.at);
    let lead_level = slots::priority(lead).map(|(level, _)| level);
    let items: Vec<NewItem> = items(ctx, body)
        .into_iter()
        .map(|item| NewItem {
            due_at: item.due_at.or(lead_due),
            priority: item.priority.or(lead_level),
            ..item
        })
        .collect();
    (!items.is_empty()).then_some(Intent::Add(items))
}

/// "3", "#4": a task number, not a title.
fn refs_only(body: &[Token]) -> bool {
    body.iter()
        .all(|t| t.key.trim_start_matches('#').parse::<i64>().is_ok())
}

/// The new tasks a clause's object describes: "milk, eggs and bread" is three; "buy milk and
/// eggs" is one (the verb covers both); a date or priority applies to all of them.
pub(crate) fn items(ctx: Context<'_>, body: &[Token]) -> Vec<NewItem> {
    let due = dates::find(body, ctx.now, ctx.timezone);
    let level = slots::priority(body);
    let skip = |i: usize| slots::covered(due.as_ref(), level.as_ref(), i);
    let parts = split_items(body, &skip);
    let titles: Vec<String> = if parts.len() > 1 && !distributes(body, &parts) {
        parts
            .iter()
            .map(|part| slots::title(ctx.message, &body[part.clone()], &|i| skip(i + part.start)))
            .collect()
    } else {
        vec![slots::title(ctx.message, body, &skip)]
    };
    titles
        .into_iter()
        .filter(|title| !title.is_empty())
        .map(|title| NewItem {
            title,
            priority: level.as_ref().map(|(level, _)| *level),
            due_at: due.as_ref().map(|found| found.at),
            description: None,
        })
        .collect()
}

fn split_items(body: &[Token], skip: &dyn Fn(usize) -> bool) -> Vec<std::ops::Range<usize>> {
    if body.iter().any(|t| t.quoted) {
        return std::iter::once(0..body.len()).collect();
    }
    let mut parts = Vec::new();
    let mut start = 0;
    for i in 0..body.len() {
        let joiner = matches!(body[i].key.as_str(), "and" | "plus") && !skip(i);
        let comma = body[i].stop == Some(Stop::Comma) && i + 1 < body.len();
        if joiner {
            parts.push(start..i);
            start = i + 1;
        } else if comma {
            parts.push(start..i + 1);
            start = i + 1;
        }
    }
    parts.push(start..body.len());
    parts.retain(|part| (part.start..part.end).any(|i| !skip(i)));
    parts
}

/// "buy milk and eggs": the first part starts with a verb and a later one does not, so the verb
/// covers them all and it is one task.
fn distributes(body: &[Token], parts: &[std::ops::Range<usize>]) -> bool {
    let verb = |part: &std::ops::Range<usize>| {
        body[part.clone()]
            .iter()
            .find(|t| !matches!(t.key.as_str(), "also" | "then" | "and" | "plus" | "to"))
            .is_some_and(|t| is_task_verb(&t.key))
    };
    parts.first().is_some_and(verb) && parts.iter().skip(1).any(|part| !verb(part))
}

/// Verbs that open a task title ("buy", "call", …).
pub(crate) fn is_task_verb(word: &str) -> bool {
    matches!(
        word,
        "buy"
            | "call"
            | "email"
            | "pay"
            | "book"
            | "clean"
            | "fix"
            | "send"
            | "write"
            | "pick"
            | "get"
            | "take"
            | "walk"
            | "feed"
            | "water"
            | "read"
            | "finish"
            | "submit"
            | "schedule"
            | "renew"
            | "return"
            | "order"
            | "text"
            | "meet"
            | "visit"
            | "wash"
            | "do"
            | "make"
            | "go"
            | "check"
            | "print"
            | "sign"
            | "file"
            | "review"
            | "prepare"
            | "plan"
            | "cook"
            | "bake"
            | "mow"
            | "vacuum"
            | "sweep"
            | "mop"
            | "iron"
            | "fold"
            | "pack"
            | "unpack"
            | "post"
            | "mail"
            | "ring"
            | "phone"
            | "contact"
            | "cancel"
            | "collect"
            | "drop"
            | "bring"
            | "grab"
            | "practice"
            | "practise"
            | "study"
            | "learn"
            | "research"
            | "update"
            | "install"
            | "replace"
            | "repair"
            | "organize"
            | "organise"
            | "tidy"
            | "sort"
            | "change"
            | "apply"
            | "register"
            | "sell"
            | "donate"
            | "wrap"
            | "decorate"
            | "paint"
            | "hang"
            | "charge"
            | "refill"
            | "restock"
            | "ask"
            | "tell"
            | "remind"
            | "invite"
            | "thank"
            | "congratulate"
            | "confirm"
            | "arrange"
            | "empty"
            | "load"
            | "unload"
            | "run"
            | "see"
            | "watch"
            | "listen"
            | "try"
            | "start"
            | "set"
            | "backup"
            | "back"
            | "upload"
            | "download"
            | "shop"
            | "reply"
            | "respond"
            | "answer"
            | "follow"
            | "defrost"
            | "clear"
            | "throw"
            | "recycle"
            | "pickup"
            | "put"
    )
}
