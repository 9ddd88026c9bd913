//! What the embedded engine remembers between turns, stored with the conversation: the list it
//! showed last (so "the second one" means something), the tasks it touched last ("it", "them"),
//! the question it is waiting to hear answered, and the last pick it made among candidates
//! ("no wait, the other one").

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::command::{Action, Change, NewItem};
use crate::tasks::model::Priority;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub(crate) struct Dialogue {
    /// Task ids of the list shown last, in the order shown.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub shown: Vec<i64>,
    /// Task ids the last acting turn touched.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub touched: Vec<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending: Option<Pending>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub choice: Option<Choice>,
    /// The one change the last turn made, when it made only that ("no wait, I meant 5" corrects it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub done: Option<Done>,
}

/// A question the engine asked and what it will do with the answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Pending {
    /// "Which one should I delete?"
    Choose {
        action: Action,
        change: Change,
        candidates: Vec<i64>,
    },
    /// "Delete these 3 tasks?"
    Confirm {
        action: Action,
        change: Change,
        ids: Vec<i64>,
    },
    /// "Should I add "Dentist" as a task?"
    Offer { items: Vec<NewItem> },
    /// "What should the task be?"
    Title {
        #[serde(default)]
        priority: Option<Priority>,
        #[serde(default)]
        due_at: Option<DateTime<Utc>>,
    },
    /// "When should I move it to?"
    When { ids: Vec<i64> },
}

/// The engine picked `chosen` for `action` among `candidates` that matched the user's words.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Choice {
    pub action: Action,
    pub change: Change,
    pub candidates: Vec<i64>,
    pub chosen: Vec<i64>,
}

/// The engine applied `action` with `change` to `ids`, and nothing else, in the last turn.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Done {
    pub action: Action,
    pub change: Change,
    pub ids: Vec<i64>,
}

impl Dialogue {
    /// The stored state; anything unreadable (an older shape, another engine's turn) is a fresh start.
    pub(crate) fn load(value: &Value) -> Self {
        serde_json::from_value(value.clone()).unwrap_or_default()
    }

    pub(crate) fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or_else(|_| Value::Object(serde_json::Map::new()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_round_trips_and_bad_state_is_a_fresh_start() {
        let state = Dialogue {
            shown: vec![3, 1],
            pending: Some(Pending::Confirm {
                action: Action::Delete,
                change: Change::default(),
                ids: vec![1, 3],
            }),
            ..Dialogue::default()
        };
        assert_eq!(Dialogue::load(&state.to_value()), state);
        assert_eq!(Dialogue::load(&serde_json::json!({"pending": 7})), Dialogue::default());
        assert_eq!(Dialogue::load(&Value::Null), Dialogue::default());
    }
}
