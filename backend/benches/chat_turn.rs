//! How long the embedded engine takes on a user with 200 tasks (target: a turn under 5 ms p50
//! server-side). `decision`: reading a message and matching it against 200 titles, no I/O.
//! `turn`: whole `POST /api/{user}/chat` turns through the router on a real PostgreSQL (history
//! load, tool calls, storing the reply); it runs when `DATABASE_URL` names a server where it may
//! create and drop a scratch database.
#![allow(clippy::expect_used, reason = "a benchmark whose setup fails should stop loudly")]

use axum::{
    body::Body,
    http::{Request, header},
};
use chrono::{TimeZone, Utc};
use chrono_tz::Tz;
use criterion::{Criterion, criterion_group, criterion_main};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use service_kit::config::LoadConfig;
use sqlx::{Connection, PgConnection, PgPool};
use todo_backend::{AppState, Config, router, rules_engine};
use tower::ServiceExt;

const MESSAGES: [&str; 6] = [
    "add call the plumber tomorrow at 4:15, it's a must",
    "mark the quarterly report thing as done",
    "what's due next week?",
    "done with laundry and dishes",
    "anything about the bike?",
    "actually, make that thursday",
];

fn titles() -> Vec<String> {
    let things = [
        "report", "laundry", "dishes", "bike", "dentist", "milk", "plumber", "taxes", "garden", "car",
    ];
    let verbs = [
        "Write", "Do", "Wash", "Fix", "Call", "Buy", "Book", "File", "Water", "Service",
    ];
    (0..200)
        .map(|i| {
            format!(
                "{} the {} {}",
                verbs[i % 10],
                things[(i / 10) % 10],
                ["quarterly", "weekly", "new", "old"][i % 4]
            )
        })
        .collect()
}

fn decision(c: &mut Criterion) {
    let now = Utc
        .with_ymd_and_hms(2026, 11, 26, 9, 0, 0)
        .single()
        .expect("valid instant");
    let tasks: Vec<Value> = titles()
        .into_iter()
        .enumerate()
        .map(|(i, title)| json!({"id": i + 1, "title": title, "completed": i % 3 == 0}))
        .collect();
    let dialogue = json!({"shown": [1, 2, 3], "touched": [4]});
    let mut group = c.benchmark_group("decision");
    for message in MESSAGES {
        group.bench_function(message, |b| {
            b.iter(|| {
                let commands = rules_engine::decide(message, now, Tz::Europe__Berlin, &dialogue);
                let matches = rules_engine::match_titles(message, &tasks);
                std::hint::black_box((commands, matches))
            });
        });
    }
    group.finish();
}

struct Bench {
    router: axum::Router,
    uri: String,
    token: String,
    admin_url: String,
    name: String,
}

async fn setup(server_url: &str) -> anyhow::Result<Bench> {
    let name = format!("bench_chat_{}", std::process::id());
    let mut admin = PgConnection::connect(server_url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let (address, query) = server_url.split_once('?').unwrap_or((server_url, ""));
    let base = address.rsplit_once('/').map_or(address, |(base, _)| base);
    let url = if query.is_empty() {
        format!("{base}/{name}")
    } else {
        format!("{base}/{name}?{query}")
    };
    let db = PgPool::connect(&url).await?;
    sqlx::migrate!("./migrations").run(&db).await?;
    let args = [
        "todo-backend",
        "--database-url",
        url.as_str(),
        "--auth-secret",
        "bench-secret-that-is-long-enough-0123456789",
    ];
    let config = Config::load_from(args).map_err(anyhow::Error::msg)?;
    let state = AppState::new(db.clone(), &config)?;
    let router = router(state);
    let signup = Request::post("/api/auth/signup")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"email": "bench@example.com", "password": "correct horse battery", "timezone": "Europe/Berlin"})
                .to_string(),
        ))?;
    let response = router.clone().oneshot(signup).await?;
    let body: Value = serde_json::from_slice(&response.into_body().collect().await?.to_bytes())?;
    let user_id: uuid::Uuid = body["user_id"].as_str().unwrap_or_default().parse()?;
    for (i, title) in titles().iter().enumerate() {
        sqlx::query("insert into tasks (user_id, title, completed, due_at) values ($1, $2, $3, now() + make_interval(days => $4))")
            .bind(user_id)
            .bind(title)
            .bind(i % 3 == 0)
            .bind(i32::try_from(i % 20)? - 5)
            .execute(&db)
            .await?;
    }
    Ok(Bench {
        router,
        uri: format!("/api/{user_id}/chat"),
        token: body["token"].as_str().unwrap_or_default().to_owned(),
        admin_url: server_url.to_owned(),
        name,
    })
}

fn turn(c: &mut Criterion) {
    let Ok(server_url) = std::env::var("DATABASE_URL") else {
        return;
    };
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    let bench = runtime.block_on(setup(&server_url)).expect("bench database");
    let mut group = c.benchmark_group("turn");
    for message in [
        "hello",
        "what's due next week?",
        "is the quarterly report done?",
        "anything about the bike?",
        "mark task 7 as done",
    ] {
        group.bench_function(message, |b| {
            b.to_async(&runtime).iter(|| async {
                let request = Request::post(&bench.uri)
                    .header(header::AUTHORIZATION, format!("Bearer {}", bench.token))
                    .header(header::CONTENT_TYPE, "application/json")
                    .body(Body::from(json!({ "message": message }).to_string()))
                    .expect("request");
                let response = bench.router.clone().oneshot(request).await.expect("response");
                assert!(response.status().is_success());
                std::hint::black_box(response.into_body().collect().await.expect("body"))
            });
        });
    }
    group.finish();
    runtime.block_on(async {
        drop(bench.router);
        if let Ok(mut admin) = PgConnection::connect(&bench.admin_url).await {
            let _ = sqlx::query(&format!("drop database if exists {} with (force)", bench.name))
                .execute(&mut admin)
                .await;
        }
    });
}

criterion_group!(benches, decision, turn);
criterion_main!(benches);
