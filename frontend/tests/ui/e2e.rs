//! End-to-end tests in headless Chromium (WebDriver via fantoccini) against the real frontend and
//! backend binaries on a real PostgreSQL. A failing test leaves `target/e2e-artifacts/<test>.png`;
//! the chat test also saves the screenshots the docs show (`docs/screenshot-chat.png`, desktop, and
//! `docs/screenshot-chat-phone.png`, 390 px, when `UPDATE_SCREENSHOT=1`; else into the artifacts
//! directory).

use fantoccini::Locator;

use crate::support::{
    browser,
    page::{DESKTOP, PHONE, Scheme},
    stack::{ENTER, Stack, send_message, sign_up, wait_for_path},
};

#[tokio::test]
async fn chat_adds_and_completes_a_task_and_survives_a_reload() {
    let stack = Stack::start().await;
    browser::run("chat_adds_and_completes_a_task_and_survives_a_reload", true, |browser| async {
        sign_up(&browser, &stack).await;

        send_message(&browser, "Add a task to buy groceries").await;
        browser
            .wait_js(
                "a streamed reply naming the task",
                "[...document.querySelectorAll('.msg.assistant .text')].some(e => /buy groceries/i.test(e.textContent))",
            )
            .await;
        browser
            .wait_js(
                "a chip for the tool call",
                "[...document.querySelectorAll('.msg.assistant .chip')].some(e => /^✓ Added #\\d+ Buy groceries$/.test(e.textContent))",
            )
            .await;
        browser
            .wait_js(
                "the task in the panel, pending",
                "[...document.querySelectorAll('#task-panel li.pending .title')].some(e => e.textContent === 'Buy groceries')",
            )
            .await;
        let path = wait_for_path(&browser, |p| p.starts_with("/chat/"), "the conversation URL").await;

        send_message(&browser, "mark it done").await;
        browser
            .wait_js(
                "the task completed in the panel",
                "[...document.querySelectorAll('#task-panel li.done .title')].some(e => e.textContent === 'Buy groceries')",
            )
            .await;
        browser
            .wait_js("the second reply", "document.querySelectorAll('.msg.assistant').length === 2 && !document.querySelector('.msg.streaming')")
            .await;
        assert!(
            browser.text("#conversation-list li.current .title").await.to_lowercase().contains("groceries"),
            "the conversation is listed and current"
        );

        browser.client.refresh().await.expect("reload");
        let thread = browser.text("#messages").await;
        assert!(thread.contains("Add a task to buy groceries") && thread.contains("mark it done"), "{thread}");
        assert_eq!(
            browser.client.find_all(Locator::Css("#messages .msg.assistant")).await.unwrap().len(),
            2,
            "both replies are stored"
        );
        assert_eq!(wait_for_path(&browser, |p| p == path, "the same conversation").await, path);

        // One more turn after the reload continues the same conversation (and makes the README picture).
        send_message(&browser, "I need to remember to pay bills").await;
        browser
            .wait_js(
                "the new task pending in the panel",
                "[...document.querySelectorAll('#task-panel li.pending .title')].some(e => e.textContent === 'Pay bills')",
            )
            .await;
        browser
            .wait_js("the third reply", "document.querySelectorAll('.msg.assistant').length === 3 && !document.querySelector('.msg.streaming')")
            .await;
        assert_eq!(
            browser.client.find_all(Locator::Css("#conversation-list li")).await.unwrap().len(),
            1,
            "still one conversation"
        );
        browser.emulate(DESKTOP, Scheme::Light).await;
        browser.save_docs_screenshot("screenshot-chat.png").await;
        browser.emulate(PHONE, Scheme::Light).await;
        browser.save_docs_screenshot("screenshot-chat-phone.png").await;
        browser
    })
    .await;
}

#[tokio::test]
async fn tasks_page_works_without_javascript() {
    let stack = Stack::start().await;
    browser::run("tasks_page_works_without_javascript", false, |browser| async {
        sign_up(&browser, &stack).await;
        browser.client.goto(&stack.url("/tasks")).await.unwrap();
        let title = browser.client.find(Locator::Id("title")).await.unwrap();
        title.send_keys("Call mom").await.unwrap();
        browser.click("#add-task").await;
        wait_for_path(
            &browser,
            |p| p.starts_with("/tasks?status=all"),
            "the list after adding",
        )
        .await;
        let row = "//li[contains(@class,'task')][.//span[@class='title' and text()='Call mom']]";
        browser
            .client
            .wait()
            .for_element(Locator::XPath(row))
            .await
            .expect("the new task");

        let toggle = format!("{row}//button[contains(@class,'check')]");
        browser
            .client
            .find(Locator::XPath(&toggle))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let done = "//li[contains(@class,'task') and contains(@class,'done')][.//span[text()='Call mom']]";
        browser
            .client
            .wait()
            .for_element(Locator::XPath(done))
            .await
            .expect("toggled to done");

        let delete = format!("{row}//button[text()='Delete']");
        browser
            .client
            .find(Locator::XPath(&delete))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        browser
            .wait_for_source("the task gone", 10, |source| {
                source.contains("Nothing here yet") && !source.contains(">Call mom<")
            })
            .await;
        browser
    })
    .await;
}

#[tokio::test]
async fn a_hostile_title_shows_as_text() {
    let stack = Stack::start().await;
    browser::run("a_hostile_title_shows_as_text", true, |browser| async {
        let hostile = "<img src=x onerror=alert(1)>";
        sign_up(&browser, &stack).await;
        browser.client.goto(&stack.url("/tasks")).await.unwrap();
        let title = browser.client.find(Locator::Id("title")).await.unwrap();
        title.send_keys(&format!("{hostile}{ENTER}")).await.unwrap();
        browser
            .wait_js(
                "the task listed",
                "document.querySelectorAll('#task-list .task').length === 1",
            )
            .await;
        assert_eq!(browser.text("#task-list .task .title").await, hostile);
        assert!(
            browser
                .client
                .find_all(Locator::Css("#task-list img"))
                .await
                .unwrap()
                .is_empty()
        );
        browser.client.goto(&stack.url("/chat")).await.unwrap();
        assert_eq!(browser.text("#task-panel .title").await, hostile);
        assert!(
            browser
                .client
                .find_all(Locator::Css("main img"))
                .await
                .unwrap()
                .is_empty()
        );
        assert!(browser.client.get_alert_text().await.is_err(), "no script ran");
        browser
    })
    .await;
}

#[tokio::test]
async fn after_logout_the_chat_redirects_to_login() {
    let stack = Stack::start().await;
    browser::run("after_logout_the_chat_redirects_to_login", true, |browser| async {
        sign_up(&browser, &stack).await;
        let example = "//button[@class='example' and text()=\"What's pending?\"]";
        browser
            .client
            .find(Locator::XPath(example))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        let typed = browser
            .client
            .find(Locator::Id("message"))
            .await
            .unwrap()
            .prop("value")
            .await
            .unwrap();
        assert_eq!(
            typed.as_deref(),
            Some("What's pending?"),
            "an example fills the composer"
        );
        browser.click("#logout").await;
        wait_for_path(&browser, |p| p == "/login?logged_out=1", "the login page").await;
        assert!(browser.text("#flash").await.contains("logged out"));
        browser.client.goto(&stack.url("/chat")).await.unwrap();
        wait_for_path(&browser, |p| p == "/login", "login instead of the chat").await;
        browser
    })
    .await;
}
