//! Commands on existing tasks' state: completing ("mark X done", "X is done", "I took out the
//! trash"), reopening, and deleting ("get rid of X", "I don't need X anymore").

use super::{
    command::{Action, Change, Intent, Target},
    grammar::{COMPLETE, DELETE, REOPEN},
    lexicon::irregular_past,
    refs::target,
    slots::{ending_at, longest_at, phrase_at, strip_tail},
    text::{Token, clean_phrase, span_text},
    write::Context,
};

/// "mark X done", "check X off", "complete X", "X is done", "done with X"; and the reopening forms.
pub(crate) fn complete_or_reopen(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    const DONE: &[&str] = &[
        "as complete",
        "as completed",
        "as done",
        "as finished",
        "complete",
        "completed",
        "done",
        "finished",
        "off",
        "as checked",
        "checked",
        "as ticked",
        "ticked off",
        "checked off",
        "crossed off",
        "off the list",
        "off my list",
        "as done please",
        "done please",
    ];
    const UNDONE: &[&str] = &[
        "as not done",
        "as incomplete",
        "as pending",
        "as undone",
        "as open",
        "as unfinished",
        "as todo",
        "not done",
        "not done yet",
        "incomplete",
        "pending",
        "undone",
        "unfinished",
        "as not completed",
        "as not complete",
        "not completed",
        "as uncompleted",
    ];
    if let Some(len) = longest_at(tokens, 0, REOPEN) {
        return Some(Intent::Act(
            Action::Reopen,
            target(ctx.message, &tokens[len..]),
            Change::default(),
        ));
    }
    if phrase_at(tokens, 0, "mark").is_some() || phrase_at(tokens, 0, "set").is_some() {
        let rest = &tokens[1..];
        for i in 0..=rest.len() {
            if let Some(n) = longest_at(rest, i, UNDONE).filter(|n| i + n == rest.len()) {
                let _ = n;
                return Some(Intent::Act(
                    Action::Reopen,
                    target(ctx.message, &rest[..i]),
                    Change::default(),
                ));
            }
            // "mark the invoice as sent", "mark the bill as paid"
            let as_participle = i + 2 == rest.len()
                && rest[i].key == "as"
                && (irregular_past(&rest[i + 1].key).is_some() || rest[i + 1].key.ends_with("ed"))
                && !about_the_list(&rest[i + 1].key);
            if as_participle || longest_at(rest, i, DONE).is_some_and(|n| i + n == rest.len()) {
                return Some(Intent::Act(
                    Action::Complete,
                    target(ctx.message, &rest[..i]),
                    Change::default(),
                ));
            }
        }
        return None;
    }
    if let Some(len) = longest_at(tokens, 0, COMPLETE) {
        let lead = tokens[0].key.as_str();
        let mut rest = &tokens[len..];
        // "check", "tick", "cross" complete only with "off": "check the oil" is a title.
        let needs_off = matches!(lead, "check" | "tick" | "cross" | "strike") && len == 1;
        if let Some(n) = ending_at(rest, &["off", "off my list", "off the list", "as done", "too", "now"]) {
            rest = &rest[..rest.len() - n];
        } else if needs_off {
            return None;
        }
        let rest = rest.strip_prefix_key("with");
        return Some(Intent::Act(
            Action::Complete,
            target(ctx.message, rest),
            Change::default(),
        ));
    }
    statement(ctx, tokens)
}

trait StripKey {
    fn strip_prefix_key(&self, key: &str) -> &Self;
}

impl StripKey for [Token] {
    fn strip_prefix_key(&self, key: &str) -> &Self {
        match self.first() {
            Some(first) if first.key == key && self.len() > 1 => &self[1..],
            _ => self,
        }
    }
}

/// "the laundry is done", "dishes done", "I took out the trash", "X isn't done yet".
fn statement(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let n = tokens.len();
    for (tail, action) in [
        ("is not done yet", Action::Reopen),
        ("is not done", Action::Reopen),
        ("is not finished", Action::Reopen),
        ("is done", Action::Complete),
        ("are done", Action::Complete),
        ("is finished", Action::Complete),
        ("is complete", Action::Complete),
        ("is completed", Action::Complete),
        ("are finished", Action::Complete),
        ("is sorted", Action::Complete),
        ("is handled", Action::Complete),
        ("is taken care of", Action::Complete),
        ("is all done", Action::Complete),
        ("has been done", Action::Complete),
        ("done", Action::Complete),
        ("finished", Action::Complete),
        ("all done", Action::Complete),
    ] {
        let len = tail.split(' ').count();
        if n > len && phrase_at(tokens, n - len, tail).is_some() {
            let subject = &tokens[..n - len];
            // "X's done": the 's is "is".
            return Some(Intent::Act(action, target(ctx.message, subject), Change::default()));
        }
    }
    if let Some(last) = tokens.last()
        && n >= 2
        && tokens[n - 2].key.ends_with("'s")
        && matches!(last.key.as_str(), "done" | "finished" | "sorted")
    {
        return Some(Intent::Act(
            Action::Complete,
            target(ctx.message, &tokens[..n - 1]),
            Change::default(),
        ));
    }
    participle(ctx, tokens).or_else(|| past_tense(ctx, tokens))
}

/// "the car inspection is scheduled", "rent's paid": the subject and the participle together
/// name a task that is now done.
fn participle(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    if tokens.iter().any(|t| t.question) {
        return None;
    }
    let n = tokens.len();
    let mut end = n;
    while end > 0 && matches!(tokens[end - 1].key.as_str(), "now" | "already" | "finally" | "too") {
        end -= 1;
    }
    // "photos picked up": the particle belongs to the participle.
    let verb_at = match tokens.get(end.checked_sub(1)?)?.key.as_str() {
        "up" | "out" | "off" | "down" | "back" | "in" | "away" if end >= 2 => end - 2,
        _ => end - 1,
    };
    let last = &tokens[verb_at];
    // "the windows are clean": a few adjectives say a chore is done.
    let done_state = matches!(
        last.key.as_str(),
        "clean" | "tidy" | "ready" | "sorted" | "empty" | "done" | "finished"
    );
    let past = done_state || irregular_past(&last.key).is_some() || (last.key.ends_with("ed") && last.key.len() > 4);
    let linked = verb_at >= 2 && matches!(tokens[verb_at - 1].key.as_str(), "is" | "are" | "was" | "got" | "been");
    let possessive = verb_at >= 1 && tokens[verb_at - 1].key.ends_with("'s");
    // "dog food bought": a short clause ending in a participle ("I'm bored" is about the user).
    let about_someone = matches!(
        tokens[0].key.as_str(),
        "i" | "you" | "we" | "he" | "she" | "they" | "it" | "that" | "this"
    );
    let bare = (2..=5).contains(&end) && !about_someone;
    if !past || about_the_list(&last.key) || !(linked || possessive || bare) {
        return None;
    }
    let text = clean_phrase(span_text(ctx.message, &tokens[..end]));
    Some(Intent::Act(
        Action::Complete,
        Target::Statement(text),
        Change::default(),
    ))
}

/// "I took out the trash", "just called mom", "paid the rent": a task it closely matches is done.
fn past_tense(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    let mut start = 0;
    while tokens
        .get(start)
        .is_some_and(|t| matches!(t.key.as_str(), "i" | "just" | "already" | "finally" | "have" | "we"))
    {
        start += 1;
    }
    let verb = tokens.get(start)?;
    let past = irregular_past(&verb.key).is_some() || (verb.key.ends_with("ed") && verb.key.len() > 4);
    if !past || about_the_list(&verb.key) || tokens.len() - start < 2 {
        return None;
    }
    let text = clean_phrase(span_text(ctx.message, &tokens[start..]));
    Some(Intent::Act(
        Action::Complete,
        Target::Statement(text),
        Change::default(),
    ))
}

/// Past forms of talking about the list itself, or of a plan changing, are not news that a task is done.
fn about_the_list(verb: &str) -> bool {
    matches!(
        verb,
        "added"
            | "created"
            | "deleted"
            | "removed"
            | "changed"
            | "updated"
            | "renamed"
            | "moved"
            | "marked"
            | "wanted"
            | "needed"
            | "meant"
            | "forgot"
            | "forgotten"
            | "asked"
            | "mentioned"
            | "listed"
            | "postponed"
            | "rescheduled"
            | "cancelled"
            | "canceled"
            | "left"
            | "set"
            | "made"
    )
}

/// "delete X", "get rid of X", "X can go", "I don't need X anymore".
pub(crate) fn delete(ctx: Context<'_>, tokens: &[Token]) -> Option<Intent> {
    const FROM: &[&str] = &[
        "from my list",
        "from the list",
        "from my tasks",
        "from my todo list",
        "from my todos",
        "off my list",
        "off the list",
        "from list",
        "please",
        "too",
        "as well",
        "for good",
    ];
    let (len, rest) = if let Some(len) = longest_at(tokens, 0, DELETE) {
        (len, &tokens[len..])
    } else if let Some(len) = longest_at(
        tokens,
        0,
        &["i do not need", "i no longer need", "no need for", "no need to"],
    ) {
        let rest = &tokens[len..];
        let rest = match rest.last() {
            Some(last) if matches!(last.key.as_str(), "anymore" | "now") => &rest[..rest.len() - 1],
            _ if rest.len() > 1 && phrase_at(rest, rest.len() - 2, "any more").is_some() => &rest[..rest.len() - 2],
            _ => return None,
        };
        (len, rest)
    } else {
        return None;
    };
    let _ = len;
    let lead = tokens[0].key.as_str();
    // "drop off the parcel", "clear the gutters": a verb shared with titles needs a reference.
    if matches!(lead, "drop" | "clear" | "kill" | "bin" | "toss" | "dump" | "wipe") {
        let points = rest.first().is_some_and(|t| {
            matches!(
                t.key.as_str(),
                "it" | "that" | "task" | "tasks" | "them" | "those" | "all" | "everything" | "the"
            ) || t.key.starts_with('#')
        });
        if !points {
            return None;
        }
    }
    let rest = strip_tail(rest, FROM);
    Some(Intent::Act(
        Action::Delete,
        target(ctx.message, rest),
        Change::default(),
    ))
}
