//! Typed configuration, read once at start from flags or environment variables (docs/contract.md).
//! Loading, and errors that fit on one line, come from `service_kit::config::LoadConfig`.

use std::time::Duration;

use clap::Parser;
use secrecy::{ExposeSecret, SecretSlice, SecretString};
use service_kit::config::{HttpLimits, Logging, Rule};

/// Shortest `CSRF_SECRET` accepted: an HMAC-SHA256 key should be as long as the hash.
const MIN_CSRF_SECRET_BYTES: usize = 32;

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

    /// Seconds a streamed chat turn may take to start answering (a frozen backend is given up on
    /// after this, not after `CHAT_TIMEOUT_SECS`).
    #[arg(long, env = "CHAT_FIRST_BYTE_TIMEOUT_SECS", default_value_t = 15,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub(crate) chat_first_byte_timeout_secs: u64,

    /// Key (at least 32 bytes) that signs CSRF tokens; every replica needs the same. Unset, each
    /// process makes up its own, and a form rendered by one replica is refused by another.
    #[arg(long, env = "CSRF_SECRET", hide_env_values = true, value_parser = parse_csrf_secret)]
    pub(crate) csrf_secret: Option<SecretString>,

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

impl Config {
    /// The CSRF signing key: `CSRF_SECRET`, or random bytes of this process's own.
    pub(crate) fn csrf_key(&self) -> anyhow::Result<SecretSlice<u8>> {
        if let Some(secret) = &self.csrf_secret {
            return Ok(SecretSlice::from(secret.expose_secret().as_bytes().to_vec()));
        }
        tracing::warn!(
            "CSRF_SECRET is not set: this process signs forms with a key of its own, so forms from \
             another replica, or from before a restart, are refused"
        );
        let mut key = vec![0u8; MIN_CSRF_SECRET_BYTES];
        getrandom::fill(&mut key).map_err(|err| anyhow::anyhow!("no randomness for a CSRF key: {err}"))?;
        Ok(SecretSlice::from(key))
    }
}

fn parse_csrf_secret(value: &str) -> Result<SecretString, Rule> {
    if value.len() < MIN_CSRF_SECRET_BYTES {
        return Err(Rule(format!("must be at least {MIN_CSRF_SECRET_BYTES} bytes long")));
    }
    Ok(SecretString::from(value))
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
