//! One turn of the engine at work: the tools it calls, the task list it looked up (once), and
//! the dialogue state it started from and leaves behind.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{
    command::{Action, Scope, Target},
    dates,
    dialogue::{Dialogue, Done, Pending},
    reply::{Clock, WHICH_TASK, which_one},
    resolve::{self, MATCH, STATEMENT_MATCH},
    write::is_task_verb,
};
use crate::chat::{
    agent::Turn,
    tools::{LIST_TASKS, UNDO},
};

pub(crate) struct Session<'t, 'a> {
    pub turn: &'t mut Turn<'a>,
    pub clock: Clock,
    /// As the previous turn left it.
    pub before: Dialogue,
    /// What this turn will leave.
    pub state: Dialogue,
    /// What this turn already did to which task ("it's scheduled, tick it off" acts once).
    pub acted: Vec<(Action, i64)>,
    tasks: Option<Vec<Value>>,
    /// Tool calls this turn that change tasks, and how many of them `state.done` covers.
    writes: usize,
    done_writes: usize,
}

/// Why a target could not become tasks: the sentence to say, and a question to remember.
pub(crate) struct Unresolved {
    pub reply: String,
    pub pending: Option<Pending>,
}

impl Unresolved {
    pub(crate) fn say(reply: impl Into<String>) -> Self {
        Self {
            reply: reply.into(),
            pending: None,
        }
    }
}

/// The tasks a target resolved to (ids, and the task objects when a lookup found them).
pub(crate) struct Resolved {
    pub ids: Vec<i64>,
    /// Candidates the words matched, when the engine picked among several (for "the other one").
    pub candidates: Vec<i64>,
}

impl<'t, 'a> Session<'t, 'a> {
    pub(crate) fn new(turn: &'t mut Turn<'a>, before: Dialogue) -> Self {
        let clock = Clock {
            now: turn.now,
            timezone: turn.timezone,
        };
        let state = Dialogue {
            shown: before.shown.clone(),
            touched: before.touched.clone(),
            pending: None,
            choice: None,
            done: None,
        };
        Self {
            turn,
            clock,
            before,
            state,
            acted: Vec::new(),
            tasks: None,
            writes: 0,
            done_writes: 0,
        }
    }

    /// Remembers `done` as what this turn changed, if the calls since `writes_before` are all it
    /// changed by the end of the turn (see [`Session::finish`]).
    pub(crate) fn record(&mut self, done: Done, writes_before: usize) {
        self.done_writes = self.writes - writes_before;
        self.state.done = Some(done);
    }

    pub(crate) fn writes(&self) -> usize {
        self.writes
    }

    /// The state to store: a recorded change is kept only if it was all the turn changed, so
    /// correcting it through the undo journal reverts exactly that.
    pub(crate) fn finish(mut self) -> Dialogue {
        if self.writes != self.done_writes {
            self.state.done = None;
        }
        self.state
    }

    pub(crate) async fn call(&mut self, tool: &str, arguments: Value) -> Value {
        if tool != LIST_TASKS {
            self.tasks = None;
            self.writes += 1;
        }
        self.turn.call_tool(tool, arguments).await
    }

    /// Every task of the user, looked up once per turn (again after a change).
    pub(crate) async fn tasks(&mut self) -> Result<Vec<Value>, Unresolved> {
        if let Some(tasks) = &self.tasks {
            return Ok(tasks.clone());
        }
        let result = self.turn.call_tool(LIST_TASKS, json!({ "status": "all" })).await;
        match result.as_array() {
            Some(tasks) => {
                self.tasks = Some(tasks.clone());
                Ok(tasks.clone())
            }
            None => Err(Unresolved::say(format!(
                "I couldn't look up your tasks: {}.",
                result["error"].as_str().unwrap_or("unknown error")
            ))),
        }
    }

    /// The tasks to look for `phrase` among: those the database finds by its most telling word
    /// (a small result for a user with many tasks), or every task when that finds none close
    /// enough (a typo, or a word form the search misses).
    pub(crate) async fn tasks_for(&mut self, phrase: &str, floor: f32) -> Result<Vec<Value>, Unresolved> {
        if let Some(tasks) = &self.tasks {
            return Ok(tasks.clone());
        }
        if let Some(term) = resolve::search_term(phrase) {
            let result = self
                .turn
                .call_tool(LIST_TASKS, json!({ "status": "all", "q": term }))
                .await;
            if let Some(narrowed) = result.as_array()
                && !resolve::best(phrase, narrowed, floor, None).is_empty()
            {
                return Ok(narrowed.clone());
            }
        }
        self.tasks().await
    }

    /// `at`'s time of day on the day task `id` is already due, if it has a due date: "make it
    /// 11am" moves the time, not the day.
    pub(crate) async fn keep_day(&mut self, id: i64, at: DateTime<Utc>) -> DateTime<Utc> {
        let tasks = self.tasks().await.unwrap_or_default();
        let current = tasks
            .iter()
            .find(|task| task["id"] == id)
            .and_then(|task| task["due_at"].as_str())
            .and_then(|raw| raw.parse::<DateTime<Utc>>().ok());
        let Some(current) = current else { return at };
        let zone = self.clock.timezone;
        let day = current.with_timezone(&zone).date_naive();
        dates::local_to_utc(day, at.with_timezone(&zone).time(), zone).unwrap_or(at)
    }

    /// Reverts the latest changing turn through the `undo` tool.
    pub(crate) async fn undo(&mut self) -> Value {
        self.call(UNDO, json!({})).await
    }

    /// The ids `target` means for `action`.
    pub(crate) async fn resolve(&mut self, action: Action, target: &Target) -> Result<Resolved, Unresolved> {
        let plain = |ids: Vec<i64>| {
            Ok(Resolved {
                ids,
                candidates: Vec::new(),
            })
        };
        match target {
            Target::Ids(ids) => plain(ids.clone()),
            Target::Positions(positions) => {
                let shown = &self.before.shown;
                if shown.is_empty() {
                    return Err(Unresolved::say(
                        "Which list do you mean? Say \"show my tasks\" and pick from it.",
                    ));
                }
                match positions
                    .iter()
                    .map(|p| p.checked_sub(1).and_then(|i| shown.get(i)).copied())
                    .collect()
                {
                    Some(ids) => plain(ids),
                    None => Err(Unresolved::say(format!(
                        "The list I showed has {} task{}; which one do you mean?",
                        shown.len(),
                        if shown.len() == 1 { "" } else { "s" }
                    ))),
                }
            }
            Target::LastOf(n) => {
                let shown = &self.before.shown;
                if shown.is_empty() && *n == 1 {
                    return self.last();
                }
                if shown.is_empty() {
                    return Err(Unresolved::say(WHICH_TASK));
                }
                plain(shown[shown.len().saturating_sub(*n)..].to_vec())
            }
            Target::Last => self.last(),
            Target::Them => {
                let ids = if self.before.shown.is_empty() {
                    self.state.touched.clone()
                } else {
                    self.before.shown.clone()
                };
                if ids.is_empty() {
                    return Err(Unresolved::say(WHICH_TASK));
                }
                plain(ids)
            }
            Target::All(scope) => self.all(action, *scope).await,
            Target::Words(phrases) => self.by_words(action, phrases).await,
            Target::Statement(text) => {
                let tasks = self.tasks_for(text, STATEMENT_MATCH).await?;
                let pending = |found: Vec<&Value>| -> Vec<i64> {
                    found
                        .iter()
                        .filter(|task| task["completed"] == false)
                        .filter_map(|task| task["id"].as_i64())
                        .collect()
                };
                let mut found = pending(resolve::best(text, &tasks, STATEMENT_MATCH, Some(false)));
                if found.is_empty() {
                    // "I bought the milk" and a task titled "Milk": without the verb, but only for
                    // titles that have none ("Email the bank" is not done by calling it).
                    let object = text.split_once(' ').map_or("", |(_, rest)| rest);
                    let verbless: Vec<Value> = tasks
                        .iter()
                        .filter(|task| {
                            let title = task["title"].as_str().unwrap_or_default();
                            !title
                                .split_whitespace()
                                .next()
                                .is_some_and(|w| is_task_verb(&w.to_lowercase()))
                        })
                        .cloned()
                        .collect();
                    found = pending(resolve::best(object, &verbless, STATEMENT_MATCH, Some(false)));
                }
                match found.as_slice() {
                    [] => Err(Unresolved::say(format!(
                        "I couldn't find a pending task like \"{text}\", so I left your list as it is."
                    ))),
                    [_] => plain(found),
                    _ => Err(self.ask_which(action, text, &tasks, &found)),
                }
            }
        }
    }

    fn last(&self) -> Result<Resolved, Unresolved> {
        match self.state.touched.as_slice() {
            [] => Err(Unresolved::say(WHICH_TASK)),
            ids => Ok(Resolved {
                ids: ids.to_vec(),
                candidates: Vec::new(),
            }),
        }
    }

    async fn all(&mut self, action: Action, scope: Scope) -> Result<Resolved, Unresolved> {
        let tasks = self.tasks().await?;
        let status = scope.status.or(action.prefers_completed());
        let today = self.clock.now.with_timezone(&self.clock.timezone).date_naive();
        let ids: Vec<i64> = tasks
            .iter()
            .filter(|task| status.is_none_or(|completed| task["completed"] == completed))
            .filter(|task| {
                scope.created_days_ago.is_none_or(|days| {
                    let created = task["created_at"]
                        .as_str()
                        .and_then(|raw| raw.parse::<chrono::DateTime<chrono::Utc>>().ok());
                    created.is_some_and(|at| {
                        let day = at.with_timezone(&self.clock.timezone).date_naive();
                        today.checked_sub_days(chrono::Days::new(u64::from(days))) == Some(day)
                    })
                })
            })
            .filter_map(|task| task["id"].as_i64())
            .collect();
        if ids.is_empty() {
            return Err(Unresolved::say("There are no tasks like that on your list."));
        }
        Ok(Resolved {
            ids,
            candidates: Vec::new(),
        })
    }

    async fn by_words(&mut self, action: Action, phrases: &[String]) -> Result<Resolved, Unresolved> {
        let joined = phrases.join(" ");
        let tasks = if phrases.len() == 1 {
            self.tasks_for(&joined, MATCH).await?
        } else {
            self.tasks().await?
        };
        let prefer = action.prefers_completed();
        // "salt and pepper" may be one task's title: the whole phrase first.
        if phrases.len() > 1 {
            let whole = phrases.join(" and ");
            if let [only] = resolve::best(&whole, &tasks, 0.99, prefer).as_slice() {
                return Ok(Resolved {
                    ids: only["id"].as_i64().into_iter().collect(),
                    candidates: Vec::new(),
                });
            }
        }
        let mut ids = Vec::new();
        let mut candidates = Vec::new();
        // "the presentation, yay": a phrase of no content words names nothing.
        let phrases: Vec<&String> = phrases.iter().filter(|p| !resolve::stems(p).is_empty()).collect();
        if phrases.is_empty() {
            return Err(Unresolved::say(super::reply::WHICH_TASK));
        }
        for phrase in phrases.iter().copied() {
            let found: Vec<i64> = resolve::best(phrase, &tasks, MATCH, prefer)
                .iter()
                .filter_map(|task| task["id"].as_i64())
                .collect();
            match found.as_slice() {
                [] => {
                    return Err(Unresolved::say(format!(
                        "I couldn't find a task matching \"{phrase}\". Say \"show my tasks\" to see them all."
                    )));
                }
                [id] => ids.push(*id),
                _ if phrases.len() == 1 => return Err(self.ask_which(action, phrase, &tasks, &found)),
                several => {
                    candidates.extend_from_slice(several);
                    return Err(self.ask_which(action, phrase, &tasks, several));
                }
            }
        }
        ids.dedup();
        Ok(Resolved { ids, candidates })
    }

    /// "I found 2 tasks matching …: 1. … 2. … Which one should I …?", remembered as a question.
    fn ask_which(&mut self, action: Action, phrase: &str, tasks: &[Value], ids: &[i64]) -> Unresolved {
        let listed: Vec<Value> = ids
            .iter()
            .filter_map(|id| tasks.iter().find(|task| task["id"] == *id).cloned())
            .collect();
        self.state.shown = ids.to_vec();
        Unresolved {
            reply: which_one(phrase, &listed, action.verb(), &self.clock),
            pending: Some(Pending::Choose {
                action,
                change: Default::default(),
                candidates: ids.to_vec(),
            }),
        }
    }
}
