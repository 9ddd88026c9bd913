//! Words of a message: the text as typed (kept for titles) beside a lower-case form for matching.

/// One whitespace-separated word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Token<'a> {
    /// As typed.
    pub raw: &'a str,
    /// Lower-case, without surrounding punctuation (a leading `#` and inner `:`/`-`/`'` are kept).
    pub word: String,
}

pub(super) fn tokens(text: &str) -> Vec<Token<'_>> {
    text.split_whitespace()
        .map(|raw| Token {
            raw,
            word: normalise(raw),
        })
        .collect()
}

fn normalise(raw: &str) -> String {
    let lower = raw.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'");
    lower
        .trim_matches(|c: char| !(c.is_alphanumeric() || c == '#'))
        .to_owned()
}

/// True when the words starting at `at` are exactly `phrase` (space-separated).
pub(super) fn starts_with(tokens: &[Token<'_>], at: usize, phrase: &str) -> bool {
    let words: Vec<&str> = phrase.split(' ').collect();
    tokens.len() >= at + words.len() && words.iter().zip(&tokens[at..]).all(|(want, token)| token.word == *want)
}

/// The first of `phrases` found at `at`, as its length in words.
pub(super) fn match_any(tokens: &[Token<'_>], at: usize, phrases: &[&str]) -> Option<usize> {
    phrases
        .iter()
        .find(|phrase| starts_with(tokens, at, phrase))
        .map(|phrase| phrase.split(' ').count())
}

/// The raw text of `tokens`, joined with single spaces.
pub(super) fn join_raw(tokens: &[Token<'_>]) -> String {
    tokens.iter().map(|t| t.raw).collect::<Vec<_>>().join(" ")
}

/// A word reduced for loose matching: "Buying" and "buy", "meetings" and "meeting" meet.
pub(super) fn stem(word: &str) -> String {
    let mut word = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    // Twice, so "meetings" → "meeting" → "meet".
    for _ in 0..2 {
        if let Some(base) = ["ing", "es", "s", "ed"].iter().find_map(|suffix| {
            word.strip_suffix(suffix)
                .filter(|base| base.chars().count() >= 3)
                .map(str::to_owned)
        }) {
            word = base;
        }
    }
    word
}

/// Number words small enough to say in a chat.
pub(super) fn number(word: &str) -> Option<i64> {
    let value = match word {
        "a" | "an" | "one" => 1,
        "two" => 2,
        "three" => 3,
        "four" => 4,
        "five" => 5,
        "six" => 6,
        "seven" => 7,
        "eight" => 8,
        "nine" => 9,
        "ten" => 10,
        _ => return word.parse().ok(),
    };
    Some(value)
}

/// Strips surrounding quotes, trailing sentence punctuation and spaces.
pub(super) fn clean_phrase(text: &str) -> String {
    let text = text.trim().trim_end_matches(['.', '!', '?', ',', ';']).trim();
    let quotes: &[char] = &['"', '\'', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}', '`'];
    let unquoted = text.trim_matches(quotes).trim();
    unquoted.to_owned()
}

/// Upper-cases the first letter: "buy milk" → "Buy milk".
pub(super) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_the_raw_text_and_match_on_words() {
        let tokens = tokens("Mark #3, as DONE!");
        assert_eq!(tokens[1].raw, "#3,");
        assert_eq!(tokens[1].word, "#3");
        assert!(starts_with(&tokens, 2, "as done"));
        assert_eq!(join_raw(&tokens[..2]), "Mark #3,");
    }

    #[test]
    fn stems_meet_across_forms() {
        assert_eq!(stem("Buying"), stem("buy"));
        assert_eq!(stem("meetings"), stem("meeting"));
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn phrases_lose_quotes_and_punctuation() {
        assert_eq!(clean_phrase(" 'Call mom tonight'. "), "Call mom tonight");
        assert_eq!(capitalise("éclair"), "Éclair");
    }
}
