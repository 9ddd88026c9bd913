//! A service binary as a child process, for black-box tests over real TCP. It listens on a port it
//! binds itself (`PORT=0`), and the test learns the port from its `listening` log line, so no other
//! test or process can take it in between.

use std::{
    net::SocketAddr,
    process::Stdio,
    sync::{Arc, Mutex},
    time::Duration,
};

use serde_json::Value;
use tokio::{
    io::{AsyncBufReadExt, AsyncRead, BufReader},
    process::{Child, Command},
    sync::oneshot,
    task::JoinHandle,
};

use crate::test_log_enabled;

/// How long a service may take to start listening, or to exit once asked.
const START_AND_STOP: Duration = Duration::from_secs(30);

/// Runs `binary` to completion with only `env` as its environment; returns the exit code and
/// everything it printed (stdout, then stderr).
pub async fn run(binary: &str, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let output = Command::new(binary)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap_or_else(|err| panic!("cannot run {binary}: {err}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.code(), text)
}

/// A running service. It is killed when dropped.
#[derive(Debug)]
pub struct ServiceProcess {
    child: Child,
    address: SocketAddr,
    stdout: Output,
    stderr: Output,
}

/// Everything one stream printed so far, and the task that keeps reading it.
#[derive(Debug)]
struct Output {
    text: Arc<Mutex<String>>,
    reader: JoinHandle<()>,
}

impl ServiceProcess {
    /// Starts `binary` with a clean environment plus `env` (JSON logs, `HOST=127.0.0.1`, `PORT=0`)
    /// and waits for its `listening` line. The last `RUST_LOG` in `env` is honoured; the line that
    /// carries the address is always let through.
    pub async fn spawn(binary: &str, env: &[(&str, &str)]) -> Self {
        let log_filter = env
            .iter()
            .rev()
            .find(|(key, _)| *key == "RUST_LOG")
            .map_or("info", |(_, value)| value);
        let mut child = Command::new(binary)
            .env_clear()
            .env("HOST", "127.0.0.1")
            .env("PORT", "0")
            .envs(env.iter().copied().filter(|(key, _)| *key != "RUST_LOG"))
            .env("RUST_LOG", format!("{log_filter},service_kit::server=info"))
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|err| panic!("cannot start {binary}: {err}"));
        let (listening, address) = oneshot::channel();
        let stdout = Output::collect(child.stdout.take().expect("piped stdout"), Some(listening));
        let stderr = Output::collect(child.stderr.take().expect("piped stderr"), None);
        let mut process = Self {
            child,
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            stdout,
            stderr,
        };
        match tokio::time::timeout(START_AND_STOP, address).await {
            Ok(Ok(address)) => process.address = address,
            _ => {
                let (code, output) = process.wait_output().await;
                panic!("{binary} never started listening (exit code {code:?}):\n{output}");
            }
        }
        process
    }

    /// The port the service bound.
    pub fn port(&self) -> u16 {
        self.address.port()
    }

    /// `http://127.0.0.1:PORT{path}`.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    /// What the process has printed so far (stdout, then stderr).
    pub fn output_so_far(&self) -> String {
        format!("{}{}", self.stdout.so_far(), self.stderr.so_far())
    }

    /// Waits (up to 30 s) until the process has printed a line containing `text`.
    pub async fn wait_for_output(&self, text: &str) {
        crate::wait_until(&format!("the process to print {text:?}"), || async {
            self.output_so_far().contains(text)
        })
        .await;
    }

    /// Whether the process has not exited yet.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends signal `name` (e.g. `TERM`) with `kill -s`.
    pub async fn signal(&self, name: &str) {
        let pid = self.child.id().expect("the process is still running").to_string();
        let status = Command::new("kill")
            .args(["-s", name, &pid])
            .status()
            .await
            .expect("kill runs");
        assert!(status.success(), "kill -s {name} {pid} failed");
    }

    /// Waits (up to 30 s) for the process to exit; returns the exit code and everything it printed
    /// (stdout, then stderr).
    pub async fn wait_output(mut self) -> (Option<i32>, String) {
        let status = tokio::time::timeout(START_AND_STOP, self.child.wait())
            .await
            .expect("the process exits within 30 s")
            .expect("the process's exit status");
        let stdout = self.stdout.finish().await;
        let stderr = self.stderr.finish().await;
        (status.code(), format!("{stdout}{stderr}"))
    }
}

impl Output {
    /// Reads `stream` line by line until it closes; the first JSON line whose message is
    /// `listening` sends its `address` on `listening`.
    fn collect(
        stream: impl AsyncRead + Unpin + Send + 'static,
        listening: Option<oneshot::Sender<SocketAddr>>,
    ) -> Self {
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        let reader = tokio::spawn(async move {
            let mut listening = listening;
            let mut lines = BufReader::new(stream).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                if test_log_enabled() {
                    echo(&line);
                }
                if let Some(address) = listening_address(&line)
                    && let Some(sender) = listening.take()
                {
                    let _ = sender.send(address);
                }
                let mut text = sink.lock().expect("output buffer");
                text.push_str(&line);
                text.push('\n');
            }
        });
        Self { text, reader }
    }

    fn so_far(&self) -> String {
        self.text.lock().expect("output buffer").clone()
    }

    /// Everything the stream printed, once it has closed.
    async fn finish(self) -> String {
        let _ = self.reader.await;
        self.text.lock().expect("output buffer").clone()
    }
}

#[allow(
    clippy::print_stderr,
    reason = "TEST_LOG asks for the service's log on the test's output"
)]
fn echo(line: &str) {
    eprintln!("{line}");
}

fn listening_address(line: &str) -> Option<SocketAddr> {
    let entry: Value = serde_json::from_str(line).ok()?;
    if entry["message"] != "listening" {
        return None;
    }
    entry["address"].as_str()?.parse().ok()
}
