//! Which tasks a phrase means: each word the user said is scored against the title words (same
//! stem, a prefix, or a small typo), so "the milk thing" finds "Buy milk" and "the call with the
//! bank one" finds "Call the bank about the mortgage".

use serde_json::Value;

use super::{
    lexicon::{expansion, is_stop_word},
    text::{normalise, stem},
};

/// Lowest score for a phrase to name a task.
pub(crate) const MATCH: f32 = 0.6;
/// Lowest score for a statement ("I took out the trash") to name a task: stricter, as it has no
/// command word to go by.
pub(crate) const STATEMENT_MATCH: f32 = 0.75;

/// Content words of a text, stemmed.
pub(crate) fn stems(text: &str) -> Vec<String> {
    text.split_whitespace()
        .map(normalise)
        .flat_map(|word| {
            // "what's" and "thank-you" match as their parts.
            let parts: Vec<String> = match expansion(&word) {
                Some(words) => words.iter().map(|w| (*w).to_owned()).collect(),
                None => word.split(['-', '/', '_']).map(str::to_owned).collect(),
            };
            parts
        })
        .filter(|word| !is_stop_word(word) && word.chars().any(char::is_alphanumeric))
        .map(|word| stem(&word))
        .filter(|s| !s.is_empty())
        .collect()
}

/// The most telling word of `phrase` as the database can search it (the part of its longest
/// content word that its stem keeps: "groceries" → "grocer"), to narrow a lookup.
pub(crate) fn search_term(phrase: &str) -> Option<String> {
    phrase
        .split_whitespace()
        .map(normalise)
        .filter(|word| !is_stop_word(word) && expansion(word).is_none())
        .map(|word| {
            let stemmed = stem(&word);
            word.chars()
                .zip(stemmed.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect::<String>()
        })
        .filter(|prefix| prefix.chars().count() >= 3)
        .max_by_key(|prefix| prefix.chars().count())
}

fn word_score(wanted: &str, title_word: &str) -> f32 {
    if wanted == title_word {
        return 1.0;
    }
    let (short, long) = if wanted.len() <= title_word.len() {
        (wanted, title_word)
    } else {
        (title_word, wanted)
    };
    if short.chars().count() >= 3 && long.starts_with(short) {
        return 0.9;
    }
    // A typo keeps the first letter and about the length; only then is the edit distance worth computing.
    let close =
        short.len() >= 4 && long.len() - short.len() <= 2 && short.as_bytes().first() == long.as_bytes().first();
    if close {
        let similarity = strsim::normalized_damerau_levenshtein(wanted, title_word) as f32;
        if similarity >= 0.75 {
            return similarity * 0.9;
        }
    }
    0.0
}

/// How well `wanted` (stems of what the user said) names a title: the share of wanted words found,
/// and the share of the title's words that were asked for.
pub(crate) fn score(wanted: &[String], title: &str) -> (f32, f32) {
    let title = stems(title);
    if wanted.is_empty() || title.is_empty() {
        return (0.0, 0.0);
    }
    let found: f32 = wanted
        .iter()
        .map(|w| title.iter().map(|t| word_score(w, t)).fold(0.0, f32::max))
        .sum();
    let covered = title
        .iter()
        .filter(|t| wanted.iter().any(|w| word_score(w, t) > 0.0))
        .count();
    #[allow(clippy::cast_precision_loss, reason = "word counts are tiny")]
    let shares = (found / wanted.len() as f32, covered as f32 / title.len() as f32);
    shares
}

/// The tasks `phrase` names best, at least `floor`: one when it clearly names one, several when
/// they tie. `prefer` keeps pending (false) or completed (true) ones when both match.
pub(crate) fn best<'t>(phrase: &str, tasks: &'t [Value], floor: f32, prefer: Option<bool>) -> Vec<&'t Value> {
    let wanted = stems(phrase);
    let mut scored: Vec<(f32, f32, &Value)> = tasks
        .iter()
        .map(|task| {
            let (found, covered) = score(&wanted, task["title"].as_str().unwrap_or_default());
            (found, covered, task)
        })
        .filter(|(found, ..)| *found >= floor)
        .collect();
    if let Some(completed) = prefer {
        let preferred: Vec<_> = scored
            .iter()
            .filter(|(.., t)| t["completed"] == completed)
            .cloned()
            .collect();
        if !preferred.is_empty() {
            scored = preferred;
        }
    }
    let Some(top) = scored.iter().map(|(found, ..)| *found).reduce(f32::max) else {
        return Vec::new();
    };
    scored.retain(|(found, ..)| top - found < 0.15);
    // A title that is exactly what was said wins over longer ones that contain it.
    let exact: Vec<_> = scored
        .iter()
        .filter(|(found, covered, _)| *found >= 0.99 && *covered >= 0.99)
        .collect();
    if exact.len() == 1 {
        return vec![exact[0].2];
    }
    scored.into_iter().map(|(.., task)| task).collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn titles(phrase: &str, list: &[&str]) -> Vec<String> {
        let tasks: Vec<Value> = list
            .iter()
            .enumerate()
            .map(|(i, title)| json!({"id": i + 1, "title": title, "completed": false}))
            .collect();
        best(phrase, &tasks, MATCH, None)
            .into_iter()
            .map(|task| task["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    #[test]
    fn extra_words_typos_and_forms_still_find_the_task() {
        let list = [
            "Buy milk",
            "Call the bank about the mortgage",
            "Take out the trash",
            "Write quarterly report",
        ];
        assert_eq!(titles("the milk thing", &list), ["Buy milk"]);
        assert_eq!(
            titles("the call with the bank one", &list),
            ["Call the bank about the mortgage"]
        );
        assert_eq!(titles("took out the trash", &list), ["Take out the trash"]);
        assert_eq!(titles("quartely reprot", &list), ["Write quarterly report"]);
        assert!(titles("dentist", &list).is_empty());
    }

    #[test]
    fn lookups_are_narrowed_by_the_longest_word_as_searchable_text() {
        assert_eq!(search_term("the groceries thing").as_deref(), Some("grocer"));
        assert_eq!(search_term("took out the trash").as_deref(), Some("trash"));
        assert_eq!(search_term("it"), None);
    }

    #[test]
    fn ties_stay_ties_and_an_exact_title_wins() {
        let list = ["Write quarterly report", "Send report to Bo"];
        assert_eq!(titles("report", &list).len(), 2);
        let list = ["Buy milk", "Buy milk and bread"];
        assert_eq!(titles("buy milk", &list), ["Buy milk"]);
    }
}
