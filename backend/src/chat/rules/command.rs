//! What the engine understood a clause to ask for: an intent with its slots and a score.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::tasks::model::{Priority, StatusFilter};

/// Below this score a clause is not acted on: the engine says what it did not understand.
pub(crate) const THRESHOLD: f32 = 0.5;

/// One understood clause.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Command {
    pub intent: Intent,
    /// How sure the reading is, 0–1.
    pub score: f32,
    /// Said as a question ("mark all done?"): an action on several tasks is confirmed first.
    pub asked: bool,
}

impl Command {
    pub(crate) fn new(intent: Intent, score: f32) -> Self {
        Self {
            intent,
            score,
            asked: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Intent {
    /// New tasks; empty when the user asked to add without saying what.
    Add(Vec<NewItem>),
    /// A bare task-like phrase ("dentist friday at 3"): offered, not added.
    Offer(NewItem),
    Query(Query),
    /// "is #4 done?"
    Status(Target),
    Act(Action, Target, Change),
    Undo,
    /// An answer to the question the engine asked last turn.
    Answer(Answer),
    /// "no wait, the other one"
    OtherOne,
    /// "no wait, I meant 5" right after a change: revert it and do the same (or the action said
    /// again: "no wait, delete it instead") to this target.
    Correct(Target, Option<(Action, Change)>),
    Small(Small),
    /// Words the engine could not read, as typed.
    Unknown(String),
}

/// What a command does to existing tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum Action {
    Complete,
    Reopen,
    Delete,
    Update,
}

impl Action {
    pub(crate) fn verb(self) -> &'static str {
        match self {
            Self::Complete => "mark as done",
            Self::Reopen => "reopen",
            Self::Delete => "delete",
            Self::Update => "change",
        }
    }

    /// The completion state a target of this action is expected to have, if any: "mark the report
    /// done" means the pending report.
    pub(crate) fn prefers_completed(self) -> Option<bool> {
        match self {
            Self::Complete => Some(false),
            Self::Reopen => Some(true),
            Self::Delete | Self::Update => None,
        }
    }
}

/// Which task(s) a command means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Target {
    /// Task numbers as the user said them.
    Ids(Vec<i64>),
    /// 1-based positions in the list the engine showed last ("the second one", "the first two").
    Positions(Vec<usize>),
    /// The last `n` of that list.
    LastOf(usize),
    /// "it", "that": the task the conversation touched last.
    Last,
    /// "them", "those", "both", "all of them": the tasks of the last list, or last touched.
    Them,
    /// "all", "everything", optionally only those created on a day ("everything from yesterday").
    All(Scope),
    /// Phrases naming tasks by their words; several for "laundry and dishes".
    Words(Vec<String>),
    /// A past-tense statement ("I took out the trash"): a task it closely matches, or nothing.
    Statement(String),
}

/// Which tasks "all" covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Scope {
    pub status: Option<bool>,
    /// Created this many days ago (0 today, 1 yesterday), in the user's timezone.
    pub created_days_ago: Option<u32>,
}

/// New values for a task.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Change {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// A due date was asked for but not said clearly ("move it to later"): ask when.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub due_unclear: bool,
    /// Only a time was said ("make it 11am"): it keeps the task's day when it has one.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub time_only: bool,
}

impl Change {
    pub(crate) fn is_empty(&self) -> bool {
        self.title.is_none() && self.priority.is_none() && self.due_at.is_none()
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct NewItem {
    pub title: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<Priority>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub due_at: Option<DateTime<Utc>>,
    /// A remark said beside the task ("…, the sink is leaking"), kept as its description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// A question about the list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Query {
    pub status: StatusFilter,
    /// Words the titles must match ("anything about the bike?").
    pub words: Option<String>,
    pub priority: Option<Priority>,
    pub due: Option<DueWindow>,
    /// Only how many.
    pub count: bool,
    pub sort: Option<Sort>,
}

/// "due today", "next week" (the calendar week after this one, in the user's timezone), …
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DueWindow {
    Overdue,
    Today,
    Tomorrow,
    /// From today to Sunday of this calendar week.
    ThisWeek,
    /// Monday to Sunday of the next calendar week.
    NextWeek,
    /// The next 7 days ("soon", "upcoming").
    Soon,
    NoDate,
    HasDate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Sort {
    Due,
    Priority,
    Title,
    Newest,
    Oldest,
}

/// A reply to the engine's own question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Answer {
    Yes,
    No,
    /// Positions or task numbers, or words picking one of the offered tasks.
    Pick(Target),
    /// A due date given on its own ("friday").
    When(DateTime<Utc>),
}

/// Talk that needs no tool.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Small {
    Greet,
    Thank,
    Bye,
    Help,
    AboutMe,
    HowAreYou,
    Joke,
    /// A question about anything but the list.
    OffTopic,
}
