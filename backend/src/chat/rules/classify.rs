//! From a message to scored commands: normalise, split into clauses, read each clause's intent
//! and slots, and fold clauses that are not commands on their own into their neighbour.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use super::{
    ask, change,
    clauses::{split, strip},
    command::{Action, Answer, Change, Command, Intent, NewItem, Small, Target},
    correct, dates, done,
    grammar::{ADD, COMPLETE, DELETE, QUERY, REOPEN, UNDO, UPDATE},
    refs::selection,
    remark::{self, Remark},
    slots::{self, longest_at, phrase_at},
    small::small_talk,
    text::{Token, clean_phrase, span_text, tokens},
    write::{self, Context},
};
use crate::tasks::model::Priority;

/// A clause that only states a date and/or a priority.
#[derive(Debug, Clone, Copy)]
struct Modifier {
    priority: Option<Priority>,
    due_at: Option<DateTime<Utc>>,
    time_only: bool,
}

enum Reading {
    Command(Command),
    Modifier(Modifier),
    Remark(Remark),
}

/// Reads a message as commands, in the order they were said. `awaiting` is true when the
/// previous reply asked a question, so short answers ("yes", "the second one", "friday") read
/// as answers.
pub(crate) fn understand(message: &str, now: DateTime<Utc>, timezone: Tz, awaiting: bool) -> Vec<Command> {
    let words = tokens(message);
    let ctx = Context { message, now, timezone };
    if !awaiting && let Some(intent) = correction(ctx, &words) {
        return vec![Command::new(intent, 0.9)];
    }
    let mut readings = Vec::new();
    for range in split(&words, now, timezone) {
        // Before filler goes: "one more - call the bank" asks for a task with "one more".
        if let Some(intent) = write::verbless(ctx, &words[range.clone()]) {
            readings.push(Reading::Command(Command::new(intent, 0.9)));
            continue;
        }
        let clause = &words[strip(&words, range)];
        if clause.is_empty() {
            continue;
        }
        let mut reading = read(ctx, clause, awaiting);
        if let Reading::Command(command) = &mut reading {
            command.asked = clause.iter().any(|t| t.question);
            let after_add = readings.iter().any(|reading| {
                matches!(
                    reading,
                    Reading::Command(Command {
                        intent: Intent::Add(_),
                        ..
                    })
                )
            });
            if remark::gives_reason(clause) || (remark::is_remark(clause) && remark::weak(command, clause, after_add)) {
                reading = Reading::Remark(remark::read(ctx, clause, command.clone()));
            }
        }
        readings.push(reading);
    }
    let mut commands = fold_modifiers(readings);
    // "oops, undo" is one undo.
    commands.dedup_by(|a, b| a.intent == Intent::Undo && b.intent == Intent::Undo);
    commands
}

/// "no wait, I meant 5"; "sorry, delete it instead" (the command said again).
fn correction(ctx: Context<'_>, words: &[Token]) -> Option<Intent> {
    match correct::read(ctx, words)? {
        correct::Correction::Target(target) => Some(Intent::Correct(target, None)),
        correct::Correction::Redo(range) => match by_lead(ctx, &words[range])? {
            Intent::Act(action, target, change) => Some(Intent::Correct(target, Some((action, change)))),
            _ => None,
        },
    }
}

/// Attaches each modifier and remark to the command before it (or, first in the message, after
/// it). Remarks with no command beside them are read as what they would be alone.
fn fold_modifiers(readings: Vec<Reading>) -> Vec<Command> {
    let any_command = readings.iter().any(|reading| matches!(reading, Reading::Command(_)));
    let mut commands: Vec<Command> = Vec::new();
    // Each with whether a remark said it.
    let mut waiting: Vec<(Modifier, bool)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for reading in readings {
        match reading {
            Reading::Remark(remark) if !any_command => commands.push(remark.otherwise),
            Reading::Remark(remark) => {
                let modifier = Modifier {
                    priority: remark.priority,
                    due_at: remark.due_at,
                    time_only: remark.time_only,
                };
                notes.extend(remark.note);
                match commands.last_mut() {
                    Some(command) => {
                        apply(command, modifier, true);
                        remark::describe(command, &mut notes);
                    }
                    None => waiting.push((modifier, true)),
                }
            }
            Reading::Modifier(modifier) => match commands.last_mut() {
                Some(command) => {
                    apply(command, modifier, false);
                }
                None => waiting.push((modifier, false)),
            },
            Reading::Command(mut command) => {
                for (modifier, remark) in waiting.drain(..) {
                    apply(&mut command, modifier, remark);
                }
                remark::describe(&mut command, &mut notes);
                commands.push(command);
            }
        }
    }
    if commands.is_empty() && !waiting.is_empty() {
        // A date or priority alone changes the task the conversation is about ("tomorrow at 5").
        let mut change = Change::default();
        for (modifier, _) in waiting {
            change.priority = change.priority.or(modifier.priority);
            if change.due_at.is_none() {
                change.due_at = modifier.due_at;
                change.time_only = modifier.time_only;
            }
        }
        commands.push(Command::new(Intent::Act(Action::Update, Target::Last, change), 0.6));
    }
    commands
}

/// Applies a modifier; a remark's date or priority only fills in a new task's.
fn apply(command: &mut Command, modifier: Modifier, remark: bool) -> bool {
    if remark && !matches!(command.intent, Intent::Add(_) | Intent::Offer(_)) {
        return false;
    }
    match &mut command.intent {
        Intent::Add(items) => {
            for item in items.iter_mut() {
                item.priority = item.priority.or(modifier.priority);
                item.due_at = item.due_at.or(modifier.due_at);
            }
            true
        }
        Intent::Offer(item) => {
            item.priority = item.priority.or(modifier.priority);
            item.due_at = item.due_at.or(modifier.due_at);
            true
        }
        Intent::Act(Action::Update, _, change) => {
            change.priority = change.priority.or(modifier.priority);
            if change.due_at.is_none() {
                change.due_at = modifier.due_at;
                change.time_only = modifier.time_only;
            }
            true
        }
        _ => false,
    }
}

fn read(ctx: Context<'_>, clause: &[Token], awaiting: bool) -> Reading {
    let due = dates::find(clause, ctx.now, ctx.timezone);
    let level = slots::priority(clause);
    let command = |intent, score| Reading::Command(Command::new(intent, score));
    if let Some(intent) = undo_or_repair(ctx, clause, awaiting) {
        return command(intent, 0.9);
    }
    if awaiting && let Some(answer) = answer(ctx, clause) {
        return command(Intent::Answer(answer), 0.95);
    }
    if let Some(small) = small_talk(clause) {
        return command(Intent::Small(small), 0.9);
    }
    if slots::is_modifier(clause, due.as_ref(), level.as_ref()) {
        return Reading::Modifier(Modifier {
            priority: level.map(|(level, _)| level),
            time_only: due.as_ref().is_some_and(|found| found.time_only),
            due_at: due.map(|found| found.at),
        });
    }
    match by_lead(ctx, clause) {
        Some(intent) => command(intent, 0.9),
        None => match statement(ctx, clause) {
            Some((intent, score)) => command(intent, score),
            None => command(fallback(ctx, clause, due.is_some() || level.is_some()), 0.6),
        },
    }
}

/// The grammar whose opening phrase is longest wins; ties go to the more specific intent.
fn by_lead(ctx: Context<'_>, clause: &[Token]) -> Option<Intent> {
    type Grammar = fn(Context<'_>, &[Token]) -> Option<Intent>;
    let grammars: [(&[&str], Grammar); 6] = [
        (REOPEN, done::complete_or_reopen),
        (COMPLETE, done::complete_or_reopen),
        (DELETE, done::delete),
        (ADD, write::add),
        (UPDATE, change::update),
        (QUERY, ask::query),
    ];
    let mut candidates: Vec<(usize, usize)> = grammars
        .iter()
        .enumerate()
        .filter_map(|(rank, (table, _))| longest_at(clause, 0, table).map(|len| (len, rank)))
        .collect();
    candidates.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    candidates
        .into_iter()
        .find_map(|(_, rank)| (grammars[rank].1)(ctx, clause))
}

/// Clauses without an opening command word: questions, "X is done", "I took out the trash",
/// "the report is due friday", "I don't need X anymore".
fn statement(ctx: Context<'_>, clause: &[Token]) -> Option<(Intent, f32)> {
    // "the trash is done" states; "is the trash done?" asks.
    let asks = clause.iter().any(|t| t.question) || longest_at(clause, 0, QUERY).is_some();
    if asks && let Some(intent) = ask::query(ctx, clause) {
        return Some((intent, 0.8));
    }
    if let Some(intent) = done::complete_or_reopen(ctx, clause) {
        let score = match &intent {
            Intent::Act(_, Target::Statement(_), _) => 0.6,
            _ => 0.8,
        };
        return Some((intent, score));
    }
    if let Some(intent) = ask::query(ctx, clause) {
        return Some((intent, 0.8));
    }
    done::delete(ctx, clause)
        .or_else(|| change::update(ctx, clause))
        .map(|intent| (intent, 0.7))
}

/// Nothing matched: a short task-like phrase is offered as a task, a question gets a friendly
/// "that's not something I know", anything else is not understood.
fn fallback(ctx: Context<'_>, clause: &[Token], has_slot: bool) -> Intent {
    let text = clean_phrase(span_text(ctx.message, clause));
    let question = clause.iter().any(|t| t.question)
        || longest_at(
            clause,
            0,
            &[
                "who", "what", "why", "where", "when", "how", "is", "are", "can", "do", "does", "will", "tell me",
            ],
        )
        .is_some();
    if question {
        return Intent::Small(Small::OffTopic);
    }
    let wordy = clause.iter().filter(|t| t.key.chars().any(char::is_alphabetic)).count();
    if (has_slot && wordy <= 8)
        || (wordy <= 4 && wordy > 0 && !clause.iter().any(|t| t.key.chars().all(|c| c.is_ascii_digit())))
    {
        let items = write::items(ctx, clause);
        if let [item] = items.as_slice() {
            return Intent::Offer(NewItem { ..item.clone() });
        }
    }
    Intent::Unknown(text)
}

/// "undo", "scratch that", "never mind"; "actually, make that thursday"; "no wait, the other one".
fn undo_or_repair(ctx: Context<'_>, clause: &[Token], awaiting: bool) -> Option<Intent> {
    if let Some(len) = longest_at(clause, 0, UNDO) {
        let rest: Vec<&str> = clause[len..].iter().map(|t| t.key.as_str()).collect();
        let plain = matches!(
            rest.as_slice(),
            [] | ["that"]
                | ["it"]
                | ["this"]
                | ["the", "last", "one"]
                | ["the", "last", "change"]
                | ["last", "change"]
                | ["please"]
                | ["that", "please"]
                | ["what", "you", "just", "did"]
                | ["that", "change"]
                | ["my", "last", "change"]
                | ["everything"]
                | ["the", "last", "thing"]
                | ["last", "one"]
        );
        if plain || longest_at(&clause[len..], 0, UNDO).is_some() {
            return Some(Intent::Undo);
        }
    }
    let marker = longest_at(clause, 0, &["no", "nope"]).unwrap_or(0);
    let rest = &clause[marker..];
    let keys: Vec<&str> = rest
        .iter()
        .map(|t| t.key.as_str())
        .filter(|k| !matches!(*k, "i" | "meant" | "mean" | "no"))
        .collect();
    if matches!(
        keys.as_slice(),
        ["the", "other", "one"]
            | ["other", "one"]
            | ["the", "other"]
            | ["the", "other", "task"]
            | ["not", "that", "one", "the", "other", "one"]
    ) {
        return Some(Intent::OtherOne);
    }
    if rest.is_empty() || marker == 0 {
        return None;
    }
    let due = dates::find(rest, ctx.now, ctx.timezone);
    let level = slots::priority(rest);
    if slots::is_modifier(rest, due.as_ref(), level.as_ref()) {
        let change = Change {
            priority: level.map(|(level, _)| level),
            time_only: due.as_ref().is_some_and(|found| found.time_only),
            due_at: due.map(|found| found.at),
            ..Change::default()
        };
        return Some(Intent::Act(Action::Update, Target::Last, change));
    }
    if awaiting && let Some(answer) = answer(ctx, rest) {
        return Some(Intent::Answer(answer));
    }
    by_lead(ctx, rest).or_else(|| statement(ctx, rest).map(|(intent, _)| intent))
}

/// A short reply to the engine's question.
fn answer(ctx: Context<'_>, clause: &[Token]) -> Option<Answer> {
    let phrase = clause.iter().map(|t| t.key.as_str()).collect::<Vec<_>>().join(" ");
    let yes = [
        "yes",
        "yes please",
        "sure",
        "go ahead",
        "do it",
        "confirm",
        "please do",
        "correct",
        "right",
        "y",
        "yes do it",
        "ok do it",
        "absolutely",
        "of course",
        "definitely",
        "yes delete them",
        "yes delete it",
        "that is right",
        "yes that one",
        "ok go ahead",
        "go for it",
        "yes go ahead",
        "affirmative",
        "ok",
    ];
    let no = [
        "no",
        "no thanks",
        "do not",
        "stop",
        "cancel",
        "n",
        "no do not",
        "never mind",
        "leave it",
        "keep them",
        "keep it",
        "no keep them",
        "nope",
        "forget it",
        "abort",
        "not now",
        "no way",
    ];
    if yes.contains(&phrase.as_str()) {
        return Some(Answer::Yes);
    }
    if no.contains(&phrase.as_str()) {
        return Some(Answer::No);
    }
    if let Some(target) = selection(ctx.message, clause) {
        return Some(Answer::Pick(target));
    }
    let due = dates::find(clause, ctx.now, ctx.timezone);
    if let Some(found) = due.filter(|found| slots::is_modifier(clause, Some(found), None)) {
        return Some(Answer::When(found.at));
    }
    // Words naming one of the offered tasks ("the quarterly one"), unless it is a command.
    let commandish = [ADD, COMPLETE, DELETE, UPDATE, QUERY, REOPEN]
        .iter()
        .any(|table| longest_at(clause, 0, table).is_some());
    let short = clause.len() <= 6;
    (!commandish && short && small_talk(clause).is_none() && phrase_at(clause, 0, "what").is_none()).then(|| {
        let text = clean_phrase(span_text(ctx.message, clause));
        Answer::Pick(Target::Words(vec![text]))
    })
}

#[cfg(test)]
#[path = "classify_tests.rs"]
mod tests;
