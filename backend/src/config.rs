//! Typed configuration, read once at start from flags or environment variables (docs/contract.md).
//! Loading, and errors that never echo a value, come from `service_kit::config::LoadConfig`.

use std::time::Duration;

use clap::{Parser, ValueEnum};
use secrecy::{ExposeSecret, SecretString};
use service_kit::{
    client::TrustedProxies,
    config::{HttpLimits, Logging, Rule},
};

use crate::quotas::Quotas;

/// Minimum length of `AUTH_SECRET`: HS256 keys shorter than the hash output are weak.
pub(crate) const MIN_AUTH_SECRET_BYTES: usize = 32;

/// Runtime configuration of `todo-backend`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "todo-backend",
    version,
    about = "Todo AI Chatbot backend: JSON API, accounts, tasks, chat"
)]
pub struct Config {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, value_parser = parse_secret)]
    pub(crate) database_url: SecretString,

    /// Key that signs session tokens (HS256); at least 32 bytes.
    #[arg(long, env = "AUTH_SECRET", hide_env_values = true, value_parser = parse_auth_secret)]
    pub(crate) auth_secret: SecretString,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub(crate) host: String,

    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "PORT", default_value_t = 8000)]
    pub(crate) port: u16,

    /// Which agent engine answers chat messages.
    #[arg(long, env = "LLM_PROVIDER", value_enum, default_value_t = LlmProvider::Rules)]
    pub(crate) llm_provider: LlmProvider,

    /// Base URL of an OpenAI-compatible Chat Completions API.
    #[arg(long, env = "LLM_BASE_URL", default_value = "https://api.openai.com/v1")]
    pub(crate) llm_base_url: String,

    /// Model name sent to the LLM provider.
    #[arg(long, env = "LLM_MODEL", default_value = "gpt-4o-mini")]
    pub(crate) llm_model: String,

    /// API key for the LLM provider.
    #[arg(long, env = "LLM_API_KEY", hide_env_values = true, value_parser = parse_secret)]
    pub(crate) llm_api_key: Option<SecretString>,

    /// Seconds one request to the LLM may take, streaming included.
    #[arg(long, env = "LLM_TIMEOUT_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) llm_timeout_secs: u64,

    /// Model round trips per chat turn before the agent stops and says so.
    #[arg(long, env = "LLM_MAX_STEPS", default_value_t = 8, value_parser = clap::value_parser!(u64).range(1..=50))]
    pub(crate) llm_max_steps: u64,

    /// Retries of an LLM request after 429, 5xx or a connection failure.
    #[arg(long, env = "LLM_MAX_RETRIES", default_value_t = 3)]
    pub(crate) llm_max_retries: usize,

    /// First retry delay in milliseconds (doubles per retry; a `Retry-After` header wins).
    #[arg(long, env = "LLM_RETRY_BACKOFF_MS", default_value_t = 500)]
    pub(crate) llm_retry_backoff_ms: u64,

    /// Ask the LLM to stream its answer (deltas reach the browser as they are generated).
    #[arg(long, env = "LLM_STREAM", default_value_t = true, action = clap::ArgAction::Set)]
    pub(crate) llm_stream: bool,

    #[command(flatten)]
    pub(crate) logging: Logging,

    /// Seconds that in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub(crate) shutdown_grace_secs: u64,

    /// Seconds after which a request is cancelled with a 503.
    #[arg(long, env = "REQUEST_TIMEOUT_SECS", default_value_t = 30)]
    pub(crate) request_timeout_secs: u64,

    /// Largest number of pooled database connections per process.
    #[arg(long, env = "DATABASE_MAX_CONNECTIONS", default_value_t = 10)]
    pub(crate) database_max_connections: u32,

    /// Hours a session token stays valid.
    #[arg(long, env = "AUTH_TOKEN_TTL_HOURS", default_value_t = 168)]
    pub(crate) auth_token_ttl_hours: u32,

    /// Signups one client may make at once (per replica); then one more every `SIGNUP_INTERVAL_SECS`.
    #[arg(long, env = "SIGNUP_BURST", default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    pub(crate) signup_burst: u32,

    /// Seconds a client waits for each further signup once its burst is used.
    #[arg(long, env = "SIGNUP_INTERVAL_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) signup_interval_secs: u64,

    #[command(flatten)]
    pub(crate) http: HttpLimits,

    #[command(flatten)]
    pub(crate) quotas: Quotas,

    /// Deprecated: `true` trusts `X-Forwarded-For` from every peer, as `TRUSTED_PROXIES=0.0.0.0/0,::/0`
    /// does; set `TRUSTED_PROXIES` instead.
    #[arg(long, env = "TRUST_FORWARDED_FOR", default_value_t = false, action = clap::ArgAction::Set,
          conflicts_with = "trusted_proxies", hide = true)]
    pub(crate) trust_forwarded_for: bool,

    /// Browser origins (`scheme://host[:port]`, comma-separated) allowed to call the MCP endpoint; by
    /// default none: MCP clients outside a browser send no `Origin`, and any other origin gets 403.
    #[arg(long, env = "MCP_ALLOWED_ORIGINS", value_delimiter = ',', num_args = 0..)]
    pub(crate) mcp_allowed_origins: Vec<String>,
}

/// Agent engine behind the chat endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LlmProvider {
    /// Embedded, offline, deterministic rules engine.
    Rules,
    /// Any OpenAI-compatible Chat Completions endpoint.
    Openai,
}

impl Config {
    /// Address string for the listener.
    pub(crate) fn bind_address(&self) -> String {
        service_kit::config::bind_address(&self.host, self.port)
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }

    pub(crate) fn request_timeout(&self) -> Duration {
        Duration::from_secs(self.request_timeout_secs)
    }

    /// The peers whose `X-Forwarded-For` names the client (`TRUSTED_PROXIES`, or everyone under
    /// the deprecated `TRUST_FORWARDED_FOR=true`).
    pub(crate) fn trusted_proxies(&self) -> TrustedProxies {
        if self.trust_forwarded_for {
            TrustedProxies::everyone()
        } else {
            self.http.trusted_proxies.clone()
        }
    }
}

fn parse_secret(value: &str) -> Result<SecretString, Rule> {
    if value.is_empty() {
        return Err(Rule("must not be empty".into()));
    }
    Ok(SecretString::from(value))
}

fn parse_auth_secret(value: &str) -> Result<SecretString, Rule> {
    let secret = parse_secret(value)?;
    if secret.expose_secret().len() < MIN_AUTH_SECRET_BYTES {
        return Err(Rule(format!("must be at least {MIN_AUTH_SECRET_BYTES} bytes long")));
    }
    Ok(secret)
}
