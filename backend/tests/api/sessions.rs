//! Server-side sessions: logging out ends the token at once, logging out everywhere ends every
//! token of the user, a deleted user's tokens are 401 on every route, and an ended session is
//! refused on the next call by every replica (two real processes on one database).

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{
    AUTH_SECRET, PASSWORD, Session, TestApp,
    process::{database_url_of, signup_over_http, spawn_backend},
};

/// Every authenticated route as (method, path with `{user}` for the user id, body).
fn authenticated_routes(user_id: Uuid) -> Vec<(Method, String, Option<Value>)> {
    let api = format!("/api/{user_id}");
    vec![
        (Method::GET, "/api/auth/me".into(), None),
        (Method::GET, format!("{api}/tasks"), None),
        (
            Method::POST,
            format!("{api}/tasks"),
            Some(json!({"title": "After the end"})),
        ),
        (Method::GET, format!("{api}/tasks/1"), None),
        (Method::PUT, format!("{api}/tasks/1"), Some(json!({"title": "x"}))),
        (Method::DELETE, format!("{api}/tasks/1"), None),
        (Method::PATCH, format!("{api}/tasks/1/complete"), None),
        (
            Method::POST,
            format!("{api}/chat"),
            Some(json!({"message": "add milk"})),
        ),
        (Method::GET, format!("{api}/conversations"), None),
        (Method::GET, format!("{api}/conversations/1"), None),
        (Method::DELETE, format!("{api}/conversations/1"), None),
    ]
}

async fn assert_refused_everywhere(app: &TestApp, session: &Session) {
    for (method, uri, body) in authenticated_routes(session.user_id) {
        let response = app.call(method.clone(), &uri, Some(&session.token), body).await;
        assert_eq!(
            response.status,
            StatusCode::UNAUTHORIZED,
            "{method} {uri}: {}",
            response.text
        );
        assert_eq!(response.error_code(), "unauthorized");
    }
}

async fn login(app: &TestApp, email: &str) -> Session {
    let response = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": email, "password": PASSWORD})),
        )
        .await;
    assert_eq!(response.status, StatusCode::OK, "{}", response.text);
    let body = response.json();
    Session {
        user_id: body["user_id"].as_str().unwrap().parse().unwrap(),
        token: body["token"].as_str().unwrap().to_owned(),
    }
}

#[sqlx::test]
async fn logging_out_ends_the_token_at_once(db: PgPool) {
    let app = TestApp::new(db);
    let session = app.signup("leaving@example.com").await;
    let tasks = format!("/api/{}/tasks", session.user_id);
    assert_eq!(app.get(&tasks, Some(&session.token)).await.status, StatusCode::OK);

    let logout = app
        .call(Method::POST, "/api/auth/logout", Some(&session.token), None)
        .await;
    assert_eq!(logout.status, StatusCode::NO_CONTENT, "{}", logout.text);
    assert_refused_everywhere(&app, &session).await;
    let again = app
        .call(Method::POST, "/api/auth/logout", Some(&session.token), None)
        .await;
    assert_eq!(
        again.status,
        StatusCode::UNAUTHORIZED,
        "an ended session cannot log out twice"
    );

    let fresh = login(&app, "leaving@example.com").await;
    assert_eq!(app.get(&tasks, Some(&fresh.token)).await.status, StatusCode::OK);
}

#[sqlx::test]
async fn logging_out_ends_only_that_session_and_everywhere_ends_all(db: PgPool) {
    let app = TestApp::new(db);
    let laptop = app.signup("many@example.com").await;
    let phone = login(&app, "many@example.com").await;
    let tablet = login(&app, "many@example.com").await;
    app.call(Method::POST, "/api/auth/logout", Some(&phone.token), None)
        .await;
    assert_eq!(
        app.get("/api/auth/me", Some(&phone.token)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let laptop_me = app.get("/api/auth/me", Some(&laptop.token)).await;
    assert_eq!(laptop_me.status, StatusCode::OK, "other sessions live on");

    let everywhere = app
        .call(Method::POST, "/api/auth/logout-everywhere", Some(&laptop.token), None)
        .await;
    assert_eq!(everywhere.status, StatusCode::NO_CONTENT, "{}", everywhere.text);
    assert_refused_everywhere(&app, &laptop).await;
    assert_refused_everywhere(&app, &tablet).await;
}

#[sqlx::test]
async fn a_deleted_users_token_is_401_on_every_route(db: PgPool) {
    let app = TestApp::new(db.clone());
    let session = app.signup("deleted@example.com").await;
    app.create_task(&session, json!({"title": "Before"})).await;
    sqlx::query("delete from users where id = $1")
        .bind(session.user_id)
        .execute(&db)
        .await
        .unwrap();
    assert_refused_everywhere(&app, &session).await;
    let tasks: i64 = sqlx::query_scalar("select count(*) from tasks")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(tasks, 0, "nothing was written for the deleted user");
}

#[sqlx::test]
async fn a_well_signed_token_without_a_session_is_refused(db: PgPool) {
    // What tokens looked like before sessions could be ended: they stay refused.
    let app = TestApp::new(db);
    let session = app.signup("old-token@example.com").await;
    let claims = json!({
        "sub": session.user_id.to_string(),
        "iat": chrono::Utc::now().timestamp(),
        "exp": chrono::Utc::now().timestamp() + 3600,
    });
    let token = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(AUTH_SECRET.as_bytes()),
    )
    .unwrap();
    let stale = Session {
        user_id: session.user_id,
        token,
    };
    assert_refused_everywhere(&app, &stale).await;
}

/// `auth_session_checks` of a replica's `/metrics`, answered from `source`.
async fn session_checks(client: &reqwest::Client, base: &str, source: &str) -> u64 {
    let text = client
        .get(format!("{base}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let prefix = format!("auth_session_checks_total{{answered_from=\"{source}\"}} ");
    text.lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .map_or(0, |value| value.trim().parse().unwrap())
}

#[sqlx::test]
async fn a_logout_on_one_replica_ends_the_session_on_the_other_at_once(db: PgPool) {
    let url = database_url_of(&db);
    let first = spawn_backend(&url, &[]).await;
    let second = spawn_backend(&url, &[]).await;
    first.wait_for_output("following ended sessions").await;
    let base = first.url("");
    let client = reqwest::Client::new();
    let user = signup_over_http(&client, &first, "replicas@example.com").await;
    let token = user.token.as_str();
    let tasks = first.url(&format!("/api/{}/tasks", user.user_id));
    let list = || client.get(&tasks).bearer_auth(token).send();

    // The first call asks the database, the second is answered from the replica's memory.
    assert_eq!(list().await.unwrap().status(), 200);
    let remembered = session_checks(&client, &base, "memory").await;
    assert_eq!(list().await.unwrap().status(), 200);
    assert_eq!(session_checks(&client, &base, "memory").await, remembered + 1);

    let logout = client
        .post(second.url("/api/auth/logout"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(logout.status(), 204);
    // The first replica hears of it from PostgreSQL (a notification sent when the logout
    // committed, delivered within milliseconds) and refuses the token from then on.
    let ended = std::time::Instant::now();
    while list().await.unwrap().status() != 401 {
        assert!(
            ended.elapsed() < std::time::Duration::from_secs(1),
            "still accepted a second later"
        );
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert_eq!(list().await.unwrap().status(), 401);
}
