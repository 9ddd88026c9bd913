//! What the browser tests ask of a page beyond WebDriver's basics: the viewport, colour scheme,
//! motion preference and clipboard permission (Chromium's DevTools protocol through chromedriver),
//! an axe-core audit, where the focus is, and keys pressed on whatever has it.

use std::{path::PathBuf, sync::LazyLock};

use axum::http::Method;
use fantoccini::{
    actions::{InputSource, KeyAction, KeyActions},
    wd::WebDriverCompatibleCommand,
};
use serde_json::{Value, json};

use super::browser::Browser;

/// A window size the tests look at the UI in; `mobile` makes Chromium honour the viewport meta tag
/// as a phone does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Viewport {
    pub(crate) name: &'static str,
    pub(crate) width: u32,
    pub(crate) height: u32,
    pub(crate) mobile: bool,
}

pub(crate) const DESKTOP: Viewport = Viewport {
    name: "desktop",
    width: 1280,
    height: 800,
    mobile: false,
};
pub(crate) const PHONE: Viewport = Viewport {
    name: "phone",
    width: 390,
    height: 844,
    mobile: true,
};
pub(crate) const SMALL_PHONE: Viewport = Viewport {
    name: "small phone",
    width: 320,
    height: 640,
    mobile: true,
};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    Light,
    Dark,
}

impl Scheme {
    pub(crate) const BOTH: [Self; 2] = [Self::Light, Self::Dark];

    fn media_value(self) -> &'static str {
        match self {
            Self::Light => "light",
            Self::Dark => "dark",
        }
    }
}

/// Whether the page is asked for less motion (`prefers-reduced-motion`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Motion {
    Full,
    Reduced,
}

/// One DevTools command, sent through chromedriver's `goog/cdp/execute` endpoint.
#[derive(Debug)]
struct Cdp {
    method: &'static str,
    params: Value,
}

impl WebDriverCompatibleCommand for Cdp {
    fn endpoint(&self, base: &url::Url, session: Option<&str>) -> Result<url::Url, url::ParseError> {
        base.join(&format!("session/{}/goog/cdp/execute", session.unwrap_or_default()))
    }

    fn method_and_body(&self, _: &url::Url) -> (Method, Option<String>) {
        let body = json!({ "cmd": self.method, "params": self.params });
        (Method::POST, Some(body.to_string()))
    }
}

/// axe-core as `scripts/test` installs it (`npm ci` in `frontend/tests/axe`).
static AXE_SOURCE: LazyLock<String> = LazyLock::new(|| {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/axe/node_modules/axe-core/axe.min.js");
    std::fs::read_to_string(&path).unwrap_or_else(|err| {
        panic!(
            "{}: {err}; install it with `npm ci --prefix frontend/tests/axe` (scripts/test does)",
            path.display()
        )
    })
});

/// WebDriver's codes for the keys the tests press.
pub(crate) mod keys {
    pub(crate) const TAB: char = '\u{E004}';
    pub(crate) const ENTER: char = '\u{E007}';
    pub(crate) const SHIFT: char = '\u{E008}';
    pub(crate) const CONTROL: char = '\u{E009}';
}

/// What has the focus, as a test names it: `tag#id` (`body` when nothing does).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Focus {
    pub(crate) selector: String,
    pub(crate) text: String,
}

impl Browser {
    async fn cdp(&self, method: &'static str, params: Value) -> Value {
        self.client
            .issue_cmd(Cdp { method, params })
            .await
            .unwrap_or_else(|err| panic!("DevTools {method}: {err}"))
    }

    /// Sizes the page like `viewport` and renders it in `scheme` (`prefers-color-scheme`).
    pub(crate) async fn emulate(&self, viewport: Viewport, scheme: Scheme) {
        self.cdp(
            "Emulation.setDeviceMetricsOverride",
            json!({
                "width": viewport.width, "height": viewport.height,
                "deviceScaleFactor": 1, "mobile": viewport.mobile,
            }),
        )
        .await;
        self.emulate_media(scheme, Motion::Full).await;
    }

    /// Renders the page in `scheme` (`prefers-color-scheme`) with `motion` (`prefers-reduced-motion`).
    pub(crate) async fn emulate_media(&self, scheme: Scheme, motion: Motion) {
        let motion = match motion {
            Motion::Full => "no-preference",
            Motion::Reduced => "reduce",
        };
        self.cdp(
            "Emulation.setEmulatedMedia",
            json!({ "features": [
                { "name": "prefers-color-scheme", "value": scheme.media_value() },
                { "name": "prefers-reduced-motion", "value": motion },
            ] }),
        )
        .await;
    }

    /// Lets the page write and read the clipboard without asking (headless Chromium cannot ask).
    pub(crate) async fn allow_clipboard(&self) {
        self.cdp(
            "Browser.grantPermissions",
            json!({ "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"] }),
        )
        .await;
    }

    /// The axe-core violations of the page as it is now (every rule axe runs by default: WCAG 2.x
    /// A and AA and the best practices), one line per failing element.
    pub(crate) async fn axe_violations(&self) -> Vec<String> {
        let loaded = self.client.execute("return typeof axe !== 'undefined';", vec![]).await;
        if loaded.ok() != Some(Value::Bool(true)) {
            self.client
                .execute(&format!("{}\nreturn true;", *AXE_SOURCE), vec![])
                .await
                .expect("axe-core loads");
        }
        let script = r"
            const done = arguments[arguments.length - 1];
            axe.run(document, { resultTypes: ['violations'] })
              .then(r => done(r.violations.flatMap(v => v.nodes.map(n =>
                 `${v.id} (${v.impact}): ${v.help} at ${n.target.join(' ')}: ${n.failureSummary}`))))
              .catch(e => done(['axe failed: ' + e]));";
        let result = self.client.execute_async(script, vec![]).await.expect("axe runs");
        serde_json::from_value(result).expect("a list of violations")
    }

    /// The focused element.
    pub(crate) async fn focused(&self) -> Focus {
        let found = self
            .client
            .execute(
                "const e = document.activeElement;
                 if (!e || e === document.body) return ['body', ''];
                 return [e.tagName.toLowerCase() + (e.id ? '#' + e.id : ''), (e.innerText || e.value || '').trim()];",
                vec![],
            )
            .await
            .expect("the active element");
        let [selector, text]: [String; 2] = serde_json::from_value(found).expect("two strings");
        Focus { selector, text }
    }

    /// Presses `keys` in order on whatever has the focus; a modifier ([`keys::SHIFT`],
    /// [`keys::CONTROL`]) is held down for the key that follows it.
    pub(crate) async fn press(&self, keys: &[char]) {
        let mut actions = KeyActions::new("keyboard".into());
        let mut held = Vec::new();
        for &value in keys {
            actions = actions.then(KeyAction::Down { value });
            if [keys::SHIFT, keys::CONTROL].contains(&value) {
                held.push(value);
                continue;
            }
            actions = actions.then(KeyAction::Up { value });
            for value in held.drain(..) {
                actions = actions.then(KeyAction::Up { value });
            }
        }
        self.client.perform_actions(actions).await.expect("keys pressed");
    }

    /// Types `text` into whatever has the focus.
    pub(crate) async fn type_text(&self, text: &str) {
        let mut actions = KeyActions::new("keyboard".into());
        for value in text.chars() {
            actions = actions.then(KeyAction::Down { value }).then(KeyAction::Up { value });
        }
        self.client.perform_actions(actions).await.expect("text typed");
    }

    /// Clicks the element `css`.
    pub(crate) async fn click(&self, css: &str) {
        self.client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("{css}: {err}"))
            .click()
            .await
            .unwrap_or_else(|err| panic!("click {css}: {err}"));
    }

    /// Replaces what the field `css` holds with `text`.
    pub(crate) async fn fill(&self, css: &str, text: &str) {
        let field = self
            .client
            .find(fantoccini::Locator::Css(css))
            .await
            .unwrap_or_else(|err| panic!("{css}: {err}"));
        field.clear().await.expect("cleared");
        field.send_keys(text).await.expect("typed");
    }

    /// Saves what the window shows as `target/e2e-artifacts/<file>` and, with
    /// `UPDATE_SCREENSHOT=1`, as `docs/<file>` (the pictures the docs show).
    pub(crate) async fn save_docs_screenshot(&self, file: &str) {
        let artifact = super::browser::artifacts_dir().join(file);
        self.screenshot(&artifact).await;
        if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
            let docs = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../docs").join(file);
            std::fs::copy(&artifact, docs).expect("docs screenshot");
        }
    }

    /// A JavaScript expression's value.
    pub(crate) async fn eval(&self, expression: &str) -> Value {
        self.client
            .execute(&format!("return ({expression});"), vec![])
            .await
            .unwrap_or_else(|err| panic!("{expression}: {err}"))
    }
}
