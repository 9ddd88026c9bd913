//! The embedded engine (`LLM_PROVIDER=rules`): offline, deterministic and fast. A language
//! pipeline rather than a phrase list:
//!
//! 1. [`text`]: normalise (case, punctuation, contractions, text-speak) and fix small typos in
//!    command words, keeping each word's span so titles stay as typed;
//! 2. [`clauses`]: split into clauses where a new command starts, dropping filler and politeness;
//! 3. [`classify`]: read each clause's intent with a score and its slots by span ([`dates`],
//!    [`slots`]: the title is what is left); a clause that is not a command on its own modifies
//!    its neighbour and never becomes a task;
//! 4. [`session`], [`resolve`]: resolve references (numbers, positions in the list shown last,
//!    "it"/"them", "all", title words scored by overlap) against the [`dialogue`] state stored with
//!    the conversation;
//! 5. [`act`], [`listing`]: act through the same tools an LLM calls, asking one short question
//!    instead of guessing, confirming deletions of several tasks, and undoing on request.

mod act;
mod ask;
mod change;
mod classify;
mod clauses;
mod command;
mod correct;
mod dates;
mod dialogue;
mod done;
mod grammar;
mod lexicon;
mod listing;
mod refs;
mod remark;
mod reply;
mod resolve;
mod session;
mod slots;
mod small;
mod text;
mod write;

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use self::{
    command::{Command, Intent, THRESHOLD},
    dialogue::Dialogue,
    reply::{HELP, NOT_UNDERSTOOD, small_talk},
    session::Session,
};
use super::agent::{Agent, AgentError, Turn};

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RulesAgent;

impl Agent for RulesAgent {
    async fn run(&self, turn: &mut Turn<'_>) -> Result<(), AgentError> {
        let before = Dialogue::load(turn.dialogue);
        let commands = classify::understand(turn.message, turn.now, turn.timezone, before.pending.is_some());
        let mut session = Session::new(turn, before);
        let mut answers = Vec::new();
        let mut understood = false;
        for command in commands {
            let (answer, ok) = execute(&mut session, command).await;
            understood |= ok;
            answers.push(answer);
        }
        if !understood {
            answers.push(format!("{NOT_UNDERSTOOD} {HELP}"));
            answers.retain(|answer| !answer.is_empty());
        }
        let state = session.finish().to_value();
        turn.remember(state);
        for piece in reply::chunks(&answers.join("\n\n")) {
            turn.say(&piece);
        }
        Ok(())
    }
}

/// What one command did, in words, and whether it was understood at all.
async fn execute(session: &mut Session<'_, '_>, command: Command) -> (String, bool) {
    if command.score < THRESHOLD {
        return (String::new(), false);
    }
    let answer = match command.intent {
        Intent::Add(items) => act::add(session, items).await,
        Intent::Offer(item) => match session.before.pending.clone() {
            Some(dialogue::Pending::Title { priority, due_at }) => {
                let item = command::NewItem {
                    priority: item.priority.or(priority),
                    due_at: item.due_at.or(due_at),
                    ..item
                };
                act::add(session, vec![item]).await
            }
            _ => act::offer(session, item),
        },
        Intent::Query(query) => listing::list(session, query).await,
        Intent::Status(target) => listing::status(session, target).await,
        Intent::Act(action, target, change) => act::act(session, action, target, change, command.asked).await,
        Intent::Undo => act::undo(session).await,
        Intent::Answer(answer) => act::answer(session, answer).await,
        Intent::OtherOne => act::other_one(session).await,
        Intent::Correct(target, redo) => correct::correct(session, target, redo).await,
        Intent::Small(small) => small_talk(small),
        Intent::Unknown(text) if text.is_empty() => return (String::new(), false),
        Intent::Unknown(text) => return (format!("I didn't understand \"{text}\"."), false),
    };
    (answer, true)
}

/// The engine's reading of a message, without acting: what the benchmark measures and the
/// fuzz test throws text at. `dialogue` is the stored state (`{}` for a new conversation).
#[doc(hidden)]
pub fn decide(message: &str, now: DateTime<Utc>, timezone: Tz, dialogue: &Value) -> usize {
    let before = Dialogue::load(dialogue);
    classify::understand(message, now, timezone, before.pending.is_some()).len()
}

/// Scores `phrase` against every title, as a lookup by words does over the user's tasks.
#[doc(hidden)]
pub fn match_titles(phrase: &str, tasks: &[Value]) -> usize {
    resolve::best(phrase, tasks, resolve::MATCH, None).len()
}

#[cfg(test)]
mod fuzz_tests;
