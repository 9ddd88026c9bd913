//! The frontend under test: in-process (the real router, driven with `oneshot`) or as the real
//! binary over TCP.

use std::{process::Stdio, time::Duration};

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use http_body_util::BodyExt;
use service_kit::config::LoadConfig;
use todo_frontend::{AppState, config::Config, router};
use tokio::process::{Child, Command};
use tower::ServiceExt;

use super::{PASSWORD, email, free_port, get_status, wait_until};

pub const BINARY: &str = env!("CARGO_BIN_EXE_todo-frontend");

/// The router over a backend URL, plus a tiny cookie jar so tests read like a browser session.
pub struct TestFrontend {
    pub router: Router,
    pub cookies: Vec<(String, String)>,
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub text: String,
    /// Body size on the wire (after any compression).
    pub wire_bytes: usize,
}

impl TestResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The `Set-Cookie` line for cookie `name`.
    pub fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

impl TestFrontend {
    pub fn new(backend_url: &str) -> Self {
        Self::with_args(backend_url, &[])
    }

    pub fn with_args(backend_url: &str, extra: &[&str]) -> Self {
        let mut args = vec!["todo-frontend", "--backend-url", backend_url];
        args.extend_from_slice(extra);
        let config = Config::load_from(args).expect("test configuration parses");
        let state = AppState::new(&config).expect("state builds");
        Self {
            router: router(state),
            cookies: Vec::new(),
        }
    }

    pub fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    pub fn set_cookie_value(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_string(), value.to_string()));
    }

    /// Sends `request` with the jar's cookies and keeps the cookies the response sets.
    pub async fn send(&mut self, mut request: Request<Body>) -> TestResponse {
        if !self.cookies.is_empty() && !request.headers().contains_key(header::COOKIE) {
            let jar = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, jar.parse().expect("cookie header"));
        }
        let response = self
            .router
            .clone()
            .oneshot(request)
            .await
            .expect("router is infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response.into_body().collect().await.expect("body reads").to_bytes();
        for line in headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let pair = line.split(';').next().unwrap_or_default();
            if let Some((name, value)) = pair.split_once('=') {
                self.cookies.retain(|(n, _)| n != name);
                if !value.is_empty() && !line.contains("Max-Age=0") {
                    self.cookies.push((name.to_string(), value.to_string()));
                }
            }
        }
        TestResponse {
            status,
            headers,
            wire_bytes: bytes.len(),
            text: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    pub async fn get(&mut self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// An htmx request (`HX-Request: true`).
    pub async fn hx_get(&mut self, uri: &str) -> TestResponse {
        self.send(
            Request::get(uri)
                .header("hx-request", "true")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST carrying the CSRF token from the jar, as the rendered forms do.
    pub async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.post_form_with(uri, fields, &[]).await
    }

    pub async fn post_form_with(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> TestResponse {
        if self.cookie("todo_csrf").is_none() {
            self.get("/login").await;
        }
        let token = self.cookie("todo_csrf").unwrap_or_default().to_string();
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).expect("form encodes");
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Signs up a new user through the form; the jar then holds the session.
    pub async fn sign_up(&mut self) -> String {
        let address = email("ui");
        let response = self
            .post_form(
                "/signup",
                &[("email", &address), ("password", PASSWORD), ("name", "Ada")],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text);
        assert_eq!(response.location(), "/chat");
        address
    }
}

/// The real binary.
pub struct FrontendProcess {
    pub child: Child,
    pub port: u16,
}

impl FrontendProcess {
    /// Starts `todo-frontend` with a clean environment plus `extra` and waits until it listens.
    pub async fn spawn(backend_url: &str, extra: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut command = Command::new(BINARY);
        command
            .env_clear()
            .env("BACKEND_URL", backend_url)
            .env("HOST", "127.0.0.1")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "info")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true);
        for (key, value) in extra {
            command.env(key, value);
        }
        let child = command.spawn().expect("todo-frontend starts");
        let process = Self { child, port };
        let url = process.url("/healthz");
        wait_until("todo-frontend listening", || async {
            get_status(&url).await == Some(200)
        })
        .await;
        process
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    pub async fn signal(&self, name: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let status = Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success());
    }

    /// Waits for exit; returns the exit code and everything printed.
    pub async fn wait_output(self) -> (Option<i32>, String) {
        let output = tokio::time::timeout(Duration::from_secs(30), self.child.wait_with_output())
            .await
            .expect("frontend exits within 30 s")
            .expect("frontend output");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        (output.status.code(), text)
    }
}
