//! How messages read as commands; the engine's behaviour end to end is in `tests/api/chat_rules.rs`.

use chrono::{TimeZone, Utc};
use chrono_tz::Tz;

use super::{
    parse::{Change, Command, ListRequest, NewItem, parse},
    refs::{Selection, TaskRef},
};
use crate::tasks::model::{Priority, StatusFilter};

fn read(message: &str) -> Vec<Command> {
    parse(message, Utc.with_ymd_and_hms(2026, 11, 26, 9, 0, 0).unwrap(), Tz::UTC)
}

fn add(title: &str) -> Command {
    Command::Add(vec![NewItem {
        title: title.into(),
        priority: None,
        due_at: None,
    }])
}

fn list(status: StatusFilter) -> Command {
    Command::List(ListRequest {
        status,
        ..ListRequest::default()
    })
}

#[test]
fn the_eight_spec_commands() {
    assert_eq!(read("Add a task to buy groceries"), [add("Buy groceries")]);
    assert_eq!(read("Show me all my tasks"), [list(StatusFilter::All)]);
    assert_eq!(read("What's pending?"), [list(StatusFilter::Pending)]);
    assert_eq!(read("Mark task 3 as complete"), [Command::Complete(TaskRef::Id(3))]);
    assert_eq!(
        read("Delete the meeting task"),
        [Command::Delete(TaskRef::Words("meeting".into()))]
    );
    assert_eq!(
        read("Change task 1 to 'Call mom tonight'"),
        [Command::Update(
            TaskRef::Id(1),
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
fn natural_variants() {
    assert_eq!(read("add buy milk"), [add("Buy milk")]);
    assert_eq!(read("remind me to call the dentist"), [add("Call the dentist")]);
    assert_eq!(read("please create a task: water plants"), [add("Water plants")]);
    assert_eq!(read("what do I have to do?"), [list(StatusFilter::Pending)]);
    assert_eq!(read("what have I done"), [list(StatusFilter::Completed)]);
    assert_eq!(read("mark it done"), [Command::Complete(TaskRef::Last)]);
    assert_eq!(read("finish #4"), [Command::Complete(TaskRef::Id(4))]);
    assert_eq!(
        read("I finished buying milk"),
        [Command::Complete(TaskRef::Words("buying milk".into()))]
    );
    assert_eq!(read("remove task 2"), [Command::Delete(TaskRef::Id(2))]);
    assert_eq!(read("cancel that"), [Command::Delete(TaskRef::Last)]);
    assert_eq!(read("reopen task 5"), [Command::Reopen(TaskRef::Id(5))]);
    assert_eq!(read("the second one"), [Command::Select(Selection::Position(2))]);
    assert_eq!(read("blorp"), [Command::Unknown]);
    assert_eq!(read("thanks"), [Command::Thank]);
    assert_eq!(read("what did I finish?"), [list(StatusFilter::Completed)]);
    assert_eq!(read("add a task"), [Command::Add(Vec::new())]);
    assert_eq!(
        read("mark 4 and 5 as done"),
        [Command::Complete(TaskRef::Id(4)), Command::Complete(TaskRef::Id(5))]
    );
}

#[test]
fn several_items_and_several_actions() {
    let item = |title: &str| NewItem {
        title: title.into(),
        priority: None,
        due_at: None,
    };
    assert_eq!(
        read("add milk and eggs"),
        [Command::Add(vec![item("Milk"), item("Eggs")])]
    );
    assert_eq!(
        read("add bread and then mark task 2 done"),
        [add("Bread"), Command::Complete(TaskRef::Id(2))]
    );
    assert_eq!(
        read("Delete task 1. Show my tasks"),
        [Command::Delete(TaskRef::Id(1)), list(StatusFilter::All)]
    );
}

#[test]
fn priorities_and_due_dates_leave_the_title() {
    let commands = read("add call mom tomorrow at 5pm with high priority");
    let [Command::Add(items)] = commands.as_slice() else {
        panic!("not one add: {commands:?}")
    };
    assert_eq!(items[0].title, "Call mom");
    assert_eq!(items[0].priority, Some(Priority::High));
    assert_eq!(
        items[0].due_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 17, 0, 0).unwrap())
    );
}

#[test]
fn updates_by_field() {
    let change = |message: &str| match read(message).as_slice() {
        [Command::Update(target, change)] => (target.clone(), change.clone()),
        other => panic!("{message}: {other:?}"),
    };
    assert_eq!(change("set task 2 priority to high").1.priority, Some(Priority::High));
    assert_eq!(
        change("make it high priority"),
        (
            TaskRef::Last,
            Change {
                priority: Some(Priority::High),
                ..Change::default()
            }
        )
    );
    assert_eq!(
        change("move task 3 to friday").1.due_at,
        Some(Utc.with_ymd_and_hms(2026, 11, 27, 23, 59, 0).unwrap())
    );
    assert_eq!(
        change("rename the report task to Q3 report").0,
        TaskRef::Words("report".into())
    );
    assert_eq!(read("make a task to call bob"), [add("Call bob")]);
}
