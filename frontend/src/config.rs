//! Typed configuration, read once at start from flags or environment variables (SPEC.md).

use std::time::Duration;

use clap::{Parser, ValueEnum, error::ContextKind, error::ContextValue, error::ErrorKind};

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
    pub backend_url: String,

    /// Address to listen on.
    #[arg(long, env = "HOST", default_value = "0.0.0.0")]
    pub host: String,

    /// Port to listen on (0 picks a free port).
    #[arg(long, env = "PORT", default_value_t = 3000)]
    pub port: u16,

    /// Mark cookies `Secure` (set it whenever users reach the site over HTTPS).
    #[arg(long, env = "COOKIE_SECURE", default_value_t = false, action = clap::ArgAction::Set)]
    pub cookie_secure: bool,

    /// Log output: `json` (one object per line) or `pretty`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` directive syntax.
    #[arg(long = "log-filter", env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,

    /// Seconds that in-flight requests get to finish after SIGTERM/SIGINT.
    #[arg(long, env = "SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,

    /// Seconds a backend call may take (chat streams excepted).
    #[arg(long, env = "BACKEND_TIMEOUT_SECS", default_value_t = 10)]
    pub backend_timeout_secs: u64,

    /// Seconds a whole chat turn may take, streamed or not (LLM answers are slow).
    #[arg(long, env = "CHAT_TIMEOUT_SECS", default_value_t = 120)]
    pub chat_timeout_secs: u64,
}

/// Shape of log lines on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Json,
    Pretty,
}

impl Config {
    /// Parses flags and environment; on failure returns a one-line message.
    /// `--help` and `--version` print to stdout and exit 0 here, as clap does.
    pub fn load() -> Result<Self, String> {
        Self::try_parse().map_err(|err| match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
            _ => one_line_error(&err),
        })
    }

    /// Same as [`Config::load`] but from explicit arguments (tests, tools); the environment still applies.
    pub fn load_from<I, T>(args: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(args).map_err(|err| one_line_error(&err))
    }

    /// Address string for the listener.
    pub fn bind_address(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }

    pub fn shutdown_grace(&self) -> Duration {
        Duration::from_secs(self.shutdown_grace_secs)
    }
}

/// A rule our own parsers enforce, phrased as a complete predicate ("must be …").
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Rule(String);

/// Accepts `http(s)://host[:port][/prefix]` and drops a trailing slash so paths can be appended.
fn parse_backend_url(value: &str) -> Result<String, Rule> {
    let url = reqwest::Url::parse(value).map_err(|_| Rule("must be an absolute http:// or https:// URL".into()))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Rule("must be an absolute http:// or https:// URL".into()));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Rule("must not have a query or fragment".into()));
    }
    Ok(value.trim_end_matches('/').to_string())
}

/// Renders a clap error as `configuration error: NAME …`.
fn one_line_error(err: &clap::Error) -> String {
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => env_name(arg),
        Some(ContextValue::Strings(args)) => args.iter().map(|a| env_name(a)).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    let reason = match err.kind() {
        ErrorKind::MissingRequiredArgument => "is required but not set".to_string(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => match std::error::Error::source(err) {
            Some(source) => match source.downcast_ref::<Rule>() {
                Some(rule) => rule.to_string(),
                // clap's built-in parsers give a bare reason, e.g. "invalid digit found in string".
                None => format!("is invalid: {source}"),
            },
            None => "has an invalid value".to_string(),
        },
        _ => return format!("configuration error: {}", first_line(&err.to_string())),
    };
    format!("configuration error: {arg} {reason}")
}

/// `--backend-url <BACKEND_URL>` → `BACKEND_URL`, the name operators actually set.
fn env_name(arg: &str) -> String {
    match (arg.find('<'), arg.rfind('>')) {
        (Some(start), Some(end)) if start < end => arg[start + 1..end].to_string(),
        _ => arg.to_string(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim_start_matches("error: ")
}

#[cfg(test)]
mod tests {
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

    #[test]
    fn ipv6_hosts_are_bracketed() {
        let config = Config::load_from(["todo-frontend", "--host", "::1", "--port", "0"]).unwrap();
        assert_eq!(config.bind_address(), "[::1]:0");
    }
}
