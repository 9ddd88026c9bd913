//! axe-core on every state a person meets, each in light and dark, on a desktop and a 390 px phone:
//! no violation of any rule axe runs by default (WCAG 2.x A/AA and the best practices, such as
//! `page-has-heading-one`, `region` and `landmark-unique`). The streaming, stopped and failed states
//! of a turn are audited where they happen, in `turns.rs`. With `AUDIT_SCREENSHOTS=1` every audited
//! state is also saved as a picture in `target/e2e-artifacts/audit-*.png`.

use crate::support::{
    browser::{self, Browser},
    page::{DESKTOP, PHONE, Scheme, Viewport},
    stack::{
        ApiUser, ENTER, Stack, open_task_panel_on_a_phone, open_tasks_with_one_done, send_message, sign_up,
        wait_for_path, wait_for_replies,
    },
};

/// Violations found so far, one line each, named by state, viewport and scheme.
#[derive(Default)]
pub(crate) struct Audit {
    findings: Vec<String>,
    audited: usize,
}

impl Audit {
    /// Audits the page as it is in every combination of `viewports` and both schemes.
    pub(crate) async fn check_in(&mut self, browser: &Browser, state: &str, viewports: &[Viewport]) {
        for viewport in viewports {
            for scheme in Scheme::BOTH {
                browser.emulate(*viewport, scheme).await;
                self.audited += 1;
                if std::env::var_os("AUDIT_SCREENSHOTS").is_some() {
                    let name = format!("audit-{state}-{}-{scheme:?}.png", viewport.name).replace(' ', "-");
                    browser.screenshot(&browser::artifacts_dir().join(name)).await;
                }
                for violation in browser.axe_violations().await {
                    self.findings
                        .push(format!("{state} [{}, {scheme:?}]: {violation}", viewport.name));
                }
            }
        }
        browser.emulate(DESKTOP, Scheme::Light).await;
    }

    pub(crate) async fn check(&mut self, browser: &Browser, state: &str) {
        self.check_in(browser, state, &[DESKTOP, PHONE]).await;
    }

    pub(crate) fn assert_clean(&self) {
        assert!(self.audited > 0, "nothing was audited");
        assert!(
            self.findings.is_empty(),
            "{} axe violations in {} audits:\n{}",
            self.findings.len(),
            self.audited,
            self.findings.join("\n")
        );
    }
}

#[tokio::test]
async fn every_page_state_passes_axe_in_light_and_dark_on_desktop_and_phone() {
    let stack = Stack::start().await;
    browser::run("every_page_state_passes_axe", true, |browser| async {
        let mut audit = Audit::default();

        browser.client.goto(&stack.url("/login")).await.unwrap();
        // The auditor itself: an image without a text alternative must be caught.
        browser
            .eval("document.querySelector('main').appendChild(document.createElement('img')) && true")
            .await;
        let canary = browser.axe_violations().await;
        assert!(
            canary.iter().any(|v| v.starts_with("image-alt")),
            "axe misses a canary: {canary:?}"
        );
        browser.client.refresh().await.unwrap();
        audit.check(&browser, "login").await;
        browser.fill("#email", "nobody@example.com").await;
        browser.fill("#password", "wrong password").await;
        browser.click("form[action='/login'] button[type=submit]").await;
        browser
            .wait_js("the login error", "!!document.getElementById('form-error')")
            .await;
        audit.check(&browser, "login with wrong credentials").await;

        browser.client.goto(&stack.url("/signup")).await.unwrap();
        audit.check(&browser, "signup").await;
        browser.fill("#email", "not an email").await;
        browser.fill("#password", "short").await;
        browser.click("form[action='/signup'] button[type=submit]").await;
        browser
            .wait_js("field errors", "!!document.querySelector('.field-error')")
            .await;
        audit.check(&browser, "signup with field errors").await;

        let address = sign_up(&browser, &stack).await;
        audit.check(&browser, "a new chat").await;
        send_message(&browser, "Add a task to buy groceries").await;
        wait_for_replies(&browser, 1).await;
        send_message(&browser, "What's pending?").await;
        wait_for_replies(&browser, 2).await;
        audit.check(&browser, "a conversation").await;
        open_task_panel_on_a_phone(&browser).await;
        audit
            .check_in(&browser, "the task panel open on a phone", &[PHONE])
            .await;
        browser.client.refresh().await.unwrap();

        let api = ApiUser::login(&stack, &address).await;
        let done = api.add_task("Call the plumber about the leaking kitchen tap").await;
        api.add_task("Water the plants").await;
        open_tasks_with_one_done(&browser, &stack, done).await;
        audit.check(&browser, "tasks").await;
        browser.click("#add-task").await;
        browser
            .wait_js("the title error", "!!document.getElementById('title-error')")
            .await;
        audit.check(&browser, "tasks with an add error").await;
        browser
            .client
            .goto(&stack.url("/tasks?status=completed&q=nothing-matches"))
            .await
            .unwrap();
        audit.check(&browser, "an empty task list").await;

        browser
            .client
            .goto(&stack.url(&format!("/tasks/{done}/edit")))
            .await
            .unwrap();
        audit.check(&browser, "edit a task").await;
        browser.fill("#title", &format!(" {ENTER}")).await;
        browser
            .wait_js("the edit error", "!!document.getElementById('title-error')")
            .await;
        audit.check(&browser, "edit a task with an error").await;

        browser.client.goto(&stack.url("/no/such/page")).await.unwrap();
        audit.check(&browser, "not found").await;

        browser.client.goto(&stack.url("/tasks")).await.unwrap();
        browser.click("#logout").await;
        wait_for_path(&browser, |path| path.starts_with("/login"), "the login page").await;
        audit.check(&browser, "logged out").await;

        audit.assert_clean();
        browser
    })
    .await;
}
