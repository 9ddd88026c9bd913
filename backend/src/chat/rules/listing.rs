//! Answers to questions about the list: exactly the tasks asked for (status, priority, words, due
//! window in the user's timezone), in the order asked for, or only how many; and one task's status.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use serde_json::{Value, json};

use super::{
    command::{Action, DueWindow, Query, Sort, Target},
    reply::{Clock, tool_error},
    resolve::{self, MATCH},
    session::Session,
};
use crate::{chat::tools::LIST_TASKS, tasks::model::StatusFilter};

pub(crate) async fn list(session: &mut Session<'_, '_>, query: Query) -> String {
    let everything = match fetch(session, &query).await {
        Ok(tasks) => tasks,
        Err(problem) => return format!("I couldn't list your tasks: {problem}."),
    };
    let clock = session.clock;
    let mut tasks: Vec<Value> = everything
        .iter()
        .filter(|task| query.priority.is_none_or(|level| task["priority"] == level.as_str()))
        .filter(|task| query.due.is_none_or(|window| due_within(task, window, &clock)))
        .cloned()
        .collect();
    if let Some(words) = &query.words {
        let wanted = resolve::stems(words);
        tasks.retain(|task| resolve::score(&wanted, task["title"].as_str().unwrap_or_default()).0 >= MATCH);
    }
    sort(&mut tasks, query.sort);
    let what = describe(&query);
    if query.count {
        return format!("You have {} {what}.", tasks.len());
    }
    if tasks.is_empty() {
        let filtered = query.words.is_some() || query.priority.is_some() || query.due.is_some();
        return match query.status {
            StatusFilter::All if !filtered => "Your list is empty. Try \"add a task to buy groceries\".".into(),
            StatusFilter::Pending if !filtered => "You have no pending tasks — all done! 🎉".into(),
            _ if filtered && !everything.is_empty() => format!(
                "You have no {what}. ({} other {} — say \"show my tasks\" to see {}.)",
                everything.len(),
                if everything.len() == 1 {
                    "task is on your list"
                } else {
                    "tasks are on your list"
                },
                if everything.len() == 1 { "it" } else { "them" }
            ),
            _ => format!("You have no {what}."),
        };
    }
    session.state.shown = tasks.iter().filter_map(|task| task["id"].as_i64()).collect();
    let mut text = format!("Here are your {what} ({}):", tasks.len());
    for task in &tasks {
        text.push('\n');
        text.push_str(&clock.task_line(task));
    }
    text
}

/// The tasks a question is about: a question about words is narrowed in the database by its most
/// telling word (all of them when that finds nothing close, for typos).
async fn fetch(session: &mut Session<'_, '_>, query: &Query) -> Result<Vec<Value>, String> {
    let status = query.status.as_str();
    if let Some((words, term)) = query
        .words
        .as_ref()
        .and_then(|words| Some((words, resolve::search_term(words)?)))
    {
        let result = session.call(LIST_TASKS, json!({ "status": status, "q": term })).await;
        let narrowed = result.as_array().cloned().unwrap_or_default();
        let wanted = resolve::stems(words);
        if narrowed
            .iter()
            .any(|task| resolve::score(&wanted, task["title"].as_str().unwrap_or_default()).0 >= MATCH)
        {
            return Ok(narrowed);
        }
    }
    let result = session.call(LIST_TASKS, json!({ "status": status })).await;
    match tool_error(&result) {
        Some(problem) => Err(problem),
        None => Ok(result.as_array().cloned().unwrap_or_default()),
    }
}

/// "high-priority pending tasks due next week matching "bike"".
fn describe(query: &Query) -> String {
    let mut words = Vec::new();
    if let Some(level) = query.priority {
        words.push(format!("{}-priority", level.as_str()));
    }
    match query.status {
        StatusFilter::Pending if query.due.is_none() && query.priority.is_none() => words.push("pending".into()),
        StatusFilter::Completed => words.push("completed".into()),
        _ => {}
    }
    if query.due == Some(DueWindow::Overdue) {
        words.push("overdue".into());
    }
    words.push("tasks".into());
    let due = match query.due {
        Some(DueWindow::Today) => Some("due today"),
        Some(DueWindow::Tomorrow) => Some("due tomorrow"),
        Some(DueWindow::ThisWeek) => Some("due this week"),
        Some(DueWindow::NextWeek) => Some("due next week"),
        Some(DueWindow::Soon) => Some("due in the next 7 days"),
        Some(DueWindow::NoDate) => Some("without a due date"),
        Some(DueWindow::HasDate) => Some("with a due date"),
        Some(DueWindow::Overdue) | None => None,
    };
    words.extend(due.map(str::to_owned));
    if let Some(topic) = &query.words {
        words.push(format!("matching \"{topic}\""));
    }
    if query.sort == Some(Sort::Due) {
        words.push("by due date".into());
    } else if query.sort == Some(Sort::Priority) {
        words.push("by priority".into());
    }
    words.join(" ")
}

fn due_at(task: &Value) -> Option<DateTime<Utc>> {
    task["due_at"].as_str().and_then(|raw| raw.parse().ok())
}

fn due_within(task: &Value, window: DueWindow, clock: &Clock) -> bool {
    let Some(due) = due_at(task) else {
        return window == DueWindow::NoDate;
    };
    let today = clock.now.with_timezone(&clock.timezone).date_naive();
    let day = due.with_timezone(&clock.timezone).date_naive();
    let plus = |date: NaiveDate, n: u64| date.checked_add_days(Days::new(n));
    let this_sunday = plus(today, u64::from(6 - today.weekday().num_days_from_monday()));
    let next_monday = this_sunday.and_then(|sunday| plus(sunday, 1));
    let between = |from: Option<NaiveDate>, to: Option<NaiveDate>| match (from, to) {
        (Some(from), Some(to)) => day >= from && day <= to,
        _ => false,
    };
    match window {
        DueWindow::Overdue => due < clock.now && task["completed"] != true,
        DueWindow::Today => day == today,
        DueWindow::Tomorrow => plus(today, 1) == Some(day),
        DueWindow::ThisWeek => between(Some(today), this_sunday),
        DueWindow::NextWeek => between(next_monday, next_monday.and_then(|monday| plus(monday, 6))),
        DueWindow::Soon => between(Some(today), plus(today, 6)),
        DueWindow::NoDate => false,
        DueWindow::HasDate => true,
    }
}

fn sort(tasks: &mut [Value], by: Option<Sort>) {
    let rank = |task: &Value| match task["priority"].as_str() {
        Some("high") => 0,
        Some("medium") => 1,
        _ => 2,
    };
    match by {
        Some(Sort::Due) => tasks.sort_by_key(|task| (due_at(task).is_none(), due_at(task))),
        Some(Sort::Priority) => tasks.sort_by_key(rank),
        Some(Sort::Title) => tasks.sort_by_key(|task| task["title"].as_str().unwrap_or_default().to_lowercase()),
        Some(Sort::Newest) => tasks.reverse(),
        Some(Sort::Oldest) | None => {}
    }
}

/// "Is #4 done?": the one task's state, in words.
pub(crate) async fn status(session: &mut Session<'_, '_>, target: Target) -> String {
    let ids = match session.resolve(Action::Update, &target).await {
        Ok(resolved) => resolved.ids,
        Err(unresolved) => return unresolved.reply,
    };
    let tasks = match session.tasks().await {
        Ok(tasks) => tasks,
        Err(unresolved) => return unresolved.reply,
    };
    let clock = session.clock;
    let mut lines = Vec::new();
    for id in &ids {
        lines.push(match tasks.iter().find(|task| task["id"] == *id) {
            Some(task) if task["completed"] == true => {
                format!(
                    "Yes — #{id} \"{}\" is done.",
                    task["title"].as_str().unwrap_or_default()
                )
            }
            Some(task) => {
                let mut line = format!(
                    "No, #{id} \"{}\" is still pending",
                    task["title"].as_str().unwrap_or_default()
                );
                if let Some(due) = due_at(task) {
                    line.push_str(&format!(" (due {})", clock.due_phrase(due)));
                }
                line.push('.');
                line
            }
            None => format!("I couldn't find task #{id}. Say \"show my tasks\" to see your tasks and their numbers."),
        });
    }
    session.state.touched = ids;
    lines.join("\n")
}
