//! HTTP to an OpenAI-compatible Chat Completions endpoint: timeouts, and retries with backoff on
//! 429, 5xx and connection failures (honouring `Retry-After`).
//!
//! Why not an OpenAI client crate: async-openai streams through reqwest-eventsource, whose default
//! retry policy reconnects — re-sending the whole request — when a stream ends without `[DONE]`, and
//! llama.cpp's server does exactly that on tool-picking turns; here such a stream must instead be
//! asked again without streaming. This module is only the transport; SSE parsing comes from
//! `eventsource-stream` and backoff from `backon`.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use reqwest::{StatusCode, header};
use secrecy::{ExposeSecret, SecretString};
use serde_json::Value;

/// Longest `Retry-After` honoured; a server asking for more gets a failed turn instead.
const MAX_RETRY_AFTER: Duration = Duration::from_secs(20);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum LlmError {
    #[error("the language model took too long to answer")]
    Timeout,
    #[error("could not reach the language model service")]
    Unreachable,
    #[error("the language model service answered HTTP {status}")]
    Status { status: u16, retry_after: Option<Duration> },
    #[error("the language model service sent a response this app cannot read")]
    Malformed(String),
}

impl LlmError {
    fn retryable(&self) -> bool {
        match self {
            Self::Unreachable => true,
            Self::Status { status, .. } => *status == 429 || *status >= 500,
            Self::Timeout | Self::Malformed(_) => false,
        }
    }

    fn from_reqwest(err: &reqwest::Error) -> Self {
        if err.is_timeout() {
            Self::Timeout
        } else if err.is_connect() || err.is_request() {
            Self::Unreachable
        } else {
            Self::Malformed(err.to_string())
        }
    }
}

/// Connection settings of the endpoint.
#[derive(Debug, Clone)]
pub(crate) struct LlmSettings {
    pub base_url: String,
    pub model: String,
    pub api_key: Option<SecretString>,
    /// Whole-request limit, streaming included.
    pub timeout: Duration,
    /// Retries after the first attempt.
    pub retries: usize,
    /// First backoff delay; doubles each retry.
    pub backoff: Duration,
}

#[derive(Debug, Clone)]
pub(super) struct LlmClient {
    http: reqwest::Client,
    url: String,
    api_key: Option<SecretString>,
    pub model: String,
    retry: ExponentialBuilder,
}

impl LlmClient {
    pub(super) fn new(settings: LlmSettings) -> anyhow::Result<Self> {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10).min(settings.timeout))
            .timeout(settings.timeout)
            .user_agent(concat!("todo-backend/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Self {
            http,
            url: format!("{}/chat/completions", settings.base_url.trim_end_matches('/')),
            api_key: settings.api_key,
            model: settings.model,
            retry: ExponentialBuilder::default()
                .with_min_delay(settings.backoff)
                .with_max_delay(Duration::from_secs(10))
                .with_max_times(settings.retries)
                .with_jitter(),
        })
    }

    /// POSTs `body`; a successful (2xx) response is returned for the caller to read.
    pub(super) async fn send(&self, body: &Value) -> Result<reqwest::Response, LlmError> {
        (|| self.attempt(body))
            .retry(self.retry)
            .when(LlmError::retryable)
            .adjust(|err, delay| match err {
                LlmError::Status { retry_after: Some(wait), .. } if *wait <= MAX_RETRY_AFTER => Some(*wait),
                _ => delay,
            })
            .notify(|err, delay| tracing::warn!(error = %err, retry_in_ms = delay.as_millis() as u64, "retrying the LLM request"))
            .await
    }

    async fn attempt(&self, body: &Value) -> Result<reqwest::Response, LlmError> {
        let mut request = self.http.post(&self.url).json(body);
        if let Some(key) = &self.api_key {
            request = request.bearer_auth(key.expose_secret());
        }
        let response = request.send().await.map_err(|err| LlmError::from_reqwest(&err))?;
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let retry_after = (status == StatusCode::TOO_MANY_REQUESTS)
            .then(|| {
                response
                    .headers()
                    .get(header::RETRY_AFTER)?
                    .to_str()
                    .ok()?
                    .trim()
                    .parse()
                    .ok()
            })
            .flatten()
            .map(Duration::from_secs);
        Err(LlmError::Status {
            status: status.as_u16(),
            retry_after,
        })
    }

    /// Reads a whole (non-streamed) response body as JSON.
    pub(super) async fn json(response: reqwest::Response) -> Result<Value, LlmError> {
        let bytes = response.bytes().await.map_err(|err| LlmError::from_reqwest(&err))?;
        serde_json::from_slice(&bytes).map_err(|err| LlmError::Malformed(err.to_string()))
    }
}
