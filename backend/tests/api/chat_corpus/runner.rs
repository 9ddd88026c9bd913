//! Runs corpus cases and scores them; what each case must show is checked in `checks.rs`.

use std::{collections::BTreeMap, fmt::Write as _};

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;

use super::checks::{check_database, check_turn, when};
use crate::support::{Session, TestApp};

const CORPUS: &str = include_str!("chat.json");

#[derive(Debug, Deserialize)]
pub(super) struct Corpus {
    pub cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Case {
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
pub(super) enum Seed {
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
pub(super) enum TurnSpec {
    Say(String),
    Checked {
        say: String,
        #[serde(flatten)]
        check: TurnCheck,
    },
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct TurnCheck {
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
pub(super) struct Expect {
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
pub(super) struct Fields {
    #[serde(default)]
    pub title: Option<String>,
    #[serde(default)]
    pub done: Option<bool>,
    #[serde(default)]
    pub priority: Option<String>,
    /// A date expression, or `none` for no due date.
    #[serde(default)]
    pub due: Option<String>,
    /// The description, or `none` for none; not checked when not given.
    #[serde(default)]
    pub description: Option<String>,
}

/// Which engine answers.
#[derive(Debug, Clone)]
pub(super) enum Engine {
    Rules,
    OpenAi {
        base_url: String,
        model: String,
        api_key: Option<String>,
    },
}

/// A task as stored.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub(super) struct Row {
    pub id: i64,
    pub title: String,
    pub done: bool,
    pub priority: String,
    pub due: Option<DateTime<Utc>>,
    pub description: Option<String>,
}

#[derive(Debug)]
pub(super) struct Outcome {
    id: String,
    group: String,
    problems: Vec<String>,
    wrong_write: bool,
}

#[derive(Debug)]
pub(super) struct Report {
    engine: String,
    outcomes: Vec<Outcome>,
}

impl Corpus {
    /// The corpus in the repository, or the file `CORPUS_FILE` names (a set kept elsewhere, in
    /// the same format, scored the same way).
    pub(super) fn load() -> Self {
        let (name, text) = match std::env::var("CORPUS_FILE") {
            Ok(path) => {
                let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
                (path, text)
            }
            Err(_) => ("tests/api/chat_corpus/chat.json".to_owned(), CORPUS.to_owned()),
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

    pub(super) async fn run(&self, db: PgPool, engine: &Engine) -> Report {
        // Every case is a turn of one user, far more than a minute's quota of turns.
        let unlimited = ["--quota-chat-turns-per-minute", "0"];
        let app = match engine {
            Engine::Rules => TestApp::with_args(db.clone(), &unlimited),
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
                args.extend(["--llm-timeout-secs", "120", "--llm-max-steps", "4"]);
                args.extend(unlimited);
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
        Seed::Title(title) => (title.clone(), false, "medium".to_owned(), None, None),
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
        description: None,
    }
}

impl Report {
    pub(super) fn score(&self) -> f64 {
        let passed = self.outcomes.iter().filter(|o| o.problems.is_empty()).count();
        passed as f64 / self.outcomes.len().max(1) as f64
    }

    pub(super) fn wrong_writes(&self) -> usize {
        self.outcomes.iter().filter(|o| o.wrong_write).count()
    }

    pub(super) fn summary(&self) -> String {
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

    pub(super) fn failures(&self) -> String {
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
