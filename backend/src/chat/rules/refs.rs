//! How a message points at a task: by number ("task 3", "#3"), as "it"/"that" (the task the
//! conversation last touched), or by words of its title ("the meeting task"); and how an answer
//! to "which one?" picks from a list ("the second one", "#7").

use super::text::{Token, clean_phrase, join_raw, number};

#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum TaskRef {
    Id(i64),
    /// "it", "that": the task the conversation last touched.
    Last,
    /// Words of the title, as the user said them.
    Words(String),
}

/// An answer to "which one did you mean?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Selection {
    /// 1-based position in the list the question showed.
    Position(usize),
    /// The last in that list.
    LastOne,
    Id(i64),
}

const ARTICLES: [&str; 5] = ["the", "my", "our", "a", "an"];
const PRONOUNS: [&str; 8] = [
    "it",
    "that",
    "this",
    "that one",
    "this one",
    "that task",
    "this task",
    "the task",
];
const NOUNS: [&str; 6] = ["task", "tasks", "one", "item", "todo", "to-do"];

/// The task named by `words` (the part of a command after its verb).
pub(super) fn task_ref(words: &[Token<'_>]) -> TaskRef {
    let phrase: Vec<&str> = words.iter().map(|t| t.word.as_str()).collect();
    let joined = phrase.join(" ");
    if phrase.is_empty() || PRONOUNS.contains(&joined.as_str()) {
        return TaskRef::Last;
    }
    if let Some(id) = task_number(&phrase) {
        return TaskRef::Id(id);
    }
    let mut start = 0;
    while start < words.len() && ARTICLES.contains(&words[start].word.as_str()) {
        start += 1;
    }
    let mut end = words.len();
    while end > start && NOUNS.contains(&words[end - 1].word.as_str()) {
        end -= 1;
    }
    // "the task called X", "the one about X"
    for lead in ["called", "named", "titled", "about"] {
        if let Some(at) = words[start..end].iter().position(|t| t.word == lead) {
            start += at + 1;
        }
    }
    let text = clean_phrase(&join_raw(&words[start..end]));
    if text.is_empty() {
        TaskRef::Last
    } else {
        TaskRef::Words(text)
    }
}

/// "task 3", "task #3", "task number 3", "#3", "number 3", "no. 3", "3".
fn task_number(phrase: &[&str]) -> Option<i64> {
    let rest: Vec<&str> = phrase
        .iter()
        .copied()
        .skip_while(|w| ARTICLES.contains(w) || NOUNS.contains(w))
        .collect();
    let rest = match rest.as_slice() {
        ["number" | "no" | "num", after @ ..] => after,
        all => all,
    };
    match rest {
        [id] => id.trim_start_matches('#').parse().ok().filter(|id| *id > 0),
        _ => None,
    }
}

/// "4 and 5", "#4, #5 and #6", "task 4 and task 5": several task numbers, if that is all `words` says.
pub(super) fn task_numbers(words: &str) -> Option<Vec<i64>> {
    let normalised = words.replace(',', " and ");
    let ids: Option<Vec<i64>> = normalised
        .split(" and ")
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| task_number(&part.to_lowercase().split_whitespace().collect::<Vec<_>>()))
        .collect();
    ids.filter(|ids| ids.len() > 1)
}

/// An answer that picks from a list, if the whole message is one.
pub(super) fn selection(words: &[Token<'_>]) -> Option<Selection> {
    let phrase: Vec<&str> = words
        .iter()
        .map(|t| t.word.as_str())
        .filter(|w| !matches!(*w, "the" | "one" | "task" | "please" | "i" | "mean" | "meant"))
        .collect();
    match phrase.as_slice() {
        ["last"] => Some(Selection::LastOne),
        [word] => ordinal(word).map(Selection::Position).or_else(|| {
            let id = word.strip_prefix('#').unwrap_or(word).parse().ok()?;
            Some(if word.starts_with('#') {
                Selection::Id(id)
            } else {
                Selection::Position(id as usize)
            })
        }),
        ["number" | "no", id] => id.parse().ok().map(Selection::Id),
        _ => None,
    }
}

fn ordinal(word: &str) -> Option<usize> {
    let position = match word {
        "first" | "1st" => 1,
        "second" | "2nd" => 2,
        "third" | "3rd" => 3,
        "fourth" | "4th" => 4,
        "fifth" | "5th" => 5,
        _ => {
            return number(word)
                .filter(|n| (1..=5).contains(n) && !word.chars().all(|c| c.is_ascii_digit()))
                .map(|n| n as usize);
        }
    };
    Some(position)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    fn reference(text: &str) -> TaskRef {
        task_ref(&tokens(text))
    }

    #[test]
    fn numbers_pronouns_and_titles() {
        assert_eq!(reference("task 3"), TaskRef::Id(3));
        assert_eq!(reference("#12"), TaskRef::Id(12));
        assert_eq!(reference("task number 4"), TaskRef::Id(4));
        assert_eq!(reference("it"), TaskRef::Last);
        assert_eq!(reference("that one"), TaskRef::Last);
        assert_eq!(reference("the meeting task"), TaskRef::Words("meeting".into()));
        assert_eq!(
            reference("the task called \"Pay rent\""),
            TaskRef::Words("Pay rent".into())
        );
        assert_eq!(reference("buying milk"), TaskRef::Words("buying milk".into()));
        assert_eq!(task_numbers("#4, #5 and task 6"), Some(vec![4, 5, 6]));
        assert_eq!(task_numbers("milk and eggs"), None);
    }

    #[test]
    fn answers_that_pick_from_a_list() {
        let pick = |text: &str| selection(&tokens(text));
        assert_eq!(pick("the second one"), Some(Selection::Position(2)));
        assert_eq!(pick("first"), Some(Selection::Position(1)));
        assert_eq!(pick("2"), Some(Selection::Position(2)));
        assert_eq!(pick("#7"), Some(Selection::Id(7)));
        assert_eq!(pick("the last one"), Some(Selection::LastOne));
        assert_eq!(pick("delete the report"), None);
    }
}
