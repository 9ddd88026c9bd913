use std::process::ExitCode;

#[tokio::main]
async fn main() -> ExitCode {
    service_kit::cli::run::<todo_backend::Application>().await
}
