//! Normalisation: the words of a message as typed (kept for titles, by their byte span) beside a
//! lower-case form with contractions and text-speak expanded, and a key with small typos in
//! command words fixed. Everything after this reads `key` (or `word` for the user's own titles).

use super::lexicon::{self, expansion};

/// Punctuation that can close a word and so a clause.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    Comma,
    Colon,
    /// `.`, `!`, `?`, `;` or a line break.
    Sentence,
}

/// One word of the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    /// Byte range of the typed word in the message (the same for the pieces of a contraction).
    pub start: usize,
    pub end: usize,
    /// Lower-case, without surrounding punctuation (a leading `#` and inner `:`/`-`/`'`/`.` kept).
    pub word: String,
    /// `word` with a misspelt command word fixed ("complte" → "complete"); else `word`.
    pub key: String,
    /// Punctuation right after the word.
    pub stop: Option<Stop>,
    /// Inside quotes: part of a title, never a date or a command word.
    pub quoted: bool,
    /// The message asked a question here.
    pub question: bool,
}

const QUOTES: [char; 6] = ['"', '\u{201c}', '\u{201d}', '`', '\u{2018}', '\u{2019}'];
/// Words whose final `.` is not the end of a sentence.
const ABBREVIATIONS: [&str; 16] = [
    "dr", "mr", "mrs", "ms", "st", "vs", "prof", "jr", "sr", "no", "e.g", "i.e", "etc", "approx", "appt", "mt",
];

/// The message as tokens. Quotes open and close titles; `'` counts as a quote only at a word's edge.
pub(crate) fn tokens(message: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut quoted = false;
    for (start, raw) in words_with_offsets(message) {
        let end = start + raw.len();
        let core = raw.trim_end_matches(['.', ',', '!', '?', ';', ':']);
        let opens = !quoted && (raw.starts_with(QUOTES) || raw.starts_with('\''));
        quoted |= opens;
        let inside = quoted;
        let closes =
            core.chars().count() > usize::from(opens) && core.ends_with(|c: char| QUOTES.contains(&c) || c == '\'');
        if quoted && closes {
            quoted = false;
        }
        // A dash standing alone ("one more - call the bank") introduces what follows, like a colon.
        let dash = raw.chars().all(|c| matches!(c, '-' | '\u{2013}' | '\u{2014}'));
        let stop = if dash { Some(Stop::Colon) } else { stop_after(raw) };
        let question = raw.contains('?');
        let word = normalise(raw);
        if word.is_empty() {
            if let (Some(stop), Some(last)) = (stop, out.last_mut()) {
                let last: &mut Token = last;
                last.stop = last.stop.or(Some(stop));
                last.question |= question;
            }
            continue;
        }
        let stop = stop.filter(|stop| !(*stop == Stop::Sentence && ABBREVIATIONS.contains(&word.as_str())));
        let pieces: Vec<String> = if inside {
            vec![word.clone()]
        } else {
            expansion(&word).map_or_else(
                || vec![word.clone()],
                |words| words.iter().map(|w| (*w).to_owned()).collect(),
            )
        };
        let count = pieces.len();
        for (i, piece) in pieces.into_iter().enumerate() {
            let key = if inside {
                piece.clone()
            } else {
                lexicon::fix_typo(&piece).unwrap_or(&piece).to_owned()
            };
            out.push(Token {
                start,
                end,
                word: piece,
                key,
                stop: if i + 1 == count { stop } else { None },
                quoted: inside,
                question: question && i + 1 == count,
            });
        }
    }
    out
}

/// Whitespace-separated words with their byte offsets; a line break also ends a sentence.
fn words_with_offsets(message: &str) -> Vec<(usize, &str)> {
    let mut words = Vec::new();
    let mut start = None;
    for (i, c) in message.char_indices() {
        if c.is_whitespace() {
            if let Some(s) = start.take() {
                words.push((s, &message[s..i]));
            }
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(s) = start {
        words.push((s, &message[s..]));
    }
    words
}

fn stop_after(raw: &str) -> Option<Stop> {
    let core = raw.trim_end_matches(|c: char| QUOTES.contains(&c) || c == '\'' || c == ')');
    match core.chars().last()? {
        ',' => Some(Stop::Comma),
        ':' => Some(Stop::Colon),
        '.' | '!' | '?' | ';' => Some(Stop::Sentence),
        _ => None,
    }
}

/// Lower-case, curly apostrophes straightened, surrounding punctuation dropped.
pub(crate) fn normalise(raw: &str) -> String {
    let lower = raw.to_lowercase().replace(['\u{2019}', '\u{2018}'], "'");
    let trimmed = lower.trim_matches(|c: char| !(c.is_alphanumeric() || c == '#'));
    // "#" alone, or "#" trailing, carries nothing.
    trimmed.trim_end_matches('#').to_owned()
}

/// The text the user typed for `tokens` (from the first one's start to the last one's end).
pub(crate) fn span_text<'m>(message: &'m str, tokens: &[Token]) -> &'m str {
    match (tokens.first(), tokens.last()) {
        (Some(first), Some(last)) if first.start <= last.end => message.get(first.start..last.end).unwrap_or(""),
        _ => "",
    }
}

/// A word reduced for loose matching: "Buying" and "buy", "meetings" and "meeting" meet; a few
/// irregular past forms meet their verb ("took" → "take").
pub(crate) fn stem(word: &str) -> String {
    let word = word.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase();
    let word = lexicon::irregular_past(&word).map_or(word, str::to_owned);
    let word = word.strip_suffix("'s").map(str::to_owned).unwrap_or(word);
    let mut word = match word.strip_suffix("ies") {
        Some(base) if base.chars().count() >= 3 => format!("{base}y"),
        _ => word,
    };
    // Twice, so "meetings" → "meeting" → "meet".
    for _ in 0..2 {
        if let Some(base) = ["ing", "es", "s", "ed", "e"].iter().find_map(|suffix| {
            word.strip_suffix(suffix)
                .filter(|base| base.chars().count() >= 3)
                .map(str::to_owned)
        }) {
            word = base;
        }
    }
    word
}

/// Number words small enough to say in a chat ("four", "eleven", "twenty-one").
pub(crate) fn number(word: &str) -> Option<i64> {
    const UNITS: [&str; 20] = [
        "zero",
        "one",
        "two",
        "three",
        "four",
        "five",
        "six",
        "seven",
        "eight",
        "nine",
        "ten",
        "eleven",
        "twelve",
        "thirteen",
        "fourteen",
        "fifteen",
        "sixteen",
        "seventeen",
        "eighteen",
        "nineteen",
    ];
    const TENS: [&str; 8] = [
        "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety",
    ];
    let position = |table: &[&str], word: &str| {
        table
            .iter()
            .position(|w| *w == word)
            .and_then(|i| i64::try_from(i).ok())
    };
    if matches!(word, "a" | "an") {
        return Some(1);
    }
    if let Some(units) = position(&UNITS, word) {
        return Some(units);
    }
    if let Some(tens) = position(&TENS, word) {
        return Some(20 + tens * 10);
    }
    // "twenty-one"
    if let Some((tens, units)) = word.split_once('-')
        && let (Some(tens), Some(units)) = (position(&TENS, tens), position(&UNITS[1..10], units))
    {
        return Some(20 + tens * 10 + units + 1);
    }
    word.parse().ok()
}

/// Strips surrounding quotes, trailing sentence punctuation and spaces.
pub(crate) fn clean_phrase(text: &str) -> String {
    let trim = |text: &str| {
        text.trim()
            .trim_end_matches(['.', '!', '?', ',', ';', ':'])
            .trim()
            .to_owned()
    };
    let text = trim(text);
    let unquoted = text.trim_matches(|c: char| QUOTES.contains(&c) || c == '\'');
    trim(unquoted)
}

/// Upper-cases the first letter: "buy milk" → "Buy milk".
pub(crate) fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(text: &str) -> Vec<String> {
        tokens(text).into_iter().map(|t| t.key).collect()
    }

    #[test]
    fn words_are_normalised_and_keep_their_span() {
        let message = "Mark #3, as DONE!";
        let words = tokens(message);
        assert_eq!(keys(message), ["mark", "#3", "as", "done"]);
        assert_eq!(words[1].stop, Some(Stop::Comma));
        assert_eq!(span_text(message, &words[..2]), "Mark #3,");
        assert_eq!(words[3].stop, Some(Stop::Sentence));
    }

    #[test]
    fn contractions_text_speak_and_typos() {
        assert_eq!(keys("what's pending"), ["what", "is", "pending"]);
        assert_eq!(keys("pls remoev it tmrw"), ["please", "remove", "it", "tomorrow"]);
        assert_eq!(keys("complte task 3"), ["complete", "task", "3"]);
        assert_eq!(keys("u r gr8"), ["you", "are", "gr8"]);
    }

    #[test]
    fn quotes_keep_titles_whole_and_abbreviations_do_not_end_sentences() {
        let words = tokens("change task 1 to 'Call mom tonight'");
        assert!(words[4..].iter().all(|t| t.quoted), "{words:?}");
        assert!(!words[3].quoted);
        let words = tokens("see Dr. Patel tomorrow");
        assert_eq!(words[1].stop, None);
    }

    #[test]
    fn stems_meet_across_forms() {
        assert_eq!(stem("Buying"), stem("buy"));
        assert_eq!(stem("meetings"), stem("meeting"));
        assert_eq!(stem("took"), stem("take"));
        assert_eq!(stem("bus"), "bus");
    }

    #[test]
    fn phrases_lose_quotes_and_punctuation() {
        assert_eq!(clean_phrase(" 'Call mom tonight'. "), "Call mom tonight");
        assert_eq!(capitalise("éclair"), "Éclair");
    }
}
