//! Corrections right after a change: "no wait, I meant 5", "sorry, not that one — task 5",
//! "oops, the other one, 5", "I meant the dentist one". The change the last turn made is reverted
//! through the undo journal (the same path as "undo") and the same action is applied to the task
//! meant, and the reply says both.

use std::ops::Range;

use super::{
    act,
    command::{Action, Answer, Change, Target},
    dates,
    grammar::{ADD, COMPLETE, DELETE, QUERY, REOPEN, UNDO, UPDATE},
    refs::target,
    session::Session,
    slots::{self, longest_at, phrase_at},
    text::{Token, number},
    write::Context,
};

/// Words that say the last action hit the wrong task. The weak ones ("no", "actually") correct
/// only when a task number follows; the strong ones also before words or a position.
#[rustfmt::skip]
const STRONG: &[&str] = &[
    "no wait", "wait", "hold on", "hang on", "sorry", "oops", "whoops", "my bad", "my mistake", "wrong one",
    "wrong task", "that is wrong", "that was wrong", "that is the wrong one", "that was the wrong one",
    "not that one", "not that task", "not that", "the other one", "other one", "i meant", "i mean", "meant",
    "i wanted", "instead", "no no",
];

#[rustfmt::skip]
const WEAK: &[&str] = &[
    "no", "nope", "nah", "oh", "ah", "hmm", "actually", "i said", "ugh", "argh", "damn", "dang", "oh no", "er", "erm",
    "uh", "um", "oh wait",
];

/// Words around the task meant that say nothing either way.
#[rustfmt::skip]
const NEUTRAL: &[&str] = &[
    "please", "but", "then", "it is", "it was", "it should be", "should be", "the one", "task", "number",
];

/// How sure a run of words at the start or end of a message is that it corrects.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Marker {
    Neutral,
    Weak,
    Strong,
}

fn marker_at(tokens: &[Token], at: usize) -> Option<(usize, Marker)> {
    [
        (STRONG, Marker::Strong),
        (WEAK, Marker::Weak),
        (NEUTRAL, Marker::Neutral),
    ]
    .into_iter()
    .filter_map(|(table, marker)| longest_at(tokens, at, table).map(|len| (len, marker)))
    .chain(not_a_number(tokens, at).map(|len| (len, Marker::Strong)))
    .max_by_key(|(len, marker)| (*len, *marker))
}

/// "… instead", "…, not 3", "… please" ending the message at `at`.
fn trailing_at(tokens: &[Token], at: usize) -> Option<(usize, Marker)> {
    let ends = |len: usize| at + len == tokens.len();
    if not_a_number(tokens, at).is_some_and(ends) {
        return Some((at, Marker::Strong));
    }
    longest_at(tokens, at, &["instead", "please", "sorry", "then", "i think"]).filter(|len| ends(*len))?;
    let marker = if tokens[at].key == "instead" {
        Marker::Strong
    } else {
        Marker::Neutral
    };
    Some((at, marker))
}

/// What a correction says was meant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Correction {
    /// The same action, on this task: "no wait, I meant 5".
    Target(Target),
    /// A command said again, in these tokens: "no wait, complete task 6 instead".
    Redo(Range<usize>),
}

/// The correction the whole message is, if it is one.
pub(crate) fn read(ctx: Context<'_>, tokens: &[Token]) -> Option<Correction> {
    let mut sure = Marker::Neutral;
    let mut start = 0;
    while let Some((len, marker)) = marker_at(tokens, start) {
        sure = sure.max(marker);
        start += len;
    }
    let mut end = tokens.len();
    while let Some((at, marker)) = (start + 1..end).find_map(|at| trailing_at(&tokens[..end], at)) {
        sure = sure.max(marker);
        end = at;
    }
    let rest = &tokens[start..end];
    if sure == Marker::Neutral || rest.is_empty() || tokens.iter().any(|t| t.question) {
        return None;
    }
    // "delete task 5 too" adds to what was done; "sorry, delete task 5 instead" replaces it.
    let adds = rest.iter().any(|t| matches!(t.key.as_str(), "too" | "also" | "both"))
        || (0..rest.len()).any(|at| phrase_at(rest, at, "as well").is_some());
    let redo = [COMPLETE, DELETE, UPDATE, REOPEN]
        .iter()
        .any(|table| longest_at(rest, 0, table).is_some());
    if redo && !adds && sure == Marker::Strong {
        return Some(Correction::Redo(start..end));
    }
    if rest.len() > 6 {
        return None;
    }
    if let [only] = rest
        && let Some(n) = number(&only.key).filter(|n| *n > 0 && !matches!(only.key.as_str(), "a" | "an"))
    {
        return Some(Correction::Target(Target::Ids(vec![n])));
    }
    // "oops, undo that", "sorry, saturday": an undo, or a new date for the task.
    let commands = [ADD, COMPLETE, DELETE, UPDATE, QUERY, REOPEN, UNDO];
    let says_more = dates::find(rest, ctx.now, ctx.timezone).is_some() || slots::priority(rest).is_some();
    if says_more || commands.iter().any(|table| longest_at(rest, 0, table).is_some()) {
        return None;
    }
    match target(ctx.message, rest) {
        target @ Target::Ids(_) => Some(Correction::Target(target)),
        target @ (Target::Positions(_) | Target::LastOf(_) | Target::Words(_)) if sure == Marker::Strong => {
            Some(Correction::Target(target))
        }
        _ => None,
    }
}

/// "not 3", "not task 3", "not #3": the wrong task named, as its length in tokens.
fn not_a_number(tokens: &[Token], at: usize) -> Option<usize> {
    if tokens.get(at)?.key != "not" {
        return None;
    }
    let lead = usize::from(
        tokens
            .get(at + 1)
            .is_some_and(|t| matches!(t.key.as_str(), "task" | "number" | "#")),
    );
    let word = &tokens.get(at + 1 + lead)?.key;
    number(word.trim_start_matches('#')).filter(|_| !matches!(word.as_str(), "a" | "an"))?;
    Some(2 + lead)
}

/// Reverts the last turn's change and applies its action (or the one said again, `redo`) to
/// `target` instead.
pub(crate) async fn correct(session: &mut Session<'_, '_>, target: Target, redo: Option<(Action, Change)>) -> String {
    let Some(done) = session.before.done.clone() else {
        // Nothing just changed to correct: a command is carried out, a task is what the user is
        // talking about now.
        return match redo {
            Some((action, change)) => act::act(session, action, target, change, false).await,
            None => act::answer(session, Answer::Pick(target)).await,
        };
    };
    let (action, change) = redo.clone().unwrap_or((done.action, done.change.clone()));
    let ids = match session.resolve(action, &target).await {
        Ok(resolved) => resolved.ids,
        Err(unresolved) => return unresolved.reply,
    };
    if ids == done.ids && action == done.action {
        if redo.is_some() {
            // "sorry, make it saturday": a new value for the same task, on top of the last one.
            return act::apply_all(session, action, &ids, &change).await;
        }
        session.state.touched = ids;
        return "That's the task I just changed, so I left it as it is.".into();
    }
    let undone = match act::revert(session).await {
        Ok(undone) => undone,
        Err(problem) => return format!("I couldn't take back my last change ({problem}), so I did nothing else."),
    };
    let redone = act::apply_all(session, action, &ids, &change).await;
    format!("Sorry about that. {undone}\n{redone}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    fn correction(text: &str) -> Option<Target> {
        match meant(text)? {
            Correction::Target(target) => Some(target),
            Correction::Redo(_) => None,
        }
    }

    fn meant(text: &str) -> Option<Correction> {
        let now = chrono::Utc::now();
        let ctx = Context {
            message: text,
            now,
            timezone: chrono_tz::Tz::UTC,
        };
        read(ctx, &tokens(text))
    }

    #[test]
    fn corrections_name_the_task_meant() {
        for text in [
            "no wait, I meant 5",
            "sorry, not that one — task 5",
            "oops, the other one, 5",
            "I meant task five",
            "not 3, 5",
            "wrong one, it's #5",
            "5, not 3",
            "no, 5 instead",
        ] {
            assert_eq!(correction(text), Some(Target::Ids(vec![5])), "{text}");
        }
        assert_eq!(
            correction("sorry, I meant the dentist one"),
            Some(Target::Words(vec!["dentist".into()]))
        );
        assert_eq!(meant("no wait, complete task 6 instead"), Some(Correction::Redo(2..5)));
        assert_eq!(meant("oops, delete task 5 too"), None);
    }

    #[test]
    fn other_messages_are_not_corrections() {
        for text in [
            "no",
            "oops",
            "no wait, the other one",
            "no, make it friday",
            "actually, delete task 5",
            "no, the dentist",
            "task 5",
            "5",
            "undo",
            "is task 5 done?",
            "the fridge can wait",
            "oops, undo",
            "wait no, undo that",
            "no wait, scratch that",
            "sorry, saturday",
            "wait, that was wrong, undo",
        ] {
            assert_eq!(correction(text), None, "{text}");
        }
    }
}
