//! How the rules engine says things: confirmations that name the task and its number, lists, help.

use chrono::{DateTime, Datelike, Utc};
use chrono_tz::Tz;
use serde_json::Value;

use super::{command::Small, dates::END_OF_DAY};

pub(crate) const HELP: &str = "I can keep your to-do list for you. Try:\n\
• \"Add a task to buy groceries tomorrow at 5pm\"\n\
• \"What's pending?\" or \"What have I completed?\"\n\
• \"Mark task 3 as complete\"\n\
• \"Change task 1 to 'Call mom tonight'\" or \"Make it high priority\"\n\
• \"Delete the meeting task\"";

pub(crate) const NOT_UNDERSTOOD: &str = "Sorry, I didn't catch that.";

/// What to say to talk that needs no tool.
pub(crate) fn small_talk(small: Small) -> String {
    match small {
        Small::Greet => format!("Hi! {HELP}"),
        Small::Thank => "You're welcome! Anything else on your list?".into(),
        Small::Bye => "Bye for now — your list will be here when you come back.".into(),
        Small::Help => HELP.into(),
        Small::AboutMe => "I'm the assistant of this to-do app: I keep your task list, reading what you type \
                           and acting through the same task tools the app uses."
            .into(),
        Small::HowAreYou => "All good here, thanks! Want to see what's pending?".into(),
        Small::Joke => "Why did the to-do list break up with the calendar? It felt too scheduled. 😄 \
                        Anything I can add for you?"
            .into(),
        Small::OffTopic => "I'm only good at your to-do list, so I can't answer that one. \
                            Try \"what's pending?\" or \"add a task to …\"."
            .into(),
    }
}

/// Shown when "it" has nothing to point at.
pub(crate) const WHICH_TASK: &str =
    "Which task do you mean? Tell me its number, like \"task 3\" — \"show my tasks\" lists them.";

/// Where relative words ("today", "Friday") are anchored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Clock {
    pub(crate) now: DateTime<Utc>,
    pub(crate) timezone: Tz,
}

impl Clock {
    /// "today at 5:00 PM", "tomorrow", "Monday at 9:00 AM", "Thu, Dec 3".
    pub(crate) fn due_phrase(&self, at: DateTime<Utc>) -> String {
        let local = at.with_timezone(&self.timezone);
        let today = self.now.with_timezone(&self.timezone).date_naive();
        let days = (local.date_naive() - today).num_days();
        let day = match days {
            0 => "today".to_owned(),
            1 => "tomorrow".to_owned(),
            -1 => "yesterday".to_owned(),
            2..=6 => local.format("%A").to_string(),
            _ if local.year() == today.year() => local.format("%a, %b %-d").to_string(),
            _ => local.format("%a, %b %-d %Y").to_string(),
        };
        if local.time() == END_OF_DAY {
            day
        } else {
            format!("{day} at {}", local.format("%-I:%M %p"))
        }
    }

    /// One task as a line of a list: "#4 Write report — due tomorrow at 5:00 PM, high priority".
    pub(crate) fn task_line(&self, task: &Value) -> String {
        let mut line = format!(
            "{}#{} {}",
            if task["completed"] == Value::Bool(true) {
                "✓ "
            } else {
                ""
            },
            task["id"],
            task["title"].as_str().unwrap_or_default()
        );
        let mut notes = Vec::new();
        if let Some(due) = task["due_at"]
            .as_str()
            .and_then(|raw| raw.parse::<DateTime<Utc>>().ok())
        {
            let late = due < self.now && task["completed"] != Value::Bool(true);
            notes.push(format!(
                "{} {}",
                if late { "was due" } else { "due" },
                self.due_phrase(due)
            ));
        }
        if task["priority"] == "high" {
            notes.push("high priority".into());
        }
        if !notes.is_empty() {
            line.push_str(" — ");
            line.push_str(&notes.join(", "));
        }
        line
    }
}

/// `#5 "Buy groceries"` from a tool result.
pub(crate) fn named(result: &Value) -> String {
    format!(
        "#{} \"{}\"",
        result["task_id"],
        result["title"].as_str().unwrap_or_default()
    )
}

/// A tool's `{"error": …}` as the end of a sentence.
pub(crate) fn tool_error(result: &Value) -> Option<String> {
    result["error"].as_str().map(|message| {
        let message = message.strip_prefix("invalid arguments: ").unwrap_or(message);
        message.to_owned()
    })
}

/// "I found 2 tasks matching "report": 1. … Which one should I delete?"
pub(crate) fn which_one(words: &str, candidates: &[Value], verb: &str, clock: &Clock) -> String {
    let mut text = format!("I found {} tasks matching \"{words}\":", candidates.len());
    for (i, task) in candidates.iter().enumerate() {
        text.push_str(&format!("\n{}. {}", i + 1, clock.task_line(task)));
    }
    text.push_str(&format!(
        "\nWhich one should I {verb}? Say \"the first one\", \"the second one\", or its number."
    ));
    text
}

/// Splits a reply into small pieces for streaming, keeping every character.
pub(crate) fn chunks(text: &str) -> Vec<String> {
    let mut pieces = Vec::new();
    let mut current = String::new();
    for (i, word) in text.split_inclusive([' ', '\n']).enumerate() {
        current.push_str(word);
        if i % 3 == 2 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;
    use serde_json::json;

    use super::*;

    #[test]
    fn due_dates_read_relative_to_now_in_the_users_zone() {
        let clock = Clock {
            now: Utc.with_ymd_and_hms(2026, 11, 26, 22, 30, 0).unwrap(),
            timezone: "America/New_York".parse().unwrap(),
        };
        // 22:30 UTC is 17:30 in New York: 23:00 UTC the same day is still "today" there.
        assert_eq!(
            clock.due_phrase(Utc.with_ymd_and_hms(2026, 11, 26, 23, 0, 0).unwrap()),
            "today at 6:00 PM"
        );
        assert_eq!(
            clock.due_phrase(Utc.with_ymd_and_hms(2026, 11, 28, 4, 59, 0).unwrap()),
            "tomorrow"
        );
        assert_eq!(
            clock.due_phrase(Utc.with_ymd_and_hms(2026, 12, 24, 14, 0, 0).unwrap()),
            "Thu, Dec 24 at 9:00 AM"
        );
    }

    #[test]
    fn task_lines_show_state_due_and_priority() {
        let clock = Clock {
            now: Utc.with_ymd_and_hms(2026, 11, 26, 12, 0, 0).unwrap(),
            timezone: Tz::UTC,
        };
        let task = json!({"id": 4, "title": "Write report", "completed": true, "priority": "high", "due_at": null});
        assert_eq!(clock.task_line(&task), "✓ #4 Write report — high priority");
    }

    #[test]
    fn chunks_keep_every_character() {
        let text = "Added task #5: Buy groceries.\nAnything else?";
        assert!(chunks(text).len() > 1);
        assert_eq!(chunks(text).concat(), text);
    }
}
