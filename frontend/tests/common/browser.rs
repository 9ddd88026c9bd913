//! Headless Chromium driven over WebDriver: chromedriver is started per test on a free port and
//! stopped with it. A failing test leaves a screenshot in `target/e2e-artifacts/<test>.png`.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    sync::Arc,
    time::Duration,
};

use fantoccini::{Client, ClientBuilder, Locator};
use futures_util::FutureExt;
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Map, Value, json};

use super::{free_port, wait_until};

/// One browser test at a time: Chromium is heavy and the machines that run this are small.
static BROWSER_SLOT: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

pub struct Browser {
    pub client: Client,
    /// Shared so a failing test's browser outlives the test body long enough for a screenshot.
    driver: Arc<Driver>,
}

struct Driver(Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Where failure screenshots and other run artifacts go.
pub fn artifacts_dir() -> PathBuf {
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
    pub async fn start(javascript: bool) -> Self {
        let driver_binary = find_program(&["chromedriver"])
            .expect("chromedriver not found: install chromium and chromium-driver (scripts/test does)");
        let port = free_port();
        let driver = Command::new(driver_binary)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts");
        let status_url = format!("http://127.0.0.1:{port}/status");
        wait_until("chromedriver", || async {
            super::get_status(&status_url).await == Some(200)
        })
        .await;

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
            driver: Arc::new(Driver(driver)),
        }
    }

    pub async fn screenshot(&self, path: &std::path::Path) {
        if let Ok(png) = self.client.screenshot().await {
            let _ = std::fs::write(path, png);
        }
    }

    /// Text of the first element matching `css`, waiting up to 10 s for it to exist.
    pub async fn text(&self, css: &str) -> String {
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
    pub async fn wait_for_source(&self, what: &str, secs: u64, check: impl Fn(&str) -> bool) {
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
    pub async fn wait_js(&self, what: &str, script: &str) {
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
pub async fn run<F, Fut>(name: &str, javascript: bool, body: F)
where
    F: FnOnce(Browser) -> Fut,
    Fut: Future<Output = Browser>,
{
    let _slot = BROWSER_SLOT.lock().await;
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
