//! What a corpus case must show: the tools a turn called, what its reply says, and the tasks in the
//! database compared with the seed and the expectation. Dates in the corpus are relative to the moment a case runs,
//! in the case's timezone: `+1d 17:00` (tomorrow at 17:00), `-2d` (two days ago, date only),
//! `fri 09:00` (the coming Friday, strictly after today), `eom` (the last day of this month),
//! `md:03-03` (the next March 3rd), `dom:05` (the next 5th of a month, today included), `nw:mon` / `tw:sun` (Monday of next
//! calendar week / Sunday of this one), `next 17:00` (the next time the clock shows 17:00).
//! A due without a time is compared by date only.

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde_json::Value;
use sqlx::PgPool;

use super::runner::{Case, Fields, Row, TurnCheck};
use crate::support::chat::tools_called;

pub(super) fn check_turn(turn: usize, reply: &Value, check: &TurnCheck, problems: &mut Vec<String>) {
    let text = reply["response"].as_str().unwrap_or_default();
    let lower = text.to_lowercase();
    if let Some(expected) = &check.tools {
        let called = tools_called(reply);
        let writes: Vec<&String> = called.iter().filter(|tool| *tool != "list_tasks").collect();
        let ok = match expected.as_slice() {
            [only] if only == "list_tasks" => writes.is_empty() && called.iter().any(|tool| tool == "list_tasks"),
            [] => called.is_empty(),
            _ => writes
                .iter()
                .map(|t| t.as_str())
                .eq(expected.iter().map(String::as_str)),
        };
        if !ok {
            problems.push(format!(
                "turn {turn}: tools {called:?}, expected {expected:?}; reply: {text:?}"
            ));
        }
    }
    for needle in &check.reply_has {
        if !lower.contains(&needle.to_lowercase()) {
            problems.push(format!("turn {turn}: reply lacks {needle:?}: {text:?}"));
        }
    }
    let mut from = 0;
    for needle in &check.reply_order {
        match lower[from..].find(&needle.to_lowercase()) {
            Some(at) => from += at + needle.len(),
            None => {
                problems.push(format!(
                    "turn {turn}: reply does not list {:?} in that order: {text:?}",
                    check.reply_order
                ));
                break;
            }
        }
    }
    for needle in &check.reply_not {
        if lower.contains(&needle.to_lowercase()) {
            problems.push(format!("turn {turn}: reply mentions {needle:?}: {text:?}"));
        }
    }
}

/// Compares the tasks with the seed and the expectation; true when something was written that
/// should not have been (as opposed to an expected change that did not happen).
pub(super) async fn check_database(
    db: &PgPool,
    case: &Case,
    seeded: &[Row],
    now: DateTime<Utc>,
    tz: Tz,
    problems: &mut Vec<String>,
) -> bool {
    let actual: Vec<Row> = sqlx::query_as(
        "select id, title, completed as done, priority::text as priority, due_at as due, description from tasks order by id",
    )
    .fetch_all(db)
    .await
    .expect("tasks");
    let mut wrong = false;
    for seed in seeded {
        let now_row = actual.iter().find(|row| row.id == seed.id);
        let key = seed.id.to_string();
        if case.expect.deleted.contains(&seed.id) {
            match now_row {
                None => {}
                Some(row) if row == seed => problems.push(format!("#{} {:?} was not deleted", seed.id, seed.title)),
                Some(row) => {
                    wrong = true;
                    problems.push(format!("#{} should be deleted but was changed: {row:?}", seed.id));
                }
            }
            continue;
        }
        let Some(row) = now_row else {
            wrong = true;
            problems.push(format!("#{} {:?} was deleted", seed.id, seed.title));
            continue;
        };
        match case.expect.changed.get(&key) {
            None if row != seed => {
                wrong = true;
                problems.push(format!("#{} changed unexpectedly: {seed:?} → {row:?}", seed.id));
            }
            None => {}
            Some(fields) => {
                if let Some(problem) = mismatch(row, seed, fields, now, tz, &case.id) {
                    wrong |= row != seed;
                    problems.push(format!("#{} {problem}", seed.id));
                }
            }
        }
    }
    let new: Vec<&Row> = actual
        .iter()
        .filter(|row| !seeded.iter().any(|seed| seed.id == row.id))
        .collect();
    for (i, row) in new.iter().enumerate() {
        match case.expect.added.get(i) {
            None => {
                wrong = true;
                problems.push(format!("unexpected new task {row:?}"));
            }
            Some(fields) => {
                let fresh = Row {
                    id: row.id,
                    title: String::new(),
                    done: false,
                    priority: "medium".into(),
                    due: None,
                    description: None,
                };
                if let Some(problem) = mismatch(row, &fresh, fields, now, tz, &case.id) {
                    wrong = true;
                    problems.push(format!("new task {problem}"));
                }
            }
        }
    }
    if new.len() < case.expect.added.len() {
        problems.push(format!(
            "{} of {} expected tasks were added",
            new.len(),
            case.expect.added.len()
        ));
    }
    wrong
}

/// How `row` differs from `base` with `fields` applied (fields not given keep the base's value).
fn mismatch(row: &Row, base: &Row, fields: &Fields, now: DateTime<Utc>, tz: Tz, case: &str) -> Option<String> {
    let mut problems = Vec::new();
    let title = fields.title.as_ref().unwrap_or(&base.title);
    if &row.title != title {
        problems.push(format!("title {:?}, expected {title:?}", row.title));
    }
    let done = fields.done.unwrap_or(base.done);
    if row.done != done {
        problems.push(format!("done {}, expected {done}", row.done));
    }
    let priority = fields.priority.as_ref().unwrap_or(&base.priority);
    if &row.priority != priority {
        problems.push(format!("priority {}, expected {priority}", row.priority));
    }
    let show = |due: Option<DateTime<Utc>>| due.map_or_else(|| "none".to_owned(), |d| d.with_timezone(&tz).to_string());
    let due_ok = match fields.due.as_deref() {
        None => row.due == base.due,
        Some("none") => row.due.is_none(),
        Some(expr) => {
            let (want, date_only) = when(expr, now, tz, case);
            row.due.is_some_and(|due| {
                let (a, b) = (due.with_timezone(&tz), want.with_timezone(&tz));
                a.date_naive() == b.date_naive() && (date_only || a.time() == b.time())
            })
        }
    };
    if !due_ok {
        problems.push(format!(
            "due {}, expected {}",
            show(row.due),
            fields.due.as_deref().map_or_else(|| show(base.due), str::to_owned)
        ));
    }
    if let Some(want) = fields.description.as_deref() {
        let want = (want != "none").then_some(want);
        if row.description.as_deref() != want {
            problems.push(format!("description {:?}, expected {want:?}", row.description));
        }
    }
    (!problems.is_empty()).then(|| format!("{:?}: {}", row.title, problems.join("; ")))
}

/// A corpus date expression, and whether only its date counts.
pub(super) fn when(expr: &str, now: DateTime<Utc>, tz: Tz, case: &str) -> (DateTime<Utc>, bool) {
    let local_now = now.with_timezone(&tz);
    let today = local_now.date_naive();
    let mut parts = expr.split_whitespace();
    let day_part = parts.next().unwrap_or_default();
    let time_part = parts.next();
    fn bad<T>(case: &str, expr: &str) -> T {
        panic!("{case}: bad date expression {expr:?}")
    }
    let time = time_part.map(|t| NaiveTime::parse_from_str(t, "%H:%M").unwrap_or_else(|_| bad(case, expr)));
    let shift = |date: NaiveDate, days: i64| {
        if days >= 0 {
            date.checked_add_days(Days::new(days.unsigned_abs()))
        } else {
            date.checked_sub_days(Days::new(days.unsigned_abs()))
        }
    };
    let monday = |date: NaiveDate| shift(date, -i64::from(date.weekday().num_days_from_monday()));
    let day = if day_part == "next" {
        let time = time.unwrap_or_else(|| bad(case, expr));
        if time > local_now.time() {
            Some(today)
        } else {
            shift(today, 1)
        }
    } else if day_part == "eom" {
        let first_of_next = if today.month() == 12 {
            NaiveDate::from_ymd_opt(today.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(today.year(), today.month() + 1, 1)
        };
        first_of_next.and_then(|day| day.pred_opt())
    } else if let Some(month_day) = day_part.strip_prefix("md:") {
        // The next such calendar day, this year or next.
        let this_year = NaiveDate::parse_from_str(&format!("{}-{month_day}", today.year()), "%Y-%m-%d").ok();
        match this_year {
            Some(date) if date >= today => Some(date),
            _ => NaiveDate::parse_from_str(&format!("{}-{month_day}", today.year() + 1), "%Y-%m-%d").ok(),
        }
    } else if let Some(day) = day_part.strip_prefix("dom:") {
        let day: u32 = day.parse().unwrap_or_else(|_| bad(case, expr));
        let mut month = NaiveDate::from_ymd_opt(today.year(), today.month(), 1);
        let mut found = None;
        for _ in 0..12 {
            let first = month.unwrap_or_else(|| bad(case, expr));
            if let Some(date) = first.with_day(day).filter(|date| *date >= today) {
                found = Some(date);
                break;
            }
            month = first.checked_add_months(chrono::Months::new(1));
        }
        found
    } else if let Some((week, weekday)) = day_part.split_once(':') {
        let offset = match week {
            "tw" => 0,
            "nw" => 7,
            "w2" => 14,
            _ => bad(case, expr),
        };
        let weekday: Weekday = weekday.parse().unwrap_or_else(|_| bad(case, expr));
        monday(today).and_then(|m| shift(m, offset + i64::from(weekday.num_days_from_monday())))
    } else if let Some(n) = day_part.strip_suffix('d').and_then(|n| n.parse::<i64>().ok()) {
        shift(today, n)
    } else {
        let weekday: Weekday = day_part.parse().unwrap_or_else(|_| bad(case, expr));
        let ahead = (7 + weekday.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
        shift(today, if ahead == 0 { 7 } else { i64::from(ahead) })
    };
    let day = day.unwrap_or_else(|| bad(case, expr));
    let local = day.and_time(time.unwrap_or_else(|| NaiveTime::from_hms_opt(23, 59, 0).unwrap_or_default()));
    let at = tz
        .from_local_datetime(&local)
        .earliest()
        .unwrap_or_else(|| panic!("{case}: {expr:?} falls in a clock change"))
        .with_timezone(&Utc);
    (at, time.is_none())
}
