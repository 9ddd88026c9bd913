//! Arbitrary and adversarial text through the whole reading pipeline (normalising, splitting,
//! classifying, dates, slots, references, title matching): it must never panic. The case count is
//! bounded so the run stays short; `tests/api/chat_fuzz.rs` sends such messages through the API too.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use proptest::prelude::*;
use serde_json::json;

use super::{classify::understand, decide, match_titles};

/// Messages built to hit the number, date and reference parsers at their limits.
fn adversarial() -> impl Strategy<Value = String> {
    let huge = prop_oneof![
        Just("200000000000".to_owned()),
        Just("9223372036854775807".to_owned()),
        Just("99999999999999999999999".to_owned()),
        Just("-1".to_owned()),
        Just("0".to_owned()),
        any::<i64>().prop_map(|n| n.to_string()),
        any::<u64>().prop_map(|n| n.to_string()),
    ];
    let unit = prop::sample::select(vec![
        "days", "weeks", "hours", "minutes", "months", "years", "mins", "hrs",
    ]);
    let filler = prop::sample::select(vec![
        "add a task",
        "remind me",
        "mark task",
        "delete task",
        "move it",
        "what's due",
        "is #",
        "undo",
        "the first",
        "in",
        "at",
        "on the",
        "due",
        "by",
        "tomorrow",
        "next week",
        "'",
        "\"",
        "\u{202e}",
        "\u{200b}",
        "🙂",
        ",",
        ".",
    ]);
    prop_oneof![
        (huge.clone(), unit).prop_map(|(n, unit)| format!("add a task in {n} {unit}")),
        huge.clone()
            .prop_map(|n| format!("mark task {n} as done and delete #{n}")),
        (huge.clone(), huge.clone()).prop_map(|(h, m)| format!("call bob at {h}:{m} on dec {h}")),
        huge.prop_map(|n| format!("what's due in {n} weeks? the {n}th one")),
        prop::collection::vec(filler, 0..40).prop_map(|words| words.join(" ")),
        "\\PC{0,300}",
        "[a-z0-9 ,.'\":#!?-]{0,400}",
        ".{0,50}".prop_map(|s| s.repeat(80)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 800, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn no_message_makes_the_pipeline_panic(message in adversarial(), awaiting in any::<bool>()) {
        let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).single().expect("valid instant");
        for zone in [Tz::UTC, Tz::Pacific__Kiritimati, Tz::America__St_Johns] {
            let _ = understand(&message, now, zone, awaiting);
        }
        let dialogue = json!({"shown": [1, 2], "pending": {"kind": "choose", "action": "delete", "change": {}, "candidates": [1, 2]}});
        let _ = decide(&message, now, Tz::UTC, &dialogue);
        let tasks = vec![json!({"id": 1, "title": message.clone(), "completed": false}), json!({"id": 2, "title": "Buy milk", "completed": true})];
        let _ = match_titles(&message, &tasks);
    }
}
