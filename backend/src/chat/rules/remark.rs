//! Remarks beside a command: a reason, a comment or a reminder to oneself ("…, the sink is
//! leaking", "…, so I don't forget", "… because it's her birthday", "…, she likes tulips"). A
//! remark is a clause with a subject and a finite verb of its own, or one opened by a
//! subordinator; it is neither a command nor part of a task's title. A date or priority in it
//! still modifies the command ("…, before the 5th would be nice"); its other words become the new
//! task's description, unless they only hedge ("so I don't forget", "would be nice").

use chrono::{DateTime, Utc};

use super::{
    command::{Action, Command, Intent, Target},
    dates,
    lexicon::irregular_past,
    slots::{self, is_glue, longest_at},
    text::{Token, capitalise, clean_phrase, span_text},
    write::Context,
};
use crate::tasks::model::Priority;

/// Words that open a remark whatever follows them ("because of the leak", "in case it rains").
#[rustfmt::skip]
const REASONS: &[&str] = &[
    "because", "cause", "cuz", "coz", "cos", "although", "though", "even though", "whereas", "otherwise",
    "or else", "in case", "just in case", "so that", "seeing as", "given that", "now that", "would be nice",
    "would be good", "would be great", "would be ideal", "hopefully", "ideally", "fyi", "just saying",
    "no pressure",
];

/// Subordinators that open a remark only before a subject and verb: "before I forget" is a
/// remark, "before friday" a date.
#[rustfmt::skip]
const SUBORDINATORS: &[&str] = &[
    "since", "as", "so", "before", "after", "until", "till", "once", "when", "if", "unless", "while", "but",
];

/// Words that split a clause off before them even without a comma ("add X because …").
/// The subordinators among them split only where a subject and verb follow ("… as it runs out");
/// a condition said without a comma ("call mom when I get home") stays in the title.
#[rustfmt::skip]
pub(crate) const SPLITTERS: &[&str] = &[
    "because", "cause", "cuz", "coz", "cos", "although", "whereas", "since", "as", "before",
];

const PRONOUNS: &[&str] = &["i", "you", "he", "she", "it", "we", "they", "there"];

const DETERMINERS: &[&str] = &[
    "the", "my", "our", "his", "her", "their", "your", "its", "this", "that", "these", "those", "a", "an",
];

#[rustfmt::skip]
const AUXILIARIES: &[&str] = &[
    "is", "are", "was", "were", "am", "has", "have", "had", "will", "would", "can", "could", "should", "might",
    "may", "must", "does", "do", "did", "keeps", "needs", "wants", "seems", "looks", "gets", "got", "goes",
];

const OBJECTS: &[&str] = &["it", "them", "him", "her", "me", "us", "that", "this"];

/// Words that follow a verb rather than a noun: "makes a noise", "leaks again", "runs out".
#[rustfmt::skip]
const AFTER_VERB: &[&str] = &[
    "a", "an", "the", "my", "your", "again", "soon", "already", "really", "so", "too", "on", "at", "in", "out",
    "up", "down", "off", "every", "next", "this", "like", "funny", "weird", "bad", "badly", "all", "more", "less",
];

/// `-s` verbs that end a remark on their own ("the sink leaks").
#[rustfmt::skip]
const ALONE: &[&str] = &[
    "leaks", "drips", "works", "hurts", "smells", "squeaks", "rattles", "expires", "ends", "starts", "opens",
    "closes", "sucks", "helps", "matters", "counts", "breaks", "wobbles", "stinks",
];

/// Words of a remark that carry nothing worth keeping in a description.
#[rustfmt::skip]
const HEDGES: &[&str] = &[
    "i", "you", "we", "not", "do", "did", "does", "forget", "remember", "nice", "good", "great", "ideal", "ideally",
    "possible", "hopefully", "because", "cause", "so", "in", "case", "just", "would", "will", "could", "can",
    "fine", "work", "works", "sense", "make", "makes", "saying", "fyi", "no", "pressure", "me", "remind", "let",
    "lol", "haha", "ok", "okay", "right", "guess", "think", "suppose", "mean", "thought", "before", "if", "forgot",
    "there", "was", "were", "are", "have", "has", "had", "though", "anyway",
];

/// A remark beside a command ("…, it's her birthday"): its date and priority, what it says, and
/// what the clause would be if no command stands beside it.
#[derive(Debug, Clone)]
pub(crate) struct Remark {
    pub priority: Option<Priority>,
    pub due_at: Option<DateTime<Utc>>,
    pub time_only: bool,
    pub note: Option<String>,
    pub otherwise: Command,
}

/// A clause reads as a remark only where it says nothing surer: not a command with its own verb,
/// not "the laundry is done", not the user's own "I took out the trash". Right after a new task,
/// "the show is on saturday" tells about it rather than moving a task called "show".
pub(crate) fn weak(command: &Command, clause: &[Token], after_add: bool) -> bool {
    let first_person = clause
        .first()
        .is_some_and(|t| matches!(t.key.as_str(), "i" | "we" | "just"));
    match &command.intent {
        Intent::Offer(_) | Intent::Unknown(_) => true,
        Intent::Act(_, Target::Statement(_), _) => !first_person,
        Intent::Act(Action::Update, Target::Words(_), change) if after_add => change.title.is_none(),
        _ => command.score <= 0.6,
    }
}

/// The remark `clause`: a date in it still counts unless it is in the past ("since monday").
pub(crate) fn read(ctx: Context<'_>, clause: &[Token], otherwise: Command) -> Remark {
    let past = in_the_past(clause);
    let due = dates::find(clause, ctx.now, ctx.timezone)
        .filter(|_| !past)
        .filter(|found| {
            !found.spans.iter().any(|span| {
                let before = span.start.checked_sub(1).and_then(|i| clause.get(i));
                before.is_some_and(|t| matches!(t.key.as_str(), "since" | "last"))
                    || clause.get(span.end).is_some_and(|t| t.key == "ago")
            })
        });
    let level = slots::priority(clause);
    let skip = |i: usize| slots::covered(due.as_ref(), level.as_ref(), i);
    Remark {
        note: note(ctx.message, clause, &skip),
        priority: level.map(|(level, _)| level),
        time_only: due.as_ref().is_some_and(|found| found.time_only),
        due_at: due.map(|found| found.at),
        otherwise,
    }
}

/// Puts the remarks said so far into a new task's description; other commands have no place for them.
pub(crate) fn describe(command: &mut Command, notes: &mut Vec<String>) {
    if notes.is_empty() {
        return;
    }
    let items = match &mut command.intent {
        Intent::Add(items) => items.iter_mut().collect::<Vec<_>>(),
        Intent::Offer(item) => vec![item],
        _ => return notes.clear(),
    };
    let text = std::mem::take(notes).join(". ");
    for item in items {
        item.description = Some(match item.description.take() {
            Some(before) => format!("{before}. {text}"),
            None => text.clone(),
        });
    }
}

/// Whether `tokens` open with a reason ("because …"): never a command, whatever follows.
pub(crate) fn gives_reason(tokens: &[Token]) -> bool {
    !tokens.first().is_some_and(|t| t.quoted) && longest_at(tokens, 0, REASONS).is_some()
}

/// Whether `tokens` (a clause without its leading joiner) read as a remark, not a command.
pub(crate) fn is_remark(tokens: &[Token]) -> bool {
    if tokens.is_empty() || tokens[0].quoted {
        return false;
    }
    if gives_reason(tokens) {
        return true;
    }
    if let Some(len) = longest_at(tokens, 0, SUBORDINATORS) {
        return has_subject_and_verb(&tokens[len..]);
    }
    // "is that ok?", "would that work?": a question to the assistant about what it is doing.
    let asks_back = AUXILIARIES.contains(&tokens[0].key.as_str())
        && tokens
            .get(1)
            .is_some_and(|t| matches!(t.key.as_str(), "that" | "this" | "it"));
    asks_back || has_subject_and_verb(tokens)
}

/// A subject and a finite verb at the start: "she likes …", "it's …", "the sink is leaking",
/// "my car makes a noise", "Ana loves tulips".
fn has_subject_and_verb(tokens: &[Token]) -> bool {
    let key = |i: usize| tokens.get(i).map(|t| t.key.as_str());
    let Some(first) = key(0) else { return false };
    if PRONOUNS.contains(&first) {
        return key(1).is_some_and(|next| !matches!(next, "and" | "or" | "too" | "please"));
    }
    if matches!(first, "that" | "this") {
        return key(1).is_some_and(|next| AUXILIARIES.contains(&next));
    }
    // A noun phrase (a determiner and up to three words) or one word ("mom", "Ana"), then a verb;
    // after one bare word only an auxiliary counts ("mom is away", not "milk shakes").
    let phrase = DETERMINERS.contains(&first);
    let (start, longest) = if phrase { (1, 3) } else { (0, 1) };
    (start + 1..=start + longest)
        .any(|at| key(at).is_some_and(|verb| finite(verb, &tokens[at - 1].key, key(at + 1), phrase)))
}

/// Whether `word` after the subject's last word `head` is a finite verb. An `-s` form counts
/// after a singular noun phrase ("the sink leaks", not "the kids snacks") when what follows reads
/// as a verb's ("makes a noise", "leaks again") or it is a verb that ends a sentence on its own:
/// "the library books" is a noun compound.
fn finite(word: &str, head: &str, next: Option<&str>, phrase: bool) -> bool {
    if AUXILIARIES.contains(&word) || irregular_past(word).is_some() {
        return true;
    }
    let takes_object = next.is_some_and(|next| OBJECTS.contains(&next) || DETERMINERS.contains(&next));
    let inflected = (word.ends_with('s') && !word.ends_with("ss")) || word.ends_with("ed");
    if !phrase {
        // "mom loves that place": after one bare word, an inflected verb with its object.
        return inflected && takes_object && word.chars().count() > 3;
    }
    if next.is_some_and(|next| OBJECTS.contains(&next)) {
        return true;
    }
    let past = word.ends_with("ed") && word.chars().count() > 4;
    let present = word.ends_with('s') && !word.ends_with("ss") && word.chars().count() > 3 && !head.ends_with('s');
    let verb_follows = match next {
        Some(next) => AFTER_VERB.contains(&next),
        None => ALONE.contains(&word),
    };
    past || (present && verb_follows)
}

/// Whether a remark tells of the past ("Mia was sick today", "we ran out this morning"): a date
/// in it is when that happened, not when the task is due.
pub(crate) fn in_the_past(tokens: &[Token]) -> bool {
    tokens.iter().enumerate().any(|(i, token)| {
        let key = token.key.as_str();
        matches!(key, "was" | "were" | "had" | "did" | "ago" | "yesterday" | "last")
            || (i > 0 && irregular_past(key).is_some() && PRONOUNS.contains(&tokens[i - 1].key.as_str()))
            || (i > 0
                && key.ends_with("ed")
                && key.chars().count() > 4
                && PRONOUNS.contains(&tokens[i - 1].key.as_str()))
    })
}

/// What a remark says worth keeping as a task's description: the remark as typed, or nothing when
/// its words (outside the spans `skip` covers: a date, a priority) only hedge.
pub(crate) fn note(message: &str, tokens: &[Token], skip: &dyn Fn(usize) -> bool) -> Option<String> {
    let says_something = tokens.iter().enumerate().any(|(i, token)| {
        !skip(i)
            && !is_glue(&token.key)
            && !HEDGES.contains(&token.key.as_str())
            && !PRONOUNS.contains(&token.key.as_str())
    });
    says_something.then(|| capitalise(&clean_phrase(span_text(message, tokens))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::chat::rules::text::tokens;

    fn remark(text: &str) -> bool {
        is_remark(&tokens(text))
    }

    #[test]
    fn remarks_have_a_subject_and_verb_or_a_subordinator() {
        for text in [
            "the sink is leaking",
            "it's her birthday",
            "she likes tulips",
            "I don't forget",
            "because the car broke down",
            "before I forget",
            "my car makes a weird noise",
            "mom is away next week",
            "would be nice",
            "is that ok?",
        ] {
            assert!(remark(text), "{text}");
        }
        for text in [
            "eggs and bread",
            "the kids snacks",
            "the library books",
            "before friday",
            "take the dog out",
            "delete task 2",
            "the big red box",
        ] {
            assert!(!remark(text), "{text}");
        }
    }

    #[test]
    fn hedges_leave_no_note() {
        let words = tokens("so I don't forget");
        assert_eq!(note("so I don't forget", &words, &|_| false), None);
        let message = "the sink is leaking";
        assert_eq!(
            note(message, &tokens(message), &|_| false).as_deref(),
            Some("The sink is leaking")
        );
    }
}
