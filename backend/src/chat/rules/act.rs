//! Carrying out what was understood: adding, changing, completing and deleting through the tools,
//! asking first where a guess could write the wrong thing, answering the engine's own questions,
//! and undo.

use serde_json::{Map, Value, json};

use super::{
    command::{Action, Answer, Change, NewItem, Target},
    dialogue::{Choice, Done, Pending},
    reply::{named, tool_error},
    session::{Resolved, Session, Unresolved},
};
use crate::chat::tools::{ADD_TASK, COMPLETE_TASK, DELETE_TASK, UPDATE_TASK};

/// Adds `items`; an empty list asks what to add.
pub(crate) async fn add(session: &mut Session<'_, '_>, items: Vec<NewItem>) -> String {
    if items.is_empty() {
        session.state.pending = Some(Pending::Title {
            priority: None,
            due_at: None,
        });
        return "What should the task be? For example: \"add a task to buy groceries tomorrow\".".into();
    }
    let mut lines = Vec::new();
    let mut added = Vec::new();
    for item in items {
        let mut arguments = Map::new();
        arguments.insert("title".into(), json!(item.title));
        if let Some(priority) = item.priority {
            arguments.insert("priority".into(), json!(priority.as_str()));
        }
        if let Some(due) = item.due_at {
            arguments.insert("due_at".into(), json!(due.to_rfc3339()));
        }
        if let Some(description) = &item.description {
            arguments.insert("description".into(), json!(description));
        }
        let result = session.call(ADD_TASK, Value::Object(arguments)).await;
        lines.push(match tool_error(&result) {
            Some(problem) => format!("I couldn't add \"{}\": {problem}.", item.title),
            None => {
                added.extend(result["task_id"].as_i64());
                let mut line = format!("Added task {}", named(&result));
                if let Some(due) = item.due_at {
                    line.push_str(&format!(", due {}", session.clock.due_phrase(due)));
                }
                if let Some(priority) = item.priority {
                    line.push_str(&format!(", {} priority", priority.as_str()));
                }
                if let Some(description) = &item.description {
                    line.push_str(&format!(", with the note \"{description}\""));
                }
                line.push('.');
                line
            }
        });
    }
    if !added.is_empty() {
        session.state.touched = added;
    }
    lines.join("\n")
}

/// "Should I add …?": a bare task-like phrase is offered, never added unasked.
pub(crate) fn offer(session: &mut Session<'_, '_>, item: NewItem) -> String {
    let mut text = format!("Do you want me to add \"{}\" as a task", item.title);
    if let Some(due) = item.due_at {
        text.push_str(&format!(", due {}", session.clock.due_phrase(due)));
    }
    text.push_str("? (yes/no)");
    session.state.pending = Some(Pending::Offer { items: vec![item] });
    text
}

/// Resolves `target` and applies `action` with `change`; several deletions are confirmed first.
pub(crate) async fn act(
    session: &mut Session<'_, '_>,
    action: Action,
    target: Target,
    change: Change,
    asked: bool,
) -> String {
    if action == Action::Update && change.is_empty() && !change.due_unclear {
        return "What should I change about it? For example \"move it to friday\" or \"make it high priority\".".into();
    }
    let Resolved { ids, candidates } = match session.resolve(action, &target).await {
        Ok(resolved) => resolved,
        Err(unresolved) => return unresolved_reply(session, unresolved, &change),
    };
    if action == Action::Update && change.due_at.is_none() && change.due_unclear {
        session.state.pending = Some(Pending::When { ids: ids.clone() });
        session.state.touched = ids;
        return "When should I move it to? For example \"friday\" or \"tomorrow at 5pm\".".into();
    }
    if ids.len() > 1 && (action == Action::Delete || asked) {
        return confirm(session, action, change, ids).await;
    }
    chosen(session, action, change, candidates, ids).await
}

/// Applies `action` to `ids`, remembering which of `candidates` were picked (for "the other one").
async fn chosen(
    session: &mut Session<'_, '_>,
    action: Action,
    change: Change,
    candidates: Vec<i64>,
    ids: Vec<i64>,
) -> String {
    let text = apply_all(session, action, &ids, &change).await;
    if !candidates.is_empty() {
        session.state.choice = Some(Choice {
            action,
            change,
            candidates,
            chosen: ids,
        });
    }
    text
}

fn unresolved_reply(session: &mut Session<'_, '_>, unresolved: Unresolved, change: &Change) -> String {
    session.state.pending = unresolved.pending.map(|pending| match pending {
        Pending::Choose { action, candidates, .. } => Pending::Choose {
            action,
            change: change.clone(),
            candidates,
        },
        other => other,
    });
    unresolved.reply
}

async fn confirm(session: &mut Session<'_, '_>, action: Action, change: Change, ids: Vec<i64>) -> String {
    let tasks = session.tasks().await.unwrap_or_default();
    let mut text = match action {
        Action::Delete => format!("Delete these {} tasks?", ids.len()),
        Action::Complete => format!("Mark these {} tasks as done?", ids.len()),
        Action::Reopen => format!("Reopen these {} tasks?", ids.len()),
        Action::Update => format!("Change these {} tasks?", ids.len()),
    };
    for id in &ids {
        match tasks.iter().find(|task| task["id"] == *id) {
            Some(task) => text.push_str(&format!("\n{}", session.clock.task_line(task))),
            None => text.push_str(&format!("\n#{id}")),
        }
    }
    text.push_str("\nSay \"yes\" to go ahead or \"no\" to leave them as they are.");
    session.state.shown = ids.clone();
    session.state.pending = Some(Pending::Confirm { action, change, ids });
    text
}

/// Applies `action` to each task, one sentence per task.
pub(crate) async fn apply_all(session: &mut Session<'_, '_>, action: Action, ids: &[i64], change: &Change) -> String {
    let mut lines = Vec::new();
    let mut touched = Vec::new();
    let mut changed = Vec::new();
    let writes_before = session.writes();
    for id in ids {
        if action != Action::Update && session.acted.contains(&(action, *id)) {
            continue;
        }
        session.acted.push((action, *id));
        let (line, ok) = apply(session, action, *id, change).await;
        if ok {
            changed.push(*id);
        }
        if ok && action != Action::Delete {
            touched.push(*id);
        }
        lines.push(line);
    }
    if !changed.is_empty() {
        let done = Done {
            action,
            change: change.clone(),
            ids: changed,
        };
        session.record(done, writes_before);
    }
    if !touched.is_empty() || action == Action::Delete {
        session.state.touched = touched;
    }
    lines.join("\n")
}

async fn apply(session: &mut Session<'_, '_>, action: Action, id: i64, change: &Change) -> (String, bool) {
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
                let due = if change.time_only {
                    session.keep_day(id, due).await
                } else {
                    due
                };
                arguments["due_at"] = json!(due.to_rfc3339());
            }
            (UPDATE_TASK, arguments)
        }
    };
    let result = session.call(tool, arguments).await;
    if let Some(problem) = tool_error(&result) {
        let line = if problem.ends_with("not found") {
            format!("I couldn't find task #{id}. Say \"show my tasks\" to see your tasks and their numbers.")
        } else {
            format!("I couldn't {} task #{id}: {problem}.", action.verb())
        };
        return (line, false);
    }
    let task = named(&result);
    let line = match action {
        Action::Complete => format!("Marked task {task} as done. Nice work!"),
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
                changes.push(format!("set it due {}", session.clock.due_phrase(due)));
            }
            format!("Updated task {task}: {}.", changes.join(" and "))
        }
    };
    (line, true)
}

/// An answer to the question the previous reply asked.
pub(crate) async fn answer(session: &mut Session<'_, '_>, answer: Answer) -> String {
    let Some(pending) = session.before.pending.clone() else {
        return match answer {
            Answer::Pick(target @ (Target::Positions(_) | Target::Ids(_) | Target::LastOf(_) | Target::Words(_))) => {
                match session.resolve(Action::Update, &target).await {
                    Ok(Resolved { ids, .. }) => {
                        session.state.touched = ids.clone();
                        let list: Vec<String> = ids.iter().map(|id| format!("#{id}")).collect();
                        format!(
                            "What should I do with {}? For example \"mark it done\" or \"delete it\".",
                            list.join(", ")
                        )
                    }
                    Err(unresolved) => unresolved.reply,
                }
            }
            _ => "OK.".into(),
        };
    };
    match (pending, answer) {
        (_, Answer::No) => "OK, I'll leave it as it is.".into(),
        (
            Pending::Choose {
                action,
                change,
                candidates,
            },
            Answer::Pick(target),
        ) => match pick(session, &candidates, &target, action).await {
            Ok(ids) if action == Action::Delete && ids.len() > 1 => confirm(session, action, change, ids).await,
            Ok(ids) => chosen(session, action, change, candidates, ids).await,
            Err(reply) => reply,
        },
        (
            Pending::Choose {
                action,
                change,
                candidates,
            },
            Answer::Yes,
        ) if candidates.len() == 1 => apply_all(session, action, &candidates, &change).await,
        (Pending::Confirm { action, change, ids }, Answer::Yes) => apply_all(session, action, &ids, &change).await,
        (Pending::Confirm { action, change, ids }, Answer::Pick(target)) => {
            match pick(session, &ids, &target, action).await {
                Ok(picked) => apply_all(session, action, &picked, &change).await,
                Err(reply) => reply,
            }
        }
        (Pending::Offer { items }, Answer::Yes) => add(session, items).await,
        (Pending::Title { priority, due_at }, Answer::Pick(Target::Words(words))) => {
            let title = super::text::capitalise(&words.join(" and "));
            add(
                session,
                vec![NewItem {
                    title,
                    priority,
                    due_at,
                    description: None,
                }],
            )
            .await
        }
        (Pending::When { ids }, Answer::When(at)) => {
            let change = Change {
                due_at: Some(at),
                ..Change::default()
            };
            apply_all(session, Action::Update, &ids, &change).await
        }
        (pending, _) => {
            session.state.pending = Some(pending);
            "Sorry, I didn't get that — could you answer my question above (or say \"never mind\")?".into()
        }
    }
}

/// The candidates `target` picks: positions in the list offered, task numbers among them, or words.
async fn pick(
    session: &mut Session<'_, '_>,
    candidates: &[i64],
    target: &Target,
    action: Action,
) -> Result<Vec<i64>, String> {
    let again = "Which one? Say \"the first one\", \"the second one\", or its number.".to_owned();
    match target {
        Target::Positions(positions) => positions
            .iter()
            .map(|p| p.checked_sub(1).and_then(|i| candidates.get(i)).copied())
            .collect::<Option<Vec<i64>>>()
            .ok_or(again),
        Target::LastOf(n) => Ok(candidates[candidates.len().saturating_sub(*n)..].to_vec()),
        Target::Ids(ids) => Ok(ids.clone()),
        Target::Them | Target::All(_) => Ok(candidates.to_vec()),
        Target::Words(words) => {
            let tasks = session.tasks().await.map_err(|unresolved| unresolved.reply)?;
            let offered: Vec<Value> = tasks
                .into_iter()
                .filter(|task| task["id"].as_i64().is_some_and(|id| candidates.contains(&id)))
                .collect();
            let found = super::resolve::best(
                &words.join(" "),
                &offered,
                super::resolve::MATCH,
                action.prefers_completed(),
            );
            match found.as_slice() {
                [only] => Ok(only["id"].as_i64().into_iter().collect()),
                _ => Err(again),
            }
        }
        Target::Last | Target::Statement(_) => Err(again),
    }
}

/// "undo", "scratch that": a question still open is dropped; else the latest change is reverted.
pub(crate) async fn undo(session: &mut Session<'_, '_>) -> String {
    if session.before.pending.is_some() {
        return "OK, never mind — nothing was changed.".into();
    }
    revert(session).await.unwrap_or_else(|problem| {
        if problem.starts_with("nothing to undo") {
            "There's nothing to undo in this conversation.".into()
        } else {
            format!("I couldn't undo that: {problem}.")
        }
    })
}

/// Reverts the latest changing turn through the `undo` tool: what was reverted, in words, or the
/// tool's reason it could not.
pub(crate) async fn revert(session: &mut Session<'_, '_>) -> Result<String, String> {
    let result = session.undo().await;
    if let Some(problem) = tool_error(&result) {
        return Err(problem);
    }
    let mut lines = Vec::new();
    let mut restored = Vec::new();
    for change in result["changes"].as_array().into_iter().flatten() {
        let id = change["task_id"].as_i64().unwrap_or_default();
        let title = change["title"].as_str().unwrap_or_default();
        lines.push(match change["status"].as_str() {
            Some("removed") => format!("removed task #{id} \"{title}\" again"),
            Some("restored") => {
                restored.push(id);
                format!("brought back task #{id} \"{title}\"")
            }
            Some("reverted") => {
                restored.push(id);
                format!("put task #{id} \"{title}\" back as it was")
            }
            _ => format!("left task #{id} \"{title}\" alone (it changed since)"),
        });
    }
    session.state.touched = restored;
    Ok(format!("Undone: I {}.", lines.join(", ")))
}

/// "no wait, the other one": undo the last pick and apply it to the other candidate.
pub(crate) async fn other_one(session: &mut Session<'_, '_>) -> String {
    let Some(choice) = session.before.choice.clone() else {
        return "Which one do you mean? Tell me its number, like \"task 3\".".into();
    };
    let others: Vec<i64> = choice
        .candidates
        .iter()
        .copied()
        .filter(|id| !choice.chosen.contains(id))
        .collect();
    if others.len() != 1 {
        let tasks = session.tasks().await.unwrap_or_default();
        let listed: Vec<Value> = others
            .iter()
            .filter_map(|id| tasks.iter().find(|t| t["id"] == *id).cloned())
            .collect();
        session.state.shown = others.clone();
        session.state.pending = Some(Pending::Choose {
            action: choice.action,
            change: choice.change,
            candidates: others,
        });
        return super::reply::which_one("that", &listed, choice.action.verb(), &session.clock);
    }
    let undone = undo(session).await;
    let done = apply_all(session, choice.action, &others, &choice.change).await;
    format!("{undone}\n{done}")
}
