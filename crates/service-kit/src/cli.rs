//! `main` of a service binary: `NAME healthcheck [URL]`, or read the configuration (a bad one is a
//! single line on stderr and exit code 2), start logging, build the service and serve it until
//! SIGTERM or Ctrl-C.

use std::{ffi::OsString, future::Future, net::SocketAddr, process::ExitCode};

use clap::{CommandFactory, FromArgMatches, Parser};

use crate::{config, health, lifecycle, telemetry};

/// A service: its configuration, and a server that is built (up to a bound listener) and then run.
/// The configuration is a clap command that flattens [`config::Logging`]; the binary's name,
/// version and default port are read from it (its `name`, `version` and the default of its `port`
/// argument), so they are stated once.
pub trait Service: Sized + Send {
    /// The service's settings from flags and environment variables.
    type Config: Parser + Send;

    /// Everything up to a bound listener (port 0 picks a free one); an error here means the
    /// service cannot start.
    fn build(config: Self::Config) -> impl Future<Output = anyhow::Result<Self>> + Send;
    /// The address the listener is bound to (the port, when it was 0).
    fn local_addr(&self) -> std::io::Result<SocketAddr>;
    /// Serves until `shutdown` resolves; then readiness turns 503, the listener closes, and
    /// in-flight requests get the grace period to finish.
    fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> impl Future<Output = anyhow::Result<()>> + Send;
}

/// Exits 0 when URL answers 200 (images have no curl).
#[derive(Debug, Parser)]
struct HealthcheckArgs {
    /// URL to GET.
    url: String,
}

/// The whole of a service's `main`.
pub async fn run<S: Service>() -> ExitCode {
    if std::env::args_os().nth(1).is_some_and(|first| first == "healthcheck") {
        return healthcheck::<S>(std::env::args_os().skip(1)).await;
    }
    let (config, logging) = match config::load_with_logging::<S::Config>() {
        Ok(loaded) => loaded,
        Err(message) => return fail::<S>(&message, 2),
    };
    telemetry::init(&logging);
    let command = S::Config::command();
    let version = command.get_version().unwrap_or_default();
    tracing::info!(version, "starting {}", command.get_name());
    let service = match S::build(config).await {
        Ok(service) => service,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "cannot start");
            return ExitCode::FAILURE;
        }
    };
    match service.run_until_stopped(lifecycle::shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}

/// `args` start at `healthcheck`. A usage error prints clap's message and exits 2.
async fn healthcheck<S: Service>(args: impl Iterator<Item = OsString>) -> ExitCode {
    let args = healthcheck_command::<S>()
        .try_get_matches_from(args)
        .and_then(|matches| HealthcheckArgs::from_arg_matches(&matches))
        .unwrap_or_else(|err| err.exit());
    match health::probe(&args.url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(problem) => fail::<S>(&format!("healthcheck failed: {problem}"), 1),
    }
}

/// `NAME healthcheck [URL]`, with the service's own readiness URL as the default.
fn healthcheck_command<S: Service>() -> clap::Command {
    let command = HealthcheckArgs::command().bin_name(format!("{} healthcheck", name::<S>()));
    match default_port::<S>() {
        Some(port) => {
            let url = format!("http://127.0.0.1:{port}/readyz");
            command.mut_arg("url", |arg| arg.default_value(url).required(false))
        }
        None => command,
    }
}

/// The binary's name, as its configuration's command calls it.
fn name<S: Service>() -> String {
    S::Config::command().get_name().to_owned()
}

/// The default of the configuration's `port` argument.
fn default_port<S: Service>() -> Option<String> {
    let command = S::Config::command();
    let port = command.get_arguments().find(|arg| arg.get_id() == "port")?;
    Some(port.get_default_values().first()?.to_str()?.to_owned())
}

/// One line on stderr; used before logging is set up (and for the healthcheck, which has no logging).
#[allow(clippy::print_stderr, reason = "the only output before logging exists")]
fn fail<S: Service>(message: &str, code: u8) -> ExitCode {
    eprintln!("{}: {message}", name::<S>());
    ExitCode::from(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, Parser)]
    #[command(name = "demo-service")]
    struct DemoConfig {
        #[arg(long, env = "PORT", default_value_t = 4321)]
        port: u16,
    }

    #[derive(Debug)]
    struct Demo(DemoConfig);

    impl Service for Demo {
        type Config = DemoConfig;

        async fn build(config: DemoConfig) -> anyhow::Result<Self> {
            Ok(Self(config))
        }

        fn local_addr(&self) -> std::io::Result<SocketAddr> {
            Ok(SocketAddr::from(([127, 0, 0, 1], self.0.port)))
        }

        async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
            shutdown.await;
            Ok(())
        }
    }

    fn healthcheck_url(args: &[&str]) -> String {
        let matches = healthcheck_command::<Demo>().try_get_matches_from(args).unwrap();
        HealthcheckArgs::from_arg_matches(&matches).unwrap().url
    }

    #[test]
    fn name_and_healthcheck_default_come_from_the_configuration() {
        assert_eq!(name::<Demo>(), "demo-service");
        assert_eq!(healthcheck_url(&["healthcheck"]), "http://127.0.0.1:4321/readyz");
        assert_eq!(
            healthcheck_url(&["healthcheck", "http://127.0.0.1:9/healthz"]),
            "http://127.0.0.1:9/healthz"
        );
        let usage = healthcheck_command::<Demo>().render_usage().to_string();
        assert_eq!(usage, "Usage: demo-service healthcheck [URL]");
    }
}
