//! The one way the frontend talks to todo-backend: JSON over HTTP with timeouts, forwarding the
//! request id and the browser's address, and mapping answers onto [`Error`].

use std::{sync::Arc, time::Duration};

use axum::{
    body::Bytes,
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, HeaderName, StatusCode, header, request::Parts},
};
use reqwest::{Method, RequestBuilder, header::ACCEPT};
use serde::de::DeserializeOwned;
use serde_json::Value;
use service_kit::client::{ClientAddress, TrustedProxies};
use uuid::Uuid;

use crate::{
    error::{Error, FieldErrors, Result},
    models::{
        AccessToken, AccessTokenRequest, AuthToken, ChatRequest, Conversation, ConversationSummary, CreatedAccessToken,
        LoginRequest, SignupRequest, Task, TaskInput, TaskQuery, TurnStatus,
    },
    session::Session,
};

/// How long readiness waits for the backend: longer than one lost DNS query costs the static
/// (musl) build — its resolver asks again after 2.5 s (5 s timeout over 2 attempts) — and shorter
/// than the 5 s the `healthcheck` subcommand gives the whole answer. With 2 s, one query lost while
/// the cluster's DNS reloaded made a `helm test` fail (seen in the podman rehearsal).
const READINESS_TIMEOUT: Duration = Duration::from_secs(4);
/// Tasks shown at most in one list (the backend's own default page size).
const TASK_PAGE: u32 = 100;

#[derive(Debug, Clone)]
pub(crate) struct BackendClient {
    http: reqwest::Client,
    base: Arc<str>,
    chat_timeout: Duration,
    chat_first_byte: Duration,
}

/// How long each kind of backend call may take.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    /// Ordinary calls.
    pub call: Duration,
    /// A whole chat turn.
    pub chat: Duration,
    /// Until a streamed chat turn starts answering: a backend that accepted the connection but
    /// is frozen is given up on after this, not after the whole turn's time.
    pub chat_first_byte: Duration,
}

/// Per-request context forwarded to the backend.
#[derive(Debug, Clone, Default)]
pub(crate) struct Caller {
    request_id: Option<String>,
    client_address: Option<String>,
}

impl BackendClient {
    pub(crate) fn new(base: &str, timeouts: Timeouts) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(timeouts.call)
            // Shorter than the backend's idle keep-alive deadline (HTTP_IDLE_TIMEOUT_SECS, 75 s),
            // so a pooled connection is never one the backend is just closing.
            .pool_idle_timeout(Duration::from_secs(30))
            .build()?;
        Ok(Self {
            http,
            base: base.trim_end_matches('/').into(),
            chat_timeout: timeouts.chat,
            chat_first_byte: timeouts.chat_first_byte,
        })
    }

    /// Readiness: the backend process answers (its own database state is its readiness, not ours:
    /// a frontend that stays in rotation can at least tell people what is wrong).
    pub(crate) async fn reachable(&self) -> std::result::Result<(), String> {
        let request = self
            .http
            .get(format!("{}/healthz", self.base))
            .timeout(READINESS_TIMEOUT);
        match request.send().await {
            Ok(response) if response.status().is_success() => Ok(()),
            Ok(response) => Err(format!("HTTP {}", response.status())),
            // The whole chain (DNS, connect, timeout), so the log says which hop failed.
            Err(err) => Err(format!("{:#}", anyhow::Error::new(err))),
        }
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

    /// Ends this session at the backend.
    pub(crate) async fn logout(&self, caller: &Caller, session: &Session) -> Result<()> {
        send(
            self.request(caller, Method::POST, "/api/auth/logout", Some(session)),
            true,
        )
        .await?;
        Ok(())
    }

    /// Ends every session of the session's user.
    pub(crate) async fn logout_everywhere(&self, caller: &Caller, session: &Session) -> Result<()> {
        let request = self.request(caller, Method::POST, "/api/auth/logout-everywhere", Some(session));
        send(request, true).await?;
        Ok(())
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
        tokio::time::timeout(self.chat_first_byte, send(request, true))
            .await
            .unwrap_or_else(|_| {
                Err(Error::BackendUnavailable(anyhow::anyhow!(
                    "the chat stream did not start within {} s",
                    self.chat_first_byte.as_secs()
                )))
            })
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

    pub(crate) async fn access_tokens(&self, caller: &Caller, session: &Session) -> Result<Vec<AccessToken>> {
        let path = format!("/api/{}/access-tokens", session.user_id);
        json(send(self.request(caller, Method::GET, &path, Some(session)), true).await?).await
    }

    pub(crate) async fn create_access_token(
        &self,
        caller: &Caller,
        session: &Session,
        body: &AccessTokenRequest<'_>,
    ) -> Result<CreatedAccessToken> {
        let path = format!("/api/{}/access-tokens", session.user_id);
        json(
            send(
                self.request(caller, Method::POST, &path, Some(session)).json(body),
                true,
            )
            .await?,
        )
        .await
    }

    pub(crate) async fn revoke_access_token(&self, caller: &Caller, session: &Session, id: i64) -> Result<()> {
        let path = format!("/api/{}/access-tokens/{id}", session.user_id);
        send(self.request(caller, Method::DELETE, &path, Some(session)), true).await?;
        Ok(())
    }

    /// An MCP request passed on as it came (headers of this hop and cookies left out); the answer,
    /// whatever its status, is the caller's to pass back. It may stream, so it gets the chat's limit.
    pub(crate) async fn forward_mcp(
        &self,
        caller: &Caller,
        method: Method,
        headers: &HeaderMap,
        body: Bytes,
    ) -> reqwest::Result<reqwest::Response> {
        let mut request = self.request(caller, method, MCP_PATH, None);
        for (name, value) in headers {
            if !NOT_FORWARDED.contains(name) {
                request = request.header(name, value);
            }
        }
        request.body(body).timeout(self.chat_timeout).send().await
    }
}

/// The backend's MCP endpoint.
const MCP_PATH: &str = "/mcp";

/// Request headers an MCP call does not carry on to the backend: those about this connection, those
/// this client sets itself (request id, client address), and cookies, which belong to the UI.
const NOT_FORWARDED: [HeaderName; 12] = [
    header::HOST,
    header::CONNECTION,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHORIZATION,
    header::COOKIE,
    header::ACCEPT_ENCODING,
    HeaderName::from_static("x-forwarded-for"),
    HeaderName::from_static("x-request-id"),
];

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

/// The request id (set by the request-id layer) and the browser's address: the TCP peer, or behind
/// a trusted proxy (`TRUSTED_PROXIES`) the client that proxy names. An incoming `X-Forwarded-For`
/// from anyone else is never passed on: the browser controls it.
impl<S> FromRequestParts<S> for Caller
where
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Ok(ClientAddress(client)) = ClientAddress::from_request_parts(parts, state).await;
        Ok(Self {
            request_id: parts
                .headers
                .get("x-request-id")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            client_address: client.map(|address| address.to_string()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A backend that accepted the connection and then froze: the socket is listening (the kernel
    /// completes the handshake) but nothing ever reads or answers, as with a stopped process.
    #[tokio::test]
    async fn a_frozen_backend_is_given_up_on_after_the_first_byte_timeout() {
        let frozen = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", frozen.local_addr().unwrap());
        let timeouts = Timeouts {
            call: Duration::from_secs(30),
            chat: Duration::from_secs(120),
            chat_first_byte: Duration::from_secs(1),
        };
        let backend = BackendClient::new(&base, timeouts).unwrap();
        let session = Session {
            token: "token".into(),
            user_id: uuid::Uuid::new_v4(),
        };
        let started = std::time::Instant::now();
        let result = backend
            .run_turn_stream(&Caller::default(), &session, Uuid::new_v4())
            .await;
        assert!(matches!(result, Err(Error::BackendUnavailable(_))), "{result:?}");
        let waited = started.elapsed();
        assert!(waited < Duration::from_secs(3), "waited {waited:?}");
    }
}
