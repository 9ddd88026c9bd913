//! Slots found by their spans: priority phrases, and the title that is what is left of a clause
//! once the date, the priority and the filler are taken out.

use std::ops::Range;

use super::{
    dates::Found,
    text::{Token, capitalise, clean_phrase, span_text},
};
use crate::tasks::model::Priority;

/// The phrase (in keys) at `at`, as its length in tokens; quoted words never match.
pub(crate) fn phrase_at(tokens: &[Token], at: usize, phrase: &str) -> Option<usize> {
    let mut len = 0;
    for want in phrase.split(' ') {
        let token = tokens.get(at + len)?;
        if token.quoted || token.key != want {
            return None;
        }
        len += 1;
    }
    Some(len)
}

/// The longest of `phrases` at `at`.
pub(crate) fn longest_at(tokens: &[Token], at: usize, phrases: &[&str]) -> Option<usize> {
    phrases.iter().filter_map(|phrase| phrase_at(tokens, at, phrase)).max()
}

/// The longest of `phrases` that ends `tokens` (leaving at least one token), as its length.
pub(crate) fn ending_at(tokens: &[Token], phrases: &[&str]) -> Option<usize> {
    phrases
        .iter()
        .filter_map(|phrase| {
            let n = phrase.split(' ').count();
            (tokens.len() > n && phrase_at(tokens, tokens.len() - n, phrase).is_some()).then_some(n)
        })
        .max()
}

/// `tokens` without any of `tails` at the end, repeatedly.
pub(crate) fn strip_tail<'t>(tokens: &'t [Token], tails: &[&str]) -> &'t [Token] {
    let mut tokens = tokens;
    while let Some(n) = ending_at(tokens, tails) {
        tokens = &tokens[..tokens.len() - n];
    }
    tokens
}

const PRIORITY_PHRASES: [(&str, Priority); 65] = [
    ("high priority", Priority::High),
    ("priority high", Priority::High),
    ("top priority", Priority::High),
    ("top priorities", Priority::High),
    ("priorities", Priority::High),
    ("highest priority", Priority::High),
    ("a priority", Priority::High),
    ("urgent", Priority::High),
    ("urgently", Priority::High),
    ("super urgent", Priority::High),
    ("very urgent", Priority::High),
    ("asap", Priority::High),
    ("as soon as possible", Priority::High),
    ("very important", Priority::High),
    ("really important", Priority::High),
    ("super important", Priority::High),
    ("important", Priority::High),
    ("a must", Priority::High),
    ("must do", Priority::High),
    ("must-do", Priority::High),
    ("critical", Priority::High),
    ("crucial", Priority::High),
    ("high", Priority::High),
    ("p1", Priority::High),
    ("priority 1", Priority::High),
    ("priority one", Priority::High),
    ("top of the list", Priority::High),
    ("low priority", Priority::Low),
    ("priority low", Priority::Low),
    ("lowest priority", Priority::Low),
    ("not a priority", Priority::Low),
    ("no rush", Priority::Low),
    ("no hurry", Priority::Low),
    ("not urgent", Priority::Low),
    ("not important", Priority::Low),
    ("not that important", Priority::Low),
    ("not very important", Priority::Low),
    ("not a big deal", Priority::Low),
    ("no big deal", Priority::Low),
    ("whenever", Priority::Low),
    ("whenever i can", Priority::Low),
    ("someday", Priority::Low),
    ("some day", Priority::Low),
    ("eventually", Priority::Low),
    ("when i can", Priority::Low),
    ("when i get a chance", Priority::Low),
    ("when i have time", Priority::Low),
    ("if i have time", Priority::Low),
    ("nice to have", Priority::Low),
    ("can wait", Priority::Low),
    ("could wait", Priority::Low),
    ("it can wait", Priority::Low),
    ("low", Priority::Low),
    ("p3", Priority::Low),
    ("priority 3", Priority::Low),
    ("less important", Priority::Low),
    ("medium priority", Priority::Medium),
    ("normal priority", Priority::Medium),
    ("priority medium", Priority::Medium),
    ("priority normal", Priority::Medium),
    ("medium", Priority::Medium),
    ("normal", Priority::Medium),
    ("p2", Priority::Medium),
    ("priority 2", Priority::Medium),
    ("regular priority", Priority::Medium),
];

/// Level words that are a priority only beside "priority" or as the whole value ("set it to high").
fn bare_level(phrase: &str) -> bool {
    matches!(phrase, "high" | "low" | "medium" | "normal" | "important")
}

/// The priority a clause states, and the spans that said it (with a lead such as "with" or "as").
pub(crate) fn priority(tokens: &[Token]) -> Option<(Priority, Vec<Range<usize>>)> {
    let mut found: Option<(Priority, Vec<Range<usize>>)> = None;
    let mut i = 0;
    while i < tokens.len() {
        let best = PRIORITY_PHRASES
            .iter()
            .filter_map(|(phrase, level)| phrase_at(tokens, i, phrase).map(|len| (len, *level, *phrase)))
            .max_by_key(|(len, ..)| *len);
        let Some((len, level, phrase)) = best else {
            i += 1;
            continue;
        };
        let next = tokens.get(i + len).map(|t| t.key.as_str());
        let whole = tokens.len() == len;
        let last = i + len == tokens.len() || tokens[i + len - 1].stop.is_some();
        let generic = matches!(
            next,
            Some("task" | "tasks" | "stuff" | "thing" | "things" | "items" | "ones" | "one" | "todos")
        );
        let accepted = if bare_level(phrase) {
            whole
                || (phrase == "important" && last && !follows_article(tokens, i))
                || matches!(next, Some("priority" | "prio" | "priorities"))
                || generic
        } else {
            // "urgent care", "critical path": a level word before a noun is part of the title,
            // unless it ends the clause or a comma follows.
            !matches!(phrase, "urgent" | "critical" | "crucial") || last || next.is_none() || generic
        };
        if !accepted {
            i += len;
            continue;
        }
        let mut start = i;
        if start > 0
            && matches!(tokens[start - 1].key.as_str(), "with" | "as" | "at" | "make" | "mark")
            && !tokens[start - 1].quoted
        {
            start -= 1;
        }
        let end = if matches!(next, Some("priority" | "prio")) {
            i + len + 1
        } else {
            i + len
        };
        let entry = found.get_or_insert((level, Vec::new()));
        entry.1.push(start..end);
        i = end;
    }
    found
}

fn follows_article(tokens: &[Token], i: usize) -> bool {
    i > 0 && matches!(tokens[i - 1].key.as_str(), "an" | "the" | "my" | "this" | "that")
}

/// Words that may sit around a date or priority without meaning anything of their own
/// ("it's a must", "and make it urgent", "by friday please").
pub(crate) fn is_glue(word: &str) -> bool {
    matches!(
        word,
        "it" | "is"
            | "its"
            | "that"
            | "this"
            | "a"
            | "the"
            | "very"
            | "really"
            | "super"
            | "pretty"
            | "quite"
            | "kinda"
            | "so"
            | "but"
            | "and"
            | "please"
            | "thanks"
            | "ok"
            | "should"
            | "be"
            | "one"
            | "make"
            | "keep"
            | "mark"
            | "as"
            | "with"
            | "set"
            | "definitely"
            | "totally"
            | "absolutely"
            | "though"
            | "also"
            | "just"
            | "oh"
            | "do"
            | "needs"
            | "need"
            | "to"
            | "due"
            | "done"
            | "by"
            | "put"
            | "thing"
            | "also,"
            | "then"
            | "though,"
            | "too"
            | "all"
            | "same"
            | "both"
            | "ideally"
            | "preferably"
            | "hopefully"
            | "maybe"
            | "perhaps"
            | "latest"
            | "would"
            | "nice"
    )
}

/// Whether the tokens only say a date and/or a priority: a modifier of a neighbouring command.
pub(crate) fn is_modifier(
    tokens: &[Token],
    due: Option<&Found>,
    level: Option<&(Priority, Vec<Range<usize>>)>,
) -> bool {
    if due.is_none() && level.is_none() {
        return false;
    }
    tokens
        .iter()
        .enumerate()
        .all(|(i, token)| covered(due, level, i) || (!token.quoted && is_glue(&token.key)))
}

/// Whether token `i` is part of the date or the priority found in a clause.
pub(crate) fn covered(due: Option<&Found>, level: Option<&(Priority, Vec<Range<usize>>)>, i: usize) -> bool {
    due.is_some_and(|found| found.covers(i))
        || level.is_some_and(|(_, spans)| spans.iter().any(|span| span.contains(&i)))
}

/// Words people put in front of a title that are not part of it ("a task to", "a reminder to").
#[rustfmt::skip]
const TITLE_LEADS: [&str; 47] = [
    "a new task to", "a new task", "new task", "a task to", "a task for", "a task called", "a task", "task to",
    "task", "a todo to", "a todo for", "a todo", "todo", "a reminder to", "a reminder for", "a reminder about",
    "a reminder", "reminder to", "an item", "item", "called", "named", "titled", "that says", "saying",
    "to remember to", "remember to", "remind me to", "do not forget to", "not forget to", "to", "really", "also",
    "definitely", "probably", "still", "quickly", "then", "and", "plus", "to my list to", "to the list to",
    "to my list", "to the list", "on my list to", "my list to", "the list to",
];

/// Words people put after a title that are not part of it.
#[rustfmt::skip]
const TITLE_TAILS: [&str; 16] = [
    "to my list", "to the list", "to my tasks", "to my todo list", "to my todo", "to my todos", "on my list",
    "on the list", "on my todo list", "in my list", "onto my list", "to the todo list", "for me", "down", "to do",
    "as a task",
];

/// Leading words that end nowhere when a date was cut out of the end ("call mom on").
const DANGLING: [&str; 16] = [
    "by", "on", "at", "for", "due", "before", "until", "till", "this", "next", "in", "and", "from", "around", "the",
    "also",
];

/// The title of an added task: the tokens not covered by `skip`, without leading filler and
/// dangling words, as typed. A quoted title is taken whole.
pub(crate) fn title(message: &str, tokens: &[Token], skip: &dyn Fn(usize) -> bool) -> String {
    if let Some(first) = tokens.iter().position(|t| t.quoted) {
        let last = tokens.iter().rposition(|t| t.quoted).unwrap_or(first);
        return capitalise(&clean_phrase(span_text(message, &tokens[first..=last])));
    }
    let mut keep: Vec<usize> = (0..tokens.len()).filter(|i| !skip(*i)).collect();
    let sub = |keep: &[usize]| keep.iter().map(|i| tokens[*i].clone()).collect::<Vec<_>>();
    loop {
        let words = sub(&keep);
        if let Some(len) = longest_at(&words, 0, &TITLE_LEADS) {
            keep.drain(..len);
            continue;
        }
        if let Some(len) = ending_at(&words, &TITLE_TAILS) {
            keep.truncate(keep.len() - len);
            continue;
        }
        // "call mom on [friday]": a lead left dangling by a date cut after it ("looked at" stays).
        let cut_after = keep.last().is_some_and(|last| last + 1 < tokens.len());
        if keep.len() > 1 && cut_after && words.last().is_some_and(|t| DANGLING.contains(&t.key.as_str())) {
            keep.pop();
            continue;
        }
        break;
    }
    // Consecutive runs are joined as typed; a gap (a date cut from the middle) becomes one space.
    let mut parts: Vec<String> = Vec::new();
    let mut run: Vec<Token> = Vec::new();
    for (k, i) in keep.iter().enumerate() {
        if k > 0 && keep[k - 1] + 1 != *i && !run.is_empty() {
            parts.push(span_text(message, &run).to_owned());
            run.clear();
        }
        // Pieces of one contraction share a span: take it once.
        if run.last().is_none_or(|last: &Token| last.start != tokens[*i].start) {
            run.push(tokens[*i].clone());
        }
    }
    if !run.is_empty() {
        parts.push(span_text(message, &run).to_owned());
    }
    let text = parts
        .iter()
        .map(|part| clean_phrase(part))
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    capitalise(&clean_phrase(&text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    fn level(text: &str) -> Option<Priority> {
        priority(&tokens(text)).map(|(level, _)| level)
    }

    #[test]
    fn priorities_are_read_from_phrases() {
        assert_eq!(level("call mom with high priority"), Some(Priority::High));
        assert_eq!(level("it's a must"), Some(Priority::High));
        assert_eq!(level("no rush"), Some(Priority::Low));
        assert_eq!(level("not urgent"), Some(Priority::Low));
        assert_eq!(level("book urgent care visit"), None);
        assert_eq!(level("read the high score"), None);
        assert_eq!(level("high"), Some(Priority::High));
    }

    #[test]
    fn titles_are_what_is_left() {
        let message = "a task to see Dr. Patel";
        let words = tokens(message);
        assert_eq!(title(message, &words, &|_| false), "See Dr. Patel");
        let message = "buy milk to my list";
        let words = tokens(message);
        assert_eq!(title(message, &words, &|_| false), "Buy milk");
        let message = "\"Call mom tonight\"";
        assert_eq!(title(message, &tokens(message), &|_| false), "Call mom tonight");
    }
}
