//! Typed configuration, read once at start from flags or environment variables (docs/contract.md).
//! Loading, and errors that fit on one line, come from `service_kit::config::LoadConfig`.

use std::time::Duration;

use clap::Parser;
use service_kit::config::{HttpLimits, Logging, Rule};

/// Runtime configuration of `todo-frontend`.
#[derive(Debug, Clone, Parser)]
#[command(
    name = "todo-frontend",
    version,
    about = "Todo AI Chatbot browser UI: chat and task pages over the todo-backend API"
)]
pub struct Config {
    /// Base URL of todo-backend, e.g. `http://todo-backend:8000`.
    #[arg(long, env = "BACKEND_URL", default_value = "http://127.0.0.1:8000", value_parser = parse_backend_url)]
    pub(crate) backend_url: String,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub(crate) host: String,

    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub(crate) port: u16,

    /// Mark cookies `Secure` (set it whenever users reach the site over HTTPS).
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub(crate) cookie_secure: bool,

    #[command(flatten)]
    pub(crate) logging: Logging,

    /// Seconds that in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub(crate) shutdown_grace_secs: u64,

    /// Seconds a backend call may take (chat streams excepted).
    #[arg(long, env = "BACKEND_TIMEOUT_SECS", default_value_t = 10)]
    pub(crate) backend_timeout_secs: u64,

    /// Seconds a whole chat turn may take, streamed or not (LLM answers are slow).
    #[arg(long, env = "CHAT_TIMEOUT_SECS", default_value_t = 120)]
    pub(crate) chat_timeout_secs: u64,

    #[command(flatten)]
    pub(crate) http: HttpLimits,
}

impl Config {
    /// Address string for the listener.
    pub(crate) fn bind_address(&self) -> String {
        service_kit::config::bind_address(&self.host, self.port)
    }

    pub(crate) fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// Accepts `http(s)://host[:port][/prefix]` and drops a trailing slash so paths can be appended.
fn parse_backend_url(value: &str) -> Result<String, Rule> {
    let url = reqwest::Url::parse(value).map_err(|_| Rule("must be an absolute http:// or https:// URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Rule("must be an absolute http:// or https:// URL".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Rule("must not have a query or fragment".into()));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

#[cfg(test)]
mod tests {
    use service_kit::config::LoadConfig;

    use super::*;

    #[test]
    fn backend_url_is_normalised_and_checked() {
        let config = Config::load_from(["todo-frontend", "--backend-url", "http://backend:8000/"]).unwrap();
        assert_eq!(config.backend_url, "http://backend:8000");
        let err = Config::load_from(["todo-frontend", "--backend-url", "backend:8000"]).unwrap_err();
        assert_eq!(
            err,
            "configuration error: BACKEND_URL must be an absolute http:// or https:// URL"
        );
    }
}
