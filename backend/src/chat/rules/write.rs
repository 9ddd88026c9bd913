//! Adding tasks: the items of a clause, with dates and priorities taken out of the title.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    command::{Intent, NewItem},
    dates,
    grammar::ADD,
    slots::{self, longest_at},
    text::{Token, clean_phrase, span_text},
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
        let comma = body[i].stop == Some(crate::chat::rules::text::Stop::Comma) && i + 1 < body.len();
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
