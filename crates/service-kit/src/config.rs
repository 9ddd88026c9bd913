//! What both services' configurations share: the log settings, the listen address, and errors that
//! fit on one line and never echo a value (it may be a secret). The settings themselves are each
//! service's own clap `Config` (docs/contract.md lists them).

use clap::{Args, FromArgMatches, Parser, ValueEnum, error::ContextKind, error::ContextValue, error::ErrorKind};

use crate::client::TrustedProxies;

/// Shape of log lines on stdout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// One JSON object per line, for collectors.
    Json,
    /// Compact human-readable lines, for development.
    Pretty,
}

/// Log settings. Every service flattens them into its `Config` (`#[command(flatten)]`), where
/// [`crate::cli::run`] finds them.
#[derive(Debug, Clone, Args)]
pub struct Logging {
    /// Log output: `json` (one object per line) or `pretty`.
    #[arg(long, env = "LOG_FORMAT", value_enum, default_value_t = LogFormat::Json)]
    pub log_format: LogFormat,

    /// Log filter in `tracing` directive syntax.
    #[arg(long = "log-filter", env = "RUST_LOG", default_value = "info")]
    pub log_filter: String,
}

/// The HTTP server's settings, the same in every service (flattened like [`Logging`]).
#[derive(Debug, Clone, Args)]
pub struct HttpLimits {
    /// Seconds a client has to send a whole request head, counted from connecting or from the
    /// first byte after idling; slower clients are disconnected.
    #[arg(long, env = "HTTP_HEADER_READ_TIMEOUT_SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub header_read_timeout_secs: u64,

    /// Seconds a kept-alive connection may wait for its next request before it is closed. Longer
    /// than the 60 s for which common proxies keep their connections, so that a proxy never sends a
    /// request into a connection this side has just closed.
    #[arg(long, env = "HTTP_IDLE_TIMEOUT_SECS", default_value_t = 75,
          value_parser = clap::value_parser!(u64).range(1..))]
    pub idle_timeout_secs: u64,

    /// Most client connections open at once; further clients wait until one closes. Lowered at
    /// start to fit the open-file limit.
    #[arg(long, env = "HTTP_MAX_CONNECTIONS", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub max_connections: u32,

    /// Proxies (addresses or CIDR blocks, comma-separated) whose `X-Forwarded-For` names the
    /// client; empty = the TCP peer is the client.
    #[arg(long, env = "TRUSTED_PROXIES", default_value = "", value_parser = TrustedProxies::parse)]
    pub trusted_proxies: TrustedProxies,
}

/// A rule a service's own value parser enforces, phrased as a complete predicate ("must be …");
/// configuration errors show it verbatim after the variable's name.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Rule(pub String);

/// Loading a clap configuration with errors as one line: `configuration error: NAME reason`.
pub trait LoadConfig: Parser {
    /// Parses flags and environment. `--help` and `--version` print to stdout and exit 0 here, as
    /// clap does.
    fn load() -> Result<Self, String> {
        Self::try_parse().map_err(|err| exit_or_one_line(&err))
    }

    /// Same as [`LoadConfig::load`] but from explicit arguments (tests, tools); the environment
    /// still applies.
    fn load_from<I, T>(args: I) -> Result<Self, String>
    where
        I: IntoIterator<Item = T>,
        T: Into<std::ffi::OsString> + Clone,
    {
        Self::try_parse_from(args).map_err(|err| one_line_error(&err))
    }
}

impl<C: Parser> LoadConfig for C {}

/// [`LoadConfig::load`], plus the [`Logging`] flattened into the configuration.
pub(crate) fn load_with_logging<C: Parser>() -> Result<(C, Logging), String> {
    let parsed = C::command()
        .try_get_matches()
        .and_then(|matches| Ok((C::from_arg_matches(&matches)?, Logging::from_arg_matches(&matches)?)));
    parsed.map_err(|err| exit_or_one_line(&err))
}

/// `--help` and `--version` print and exit 0; any other error becomes one line.
fn exit_or_one_line(err: &clap::Error) -> String {
    match err.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
        _ => one_line_error(err),
    }
}

/// `host:port` for the listener, with IPv6 hosts in brackets.
pub fn bind_address(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// Renders a clap error as `configuration error: NAME …` without the offending value.
fn one_line_error(err: &clap::Error) -> String {
    let arg = match err.get(ContextKind::InvalidArg) {
        Some(ContextValue::String(arg)) => env_name(arg),
        Some(ContextValue::Strings(args)) => args.iter().map(|a| env_name(a)).collect::<Vec<_>>().join(", "),
        _ => String::new(),
    };
    let reason = match err.kind() {
        ErrorKind::MissingRequiredArgument => "is required but not set".to_owned(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue => match std::error::Error::source(err) {
            Some(source) => match source.downcast_ref::<Rule>() {
                Some(rule) => rule.to_string(),
                // clap's built-in parsers give a bare reason, e.g. "invalid digit found in string".
                None => format!("is invalid: {source}"),
            },
            None => "has an invalid value".to_owned(),
        },
        _ => return format!("configuration error: {}", first_line(&err.to_string())),
    };
    format!("configuration error: {arg} {reason}")
}

/// `--auth-secret <AUTH_SECRET>` → `AUTH_SECRET`, the name operators actually set.
fn env_name(arg: &str) -> String {
    match (arg.find('<'), arg.rfind('>')) {
        (Some(start), Some(end)) if start < end => arg[start + 1..end].to_owned(),
        _ => arg.to_owned(),
    }
}

fn first_line(text: &str) -> &str {
    text.lines().next().unwrap_or_default().trim_start_matches("error: ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Fields are named like their variables, as in the services: the value name is the variable.
    #[derive(Debug, Parser)]
    #[command(name = "demo")]
    struct Demo {
        #[arg(long, env = "DEMO_SECRET", value_parser = long_enough)]
        demo_secret: String,
        #[arg(long, env = "DEMO_PORT", default_value_t = 1)]
        demo_port: u16,
        #[command(flatten)]
        logging: Logging,
    }

    fn long_enough(value: &str) -> Result<String, Rule> {
        if value.len() < 8 {
            return Err(Rule("must be at least 8 bytes long".into()));
        }
        Ok(value.into())
    }

    #[test]
    fn errors_name_the_variable_and_never_the_value() {
        let missing = Demo::load_from(["demo"]).unwrap_err();
        assert_eq!(missing, "configuration error: DEMO_SECRET is required but not set");
        let short = Demo::load_from(["demo", "--demo-secret", "hunter2"]).unwrap_err();
        assert_eq!(short, "configuration error: DEMO_SECRET must be at least 8 bytes long");
        let port = Demo::load_from(["demo", "--demo-secret", "long enough", "--demo-port", "eighty"]).unwrap_err();
        assert_eq!(
            port,
            "configuration error: DEMO_PORT is invalid: invalid digit found in string"
        );
        let format = Demo::load_from(["demo", "--demo-secret", "long enough", "--log-format", "xml"]).unwrap_err();
        assert_eq!(format, "configuration error: LOG_FORMAT has an invalid value");
        let unknown = Demo::load_from(["demo", "--demo-secret", "long enough", "--colour"]).unwrap_err();
        assert!(
            unknown.starts_with("configuration error: unexpected argument"),
            "{unknown}"
        );
    }

    #[test]
    fn flags_win_over_the_environment() {
        let args = [
            "demo",
            "--demo-secret",
            "long enough",
            "--demo-port",
            "2",
            "--log-format",
            "pretty",
            "--log-filter",
            "debug",
        ];
        let demo = Demo::load_from(args).unwrap();
        assert_eq!(
            (
                demo.demo_secret.as_str(),
                demo.demo_port,
                demo.logging.log_format,
                demo.logging.log_filter.as_str()
            ),
            ("long enough", 2, LogFormat::Pretty, "debug")
        );
    }

    #[test]
    fn ipv6_hosts_are_bracketed() {
        assert_eq!(bind_address("::1", 0), "[::1]:0");
        assert_eq!(bind_address("0.0.0.0", 8000), "0.0.0.0:8000");
    }
}
