//! Headless Chromium driven over WebDriver: each test starts its own chromedriver (on a port it
//! binds itself and reports) and its own browser profile, and stops them at the end. A failing test
//! leaves a screenshot in `target/e2e-artifacts/<test>.png`.

use std::{fs::File, path::PathBuf, process::Stdio, sync::Arc, time::Duration};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};
use tokio::{
    io::{AsyncBufReadExt, BufReader},
    process::{Child, Command},
};

pub(crate) struct Browser {
    pub(crate) client: Client,
    /// Shared so a failing test's browser outlives the test body long enough for a screenshot.
    driver: Arc<Driver>,
}

/// chromedriver, killed when dropped (`kill_on_drop`).
struct Driver {
    _process: Child,
}

/// One browser at a time: Chromium is heavy and the machines that run this are small. The slot is
/// an exclusive lock on a file of the target directory, so it holds across test processes
/// (`cargo nextest` runs each test in its own) as well as threads. The lock goes with the file.
async fn browser_slot() -> File {
    let path = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("browser-slot.lock");
    tokio::task::spawn_blocking(move || {
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .unwrap_or_else(|err| panic!("{}: {err}", path.display()));
        file.lock()
            .unwrap_or_else(|err| panic!("lock {}: {err}", path.display()));
        file
    })
    .await
    .expect("the browser slot")
}

/// Where failure screenshots and other run artifacts go.
pub(crate) fn artifacts_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    dir
}

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.exists())
}

impl Browser {
    /// Starts chromedriver and a fresh headless Chromium profile; `javascript` false disables scripts.
    async fn start(javascript: bool) -> Self {
        let (driver, port) = start_driver().await;

        let mut options = Map::new();
        options.insert(
            "args".into(),
            json!([
                "--headless=new",
                "--no-sandbox",
                "--disable-dev-shm-usage",
                "--disable-gpu",
                "--window-size=1280,860",
                "--force-color-profile=srgb",
                "--hide-scrollbars",
            ]),
        );
        if let Some(binary) = find_program(&["chromium", "chromium-browser", "google-chrome"]) {
            options.insert("binary".into(), json!(binary));
        }
        if !javascript {
            options.insert(
                "prefs".into(),
                json!({"profile.managed_default_content_settings.javascript": 2}),
            );
        }
        let mut capabilities = Map::new();
        capabilities.insert("goog:chromeOptions".into(), Value::Object(options));
        let client = ClientBuilder::new(HttpConnector::new())
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
            .expect("WebDriver session starts");
        Self {
            client,
            driver: Arc::new(driver),
        }
    }

    pub(crate) async fn screenshot(&self, path: &std::path::Path) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(path, png);
        }
    }

    /// Text of the first element matching `css`, waiting up to 10 s for it to exist.
    pub(crate) async fn text(&self, css: &str) -> String {
        self.client
            .wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("no element {css}: {err}"))
            .text()
            .await
            .expect("element text")
    }

    /// Waits up to `secs` until `check` (given the page source) holds.
    pub(crate) async fn wait_for_source(&self, what: &str, secs: u64, check: impl Fn(&str) -> bool) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let source = self.client.source().await.unwrap_or_default();
            if check(&source) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }

    /// Waits up to 15 s until `script` (a JS expression) is truthy.
    pub(crate) async fn wait_js(&self, what: &str, script: &str) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
        loop {
            let value = self
                .client
                .execute(&format!("return !!({script});"), vec![])
                .await
                .unwrap_or(Value::Bool(false));
            if value == Value::Bool(true) {
                return;
            }
            assert!(tokio::time::Instant::now() < deadline, "gave up waiting for {what}");
            tokio::time::sleep(Duration::from_millis(150)).await;
        }
    }
}

/// Runs `body` with a fresh browser; on panic saves `target/e2e-artifacts/<name>.png` first.
pub(crate) async fn run<F, Fut>(name: &str, javascript: bool, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Browser>,
{
    let _slot = browser_slot().await;
    let browser = Browser::start(javascript).await;
    let client = browser.client.clone();
    let _driver = browser.driver.clone();
    let outcome = std::panic::AssertUnwindSafe(body(browser)).catch_unwind().await;
    match outcome {
        Ok(browser) => {
            let _ = browser.client.clone().close().await;
        }
        Err(panic) => {
            let path = artifacts_dir().join(format!("{name}.png"));
            if let Ok(png) = client.screenshot().await {
                let _ = std::fs::write(&path, png);
            }
            let _ = client.close().await;
            std::panic::resume_unwind(panic);
        }
    }
}

/// chromedriver on port 0 (the system picks a free one, which it prints as "… started successfully
/// on port N."), with its output drained so it never blocks on a full pipe.
async fn start_driver() -> (Driver, u16) {
    let binary = find_program(&["chromedriver"])
        .expect("chromedriver not found: install chromium and chromium-driver (scripts/test does)");
    let mut child = Command::new(binary)
        .arg("--port=0")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromedriver starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let announced = async {
        while let Some(line) = lines.next_line().await.expect("chromedriver output") {
            if let Some(port) = line
                .split_once("started successfully on port ")
                .and_then(|(_, rest)| rest.trim_end_matches('.').parse().ok())
            {
                return port;
            }
        }
        panic!("chromedriver exited without saying its port");
    };
    let port = tokio::time::timeout(Duration::from_secs(30), announced)
        .await
        .expect("chromedriver starts within 30 s");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (Driver { _process: child }, port)
}
