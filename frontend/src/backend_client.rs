//! The one way the frontend talks to todo-backend: JSON over HTTP with timeouts, forwarding the
//! request id and the browser's address, and mapping answers onto [`Error`].

use std::{net::SocketAddr, sync::Arc, time::Duration};

use axum::{
    extract::{ConnectInfo, FromRequestParts},
    http::{StatusCode, request::Parts},
};
use reqwest::{Method, RequestBuilder, header::ACCEPT};
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::{
    error::{Error, FieldErrors, Result},
    models::{
        AuthToken, ChatRequest, Conversation, ConversationSummary, LoginRequest, SignupRequest, Task, TaskInput,
        TaskQuery, TurnStatus,
    },
    session::Session,
};

/// How long readiness waits for the backend.
const READINESS_TIMEOUT: Duration = Duration::from_secs(2);
/// Tasks shown at most in one list (the backend's own default page size).
const TASK_PAGE: u32 = 100;

#[derive(Debug, Clone)]
pub(crate) struct BackendClient {
    http: reqwest::Client,
    base: Arc<str>,
    chat_timeout: Duration,
}

/// Per-request context forwarded to the backend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    request_id: Option<String>,
    client_address: Option<String>,
}

impl BackendClient {
    /// `timeout` bounds ordinary calls; chat turns get `chat_timeout` (their own, longer limit).
    pub(crate) fn new(base: &str, timeout: Duration, chat_timeout: Duration) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').into(),
            chat_timeout,
        })
    }

    /// Readiness: the backend process answers (its own database state is its readiness, not ours:
    /// a frontend that stays in rotation can at least tell people what is wrong).
    pub(crate) async fn reachable(&self) -> bool {
        let request = self
            .http
            .get(format!("{}/healthz", self.base))
            .timeout(READINESS_TIMEOUT);
        matches!(request.send().await, Ok(response) if response.status().is_success())
    }

    fn request(&self, caller: &Caller, method: Method, path: &str, session: Option<&Session>) -> RequestBuilder {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(id) = &caller.request_id {
            request = request.header("x-request-id", id);
        }
        if let Some(address) = &caller.client_address {
            request = request.header("x-forwarded-for", address);
        }
        if let Some(session) = session {
            request = request.bearer_auth(&session.token);
        }
        request
    }

    pub(crate) async fn signup(&self, caller: &Caller, body: &SignupRequest<'_>) -> Result<AuthToken> {
        let request = self.request(caller, Method::POST, "/api/auth/signup", None).json(body);
        json(send(request, false).await?).await
    }

    pub(crate) async fn login(&self, caller: &Caller, body: &LoginRequest<'_>) -> Result<AuthToken> {
        let request = self.request(caller, Method::POST, "/api/auth/login", None).json(body);
        json(send(request, false).await?).await
    }

    /// Tasks matching `query` and the total count (`X-Total-Count`).
    pub(crate) async fn list_tasks(
        &self,
        caller: &Caller,
        session: &Session,
        query: &TaskQuery,
    ) -> Result<(Vec<Task>, u64)> {
        let path = format!("/api/{}/tasks", session.user_id);
        let mut params = vec![
            ("status", query.status.as_str().to_owned()),
            ("limit", TASK_PAGE.to_string()),
        ];
        if !query.q.trim().is_empty() {
            params.push(("q", query.q.trim().to_owned()));
        }
        let response = send(
            self.request(caller, Method::GET, &path, Some(session)).query(&params),
            true,
        )
        .await?;
        let total = response
            .headers()
            .get("x-total-count")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse().ok())
            .unwrap_or_default();
        Ok((json(response).await?, total))
    }

    pub(crate) async fn get_task(&self, caller: &Caller, session: &Session, id: i64) -> Result<Task> {
        let path = format!("/api/{}/tasks/{id}", session.user_id);
        json(send(self.request(caller, Method::GET, &path, Some(session)), true).await?).await
    }

    pub(crate) async fn create_task(&self, caller: &Caller, session: &Session, input: &TaskInput) -> Result<Task> {
        let path = format!("/api/{}/tasks", session.user_id);
        json(
            send(
                self.request(caller, Method::POST, &path, Some(session)).json(input),
                true,
            )
            .await?,
        )
        .await
    }

    pub(crate) async fn update_task(
        &self,
        caller: &Caller,
        session: &Session,
        id: i64,
        input: &TaskInput,
    ) -> Result<Task> {
        let path = format!("/api/{}/tasks/{id}", session.user_id);
        json(
            send(
                self.request(caller, Method::PUT, &path, Some(session)).json(input),
                true,
            )
            .await?,
        )
        .await
    }

    pub(crate) async fn toggle_task(&self, caller: &Caller, session: &Session, id: i64) -> Result<Task> {
        let path = format!("/api/{}/tasks/{id}/complete", session.user_id);
        json(send(self.request(caller, Method::PATCH, &path, Some(session)), true).await?).await
    }

    pub(crate) async fn delete_task(&self, caller: &Caller, session: &Session, id: i64) -> Result<()> {
        let path = format!("/api/{}/tasks/{id}", session.user_id);
        send(self.request(caller, Method::DELETE, &path, Some(session)), true).await?;
        Ok(())
    }

    /// Stores a message as a pending turn; nothing runs until the turn is asked for by its id.
    pub(crate) async fn create_turn(
        &self,
        caller: &Caller,
        session: &Session,
        body: &ChatRequest<'_>,
    ) -> Result<TurnStatus> {
        let path = format!("/api/{}/chat/turns", session.user_id);
        let request = self.request(caller, Method::POST, &path, Some(session)).json(body);
        json(send(request, true).await?).await
    }

    /// Runs the turn (or, if it ran before, waits for it) and answers with the finished turn: the
    /// path for browsers without JavaScript.
    pub(crate) async fn run_turn(&self, caller: &Caller, session: &Session, turn: Uuid) -> Result<TurnStatus> {
        let path = format!("/api/{}/chat/turns/{turn}/run", session.user_id);
        let request = self.request(caller, Method::POST, &path, Some(session));
        json(send(request.timeout(self.chat_timeout), true).await?).await
    }

    /// The same as the backend's Server-Sent Events: live, or a replay of a turn that had already
    /// been asked for. Errors before the stream starts are errors here.
    pub(crate) async fn run_turn_stream(
        &self,
        caller: &Caller,
        session: &Session,
        turn: Uuid,
    ) -> Result<reqwest::Response> {
        let path = format!("/api/{}/chat/turns/{turn}/run", session.user_id);
        let request = self
            .request(caller, Method::POST, &path, Some(session))
            .header(ACCEPT, "text/event-stream")
            .timeout(self.chat_timeout);
        send(request, true).await
    }

    pub(crate) async fn stop_turn(&self, caller: &Caller, session: &Session, turn: Uuid) -> Result<()> {
        let path = format!("/api/{}/chat/turns/{turn}/stop", session.user_id);
        send(self.request(caller, Method::POST, &path, Some(session)), true).await?;
        Ok(())
    }

    pub(crate) async fn conversations(&self, caller: &Caller, session: &Session) -> Result<Vec<ConversationSummary>> {
        let path = format!("/api/{}/conversations", session.user_id);
        let request = self
            .request(caller, Method::GET, &path, Some(session))
            .query(&[("limit", "50")]);
        json(send(request, true).await?).await
    }

    pub(crate) async fn conversation(&self, caller: &Caller, session: &Session, id: i64) -> Result<Conversation> {
        let path = format!("/api/{}/conversations/{id}", session.user_id);
        json(send(self.request(caller, Method::GET, &path, Some(session)), true).await?).await
    }

    pub(crate) async fn delete_conversation(&self, caller: &Caller, session: &Session, id: i64) -> Result<()> {
        let path = format!("/api/{}/conversations/{id}", session.user_id);
        send(self.request(caller, Method::DELETE, &path, Some(session)), true).await?;
        Ok(())
    }
}

/// Sends and sorts the answer: success passes through; 401 on a signed-in call means the session is
/// over; other 4xx carry the contract's error body; everything else means the backend is unwell.
async fn send(request: RequestBuilder, signed_in: bool) -> Result<reqwest::Response> {
    let response = request
        .send()
        .await
        .map_err(|err| Error::BackendUnavailable(err.into()))?;
    let status = StatusCode::from_u16(response.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
    if status.is_success() {
        return Ok(response);
    }
    if signed_in && status == StatusCode::UNAUTHORIZED {
        return Err(Error::SessionExpired);
    }
    if status.is_server_error() {
        return Err(Error::BackendUnavailable(anyhow::anyhow!("backend answered {status}")));
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let error = &body["error"];
    let fields: FieldErrors = error["fields"]
        .as_object()
        .map(|fields| {
            fields
                .iter()
                .map(|(name, problem)| (name.clone(), field_problem(problem)))
                .collect()
        })
        .unwrap_or_default();
    Err(Error::Backend {
        status,
        code: error["code"].as_str().unwrap_or("unknown").to_owned(),
        message: error["message"]
            .as_str()
            .unwrap_or("the request was refused")
            .to_owned(),
        fields,
    })
}

/// The backend sends one sentence per field; accept a list of them too.
fn field_problem(problem: &Value) -> String {
    match problem {
        Value::String(text) => text.clone(),
        Value::Array(items) => items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join("; "),
        other => other.to_string(),
    }
}

async fn json<T: DeserializeOwned>(response: reqwest::Response) -> Result<T> {
    response
        .json()
        .await
        .map_err(|err| Error::BackendUnavailable(anyhow::Error::new(err).context("unexpected backend answer")))
}

/// The request id (set by the request-id layer) and the peer address of the browser's connection.
/// Only the TCP peer is forwarded, never an incoming `X-Forwarded-For`, which the browser controls.
impl<S: Send + Sync> FromRequestParts<S> for Caller {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self {
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            client_address: parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map(|ConnectInfo(address)| address.ip().to_string()),
        })
    }
}
