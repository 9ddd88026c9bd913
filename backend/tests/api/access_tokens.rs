//! Personal access tokens through the REST routes: created once, listed without the secret, used as
//! a bearer token anywhere a session works (except to manage tokens), expired or revoked → 401.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;

use crate::support::{Session, TestApp};

fn tokens_uri(session: &Session) -> String {
    format!("/api/{}/access-tokens", session.user_id)
}

/// Creates a token for `session`; returns the whole answer (with the token in it).
async fn create(app: &TestApp, session: &Session, body: Value) -> Value {
    let response = app
        .call(Method::POST, &tokens_uri(session), Some(&session.token), Some(body))
        .await;
    assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    assert_eq!(response.header("cache-control"), Some("no-store"));
    response.json()
}

#[sqlx::test]
async fn a_token_is_shown_once_stored_hashed_and_works_as_a_bearer_token(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    let created = create(&app, &ada, json!({"name": "  Claude Desktop ", "expires_in_days": 30})).await;
    let token = created["token"].as_str().unwrap().to_owned();
    assert!(token.starts_with("todo_pat_"), "{token}");
    assert_eq!(created["name"], "Claude Desktop");
    assert!(token.starts_with(created["token_prefix"].as_str().unwrap()));
    let expires = created["expires_at"]
        .as_str()
        .unwrap()
        .parse::<chrono::DateTime<chrono::Utc>>()
        .unwrap();
    let days = (expires - chrono::Utc::now()).num_hours() as f64 / 24.0;
    assert!((29.9..=30.0).contains(&days), "{days} days");

    // Nothing in the database or in the list can be used as the token.
    let stored: Vec<u8> = sqlx::query_scalar("select token_hash from access_tokens")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32);
    assert!(!String::from_utf8_lossy(&stored).contains(&token[9..]));
    let listed = app.get(&tokens_uri(&ada), Some(&ada.token)).await;
    assert_eq!(listed.status, StatusCode::OK);
    assert!(!listed.text.contains(&token), "{}", listed.text);
    assert_eq!(listed.json()[0]["last_used_at"], Value::Null);

    // The token is Ada, on her own routes.
    let me = app.get("/api/auth/me", Some(&token)).await;
    assert_eq!(
        (me.status, me.json()["email"].clone()),
        (StatusCode::OK, "ada@example.com".into())
    );
    app.create_task(
        &Session {
            user_id: ada.user_id,
            token: token.clone(),
        },
        json!({"title": "Via token"}),
    )
    .await;
    let tasks = app.get(&format!("/api/{}/tasks", ada.user_id), Some(&ada.token)).await;
    assert_eq!(tasks.json()[0]["title"], "Via token");

    let listed = app.get(&tokens_uri(&ada), Some(&ada.token)).await.json();
    assert!(listed[0]["last_used_at"].is_string(), "use is noted: {listed}");
}

#[sqlx::test]
async fn a_revoked_or_expired_token_is_refused_on_the_next_call(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    let kept = create(&app, &ada, json!({"name": "kept"})).await;
    assert_eq!(kept["expires_at"], Value::Null, "no expiry asked, none set");
    let revoked = create(&app, &ada, json!({"name": "revoked"})).await;
    let expired = create(&app, &ada, json!({"name": "expired", "expires_in_days": 1.0})).await;
    let token = |value: &Value| value["token"].as_str().unwrap().to_owned();
    for value in [&kept, &revoked, &expired] {
        assert_eq!(
            app.get("/api/auth/me", Some(&token(value))).await.status,
            StatusCode::OK
        );
    }

    let uri = format!("{}/{}", tokens_uri(&ada), revoked["id"]);
    let response = app.call(Method::DELETE, &uri, Some(&ada.token), None).await;
    assert_eq!(response.status, StatusCode::NO_CONTENT);
    sqlx::query("update access_tokens set created_at = now() - interval '2 days', expires_at = now() - interval '1 second' where id = $1")
        .bind(expired["id"].as_i64().unwrap())
        .execute(&db)
        .await
        .unwrap();

    for value in [&revoked, &expired] {
        let refused = app.get("/api/auth/me", Some(&token(value))).await;
        assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", value["name"]);
        assert_eq!(refused.error_code(), "unauthorized");
    }
    assert_eq!(
        app.get("/api/auth/me", Some(&token(&kept))).await.status,
        StatusCode::OK
    );
    let forged = format!("todo_pat_{}", "A".repeat(43));
    assert_eq!(
        app.get("/api/auth/me", Some(&forged)).await.status,
        StatusCode::UNAUTHORIZED
    );

    let names: Vec<Value> = app
        .get(&tokens_uri(&ada), Some(&ada.token))
        .await
        .json()
        .as_array()
        .unwrap()
        .iter()
        .map(|token| token["name"].clone())
        .collect();
    assert_eq!(
        names,
        ["kept", "expired"].map(Value::from),
        "newest first (the expired one is backdated), the revoked one gone"
    );
    assert_eq!(
        app.call(Method::DELETE, &uri, Some(&ada.token), None).await.status,
        StatusCode::NOT_FOUND,
        "revoking twice"
    );
}

#[sqlx::test]
async fn only_a_session_manages_tokens_and_only_its_own(db: PgPool) {
    let app = TestApp::new(db);
    let ada = app.signup("ada@example.com").await;
    let bob = app.signup("bob@example.com").await;
    let adas = create(&app, &ada, json!({"name": "Ada's"})).await;
    let pat = adas["token"].as_str().unwrap();

    // An access token cannot list, mint or revoke tokens, not even its own, nor end sessions.
    let own = format!("{}/{}", tokens_uri(&ada), adas["id"]);
    for (method, uri, body) in [
        (Method::GET, tokens_uri(&ada), None),
        (Method::POST, tokens_uri(&ada), Some(json!({"name": "more"}))),
        (Method::DELETE, own.clone(), None),
        (Method::POST, "/api/auth/logout".to_owned(), None),
        (Method::POST, "/api/auth/logout-everywhere".to_owned(), None),
    ] {
        let response = app.call(method.clone(), &uri, Some(pat), body).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{method} {uri}");
        assert_eq!(response.error_code(), "session_required");
    }

    // Bob cannot see or revoke Ada's: her path is 403, her token's id under his path is 404.
    assert_eq!(
        app.get(&tokens_uri(&ada), Some(&bob.token)).await.status,
        StatusCode::FORBIDDEN
    );
    let under_bob = format!("{}/{}", tokens_uri(&bob), adas["id"]);
    let response = app.call(Method::DELETE, &under_bob, Some(&bob.token), None).await;
    assert_eq!(response.status, StatusCode::NOT_FOUND);
    assert_eq!(response.error_code(), "not_found");
    assert_eq!(app.get(&tokens_uri(&bob), Some(&bob.token)).await.json(), json!([]));
    assert_eq!(
        app.get("/api/auth/me", Some(pat)).await.status,
        StatusCode::OK,
        "still valid"
    );
    assert_eq!(
        app.get("/api/auth/me", Some(&ada.token)).await.status,
        StatusCode::OK,
        "her session was not ended by the token"
    );

    // Ada's token on Bob's routes is Ada acting on Bob's: 403, as with her session.
    let bobs_tasks = format!("/api/{}/tasks", bob.user_id);
    assert_eq!(app.get(&bobs_tasks, Some(pat)).await.status, StatusCode::FORBIDDEN);
}

#[sqlx::test]
async fn invalid_token_requests_are_422(db: PgPool) {
    let app = TestApp::new(db.clone());
    let ada = app.signup("ada@example.com").await;
    for (body, field) in [
        (json!({}), "name"),
        (json!({"name": "   "}), "name"),
        (json!({"name": "x".repeat(101)}), "name"),
        (json!({"name": "nul\u{0}"}), "name"),
        (json!({"name": "ok", "expires_in_days": 0}), "expires_in_days"),
        (json!({"name": "ok", "expires_in_days": 366}), "expires_in_days"),
        (json!({"name": "ok", "expires_in_days": 1.5}), "expires_in_days"),
    ] {
        let response = app
            .call(Method::POST, &tokens_uri(&ada), Some(&ada.token), Some(body.clone()))
            .await;
        assert_eq!(response.status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(
            response.json()["error"]["fields"][field].is_string(),
            "{body}: {}",
            response.text
        );
    }
    let unknown = app
        .call(
            Method::POST,
            &tokens_uri(&ada),
            Some(&ada.token),
            Some(json!({"name": "ok", "scope": "all"})),
        )
        .await;
    assert_eq!(
        (unknown.status, unknown.error_code()),
        (StatusCode::UNPROCESSABLE_ENTITY, "invalid_body".into())
    );
    let count: i64 = sqlx::query_scalar("select count(*) from access_tokens")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(count, 0);
}
