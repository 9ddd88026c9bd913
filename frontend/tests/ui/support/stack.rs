//! The whole product for the browser tests: the real frontend binary in front of the real backend
//! (in this process, on a database of its own), a browser signed up through the form, and the
//! backend's API for setting up data faster than typing it.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};
use test_support::process::ServiceProcess;

use super::{PASSWORD, backend::TestBackend, browser::Browser, email, frontend::spawn_frontend};

pub(crate) const ENTER: &str = "\u{E007}";

pub(crate) struct Stack {
    // Drop order: the frontend goes before the backend it talks to.
    pub(crate) frontend: ServiceProcess,
    pub(crate) backend: TestBackend,
}

impl Stack {
    pub(crate) async fn start() -> Self {
        Self::on(TestBackend::start().await).await
    }

    /// The frontend in front of `backend`.
    pub(crate) async fn on(backend: TestBackend) -> Self {
        let url = backend.base_url();
        Self::reaching(backend, &url).await
    }

    /// The frontend in front of `backend`, which it reaches at `url` (a proxy, say).
    pub(crate) async fn reaching(backend: TestBackend, url: &str) -> Self {
        let frontend = spawn_frontend(url, &[("RUST_LOG", "warn")]).await;
        Self { frontend, backend }
    }

    pub(crate) fn url(&self, path: &str) -> String {
        self.frontend.url(path)
    }
}

/// A signed-up user as the backend's API sees them.
pub(crate) struct ApiUser {
    http: reqwest::Client,
    base: String,
    pub(crate) user_id: String,
    token: String,
}

impl ApiUser {
    /// Logs in with the test password over the backend's API.
    pub(crate) async fn login(stack: &Stack, address: &str) -> Self {
        let http = reqwest::Client::new();
        let base = stack.backend.base_url();
        let answer: Value = http
            .post(format!("{base}/api/auth/login"))
            .json(&json!({"email": address, "password": PASSWORD}))
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("API login")
            .json()
            .await
            .expect("login answer");
        Self {
            user_id: answer["user_id"].as_str().expect("user_id").to_owned(),
            token: answer["token"].as_str().expect("token").to_owned(),
            http,
            base,
        }
    }

    async fn post(&self, path: &str, body: Value) -> Value {
        self.http
            .post(format!("{}/api/{}/{path}", self.base, self.user_id))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .unwrap_or_else(|err| panic!("POST {path}: {err}"))
            .json()
            .await
            .expect("JSON answer")
    }

    /// One chat turn (the contract's JSON route); returns the conversation id.
    pub(crate) async fn chat(&self, conversation: Option<i64>, message: &str) -> i64 {
        let mut body = json!({ "message": message });
        if let Some(id) = conversation {
            body["conversation_id"] = json!(id);
        }
        self.post("chat", body).await["conversation_id"]
            .as_i64()
            .expect("conversation id")
    }

    /// Titles of every task, oldest first.
    pub(crate) async fn task_titles(&self) -> Vec<String> {
        let tasks: Vec<Value> = self
            .http
            .get(format!(
                "{}/api/{}/tasks?sort=created&order=asc",
                self.base, self.user_id
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .expect("task list")
            .json()
            .await
            .expect("JSON tasks");
        tasks
            .iter()
            .map(|task| task["title"].as_str().unwrap_or_default().to_owned())
            .collect()
    }

    pub(crate) async fn add_task(&self, title: &str) -> i64 {
        self.post("tasks", json!({ "title": title })).await["id"]
            .as_i64()
            .expect("task id")
    }
}

pub(crate) async fn wait_for_path(browser: &Browser, wanted: impl Fn(&str) -> bool, what: &str) -> String {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let url = browser.client.current_url().await.expect("current url");
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_owned(),
        };
        if wanted(&path) {
            return path;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "never reached {what}; at {path}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Signs up through the form, lands on the chat, and returns the new account's email.
pub(crate) async fn sign_up(browser: &Browser, stack: &Stack) -> String {
    sign_up_at(browser, &stack.url("/signup")).await
}

/// Signs up through the form at `signup_url` (the frontend's, or a proxy's in front of it).
pub(crate) async fn sign_up_at(browser: &Browser, signup_url: &str) -> String {
    let address = email("e2e");
    browser.client.goto(signup_url).await.expect("signup page");
    let form = browser
        .client
        .form(Locator::Css("form[action='/signup']"))
        .await
        .expect("form");
    form.set_by_name("name", "Ada").await.unwrap();
    form.set_by_name("email", &address).await.unwrap();
    form.set_by_name("password", PASSWORD).await.unwrap();
    browser.click("form[action='/signup'] button[type=submit]").await;
    wait_for_path(browser, |path| path == "/chat", "the chat after signup").await;
    address
}

/// Types `text` into the composer once it is free and sends it with Enter.
pub(crate) async fn send_message(browser: &Browser, text: &str) {
    browser
        .wait_js(
            "the composer is free",
            "!document.getElementById('chat-form').classList.contains('busy')",
        )
        .await;
    let input = browser.client.find(Locator::Id("message")).await.expect("composer");
    input.send_keys(&format!("{text}{ENTER}")).await.expect("typing");
}

/// Waits until `count` replies are in and none is streaming.
pub(crate) async fn wait_for_replies(browser: &Browser, count: usize) {
    browser
        .wait_js(
            &format!("{count} finished replies"),
            &format!(
                "document.querySelectorAll('#messages .msg.assistant').length === {count} && !document.querySelector('.msg.streaming')"
            ),
        )
        .await;
}

/// On a phone, opens the task panel beside the chat with its button.
pub(crate) async fn open_task_panel_on_a_phone(browser: &Browser) {
    browser.emulate(super::page::PHONE, super::page::Scheme::Light).await;
    browser.click("#tasks-toggle").await;
    browser
        .wait_js(
            "the task panel",
            "document.getElementById('task-panel').classList.contains('open')",
        )
        .await;
}

/// Opens the tasks page and marks the task `done` as done with its toggle.
pub(crate) async fn open_tasks_with_one_done(browser: &Browser, stack: &Stack, done: i64) {
    browser.client.goto(&stack.url("/tasks")).await.unwrap();
    browser.click(&format!("#toggle-{done}")).await;
    browser
        .wait_js(
            "a completed task",
            &format!("document.getElementById('task-{done}').classList.contains('done')"),
        )
        .await;
}
