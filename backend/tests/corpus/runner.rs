//! Runs corpus cases and scores them. Dates in the corpus are relative to the moment a case runs,
//! in the case's timezone: `+1d 17:00` (tomorrow at 17:00), `-2d` (two days ago, date only),
//! `fri 09:00` (the coming Friday, strictly after today), `eom` (the last day of this month),
//! `md:03-03` (the next March 3rd), `nw:mon` / `tw:sun` (Monday of next
//! calendar week / Sunday of this one), `next 17:00` (the next time the clock shows 17:00).
//! A due without a time is compared by date only.

use std::{collections::BTreeMap, fmt::Write as _};

use chrono::{DateTime, Datelike, Days, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::common::{Session, TestApp, chat::tools_called};

const CORPUS: &str = include_str!("chat.json");

#[derive(Debug, Deserialize)]
pub struct Corpus {
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Case {
    pub id: String,
    pub group: String,
    #[serde(default)]
    pub tz: Option<String>,
    #[serde(default)]
    pub tasks: Vec<Seed>,
    pub turns: Vec<TurnSpec>,
    #[serde(default)]
    pub expect: Expect,
}

/// A seeded task: a title, or the title with its state.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Seed {
    Title(String),
    Full {
        title: String,
        #[serde(default)]
        done: bool,
        #[serde(default)]
        priority: Option<String>,
        #[serde(default)]
        due: Option<String>,
        /// When it was created, e.g. `-1d` (yesterday); default: now.
        #[serde(default)]
        created: Option<String>,
    },
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum TurnSpec {
    Say(String),
    Checked {
        say: String,
        #[serde(flatten)]
        check: TurnCheck,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TurnCheck {
    /// The tools that change tasks, in order (`list_tasks` is ignored unless it is all that is expected).
    #[serde(default)]
    pub tools: Option<Vec<String>>,
    #[serde(default)]
    pub reply_has: Vec<String>,
    #[serde(default)]
    pub reply_not: Vec<String>,
    /// Texts the reply must mention in this order (a sorted list).
    #[serde(default)]
    pub reply_order: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// Checks on the last turn.
    #[serde(flatten)]
    pub last: TurnCheck,
    /// New tasks, in the order they were created; no other task may appear.
    #[serde(default)]
    pub added: Vec<Fields>,
    /// Seeded tasks (by 1-based seed position, which is their id) and their expected fields.
    #[serde(default)]
    pub changed: BTreeMap<String, Fields>,
    /// Seeded tasks that must be gone.
    #[serde(default)]
    pub deleted: Vec<i64>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fields {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub done: Option<bool>,
    #[serde(default)]
    pub priority: Option<String>,
    /// A date expression, or `none` for no due date.
    #[serde(default)]
    pub due: Option<String>,
}

/// Which engine answers.
#[derive(Debug, Clone)]
pub enum Engine {
    Rules,
    OpenAi {
        base_url: String,
        model: String,
        api_key: Option<String>,
    },
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
struct Row {
    id: i64,
    title: String,
    done: bool,
    priority: String,
    due: Option<DateTime<Utc>>,
}

#[derive(Debug)]
pub struct Outcome {
    id: String,
    group: String,
    problems: Vec<String>,
    wrong_write: bool,
}

#[derive(Debug)]
pub struct Report {
    engine: String,
    outcomes: Vec<Outcome>,
}

impl Corpus {
    /// The corpus in the repository, or the file `CORPUS_FILE` names (a set kept elsewhere, in
    /// the same format, scored the same way).
    pub fn load() -> Self {
        let (name, text) = match std::env::var("CORPUS_FILE") {
            Ok(path) => {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
                (path, text)
            }
            Err(_) => ("tests/corpus/chat.json".to_string(), CORPUS.to_string()),
        };
        let mut corpus: Self = serde_json::from_str(&text).unwrap_or_else(|err| panic!("{name}: {err}"));
        // `CORPUS_CASES=prefix,prefix` runs a subset while working on the engine.
        if let Ok(only) = std::env::var("CORPUS_CASES") {
            let prefixes: Vec<&str> = only.split(',').collect();
            corpus
                .cases
                .retain(|case| prefixes.iter().any(|p| case.id.starts_with(p)));
        }
        let mut ids: Vec<&str> = corpus.cases.iter().map(|case| case.id.as_str()).collect();
        ids.sort_unstable();
        let before = ids.len();
        ids.dedup();
        assert_eq!(before, ids.len(), "case ids are unique");
        corpus
    }

    pub async fn run(&self, db: PgPool, engine: &Engine) -> Report {
        let app = match engine {
            Engine::Rules => TestApp::new(db.clone()),
            Engine::OpenAi {
                base_url,
                model,
                api_key,
            } => {
                let mut args = vec![
                    "--llm-provider",
                    "openai",
                    "--llm-base-url",
                    base_url,
                    "--llm-model",
                    model,
                ];
                args.extend(["--llm-timeout-secs", "120", "--llm-max-steps", "6"]);
                if let Some(key) = api_key {
                    args.extend(["--llm-api-key", key]);
                }
                TestApp::with_args(db.clone(), &args)
            }
        };
        // One user for every case (a signup hashes a password, the slow part of a case); each case
        // starts from no tasks and no conversations, with ids from 1, in its own timezone.
        let user = app.signup("corpus@example.com").await;
        let mut outcomes = Vec::new();
        for case in &self.cases {
            outcomes.push(run_case(&app, &db, &user, case).await);
        }
        Report {
            engine: match engine {
                Engine::Rules => "rules".into(),
                Engine::OpenAi { model, .. } => format!("openai ({model})"),
            },
            outcomes,
        }
    }
}

async fn run_case(app: &TestApp, db: &PgPool, user: &Session, case: &Case) -> Outcome {
    sqlx::query("truncate tasks, conversations, messages, task_changes restart identity cascade")
        .execute(db)
        .await
        .expect("reset between cases");
    let tz_name = case.tz.clone().unwrap_or_else(|| "UTC".into());
    let tz: Tz = tz_name
        .parse()
        .unwrap_or_else(|_| panic!("{}: unknown timezone {tz_name}", case.id));
    sqlx::query("update users set timezone = $1 where id = $2")
        .bind(&tz_name)
        .bind(user.user_id)
        .execute(db)
        .await
        .expect("the case's timezone");
    let now = Utc::now();
    let mut seeded = Vec::new();
    for seed in &case.tasks {
        seeded.push(seed_task(db, user.user_id, seed, now, tz, &case.id).await);
    }
    let mut problems = Vec::new();
    let mut conversation = None;
    let last = case.turns.len().saturating_sub(1);
    for (i, turn) in case.turns.iter().enumerate() {
        let (say, check) = match turn {
            TurnSpec::Say(say) => (say.as_str(), None),
            TurnSpec::Checked { say, check } => (say.as_str(), Some(check)),
        };
        let mut body = json!({ "message": say });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        let response = app.chat_raw(user, body).await;
        if !response.status.is_success() {
            problems.push(format!(
                "turn {} {say:?}: HTTP {}: {}",
                i + 1,
                response.status,
                response.text
            ));
            continue;
        }
        let reply = response.json();
        conversation = reply["conversation_id"].as_i64();
        if let Some(check) = check {
            check_turn(i + 1, &reply, check, &mut problems);
        }
        if i == last {
            check_turn(i + 1, &reply, &case.expect.last, &mut problems);
        }
    }
    let wrong_write = check_database(db, case, &seeded, now, tz, &mut problems).await;
    Outcome {
        id: case.id.clone(),
        group: case.group.clone(),
        problems,
        wrong_write,
    }
}

async fn seed_task(db: &PgPool, user: uuid::Uuid, seed: &Seed, now: DateTime<Utc>, tz: Tz, case: &str) -> Row {
    let (title, done, priority, due, created) = match seed {
        Seed::Title(title) => (title.clone(), false, "medium".to_string(), None, None),
        Seed::Full {
            title,
            done,
            priority,
            due,
            created,
        } => (
            title.clone(),
            *done,
            priority.clone().unwrap_or_else(|| "medium".into()),
            due.as_deref().map(|expr| when(expr, now, tz, case).0),
            created.as_deref().map(|expr| when(expr, now, tz, case).0),
        ),
    };
    let id: i64 = sqlx::query_scalar(
        "insert into tasks (user_id, title, completed, priority, due_at, created_at)
         values ($1, $2, $3, $4::task_priority, $5, coalesce($6, now())) returning id",
    )
    .bind(user)
    .bind(&title)
    .bind(done)
    .bind(&priority)
    .bind(due)
    .bind(created)
    .fetch_one(db)
    .await
    .expect("seed task");
    Row {
        id,
        title,
        done,
        priority,
        due,
    }
}

fn check_turn(turn: usize, reply: &Value, check: &TurnCheck, problems: &mut Vec<String>) {
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
async fn check_database(
    db: &PgPool,
    case: &Case,
    seeded: &[Row],
    now: DateTime<Utc>,
    tz: Tz,
    problems: &mut Vec<String>,
) -> bool {
    let actual: Vec<Row> = sqlx::query_as(
        "select id, title, completed as done, priority::text as priority, due_at as due from tasks order by id",
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
    let show =
        |due: Option<DateTime<Utc>>| due.map_or_else(|| "none".to_string(), |d| d.with_timezone(&tz).to_string());
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
            fields.due.as_deref().map_or_else(|| show(base.due), str::to_string)
        ));
    }
    (!problems.is_empty()).then(|| format!("{:?}: {}", row.title, problems.join("; ")))
}

/// A corpus date expression, and whether only its date counts.
fn when(expr: &str, now: DateTime<Utc>, tz: Tz, case: &str) -> (DateTime<Utc>, bool) {
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

impl Report {
    pub fn score(&self) -> f64 {
        let passed = self.outcomes.iter().filter(|o| o.problems.is_empty()).count();
        passed as f64 / self.outcomes.len().max(1) as f64
    }

    pub fn wrong_writes(&self) -> usize {
        self.outcomes.iter().filter(|o| o.wrong_write).count()
    }

    pub fn summary(&self) -> String {
        let mut groups: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        for outcome in &self.outcomes {
            let entry = groups.entry(outcome.group.as_str()).or_default();
            entry.1 += 1;
            if outcome.problems.is_empty() {
                entry.0 += 1;
            }
        }
        let passed = self.outcomes.iter().filter(|o| o.problems.is_empty()).count();
        let mut text = format!(
            "chat corpus, {} engine: {passed}/{} cases passed ({:.1}%), {} wrote wrong data\n",
            self.engine,
            self.outcomes.len(),
            self.score() * 100.0,
            self.wrong_writes()
        );
        for (group, (ok, all)) in groups {
            let _ = writeln!(text, "  {group:<14} {ok:>3}/{all:<3}");
        }
        text
    }

    pub fn failures(&self) -> String {
        let mut text = String::new();
        for outcome in self.outcomes.iter().filter(|o| !o.problems.is_empty()) {
            let mark = if outcome.wrong_write { "WRONG WRITE" } else { "failed" };
            let _ = writeln!(
                text,
                "- {} [{}] {mark}: {}",
                outcome.id,
                outcome.group,
                outcome.problems.join(" | ")
            );
        }
        text
    }
}
