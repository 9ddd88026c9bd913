//! How a clause points at tasks: by number ("task 3", "#3, #4"), by position in the list the
//! engine showed ("the second one", "the first two"), as "it"/"them", as "all" or "everything
//! from yesterday", or by words of the titles (several: "laundry and dishes").

use super::{
    command::{Scope, Target},
    slots::longest_at,
    text::{Token, clean_phrase, number, span_text},
};

const ARTICLES: [&str; 7] = ["the", "my", "our", "a", "an", "that", "this"];
const NOUNS: [&str; 9] = [
    "task", "tasks", "one", "ones", "item", "items", "todo", "thing", "entry",
];

/// The tasks named by `tokens` (the words of a command after its verb).
pub(crate) fn target(message: &str, tokens: &[Token]) -> Target {
    let keys: Vec<&str> = tokens.iter().map(|t| t.key.as_str()).collect();
    let joined = keys.join(" ");
    if keys.is_empty()
        || matches!(
            joined.as_str(),
            "it" | "that"
                | "this"
                | "that one"
                | "this one"
                | "that task"
                | "this task"
                | "the task"
                | "it too"
                | "that too"
                | "the one"
                | "the same one"
                | "same one"
                | "the same"
        )
    {
        return Target::Last;
    }
    if matches!(
        joined.as_str(),
        "them"
            | "those"
            | "these"
            | "both"
            | "both of them"
            | "all of them"
            | "all of those"
            | "all these"
            | "all those"
            | "these ones"
            | "those ones"
            | "them all"
            | "each of them"
            | "the lot"
            | "both tasks"
            | "those tasks"
            | "these tasks"
            | "them both"
    ) {
        return Target::Them;
    }
    if let Some(all) = all_scope(&keys) {
        return Target::All(all);
    }
    if let Some(positions) = positions(&keys) {
        return positions;
    }
    if let Some(ids) = task_numbers(&keys) {
        return Target::Ids(ids);
    }
    Target::Words(phrases(message, tokens))
}

/// "all", "everything", "all my completed tasks", "everything from yesterday".
fn all_scope(keys: &[&str]) -> Option<Scope> {
    let mut scope = Scope::default();
    let mut saw_all = false;
    for (i, key) in keys.iter().enumerate() {
        match *key {
            "all" | "everything" | "every" | "each" => saw_all = true,
            "completed" | "done" | "finished" | "complete" => scope.status = Some(true),
            "pending" | "open" | "remaining" | "incomplete" | "unfinished" | "outstanding" => {
                scope.status = Some(false)
            }
            "yesterday" if i > 0 => scope.created_days_ago = Some(1),
            "today" if i > 0 => scope.created_days_ago = Some(0),
            "of" | "my" | "the" | "tasks" | "task" | "todos" | "items" | "from" | "i" | "added" | "made"
            | "created" | "on" | "list" | "things" | "stuff" | "one" | "ones" => {}
            _ => return None,
        }
    }
    saw_all.then_some(scope)
}

/// "the second one", "the first two", "the last one", "1st and 3rd".
fn positions(keys: &[&str]) -> Option<Target> {
    let words: Vec<&str> = keys
        .iter()
        .copied()
        .filter(|k| !ARTICLES.contains(k) && !NOUNS.contains(k) && *k != "and" && *k != "of")
        .collect();
    match words.as_slice() {
        ["last"] => return Some(Target::LastOf(1)),
        ["last", n] => {
            return number(n)
                .and_then(|n| usize::try_from(n).ok())
                .filter(|n| (1..=20).contains(n))
                .map(Target::LastOf);
        }
        ["first", n] | ["top", n] if ordinal(n).is_none() => {
            let n = usize::try_from(number(n)?).ok().filter(|n| (1..=20).contains(n))?;
            return Some(Target::Positions((1..=n).collect()));
        }
        _ => {}
    }
    let positions: Option<Vec<usize>> = words.iter().map(|w| ordinal(w)).collect();
    positions.filter(|p| !p.is_empty()).map(Target::Positions)
}

pub(crate) fn ordinal(word: &str) -> Option<usize> {
    let position = match word {
        "first" | "1st" | "top" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        "sixth" | "6th" => 6,
        "seventh" | "7th" => 7,
        "eighth" | "8th" => 8,
        "ninth" | "9th" => 9,
        "tenth" | "10th" => 10,
        _ => return None,
    };
    Some(position)
}

/// "task 3", "#3", "tasks 4 and 5", "3, 4 & 5", "number 3", "task four", "number twenty one":
/// task numbers, if that is all it says. Number words count only after a word that says a
/// number follows ("task", "number", "#"), so "the one" or "both" stay what they are.
fn task_numbers(keys: &[&str]) -> Option<Vec<i64>> {
    let mut ids: Vec<i64> = Vec::new();
    let mut announced = false;
    let mut tens_open = false;
    for key in keys {
        match *key {
            "task" | "tasks" | "number" | "numbers" | "no" | "num" | "ids" | "id" | "items" | "item" | "#" => {
                announced = true;
                tens_open = false;
            }
            "and" | "the" => tens_open = false,
            word => {
                let digits = word.trim_start_matches('#');
                if let Ok(id) = digits.parse::<i64>() {
                    ids.push(Some(id).filter(|id| *id > 0)?);
                    tens_open = false;
                    continue;
                }
                let value = number(word).filter(|_| announced && !matches!(word, "a" | "an"))?;
                match ids.last_mut() {
                    // "twenty one": the units complete the tens said just before.
                    Some(last) if tens_open && (1..10).contains(&value) => *last += value,
                    _ => ids.push(Some(value).filter(|id| *id > 0)?),
                }
                tens_open = value >= 20 && value % 10 == 0;
            }
        }
    }
    (!ids.is_empty()).then_some(ids)
}

/// The phrases naming tasks, split at "and", commas and "&", each as typed.
fn phrases(message: &str, tokens: &[Token]) -> Vec<String> {
    let mut phrases = Vec::new();
    let mut start = 0;
    for i in 0..=tokens.len() {
        let end = i == tokens.len();
        let joiner = !end && !tokens[i].quoted && matches!(tokens[i].key.as_str(), "and" | "plus" | "or");
        let comma_before = !end && i > start && tokens[i - 1].stop.is_some();
        if end || joiner || comma_before {
            let phrase = trim_phrase(&tokens[start..i]);
            let text = clean_phrase(span_text(message, phrase));
            if !text.is_empty() {
                phrases.push(text);
            }
            start = if joiner { i + 1 } else { i };
        }
    }
    phrases
}

/// Without articles in front, generic nouns at the end, or "the one about"/"called" leads.
fn trim_phrase(mut tokens: &[Token]) -> &[Token] {
    loop {
        if let Some(len) = longest_at(
            tokens,
            0,
            &[
                "the one about",
                "the one with",
                "the one for",
                "the task about",
                "the task called",
                "the one called",
                "the task named",
                "the one named",
                "called",
                "named",
                "titled",
                "about",
            ],
        )
        .filter(|len| *len < tokens.len())
        {
            tokens = &tokens[len..];
            continue;
        }
        match tokens.first() {
            Some(first) if tokens.len() > 1 && !first.quoted && ARTICLES.contains(&first.key.as_str()) => {
                tokens = &tokens[1..]
            }
            _ => break,
        }
    }
    while tokens.len() > 1
        && tokens
            .last()
            .is_some_and(|t| !t.quoted && NOUNS.contains(&t.key.as_str()))
    {
        tokens = &tokens[..tokens.len() - 1];
    }
    tokens
}

/// A short answer that picks from a list: "the second one", "2", "#7", "the last one", "both".
pub(crate) fn selection(message: &str, tokens: &[Token]) -> Option<Target> {
    let keys: Vec<&str> = tokens
        .iter()
        .map(|t| t.key.as_str())
        .filter(|w| {
            !matches!(
                *w,
                "i" | "mean" | "meant" | "please" | "go" | "with" | "pick" | "choose" | "take"
            )
        })
        .collect();
    if keys.len() == 1 && keys[0].chars().all(|c| c.is_ascii_digit()) {
        return keys[0].parse().ok().map(|n| Target::Positions(vec![n]));
    }
    match target(message, tokens) {
        target @ (Target::Positions(_) | Target::LastOf(_) | Target::Ids(_) | Target::Them) => Some(target),
        Target::All(scope) if scope == Scope::default() => Some(Target::Them),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    fn reference(text: &str) -> Target {
        target(text, &tokens(text))
    }

    #[test]
    fn numbers_pronouns_positions_and_words() {
        assert_eq!(reference("task 3"), Target::Ids(vec![3]));
        assert_eq!(reference("#4, #5 and task 6"), Target::Ids(vec![4, 5, 6]));
        assert_eq!(reference("task four"), Target::Ids(vec![4]));
        assert_eq!(reference("number twenty one"), Target::Ids(vec![21]));
        assert_eq!(reference("tasks two and eleven"), Target::Ids(vec![2, 11]));
        assert_eq!(reference("four"), Target::Words(vec!["four".into()]));
        assert_eq!(reference("it"), Target::Last);
        assert_eq!(reference("all of them"), Target::Them);
        assert_eq!(reference("the second one"), Target::Positions(vec![2]));
        assert_eq!(reference("the first two"), Target::Positions(vec![1, 2]));
        assert_eq!(reference("the last one"), Target::LastOf(1));
        assert_eq!(
            reference("everything from yesterday"),
            Target::All(Scope {
                status: None,
                created_days_ago: Some(1)
            })
        );
        assert_eq!(reference("the meeting task"), Target::Words(vec!["meeting".into()]));
        assert_eq!(
            reference("laundry and dishes"),
            Target::Words(vec!["laundry".into(), "dishes".into()])
        );
        assert_eq!(
            reference("the task called \"Pay rent\""),
            Target::Words(vec!["Pay rent".into()])
        );
    }

    #[test]
    fn answers_that_pick_from_a_list() {
        let pick = |text: &str| selection(text, &tokens(text));
        assert_eq!(pick("the second one"), Some(Target::Positions(vec![2])));
        assert_eq!(pick("2"), Some(Target::Positions(vec![2])));
        assert_eq!(pick("#7"), Some(Target::Ids(vec![7])));
        assert_eq!(pick("both"), Some(Target::Them));
        assert_eq!(pick("delete the report"), None);
    }
}
