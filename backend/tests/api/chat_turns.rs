//! Chat turns by id: a turn runs exactly once whatever asks for it again (a reconnect, ten requests
//! at once, a second replica), a later request replays the stored reply, a pending turn expires,
//! and a stop ends a turn between steps with the conversation consistent. The slow turns use the
//! OpenAI engine against `test_support::llm::SlowModel`, a stand-in provider that answers after a
//! delay (no real model is reachable here; the delay is what makes "mid-turn" observable).

use std::time::Duration;

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use test_support::llm::SlowModel;

use crate::support::{
    Session, TestApp,
    chat::{StreamEvent, parse_events},
};

impl TestApp {
    /// `POST …/chat/turns`; returns the response.
    async fn create_turn(&self, session: &Session, body: Value) -> crate::support::TestResponse {
        let uri = format!("/api/{}/chat/turns", session.user_id);
        self.call(Method::POST, &uri, Some(&session.token), Some(body)).await
    }

    /// A pending turn's id.
    async fn pending_turn(&self, session: &Session, message: &str) -> String {
        let created = self.create_turn(session, json!({ "message": message })).await;
        assert_eq!(created.status, StatusCode::CREATED, "{}", created.text);
        assert_eq!(created.json()["state"], "pending");
        created.json()["turn_id"].as_str().expect("turn_id").to_owned()
    }

    /// `POST …/run` as JSON: the finished turn.
    async fn run_turn(&self, session: &Session, turn: &str) -> Value {
        let uri = format!("/api/{}/chat/turns/{turn}/run", session.user_id);
        let response = self.call(Method::POST, &uri, Some(&session.token), None).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        response.json()
    }

    /// `POST …/run` with `Accept: text/event-stream`, read to the end.
    async fn stream_turn(&self, session: &Session, turn: &str) -> Vec<StreamEvent> {
        let request = axum::http::Request::post(format!("/api/{}/chat/turns/{turn}/run", session.user_id))
            .header("authorization", format!("Bearer {}", session.token))
            .header("accept", "text/event-stream")
            .body(axum::body::Body::empty())
            .unwrap();
        let response = self.send(request).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        parse_events(&response.text).await
    }

    async fn turn_status(&self, session: &Session, turn: &str) -> Value {
        let uri = format!("/api/{}/chat/turns/{turn}", session.user_id);
        let response = self.get(&uri, Some(&session.token)).await;
        assert_eq!(response.status, StatusCode::OK, "{}", response.text);
        response.json()
    }
}

fn names(events: &[StreamEvent]) -> Vec<&str> {
    events.iter().map(|event| event.name.as_str()).collect()
}

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

#[sqlx::test]
async fn a_turn_runs_once_and_any_later_request_replays_it(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("turns@example.com").await;
    let turn = app.pending_turn(&user, "Add a task to buy bread").await;
    assert_eq!(
        count(&db, "select count(*) from messages").await,
        0,
        "nothing runs before the stream asks"
    );

    let live = app.stream_turn(&user, &turn).await;
    assert_eq!(names(&live).first(), Some(&"tool_call"), "{live:?}");
    assert_eq!(names(&live).last(), Some(&"done"));
    let done = &live.last().unwrap().data;

    let again = app.stream_turn(&user, &turn).await;
    assert_eq!(
        again[0].name, "replay",
        "a second request is told it replays: {again:?}"
    );
    // The same events from what is stored, the text in one piece.
    let actions = |events: &[StreamEvent]| -> Vec<Value> {
        events
            .iter()
            .filter(|e| e.name.starts_with("tool_"))
            .map(|e| e.data.clone())
            .collect()
    };
    let text = |events: &[StreamEvent]| -> String {
        events
            .iter()
            .filter(|e| e.name == "delta")
            .map(|e| e.data["content"].as_str().unwrap())
            .collect()
    };
    assert_eq!(actions(&again), actions(&live));
    assert_eq!(text(&again), text(&live));
    assert_eq!(&again.last().unwrap().data, done);

    let status = app.run_turn(&user, &turn).await;
    assert_eq!(status["state"], "done");
    assert_eq!(status["reply"]["message_id"], done["message_id"]);
    assert_eq!(status["conversation_id"], done["conversation_id"]);
    assert_eq!(app.turn_status(&user, &turn).await, status);
    assert_eq!(
        count(&db, "select count(*) from tasks").await,
        1,
        "one task, however often the turn is asked for"
    );
    assert_eq!(
        count(&db, "select count(*) from messages").await,
        2,
        "one message and one reply"
    );
}

#[sqlx::test]
async fn of_ten_requests_at_once_exactly_one_runs_the_turn(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("race@example.com").await;
    let conversation = app.chat(&user, None, "hello").await["conversation_id"]
        .as_i64()
        .unwrap();
    let created = app
        .create_turn(
            &user,
            json!({"message": "Add a task to call mom", "conversation_id": conversation}),
        )
        .await;
    let turn = created.json()["turn_id"].as_str().unwrap().to_owned();
    let answers = futures_util::future::join_all((0..10).map(|_| app.run_turn(&user, &turn))).await;
    assert!(answers.iter().all(|answer| answer == &answers[0]), "{answers:#?}");
    assert_eq!(answers[0]["state"], "done");
    assert_eq!(answers[0]["conversation_id"], conversation);
    assert_eq!(count(&db, "select count(*) from tasks").await, 1);
    assert_eq!(count(&db, "select count(*) from messages where role = 'user'").await, 2);
}

#[sqlx::test]
async fn turns_are_validated_scoped_and_expire(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("owner@example.com").await;
    let other = app.signup("other@example.com").await;
    assert_eq!(
        app.create_turn(&user, json!({"message": "  "})).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let unknown = app
        .create_turn(&user, json!({"message": "hi", "conversation_id": 999}))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "not_found");

    let turn = app.pending_turn(&user, "Add a task to water the plants").await;
    let theirs = format!("/api/{}/chat/turns/{turn}", other.user_id);
    assert_eq!(
        app.get(&theirs, Some(&other.token)).await.status,
        StatusCode::NOT_FOUND,
        "another user's turn"
    );
    let run_theirs = format!("/api/{}/chat/turns/{turn}/run", other.user_id);
    assert_eq!(
        app.call(Method::POST, &run_theirs, Some(&other.token), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    let mine_with_their_token = format!("/api/{}/chat/turns/{turn}", user.user_id);
    assert_eq!(
        app.get(&mine_with_their_token, Some(&other.token)).await.status,
        StatusCode::FORBIDDEN
    );
    let garbage = format!("/api/{}/chat/turns/not-a-uuid", user.user_id);
    assert_eq!(app.get(&garbage, Some(&user.token)).await.status, StatusCode::NOT_FOUND);

    sqlx::query("update chat_turns set created_at = now() - interval '11 minutes'")
        .execute(&db)
        .await
        .unwrap();
    let expired = app.stream_turn(&user, &turn).await;
    assert_eq!(names(&expired), ["replay", "error"], "{expired:?}");
    assert_eq!(expired[1].data["code"], "turn_expired");
    assert_eq!(app.turn_status(&user, &turn).await["state"], "expired");
    assert_eq!(count(&db, "select count(*) from messages").await, 0);
    assert_eq!(count(&db, "select count(*) from tasks").await, 0);
}

#[sqlx::test]
async fn a_pending_turn_that_is_stopped_never_runs(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("early@example.com").await;
    let turn = app.pending_turn(&user, "Add a task to buy bread").await;
    let stop = format!("/api/{}/chat/turns/{turn}/stop", user.user_id);
    let stopped = app.call(Method::POST, &stop, Some(&user.token), None).await;
    assert_eq!(stopped.status, StatusCode::OK);
    assert_eq!(stopped.json()["state"], "stopped");
    let events = app.stream_turn(&user, &turn).await;
    assert_eq!(names(&events), ["replay", "error"]);
    assert_eq!(events[1].data["code"], "stopped");
    assert_eq!(count(&db, "select count(*) from messages").await, 0);
    assert_eq!(count(&db, "select count(*) from tasks").await, 0);
}

#[sqlx::test]
async fn a_turn_lost_with_its_replica_is_reported_not_rerun(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("lost@example.com").await;
    let turn = app.pending_turn(&user, "Add a task to buy bread").await;
    // Claimed by a replica that died long ago: running, never finished.
    sqlx::query("update chat_turns set state = 'running', claimed_at = now() - interval '10 minutes'")
        .execute(&db)
        .await
        .unwrap();
    let status = app.run_turn(&user, &turn).await;
    assert_eq!(status["state"], "failed");
    assert_eq!(status["error"]["code"], "interrupted");
    assert_eq!(count(&db, "select count(*) from tasks").await, 0);
}

async fn slow_app(db: PgPool, delay: Duration) -> (TestApp, SlowModel) {
    let model = SlowModel::start("Buy bread", "Added \"Buy bread\".", delay).await;
    let args = model.backend_args();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    (TestApp::with_args(db, &args), model)
}

#[sqlx::test]
async fn a_stop_ends_a_running_turn_between_steps_and_says_what_it_did(db: PgPool) {
    let (app, _model) = slow_app(db.clone(), Duration::from_secs(20)).await;
    let user = app.signup("stop@example.com").await;
    let turn = app.pending_turn(&user, "Add a task to buy bread").await;

    let started = std::time::Instant::now();
    let stream = app.stream_turn(&user, &turn);
    let stop = async {
        // Once the tool call is done, the turn waits for the slow model: stop it there.
        while count(&db, "select count(*) from tasks").await == 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        let uri = format!("/api/{}/chat/turns/{turn}/stop", user.user_id);
        app.call(Method::POST, &uri, Some(&user.token), None).await
    };
    let (events, stopping) = tokio::join!(stream, stop);
    assert_eq!(stopping.status, StatusCode::OK, "{}", stopping.text);
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "stopped long before the model answered"
    );
    assert_eq!(names(&events), ["tool_call", "tool_result", "error"], "{events:?}");
    let end = &events[2].data;
    assert_eq!(end["code"], "stopped");
    assert_eq!(
        end["message"],
        "Stopped. Before that I had already added task #1 \"Buy bread\"."
    );

    let status = app.turn_status(&user, &turn).await;
    assert_eq!(status["state"], "stopped");
    assert_eq!(
        status["reply"]["tool_calls"][0]["result"]["status"], "created",
        "the change is in the stored reply"
    );
    assert_eq!(status["reply"]["content"], end["message"]);
    let conversation = status["conversation_id"].as_i64().unwrap();
    let stored = app
        .get(
            &format!("/api/{}/conversations/{conversation}", user.user_id),
            Some(&user.token),
        )
        .await
        .json();
    let roles: Vec<&str> = stored["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["role"].as_str().unwrap())
        .collect();
    assert_eq!(roles, ["user", "assistant"], "the conversation stays consistent");
    assert_eq!(count(&db, "select count(*) from tasks").await, 1);
}

#[sqlx::test]
async fn a_reconnect_during_a_turn_waits_for_it_and_replays_it(db: PgPool) {
    let (app, model) = slow_app(db.clone(), Duration::from_secs(2)).await;
    let user = app.signup("reconnect@example.com").await;
    let turn = app.pending_turn(&user, "Add a task to buy bread").await;

    // The first stream is dropped as soon as the turn has begun (a connection that died).
    let uri = format!("/api/{}/chat/turns/{turn}/run", user.user_id);
    let request = axum::http::Request::post(&uri)
        .header("authorization", format!("Bearer {}", user.token))
        .header("accept", "text/event-stream")
        .body(axum::body::Body::empty())
        .unwrap();
    let response = tower::ServiceExt::oneshot(app.router.clone(), request).await.unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    drop(response);

    let events = app.stream_turn(&user, &turn).await;
    assert_eq!(events[0].name, "replay");
    assert_eq!(
        events[0].data["state"], "running",
        "the turn was still running when asked again"
    );
    assert_eq!(names(&events)[1..], ["tool_call", "tool_result", "delta", "done"]);
    assert_eq!(events[3].data["content"], "Added \"Buy bread\".");
    assert_eq!(
        count(&db, "select count(*) from tasks").await,
        1,
        "the reconnect did not run it again"
    );
    assert_eq!(
        model.requests().await,
        2,
        "the model was asked twice (one tool call, one answer), not four times"
    );
}
