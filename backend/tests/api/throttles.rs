//! Throttles on the account routes, with requests arriving over connections from given addresses
//! (and through trusted proxies): signup per client, login per client and per account-and-client,
//! IPv6 clients by their /64, and the bounded password-hashing queue under a signup flood.

use std::time::{Duration, Instant};

use axum::http::{Method, StatusCode};
use serde_json::json;
use sqlx::PgPool;

use crate::support::{
    PASSWORD, TestApp, TestResponse,
    process::{database_url_of, spawn_backend},
};

async fn signup_from(app: &TestApp, peer: &str, forwarded_for: Option<&str>, email: &str) -> TestResponse {
    let body = json!({"email": email, "password": PASSWORD});
    app.call_from(peer, forwarded_for, Method::POST, "/api/auth/signup", body)
        .await
}

async fn login_from(
    app: &TestApp,
    peer: &str,
    forwarded_for: Option<&str>,
    email: &str,
    password: &str,
) -> TestResponse {
    let body = json!({"email": email, "password": password});
    app.call_from(peer, forwarded_for, Method::POST, "/api/auth/login", body)
        .await
}

fn assert_throttled(response: &TestResponse) {
    assert_eq!(response.status, StatusCode::TOO_MANY_REQUESTS, "{}", response.text);
    assert_eq!(response.error_code(), "too_many_requests");
    assert!(response.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
}

#[sqlx::test]
async fn signups_are_throttled_per_client(db: PgPool) {
    let app = TestApp::new(db);
    // The default burst is 10 signups per client.
    for n in 0..10 {
        let response = signup_from(&app, "198.51.100.1", None, &format!("burst{n}@example.com")).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    assert_throttled(&signup_from(&app, "198.51.100.1", None, "one-more@example.com").await);
    let elsewhere = signup_from(&app, "198.51.100.2", None, "elsewhere@example.com").await;
    assert_eq!(elsewhere.status, StatusCode::CREATED, "other clients are not affected");
}

#[sqlx::test]
async fn an_ipv6_client_is_its_64(db: PgPool) {
    let app = TestApp::new(db);
    for n in 1..=10 {
        let peer = format!("2001:db8:1:2::{n:x}");
        let response = signup_from(&app, &peer, None, &format!("v6-{n}@example.com")).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    // Another address of the same /64 is the same client; the next /64 is another.
    assert_throttled(&signup_from(&app, "2001:db8:1:2:ffff::1", None, "v6-more@example.com").await);
    let next = signup_from(&app, "2001:db8:1:3::1", None, "v6-next@example.com").await;
    assert_eq!(next.status, StatusCode::CREATED, "{}", next.text);
}

#[sqlx::test]
async fn bad_guesses_from_one_client_do_not_lock_the_owner_out(db: PgPool) {
    let app = TestApp::new(db);
    app.signup("victim@example.com").await;
    for _ in 0..10 {
        let guess = login_from(&app, "198.51.100.7", None, "victim@example.com", "guess guess").await;
        assert_eq!(guess.status, StatusCode::UNAUTHORIZED);
    }
    assert_throttled(&login_from(&app, "198.51.100.7", None, "victim@example.com", "guess guess").await);
    let owner = login_from(&app, "203.0.113.5", None, "victim@example.com", PASSWORD).await;
    assert_eq!(owner.status, StatusCode::OK, "{}", owner.text);
}

#[sqlx::test]
async fn an_email_of_any_length_is_one_bounded_throttle_key(db: PgPool) {
    let app = TestApp::new(db);
    let long = format!("{}@example.com", "a".repeat(300));
    for n in 0..10 {
        let attempt = login_from(&app, "198.51.100.8", None, &format!("{long}{n}"), "guess guess").await;
        assert_eq!(attempt.status, StatusCode::UNAUTHORIZED, "{}", attempt.text);
    }
    // Emails that differ only past the longest possible address count as one account.
    assert_throttled(&login_from(&app, "198.51.100.8", None, &format!("{long}x"), "guess guess").await);
}

#[sqlx::test]
async fn behind_a_trusted_proxy_every_browser_is_its_own_client(db: PgPool) {
    let app = TestApp::with_args(db, &["--trusted-proxies", "10.0.0.0/8"]);
    let frontend = "10.1.2.3";
    for n in 0..10 {
        let response = signup_from(&app, frontend, Some("198.51.100.20"), &format!("a{n}@example.com")).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    assert_throttled(&signup_from(&app, frontend, Some("198.51.100.20"), "a-more@example.com").await);
    // A made-up entry in front of the real one does not make a new client: the proxy appended the real one.
    assert_throttled(&signup_from(&app, frontend, Some("6.6.6.6, 198.51.100.20"), "a-fake@example.com").await);
    let other = signup_from(&app, frontend, Some("198.51.100.21"), "b@example.com").await;
    assert_eq!(
        other.status,
        StatusCode::CREATED,
        "another browser behind the same proxy"
    );
    // A peer that is not a trusted proxy is the client, whatever it forwards.
    for n in 0..10 {
        let response = signup_from(
            &app,
            "203.0.113.9",
            Some(&format!("192.0.2.{n}")),
            &format!("c{n}@example.com"),
        )
        .await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
    }
    assert_throttled(&signup_from(&app, "203.0.113.9", Some("192.0.2.99"), "c-more@example.com").await);
}

/// A flood of signups from many clients (as through a proxy that forwards each browser's address)
/// while a real user logs in: the queue of signups waiting for a hash is bounded, so the flood is
/// refused at once with 503 and `Retry-After`, and the login, which never waits behind signups,
/// answers as fast as on an idle server. Before, 2000 such signups made a login take 22 s.
#[sqlx::test]
async fn a_signup_flood_is_refused_at_once_and_logins_still_answer_quickly(db: PgPool) {
    let backend = spawn_backend(&database_url_of(&db), &[("TRUSTED_PROXIES", "127.0.0.1")]).await;
    let client = reqwest::Client::new();
    let signup = |email: String, address: String| {
        let request = client
            .post(backend.url("/api/auth/signup"))
            .header("x-forwarded-for", address)
            .json(&json!({"email": email, "password": PASSWORD}));
        async move {
            let started = Instant::now();
            let response = request.send().await.expect("the backend answers");
            let done = Instant::now();
            let status = response.status().as_u16();
            let retry_after = response.headers().get("retry-after").is_some();
            let body: serde_json::Value = response.json().await.unwrap_or_default();
            let code = body["error"]["code"].as_str().unwrap_or_default().to_owned();
            (status, code, retry_after, started.elapsed(), done)
        }
    };
    assert_eq!(signup("owner@example.com".into(), "192.0.2.1".into()).await.0, 201);

    let flood: Vec<_> = (0..200)
        .map(|n| {
            tokio::spawn(signup(
                format!("flood{n}@example.com"),
                format!("10.9.{}.{}", n / 250, n % 250),
            ))
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(300)).await;
    let login_started = Instant::now();
    let login = client
        .post(backend.url("/api/auth/login"))
        .header("x-forwarded-for", "192.0.2.1")
        .json(&json!({"email": "owner@example.com", "password": PASSWORD}))
        .send()
        .await
        .unwrap();
    let (login_done, login_took) = (Instant::now(), login_started.elapsed());
    assert_eq!(login.status(), 200);

    let (mut refused, mut hashed_after_the_login) = (0, 0);
    for answer in flood {
        let (status, code, retry_after, took, done) = answer.await.unwrap();
        match status {
            201 => hashed_after_the_login += usize::from(done > login_done),
            503 => {
                // Refused for a full hash queue (or, on a machine too busy to hand out pooled
                // connections in time, for the pool), not after waiting out the request timeout.
                assert!(["busy", "database_unavailable"].contains(&code.as_str()), "{code}");
                assert!(retry_after, "a refusal says when to come back");
                assert!(took < Duration::from_secs(20), "refused after {took:?}");
                refused += 1;
            }
            other => panic!("a flood signup answered {other}"),
        }
    }
    assert!(refused > 0, "the queue never filled");
    // The login overtook the signups queued before it (without its own queue it waited for all of
    // them: 22 s for 2000). The time is only a loose bound, as the machine may be busy.
    assert!(
        hashed_after_the_login > 0,
        "the login waited for every queued signup ({login_took:?})"
    );
    assert!(login_took < Duration::from_secs(10), "the login took {login_took:?}");
}
