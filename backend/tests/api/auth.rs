//! Accounts against a real PostgreSQL: signup, login, me, token defects, login throttling.

use argon2::{
    Argon2, PasswordHasher,
    password_hash::{SaltString, rand_core::OsRng},
};
use axum::http::{Method, StatusCode};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Utc;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::support::{PASSWORD, TestApp, expired_token};

#[sqlx::test]
async fn signup_login_and_me(db: PgPool) {
    let app = TestApp::new(db);
    let signup = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "Ada@Example.com", "password": PASSWORD, "name": "Ada", "timezone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(signup.status, StatusCode::CREATED);
    let body = signup.json();
    let user_id = body["user_id"].as_str().unwrap().to_owned();
    assert!(chrono::DateTime::parse_from_rfc3339(body["expires_at"].as_str().unwrap()).is_ok());

    let login = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(login.status, StatusCode::OK);
    assert_eq!(login.json()["user_id"], user_id);
    let token = login.json()["token"].as_str().unwrap().to_owned();

    let me = app.get("/api/auth/me", Some(&token)).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(
        me.json(),
        json!({"user_id": user_id, "email": "ada@example.com", "name": "Ada", "timezone": "Europe/Berlin"})
    );
}

#[sqlx::test]
async fn token_is_hs256_with_user_subject_and_seven_day_expiry(db: PgPool) {
    let app = TestApp::new(db);
    let session = app.signup("jwt@example.com").await;
    let header = jsonwebtoken::decode_header(&session.token).unwrap();
    assert_eq!(header.alg, Algorithm::HS256);
    let mut validation = jsonwebtoken::Validation::new(Algorithm::HS256);
    validation.validate_exp = true;
    let data = jsonwebtoken::decode::<serde_json::Value>(
        &session.token,
        &jsonwebtoken::DecodingKey::from_secret(crate::support::AUTH_SECRET.as_bytes()),
        &validation,
    )
    .unwrap();
    assert_eq!(data.claims["sub"], session.user_id.to_string());
    let lifetime = data.claims["exp"].as_i64().unwrap() - Utc::now().timestamp();
    assert!(
        (7 * 86_400 - 60..=7 * 86_400).contains(&lifetime),
        "lifetime {lifetime}s"
    );
}

#[sqlx::test]
async fn duplicate_email_is_409_case_insensitively(db: PgPool) {
    let app = TestApp::new(db.clone());
    app.signup("dup@example.com").await;
    let again = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "DUP@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.error_code(), "email_taken");
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(users, 1);
}

#[sqlx::test]
async fn invalid_signups_are_422_with_field_errors_and_create_nothing(db: PgPool) {
    let app = TestApp::new(db.clone());
    let cases = [
        (json!({"email": "no-at-sign", "password": PASSWORD}), "email"),
        (json!({"email": "a@example.com", "password": "short"}), "password"),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "timezone": "Mars/Olympus"}),
            "timezone",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "name": "n".repeat(101)}),
            "name",
        ),
        (
            json!({"email": "a@example.com", "password": PASSWORD, "name": "nul\u{0}"}),
            "name",
        ),
        (json!({"email": "nul\u{0}@example.com", "password": PASSWORD}), "email"),
    ];
    for (body, field) in cases {
        let response = app.call(Method::POST, "/api/auth/signup", None, Some(body)).await;
        assert_eq!(
            response.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            response.text
        );
        assert_eq!(response.error_code(), "validation_failed");
        assert!(
            response.json()["error"]["fields"][field].is_string(),
            "{field}: {}",
            response.text
        );
    }
    let unknown = app
        .call(
            Method::POST,
            "/api/auth/signup",
            None,
            Some(json!({"email": "a@example.com", "password": PASSWORD, "admin": true})),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(unknown.json()["error"]["message"].as_str().unwrap().contains("admin"));
    let users: i64 = sqlx::query_scalar("select count(*) from users")
        .fetch_one(&db)
        .await
        .unwrap();
    assert_eq!(users, 0);
}

#[sqlx::test]
async fn bad_credentials_are_401_and_do_not_reveal_which_part_was_wrong(db: PgPool) {
    let app = TestApp::new(db);
    app.signup("real@example.com").await;
    let wrong_password = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "real@example.com", "password": "wrong password"})),
        )
        .await;
    let unknown_email = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "ghost@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status, StatusCode::UNAUTHORIZED);
    let nul_email = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "nul\u{0}@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(wrong_password.json(), unknown_email.json());
    assert_eq!(
        nul_email.json(),
        unknown_email.json(),
        "an impossible email is just unknown, not a 500"
    );
    assert_eq!(wrong_password.error_code(), "invalid_credentials");
}

#[sqlx::test]
async fn a_hash_with_older_parameters_is_replaced_at_the_next_login(db: PgPool) {
    let app = TestApp::new(db.clone());
    let user = app.signup("older@example.com").await;
    let fresh = stored_hash(&db, user.user_id).await;
    assert!(fresh.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{fresh}");
    // As stored before the 7 MiB set: the argon2 crate's defaults, 19 MiB and two passes.
    let salt = SaltString::generate(&mut OsRng);
    let older = Argon2::default()
        .hash_password(PASSWORD.as_bytes(), &salt)
        .unwrap()
        .to_string();
    assert!(older.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{older}");
    sqlx::query("update users set password_hash = $2 where id = $1")
        .bind(user.user_id)
        .bind(&older)
        .execute(&db)
        .await
        .unwrap();

    let login = |password: &'static str| {
        app.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "older@example.com", "password": password})),
        )
    };
    assert_eq!(login("not the password").await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        stored_hash(&db, user.user_id).await,
        older,
        "a failed login changes nothing"
    );

    assert_eq!(
        login(PASSWORD).await.status,
        StatusCode::OK,
        "the older hash still verifies"
    );
    let replaced = stored_hash(&db, user.user_id).await;
    assert!(replaced.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"), "{replaced}");
    assert_eq!(
        login(PASSWORD).await.status,
        StatusCode::OK,
        "and so does its replacement"
    );
    assert_eq!(stored_hash(&db, user.user_id).await, replaced, "replaced once");
}

async fn stored_hash(db: &PgPool, user_id: Uuid) -> String {
    sqlx::query_scalar("select password_hash from users where id = $1")
        .bind(user_id)
        .fetch_one(db)
        .await
        .unwrap()
}

#[sqlx::test]
async fn login_attempts_are_throttled_per_email(db: PgPool) {
    let app = TestApp::new(db);
    app.signup("target@example.com").await;
    let attempt = || {
        app.call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "target@example.com", "password": "guess guess"})),
        )
    };
    let mut statuses = Vec::new();
    for _ in 0..12 {
        statuses.push(attempt().await.status);
    }
    assert!(
        statuses[..10].iter().all(|s| *s == StatusCode::UNAUTHORIZED),
        "{statuses:?}"
    );
    let throttled = attempt().await;
    assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(throttled.error_code(), "too_many_requests");
    assert!(throttled.header("retry-after").unwrap().parse::<u64>().unwrap() >= 1);
    // Even the right password waits: the limit is on attempts, not on failures.
    let right = app
        .call(
            Method::POST,
            "/api/auth/login",
            None,
            Some(json!({"email": "target@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(right.status, StatusCode::TOO_MANY_REQUESTS);
}

#[sqlx::test]
async fn me_rejects_missing_expired_and_tampered_tokens(db: PgPool) {
    let app = TestApp::new(db);
    let session = app.signup("tokens@example.com").await;

    let missing = app.get("/api/auth/me", None).await;
    assert_eq!(missing.status, StatusCode::UNAUTHORIZED);
    assert_eq!(missing.header("www-authenticate"), Some("Bearer"));

    let expired = expired_token(session.user_id);
    assert_eq!(
        app.get("/api/auth/me", Some(&expired)).await.status,
        StatusCode::UNAUTHORIZED
    );

    for token in tampered_tokens(&session.token, session.user_id) {
        let response = app.get("/api/auth/me", Some(&token)).await;
        assert_eq!(response.status, StatusCode::UNAUTHORIZED, "accepted {token}");
        assert_eq!(response.error_code(), "unauthorized");
    }
}

/// Tokens an attacker could try: a flipped signature, `alg: none`, another key, another subject.
fn tampered_tokens(valid: &str, user_id: Uuid) -> Vec<String> {
    let mut parts: Vec<String> = valid.split('.').map(str::to_owned).collect();
    let signature = parts.pop().unwrap();
    let flipped = if signature.starts_with('A') {
        signature.replacen('A', "B", 1)
    } else {
        format!("A{}", &signature[1..])
    };
    let claims = json!({"sub": user_id.to_string(), "exp": Utc::now().timestamp() + 3600});
    let b64 = |value: serde_json::Value| URL_SAFE_NO_PAD.encode(value.to_string());
    let alg_none = format!("{}.{}.", b64(json!({"alg": "none", "typ": "JWT"})), b64(claims.clone()));
    let other_key = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(b"another-secret-that-is-long-enough-too!!"),
    )
    .unwrap();
    let other_subject = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &json!({"sub": "not-a-uuid", "exp": Utc::now().timestamp() + 3600}),
        &EncodingKey::from_secret(crate::support::AUTH_SECRET.as_bytes()),
    )
    .unwrap();
    vec![
        format!("{}.{}.{flipped}", parts[0], parts[1]),
        alg_none,
        other_key,
        other_subject,
        "garbage".into(),
    ]
}
