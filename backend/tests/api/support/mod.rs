//! Helpers shared by the integration tests: the real router over a real (per-test) PostgreSQL
//! database from `#[sqlx::test]`, driven in-process with `tower::ServiceExt::oneshot`.

pub(crate) mod chat;
pub(crate) mod cluster;
pub(crate) mod process;
pub(crate) mod stalling_proxy;

use axum::{
    Router,
    body::Body,
    extract::ConnectInfo,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use serde_json::{Value, json};
use service_kit::config::LoadConfig;
use sqlx::PgPool;
use todo_backend::{AppState, Config, router};
use uuid::Uuid;

pub(crate) const AUTH_SECRET: &str = "test-secret-that-is-long-enough-0123456789";
pub(crate) const PASSWORD: &str = "correct horse battery";

pub(crate) fn config(database_url: &str, extra_args: &[&str]) -> Config {
    let args = [
        "todo-backend",
        "--database-url",
        database_url,
        "--auth-secret",
        AUTH_SECRET,
    ];
    Config::load_from(args.iter().chain(extra_args)).expect("test configuration parses")
}

/// The application under test; the router is built once per test, as in production.
pub(crate) struct TestApp {
    pub(crate) router: Router,
    pub(crate) state: AppState,
}

#[derive(Debug)]
pub(crate) struct TestResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
}

impl TestResponse {
    pub(crate) fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|err| panic!("body is not JSON ({err}): {}", self.text))
    }

    /// The contract's error code, asserting the whole error shape on the way.
    pub(crate) fn error_code(&self) -> String {
        let body = self.json();
        let error = body
            .get("error")
            .unwrap_or_else(|| panic!("no `error` object in {body}"));
        assert!(
            error["message"].as_str().is_some_and(|m| !m.is_empty()),
            "error without message: {body}"
        );
        error["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no error code in {body}"))
            .to_owned()
    }

    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }
}

/// A signed-up user.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub(crate) user_id: Uuid,
    pub(crate) token: String,
}

impl TestApp {
    pub(crate) fn new(db: PgPool) -> Self {
        Self::with_args(db, &[])
    }

    /// The app with extra command-line settings, e.g. `["--request-timeout-secs", "0"]`.
    pub(crate) fn with_args(db: PgPool, args: &[&str]) -> Self {
        test_support::init_test_log();
        let state = AppState::new(db, &config("postgres://unused-the-pool-is-given", args)).expect("application state");
        Self {
            router: router(state.clone()),
            state,
        }
    }

    pub(crate) async fn send(&self, request: Request<Body>) -> TestResponse {
        let answer = test_support::http::send(&self.router, request).await;
        TestResponse {
            text: answer.text(),
            status: answer.status,
            headers: answer.headers,
        }
    }

    /// A JSON request; `token` becomes a bearer header.
    pub(crate) async fn call(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> TestResponse {
        let body = body.map(|value| value.to_string());
        self.call_raw(method, uri, token, body.as_deref()).await
    }

    /// Like [`TestApp::call`] with a body sent verbatim as `application/json`.
    pub(crate) async fn call_raw(
        &self,
        method: Method,
        uri: &str,
        token: Option<&str>,
        body: Option<&str>,
    ) -> TestResponse {
        let mut builder = Request::builder().method(method).uri(uri);
        if let Some(token) = token {
            builder = builder.header(header::AUTHORIZATION, format!("Bearer {token}"));
        }
        let body = match body {
            Some(text) => {
                builder = builder.header(header::CONTENT_TYPE, "application/json");
                Body::from(text.to_owned())
            }
            None => Body::empty(),
        };
        self.send(builder.body(body).expect("request builds")).await
    }

    /// Like [`TestApp::call`], arriving over a connection from `peer` with `forwarded_for` (if
    /// any) as its `X-Forwarded-For`, as a proxy in front would send it.
    pub(crate) async fn call_from(
        &self,
        peer: &str,
        forwarded_for: Option<&str>,
        method: Method,
        uri: &str,
        body: Value,
    ) -> TestResponse {
        let peer: std::net::IpAddr = peer.parse().expect("a peer address");
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json");
        if let Some(forwarded_for) = forwarded_for {
            request = request.header("x-forwarded-for", forwarded_for);
        }
        let mut request = request.body(Body::from(body.to_string())).expect("request builds");
        request
            .extensions_mut()
            .insert(ConnectInfo(std::net::SocketAddr::from((peer, 40_000))));
        self.send(request).await
    }

    pub(crate) async fn get(&self, uri: &str, token: Option<&str>) -> TestResponse {
        self.call(Method::GET, uri, token, None).await
    }

    pub(crate) async fn signup(&self, email: &str) -> Session {
        self.signup_with(json!({"email": email, "password": PASSWORD})).await
    }

    /// Signs up a user whose timezone is `timezone` (relative dates in chat are read in it).
    pub(crate) async fn signup_in(&self, email: &str, timezone: &str) -> Session {
        self.signup_with(json!({"email": email, "password": PASSWORD, "timezone": timezone}))
            .await
    }

    async fn signup_with(&self, body: Value) -> Session {
        let response = self.call(Method::POST, "/api/auth/signup", None, Some(body)).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        let body = response.json();
        Session {
            user_id: body["user_id"].as_str().expect("user_id").parse().expect("uuid"),
            token: body["token"].as_str().expect("token").to_owned(),
        }
    }

    /// Creates a task for `session` and returns its JSON.
    pub(crate) async fn create_task(&self, session: &Session, body: Value) -> Value {
        let uri = format!("/api/{}/tasks", session.user_id);
        let response = self.call(Method::POST, &uri, Some(&session.token), Some(body)).await;
        assert_eq!(response.status, StatusCode::CREATED, "{}", response.text);
        response.json()
    }
}

/// A token signed with the test's `AUTH_SECRET` the way the backend signs them (HS256, `sub` the
/// user id), issued 8 days ago and expired for a day.
pub(crate) fn expired_token(user_id: Uuid) -> String {
    let now = chrono::Utc::now();
    let claims = json!({
        "sub": user_id.to_string(),
        "iat": (now - chrono::Duration::days(8)).timestamp(),
        "exp": (now - chrono::Duration::days(1)).timestamp(),
    });
    jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims,
        &jsonwebtoken::EncodingKey::from_secret(AUTH_SECRET.as_bytes()),
    )
    .expect("the token encodes")
}

/// Every row of `tasks`, for "the database is unchanged" checks.
pub(crate) async fn tasks_snapshot(db: &PgPool) -> Vec<Value> {
    sqlx::query_scalar::<_, Value>("select to_jsonb(t) from tasks t order by id")
        .fetch_all(db)
        .await
        .expect("snapshot query")
}
