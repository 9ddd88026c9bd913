use std::process::ExitCode;

use clap::Parser;
use todo_frontend::{Application, config::Config, health, lifecycle::shutdown_signal, telemetry};

/// `todo-frontend healthcheck [URL]`: exit 0 when URL answers 200 (images have no curl).
#[derive(Debug, Parser)]
#[command(name = "todo-frontend healthcheck")]
struct HealthcheckArgs {
    /// URL to GET.
    #[arg(default_value = "http://127.0.0.1:3000/readyz")]
    url: String,
}

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = std::env::args_os();
    if args.nth(1).is_some_and(|first| first == "healthcheck") {
        let args = HealthcheckArgs::parse_from(std::env::args_os().skip(1));
        return match health::probe(&args.url).await {
            Ok(()) => ExitCode::SUCCESS,
            Err(problem) => fail(&format!("healthcheck failed: {problem}"), 1),
        };
    }

    let config = match Config::load() {
        Ok(config) => config,
        Err(message) => return fail(&message, 2),
    };
    telemetry::init(config.log_format, &config.log_filter);
    tracing::info!(version = env!("CARGO_PKG_VERSION"), "starting todo-frontend");
    let app = match Application::build(config).await {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "cannot start");
            return ExitCode::FAILURE;
        }
    };
    match app.run_until_stopped(shutdown_signal()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            tracing::error!(error = format!("{err:#}"), "server failed");
            ExitCode::FAILURE
        }
    }
}

/// One line on stderr; used before logging is set up (and for the healthcheck, which has no logging).
#[allow(clippy::print_stderr)]
fn fail(message: &str, code: u8) -> ExitCode {
    eprintln!("todo-frontend: {message}");
    ExitCode::from(code)
}
