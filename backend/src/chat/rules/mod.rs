//! The embedded engine (`LLM_PROVIDER=rules`): offline, deterministic and fast. It reads the
//! message as commands, resolves which task each one means, acts through the same tools an LLM
//! would call, and answers in friendly sentences that name the task and its number.

mod dates;
mod parse;
mod refs;
mod reply;
mod text;

use serde_json::{Map, Value, json};

use self::{
    parse::{Change, Command, DueWindow, ListRequest, NewItem, parse},
    refs::{Selection, TaskRef},
    reply::{Clock, HELP, NOT_UNDERSTOOD, WHICH_TASK, named, tool_error, which_one},
    text::{stem, tokens},
};
use super::{
    agent::{Agent, AgentError, Turn},
    model::Role,
    tools::{ADD_TASK, COMPLETE_TASK, DELETE_TASK, LIST_TASKS, UPDATE_TASK},
};
use crate::tasks::model::StatusFilter;

#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct RulesAgent;

impl Agent for RulesAgent {
    async fn run(&self, turn: &mut Turn<'_>) -> Result<(), AgentError> {
        let clock = Clock {
            now: turn.now,
            timezone: turn.timezone,
        };
        let commands = parse(turn.message, turn.now, turn.timezone);
        let mut answers = Vec::new();
        for command in commands {
            answers.push(execute(turn, command, &clock).await);
        }
        if answers.iter().all(|answer| answer == NOT_UNDERSTOOD) {
            answers = vec![format!("{NOT_UNDERSTOOD} {HELP}")];
        }
        for piece in reply::chunks(&answers.join("\n\n")) {
            turn.say(&piece);
        }
        Ok(())
    }
}

/// What a command does to its task, for resolving and phrasing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Action {
    Complete,
    Reopen,
    Delete,
    Update,
}

impl Action {
    fn verb(self) -> &'static str {
        match self {
            Self::Complete => "mark as complete",
            Self::Reopen => "reopen",
            Self::Delete => "delete",
            Self::Update => "change",
        }
    }
}

async fn execute(turn: &mut Turn<'_>, command: Command, clock: &Clock) -> String {
    match command {
        Command::Add(items) => add(turn, items, clock).await,
        Command::List(request) => list(turn, request, clock).await,
        Command::Complete(target) => act(turn, Action::Complete, target, Change::default(), clock).await,
        Command::Reopen(target) => act(turn, Action::Reopen, target, Change::default(), clock).await,
        Command::Delete(target) => act(turn, Action::Delete, target, Change::default(), clock).await,
        Command::Update(target, change) => act(turn, Action::Update, target, change, clock).await,
        Command::Select(choice) => select(turn, choice, clock).await,
        Command::Greet => format!("Hi! {HELP}"),
        Command::Thank => "You're welcome! Anything else on your list?".into(),
        Command::Help => HELP.into(),
        Command::Unknown => NOT_UNDERSTOOD.into(),
    }
}

async fn add(turn: &mut Turn<'_>, items: Vec<NewItem>, clock: &Clock) -> String {
    if items.is_empty() {
        return "What should the task be? For example: \"add a task to buy groceries tomorrow\".".into();
    }
    let mut lines = Vec::new();
    for item in items {
        let mut arguments = Map::new();
        arguments.insert("title".into(), json!(item.title));
        if let Some(priority) = item.priority {
            arguments.insert("priority".into(), json!(priority.as_str()));
        }
        if let Some(due) = item.due_at {
            arguments.insert("due_at".into(), json!(due.to_rfc3339()));
        }
        let result = turn.call_tool(ADD_TASK, Value::Object(arguments)).await;
        lines.push(match tool_error(&result) {
            Some(problem) => format!("I couldn't add \"{}\": {problem}.", item.title),
            None => {
                let mut line = format!("Added task {}", named(&result));
                if let Some(due) = item.due_at {
                    line.push_str(&format!(", due {}", clock.due_phrase(due)));
                }
                if let Some(priority) = item.priority {
                    line.push_str(&format!(", {} priority", priority.as_str()));
                }
                line.push('.');
                line
            }
        });
    }
    lines.join("\n")
}

async fn list(turn: &mut Turn<'_>, request: ListRequest, clock: &Clock) -> String {
    let mut arguments = json!({ "status": request.status.as_str() });
    if let Some(q) = &request.q {
        arguments["q"] = json!(q);
    }
    let result = turn.call_tool(LIST_TASKS, arguments).await;
    if let Some(problem) = tool_error(&result) {
        return format!("I couldn't list your tasks: {problem}.");
    }
    let mut tasks = result.as_array().cloned().unwrap_or_default();
    let before_window = tasks.len();
    if let Some(window) = request.due {
        tasks.retain(|task| due_within(task, window, clock));
    }
    let what = match (request.due, request.status) {
        (Some(DueWindow::Overdue), _) => "overdue tasks".to_owned(),
        (Some(DueWindow::Today), _) => "tasks due today".to_owned(),
        (Some(DueWindow::Tomorrow), _) => "tasks due tomorrow".to_owned(),
        (Some(DueWindow::ThisWeek), _) => "tasks due in the next 7 days".to_owned(),
        (None, StatusFilter::Pending) => "pending tasks".to_owned(),
        (None, StatusFilter::Completed) => "completed tasks".to_owned(),
        (None, StatusFilter::All) => "tasks".to_owned(),
    };
    let what = match &request.q {
        Some(q) => format!("{what} matching \"{q}\""),
        None => what,
    };
    if tasks.is_empty() {
        return match (request.status, &request.q) {
            (StatusFilter::All, None) if request.due.is_none() => {
                "Your list is empty. Try \"add a task to buy groceries\".".into()
            }
            (StatusFilter::Pending, None) if request.due.is_none() => "You have no pending tasks — all done! 🎉".into(),
            _ if before_window > 0 => format!(
                "You have no {what}. ({before_window} {} other dates or none — say \"what's pending?\" to see them.)",
                if before_window == 1 {
                    "pending task has"
                } else {
                    "pending tasks have"
                }
            ),
            _ => format!("You have no {what}."),
        };
    }
    let mut text = format!("Here are your {what} ({}):", tasks.len());
    for task in &tasks {
        text.push('\n');
        text.push_str(&clock.task_line(task));
    }
    text
}

fn due_within(task: &Value, window: DueWindow, clock: &Clock) -> bool {
    let Some(due) = task["due_at"]
        .as_str()
        .and_then(|raw| raw.parse::<chrono::DateTime<chrono::Utc>>().ok())
    else {
        return false;
    };
    let today = clock.now.with_timezone(&clock.timezone).date_naive();
    let day = due.with_timezone(&clock.timezone).date_naive();
    match window {
        DueWindow::Overdue => due < clock.now,
        DueWindow::Today => day == today,
        DueWindow::Tomorrow => day == today + chrono::Days::new(1),
        DueWindow::ThisWeek => day >= today && day < today + chrono::Days::new(7),
    }
}

/// Resolves `target` to one task and applies `action` to it.
async fn act(turn: &mut Turn<'_>, action: Action, target: TaskRef, change: Change, clock: &Clock) -> String {
    let id = match target {
        TaskRef::Id(id) => id,
        TaskRef::Last => match last_touched(turn) {
            Some(id) => id,
            None => return WHICH_TASK.into(),
        },
        TaskRef::Words(words) => {
            let result = turn
                .call_tool(LIST_TASKS, json!({ "status": "all", "q": search_term(&words) }))
                .await;
            if let Some(problem) = tool_error(&result) {
                return format!("I couldn't look that up: {problem}.");
            }
            let candidates = matching(&result, &words, action);
            match candidates.as_slice() {
                [] => {
                    return format!(
                        "I couldn't find a task matching \"{words}\". Say \"show my tasks\" to see them all."
                    );
                }
                [only] => only["id"].as_i64().unwrap_or_default(),
                several => return which_one(&words, several, action.verb(), clock),
            }
        }
    };
    apply(turn, action, id, change, clock).await
}

async fn apply(turn: &mut Turn<'_>, action: Action, id: i64, change: Change, clock: &Clock) -> String {
    let (tool, arguments) = match action {
        Action::Complete => (COMPLETE_TASK, json!({ "task_id": id })),
        Action::Delete => (DELETE_TASK, json!({ "task_id": id })),
        Action::Reopen => (UPDATE_TASK, json!({ "task_id": id, "completed": false })),
        Action::Update => {
            let mut arguments = json!({ "task_id": id });
            if let Some(title) = &change.title {
                arguments["title"] = json!(title);
            }
            if let Some(priority) = change.priority {
                arguments["priority"] = json!(priority.as_str());
            }
            if let Some(due) = change.due_at {
                arguments["due_at"] = json!(due.to_rfc3339());
            }
            (UPDATE_TASK, arguments)
        }
    };
    let result = turn.call_tool(tool, arguments).await;
    if let Some(problem) = tool_error(&result) {
        return if problem.ends_with("not found") {
            format!("I couldn't find task #{id}. Say \"show my tasks\" to see your tasks and their numbers.")
        } else {
            format!("I couldn't {} task #{id}: {problem}.", action.verb())
        };
    }
    let task = named(&result);
    match action {
        Action::Complete => format!("Marked task {task} as complete. Nice work!"),
        Action::Reopen => format!("Reopened task {task}; it's pending again."),
        Action::Delete => format!("Deleted task {task}."),
        Action::Update => {
            let mut changes = Vec::new();
            if change.title.is_some() {
                changes.push("renamed it".to_owned());
            }
            if let Some(priority) = change.priority {
                changes.push(format!("set it to {} priority", priority.as_str()));
            }
            if let Some(due) = change.due_at {
                changes.push(format!("set it due {}", clock.due_phrase(due)));
            }
            format!("Updated task {task}: {}.", changes.join(" and "))
        }
    }
}

/// Tasks whose title has every word the user said (loosely: "buying" finds "Buy"), preferring
/// pending tasks to complete and completed ones to reopen.
fn matching(list: &Value, words: &str, action: Action) -> Vec<Value> {
    let wanted: Vec<String> = tokens(words)
        .iter()
        .map(|t| stem(&t.word))
        .filter(|w| !w.is_empty())
        .collect();
    let found: Vec<Value> = list
        .as_array()
        .into_iter()
        .flatten()
        .filter(|task| {
            let title: Vec<String> = tokens(task["title"].as_str().unwrap_or_default())
                .iter()
                .map(|t| stem(&t.word))
                .collect();
            wanted
                .iter()
                .all(|word| title.iter().any(|t| t == word || t.starts_with(word.as_str())))
        })
        .cloned()
        .collect();
    let prefer = match action {
        Action::Complete => Some(false),
        Action::Reopen => Some(true),
        Action::Delete | Action::Update => None,
    };
    match prefer {
        Some(completed) if found.len() > 1 => {
            let preferred: Vec<Value> = found.iter().filter(|t| t["completed"] == completed).cloned().collect();
            if preferred.is_empty() { found } else { preferred }
        }
        _ => found,
    }
}

/// The longest word, stemmed, narrows the list in the database; [`matching`] does the rest.
fn search_term(words: &str) -> String {
    tokens(words)
        .iter()
        .map(|t| stem(&t.word))
        .max_by_key(String::len)
        .unwrap_or_default()
}

/// The task the conversation touched last: this turn's calls first, then earlier turns.
fn last_touched(turn: &Turn<'_>) -> Option<i64> {
    let earlier = turn
        .history
        .iter()
        .rev()
        .flat_map(|message| message.tool_calls.iter().rev());
    turn.calls().iter().rev().chain(earlier).find_map(|call| {
        if call.result["status"] == "deleted" {
            return None; // a deleted task is gone; "it" means the one before
        }
        if let Some(id) = call.result["task_id"].as_i64() {
            return Some(id);
        }
        match call.result.as_array().map(Vec::as_slice) {
            Some([only]) if call.tool == LIST_TASKS => only["id"].as_i64(),
            _ => None,
        }
    })
}

/// An answer to the question the previous reply asked ("which one should I delete?").
async fn select(turn: &mut Turn<'_>, choice: Selection, clock: &Clock) -> String {
    let Some((action, change, candidates)) = open_question(turn) else {
        return match choice {
            Selection::Id(id) => {
                format!("What should I do with task #{id}? For example \"mark task {id} as complete\".")
            }
            _ => WHICH_TASK.into(),
        };
    };
    let picked = match choice {
        Selection::Position(n) if (1..=candidates.len()).contains(&n) => candidates[n - 1]["id"].as_i64(),
        Selection::Position(n) => Some(n as i64),
        Selection::LastOne => candidates.last().and_then(|task| task["id"].as_i64()),
        Selection::Id(id) => Some(id),
    };
    match picked {
        Some(id) => apply(turn, action, id, change, clock).await,
        None => WHICH_TASK.into(),
    }
}

/// The action, change and candidate list of the previous turn's "which one?" question, if it asked one.
fn open_question(turn: &Turn<'_>) -> Option<(Action, Change, Vec<Value>)> {
    let mut earlier = turn.history.iter().rev();
    let answer = earlier.next().filter(|m| m.role == Role::Assistant)?;
    let question = earlier.find(|m| m.role == Role::User)?;
    let listed = answer.tool_calls.iter().rev().find(|call| call.tool == LIST_TASKS)?;
    parse(&question.content, turn.now, turn.timezone)
        .into_iter()
        .find_map(|command| {
            let (action, target, change) = match command {
                Command::Complete(target) => (Action::Complete, target, Change::default()),
                Command::Reopen(target) => (Action::Reopen, target, Change::default()),
                Command::Delete(target) => (Action::Delete, target, Change::default()),
                Command::Update(target, change) => (Action::Update, target, change),
                _ => return None,
            };
            let TaskRef::Words(words) = target else { return None };
            let candidates = matching(&listed.result, &words, action);
            (candidates.len() > 1).then_some((action, change, candidates))
        })
}

#[cfg(test)]
mod parse_tests;
