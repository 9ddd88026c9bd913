//! How messages read; the engine's behaviour end to end is in the chat tests and the corpus.

use chrono::TimeZone;

use super::*;
use crate::chat::rules::command::{DueWindow, Query, Scope};
use crate::tasks::model::StatusFilter;

fn read(message: &str) -> Vec<Intent> {
    let now = Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).single().expect("valid");
    understand(message, now, Tz::UTC, false)
        .into_iter()
        .map(|c| c.intent)
        .collect()
}

fn add(title: &str) -> Intent {
    Intent::Add(vec![NewItem {
        title: title.into(),
        priority: None,
        due_at: None,
        description: None,
    }])
}

fn list(status: StatusFilter) -> Intent {
    Intent::Query(Query {
        status,
        ..Query::default()
    })
}

fn act(action: Action, target: Target) -> Intent {
    Intent::Act(action, target, Change::default())
}

fn words(text: &str) -> Target {
    Target::Words(vec![text.into()])
}

#[test]
fn the_eight_contract_commands() {
    assert_eq!(read("Add a task to buy groceries"), [add("Buy groceries")]);
    assert_eq!(read("Show me all my tasks"), [list(StatusFilter::All)]);
    assert_eq!(read("What's pending?"), [list(StatusFilter::Pending)]);
    assert_eq!(
        read("Mark task 3 as complete"),
        [act(Action::Complete, Target::Ids(vec![3]))]
    );
    assert_eq!(read("Delete the meeting task"), [act(Action::Delete, words("meeting"))]);
    assert_eq!(
        read("Change task 1 to 'Call mom tonight'"),
        [Intent::Act(
            Action::Update,
            Target::Ids(vec![1]),
            Change {
                title: Some("Call mom tonight".into()),
                ..Change::default()
            }
        )]
    );
    assert_eq!(read("I need to remember to pay bills"), [add("Pay bills")]);
    assert_eq!(read("What have I completed?"), [list(StatusFilter::Completed)]);
}

#[test]
fn paraphrases_typos_and_filler() {
    assert_eq!(read("put dentist on my list"), [add("Dentist")]);
    assert_eq!(read("ok so can you add milk for me"), [add("Milk")]);
    assert_eq!(
        read("hey, quick one: remind me to call the bank"),
        [add("Call the bank")]
    );
    assert_eq!(read("complte task 3"), [act(Action::Complete, Target::Ids(vec![3]))]);
    assert_eq!(read("pls remoev the milk thing"), [act(Action::Delete, words("milk"))]);
    assert_eq!(read("mark the milk thing done"), [act(Action::Complete, words("milk"))]);
    assert_eq!(
        read("I took out the trash"),
        [act(Action::Complete, Target::Statement("took out the trash".into()))]
    );
    assert_eq!(
        read("done with laundry and dishes"),
        [act(
            Action::Complete,
            Target::Words(vec!["laundry".into(), "dishes".into()])
        )]
    );
    assert_eq!(
        read("bump it up")[0],
        Intent::Act(
            Action::Update,
            Target::Last,
            Change {
                priority: Some(crate::tasks::model::Priority::High),
                ..Change::default()
            }
        )
    );
}

#[test]
fn fragments_modify_their_neighbour_and_never_become_tasks() {
    let read_add = |message: &str| match read(message).as_slice() {
        [Intent::Add(items)] => items.clone(),
        other => panic!("{message}: {other:?}"),
    };
    let items = read_add("add call the plumber, it's a must");
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].title, "Call the plumber");
    assert_eq!(items[0].priority, Some(crate::tasks::model::Priority::High));
    let items = read_add("add renew passport, no rush");
    assert_eq!(
        (items[0].title.as_str(), items[0].priority),
        ("Renew passport", Some(crate::tasks::model::Priority::Low))
    );
}

#[test]
fn lists_and_verbs_that_cover_them() {
    let titles = |message: &str| match read(message).as_slice() {
        [Intent::Add(items)] => items.iter().map(|i| i.title.clone()).collect::<Vec<_>>(),
        other => panic!("{message}: {other:?}"),
    };
    assert_eq!(titles("add milk, eggs and bread"), ["Milk", "Eggs", "Bread"]);
    assert_eq!(titles("add buy milk and eggs"), ["Buy milk and eggs"]);
    assert_eq!(
        titles("add a task to see Dr. Patel tomorrow morning"),
        ["See Dr. Patel"]
    );
}

#[test]
fn questions_fit_what_was_asked() {
    let query = |message: &str| match read(message).as_slice() {
        [Intent::Query(query)] => query.clone(),
        other => panic!("{message}: {other:?}"),
    };
    assert_eq!(query("what's due next week?").due, Some(DueWindow::NextWeek));
    assert_eq!(query("anything without a due date?").due, Some(DueWindow::NoDate));
    assert_eq!(query("anything about the bike?").words.as_deref(), Some("bike"));
    assert_eq!(
        query("what's high priority?").priority,
        Some(crate::tasks::model::Priority::High)
    );
    assert!(query("how many tasks do I have left?").count);
    assert_eq!(read("is #4 done yet?"), [Intent::Status(Target::Ids(vec![4]))]);
    assert_eq!(read("what's the capital of France?"), [Intent::Small(Small::OffTopic)]);
    assert_eq!(read("who built you?"), [Intent::Small(Small::AboutMe)]);
    assert_eq!(read("tell me something funny"), [Intent::Small(Small::Joke)]);
}

#[test]
fn repair_and_undo() {
    assert_eq!(read("undo"), [Intent::Undo]);
    assert_eq!(read("scratch that"), [Intent::Undo]);
    assert_eq!(read("never mind"), [Intent::Undo]);
    assert_eq!(read("no wait, the other one"), [Intent::OtherOne]);
    assert!(
        matches!(read("actually, make that Thursday").as_slice(), [Intent::Act(Action::Update, Target::Last, change)] if change.due_at.is_some())
    );
    assert_eq!(read("delete all of them"), [act(Action::Delete, Target::Them)]);
    assert_eq!(
        read("delete everything from yesterday"),
        [act(
            Action::Delete,
            Target::All(Scope {
                status: None,
                created_days_ago: Some(1)
            })
        )]
    );
}

#[test]
fn absurd_input_reads_as_nothing_useful_without_panicking() {
    for message in [
        "add a task in 200000000000 days",
        "in 99999999999999999999 weeks",
        "#99999999999999999999",
        "🙂🙂🙂",
        "at 99:99",
    ] {
        let _ = read(message);
    }
}

#[test]
fn tasks_asked_for_without_a_verb_are_added() {
    assert_eq!(read("a task to clean the fridge"), [add("Clean the fridge")]);
    assert_eq!(read("new task: water the plants"), [add("Water the plants")]);
    assert_eq!(read("one more - call the bank"), [add("Call the bank")]);
    assert_eq!(
        read("another one: get the boiler looked at"),
        [add("Get the boiler looked at")]
    );
    assert_eq!(read("task 3: done"), [act(Action::Complete, Target::Ids(vec![3]))]);
    assert!(matches!(
        read("one more thing: what's due today?").as_slice(),
        [Intent::Query(_)]
    ));
}

#[test]
fn remarks_beside_a_task_are_not_its_title() {
    let with_note = |title: &str, note: &str| {
        Intent::Add(vec![NewItem {
            title: title.into(),
            priority: None,
            due_at: None,
            description: Some(note.into()),
        }])
    };
    assert_eq!(
        read("add call the plumber, the sink is leaking"),
        [with_note("Call the plumber", "The sink is leaking")]
    );
    assert_eq!(
        read("remind me to renew my passport, so I don't forget"),
        [add("Renew my passport")]
    );
    assert_eq!(
        read("add buy flowers because it's her birthday"),
        [with_note("Buy flowers", "Because it's her birthday")]
    );
    assert_eq!(read("add buy milk, eggs and bread"), [add("Buy milk, eggs and bread")]);
}
