//! Fuzzing every route through `router(state)` on real PostgreSQL: generated query strings, path
//! parameters, headers and bodies (arbitrary JSON, valid bodies with fields swapped for anything,
//! unknown fields, broken encodings, deep nesting, oversize) never get a 5xx, and every refusal is
//! the contract's JSON error. It runs for `FUZZ_SECONDS` (default 20); a failure names the seed
//! (`FUZZ_SEED` replays it) and the request.

use std::time::{Duration, Instant};

use axum::{
    body::Body,
    http::{Method, Request, header},
};
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Session, TestApp};

/// Field names the routes know, so generated objects often hit real fields with wrong values.
const FIELDS: &[&str] = &[
    "email",
    "password",
    "name",
    "timezone",
    "title",
    "description",
    "priority",
    "due_at",
    "completed",
    "conversation_id",
    "message",
];
/// Query parameter names the routes know.
const PARAMS: &[&str] = &["status", "q", "sort", "order", "limit", "offset"];
/// Values that have broken parsers elsewhere: huge and negative numbers, odd dates, escapes.
const TRICKY: &[&str] = &[
    "",
    " ",
    "0",
    "-1",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "1e309",
    "NaN",
    "null",
    "true",
    "[]",
    "{}",
    "%",
    "%00",
    "\u{0}",
    "\u{202E}",
    "\u{1b}[2J",
    "2026-02-30T25:61:00Z",
    "+275760-09-13T00:00:00Z",
    "9999999999-01-01T00:00:00Z",
    "all",
    "pending",
    "completed",
    "title",
    "due_date",
    "priority",
    "asc",
    "desc",
    "high",
    "medium",
    "low",
    "Europe/Berlin",
    "in 200000000000 days",
    "a@b.co",
];

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(TRICKY).prop_map(str::to_owned),
        3 => "\\PC{0,40}",
        1 => any::<String>(),
        1 => (".{1,8}", 1..9000usize).prop_map(|(s, n)| s.repeat(n)),
    ]
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![3 => prop::sample::select(FIELDS).prop_map(str::to_owned), 1 => text()]
}

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 8, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..8).prop_map(|pairs| Value::Object(pairs.into_iter().collect())),
        ]
    })
}

/// A body a route might accept, with some fields replaced by anything and some added.
fn mutated_body() -> impl Strategy<Value = Value> {
    let valid = prop::sample::select(vec![
        json!({"email": "fuzz-new@example.com", "password": "correct horse battery", "name": "F", "timezone": "UTC"}),
        json!({"email": "fuzz@example.com", "password": "correct horse battery"}),
        json!({"title": "Fuzzed", "description": "d", "priority": "high", "due_at": "2026-12-03T17:00:00+01:00"}),
        json!({"title": "Renamed", "completed": true, "due_at": null}),
        json!({"conversation_id": 1, "message": "add buy milk tomorrow"}),
    ]);
    (valid, prop::collection::vec((key(), json_value()), 0..4)).prop_map(|(mut body, changes)| {
        if let Value::Object(fields) = &mut body {
            for (name, value) in changes {
                fields.insert(name, value);
            }
        }
        body
    })
}

/// Raw body bytes and the content type they are sent with.
fn body() -> impl Strategy<Value = (Option<&'static str>, Vec<u8>)> {
    let json_type = prop::sample::select(vec![Some("application/json"), Some("application/json; charset=utf-8")]);
    prop_oneof![
        4 => (json_type.clone(), mutated_body()).prop_map(|(kind, body)| (kind, body.to_string().into_bytes())),
        3 => (json_type.clone(), json_value()).prop_map(|(kind, body)| (kind, body.to_string().into_bytes())),
        1 => (json_type.clone(), prop::collection::vec(any::<u8>(), 0..200)),
        1 => (json_type, (1..20_000usize)).prop_map(|(kind, depth)| (kind, format!("{}{}", "[".repeat(depth), "]".repeat(depth)).into_bytes())),
        1 => prop::sample::select(vec![None, Some("text/plain"), Some("application/x-www-form-urlencoded")])
            .prop_flat_map(|kind| (Just(kind), prop::collection::vec(any::<u8>(), 0..100))),
        1 => Just((Some("application/json"), vec![b' '; 70 * 1024])),
    ]
}

fn query() -> impl Strategy<Value = String> {
    let param = prop_oneof![3 => prop::sample::select(PARAMS).prop_map(str::to_owned), 1 => text()];
    prop_oneof![
        4 => prop::collection::vec((param, text()), 0..6)
            .prop_map(|pairs| serde_urlencoded::to_string(pairs).unwrap_or_default()),
        1 => "[a-z%=&0-9A-F+;]{0,60}",
    ]
}

/// One generated request: which route, what goes into its path, query, body and credentials.
#[derive(Debug, Clone)]
struct Case {
    route: usize,
    user: u8,
    id: String,
    query: String,
    body: (Option<&'static str>, Vec<u8>),
    token: u8,
}

fn case(routes: usize) -> impl Strategy<Value = Case> {
    let id = prop_oneof![
        3 => (0i64..8).prop_map(|n| n.to_string()),
        1 => any::<i64>().prop_map(|n| n.to_string()),
        1 => "[a-zA-Z0-9%._~-]{1,30}",
    ];
    (0..routes, 0u8..10, id, query(), body(), 0u8..10).prop_map(|(route, user, id, query, body, token)| Case {
        route,
        user,
        id,
        query,
        body,
        token,
    })
}

impl Case {
    fn request(&self, routes: &[(Method, String)], session: &Session) -> Request<Body> {
        let (method, template) = &routes[self.route];
        let user = match self.user {
            0 => "00000000-0000-0000-0000-000000000000".to_owned(),
            1 => "not-a-uuid".to_owned(),
            _ => session.user_id.to_string(),
        };
        let mut uri = template.replace("{user_id}", &user).replace("{id}", &self.id);
        if !self.query.is_empty() {
            uri = format!("{uri}?{}", self.query);
        }
        let mut builder = Request::builder().method(method.clone()).uri(uri);
        builder = match self.token {
            0 => builder,
            1 => builder.header(header::AUTHORIZATION, "Bearer not.a.token"),
            _ => builder.header(header::AUTHORIZATION, format!("Bearer {}", session.token)),
        };
        if let Some(kind) = self.body.0 {
            builder = builder.header(header::CONTENT_TYPE, kind);
        }
        builder
            .body(Body::from(self.body.1.clone()))
            .unwrap_or_else(|_| Request::new(Body::empty()))
    }
}

/// Every documented operation but the two that end the fuzzing session's own token.
async fn routes(app: &TestApp) -> Vec<(Method, String)> {
    let doc = app.get("/openapi.json", None).await.json();
    let mut routes = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            if !path.starts_with("/api/auth/logout") {
                routes.push((
                    Method::from_bytes(method.to_uppercase().as_bytes()).unwrap(),
                    path.clone(),
                ));
            }
        }
    }
    routes
}

#[sqlx::test]
async fn no_generated_request_gets_a_5xx(db: PgPool) {
    let app = TestApp::new(db);
    let session = app.signup("fuzz@example.com").await;
    for title in ["Buy milk", "Call mom", "Write report"] {
        app.create_task(&session, json!({ "title": title })).await;
    }
    app.chat(&session, None, "add water the plants").await;
    let routes = routes(&app).await;
    assert!(routes.len() >= 16, "{routes:?}");

    let budget = Duration::from_secs(
        std::env::var("FUZZ_SECONDS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(20),
    );
    let seed: u64 = std::env::var("FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| u64::from(uuid::Uuid::new_v4().as_u128() as u32));
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config {
            failure_persistence: None,
            ..Config::default()
        },
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let strategy = case(routes.len());
    let started = Instant::now();
    let mut cases = 0u32;
    let mut statuses = std::collections::BTreeMap::<u16, u32>::new();
    while started.elapsed() < budget {
        let case = strategy.new_tree(&mut runner).expect("a case").current();
        let response = app.send(case.request(&routes, &session)).await;
        let status = response.status.as_u16();
        assert!(
            status < 500,
            "FUZZ_SEED={seed}, case {cases}: {} {} ({:?}) → {status}: {}",
            routes[case.route].0,
            routes[case.route].1,
            case,
            response.text
        );
        if status >= 400 {
            // Every refusal is the contract's error body.
            let body: Value = serde_json::from_str(&response.text).unwrap_or(Value::Null);
            assert!(
                body["error"]["code"].is_string() && body["error"]["message"].is_string(),
                "FUZZ_SEED={seed}: {case:?} → {status} without the error body: {}",
                response.text
            );
        }
        *statuses.entry(status).or_default() += 1;
        cases += 1;
    }
    // A run that only ever met one refusal would test one parser; this one must reach the handlers.
    assert!(cases >= 100, "only {cases} cases in {budget:?}");
    assert!(
        statuses.keys().any(|status| (200..300).contains(status)) && statuses.len() >= 5,
        "FUZZ_SEED={seed}: {statuses:?}"
    );
}
