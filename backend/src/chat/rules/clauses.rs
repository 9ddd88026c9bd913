//! Splitting a message into clauses. Sentences always split; inside one, a comma or "and"/"then"
//! splits only where a new command starts or a bare modifier follows ("…, no rush"), so lists of
//! items or targets stay together. Filler and politeness around a clause are dropped here.

use std::ops::Range;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    dates,
    grammar::starts_command,
    lexicon::{LEADING_FILLER, TRAILING_FILLER},
    remark,
    slots::{self, ending_at, longest_at},
    text::{Stop, Token},
};

const JOINERS: [&str; 6] = ["and", "then", "also", "plus", "but", "so"];

/// Clause ranges over `tokens`, in order, each without its leading joiner.
pub(crate) fn split(tokens: &[Token], now: DateTime<Utc>, timezone: Tz) -> Vec<Range<usize>> {
    let mut clauses = Vec::new();
    let mut start = 0;
    for i in 0..tokens.len() {
        let sentence_end = tokens[i].stop == Some(Stop::Sentence) || i + 1 == tokens.len();
        if sentence_end {
            split_sentence(tokens, start..i + 1, now, timezone, &mut clauses);
            start = i + 1;
        }
    }
    clauses.retain(|clause| !clause.is_empty());
    clauses
}

fn split_sentence(
    tokens: &[Token],
    sentence: Range<usize>,
    now: DateTime<Utc>,
    timezone: Tz,
    out: &mut Vec<Range<usize>>,
) {
    let mut start = sentence.start;
    for i in sentence.start + 1..sentence.end {
        let after_comma = matches!(tokens[i - 1].stop, Some(Stop::Comma | Stop::Colon));
        let joiner = !tokens[i].quoted && JOINERS.contains(&tokens[i].key.as_str());
        // "add flowers because it's her birthday": a reason splits off without a comma.
        let reason = !tokens[i].quoted && remark::SPLITTERS.contains(&tokens[i].key.as_str());
        if !(after_comma || joiner || reason) || i <= start || filler_only(&tokens[start..i]) {
            continue;
        }
        let right_end = (i + 1..sentence.end)
            .find(|k| {
                matches!(tokens[k - 1].stop, Some(Stop::Comma))
                    || (JOINERS.contains(&tokens[*k].key.as_str()) && !tokens[*k].quoted)
            })
            .unwrap_or(sentence.end);
        let right = strip(tokens, i..right_end);
        let rest = strip(tokens, i..sentence.end);
        if right.is_empty() {
            continue;
        }
        let modifier = {
            let words = &tokens[right.clone()];
            let due = dates::find(words, now, timezone);
            let level = slots::priority(words);
            slots::is_modifier(words, due.as_ref(), level.as_ref())
        };
        if modifier || starts_command(&tokens[rest.clone()]) || remark::is_remark(&tokens[right]) {
            out.push(start..i);
            start = i;
        }
    }
    out.push(start..sentence.end);
}

/// Whether the words are all filler ("ok so", "hey,"): nothing to split off.
fn filler_only(words: &[Token]) -> bool {
    let mut at = 0;
    while at < words.len() {
        match longest_at(words, at, LEADING_FILLER) {
            Some(len) => at += len,
            None => return false,
        }
    }
    true
}

/// The clause without filler and politeness at either end ("ok so can you …", "… for me please").
pub(crate) fn strip(tokens: &[Token], clause: Range<usize>) -> Range<usize> {
    let (mut start, mut end) = (clause.start, clause.end);
    loop {
        let words = &tokens[start..end];
        match longest_at(words, 0, LEADING_FILLER) {
            // A greeting or "ok" that is the whole clause is what the user said, not filler.
            Some(len) if len < words.len() => start += len,
            _ => break,
        }
    }
    while let Some(n) = ending_at(&tokens[start..end], TRAILING_FILLER) {
        end -= n;
    }
    start..end
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;
    use crate::chat::rules::text::{span_text, tokens};

    fn pieces(message: &str) -> Vec<String> {
        let words = tokens(message);
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).single().expect("valid");
        split(&words, now, Tz::UTC)
            .into_iter()
            .map(|range| span_text(message, &words[strip(&words, range)]).to_owned())
            .collect()
    }

    #[test]
    fn commands_split_and_lists_stay_together() {
        assert_eq!(pieces("add milk, eggs and bread"), ["add milk, eggs and bread"]);
        assert_eq!(
            pieces("add milk and eggs, then mark task 1 done"),
            ["add milk and eggs,", "mark task 1 done"]
        );
        assert_eq!(
            pieces("Delete task 1. Show my tasks"),
            ["Delete task 1.", "Show my tasks"]
        );
        assert_eq!(
            pieces("add call the plumber, it's a must"),
            ["add call the plumber,", "it's a must"]
        );
        assert_eq!(pieces("done with laundry and dishes"), ["done with laundry and dishes"]);
    }

    #[test]
    fn filler_is_dropped() {
        assert_eq!(pieces("ok so can you add milk for me please"), ["add milk"]);
        assert_eq!(pieces("hey, quick one: add milk"), ["add milk"]);
        assert_eq!(pieces("hello"), ["hello"]);
    }
}
