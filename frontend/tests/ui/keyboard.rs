//! The whole product with the keyboard alone: sign up, send, start a new chat, switch, delete a
//! conversation, add, toggle, edit and delete tasks. After every key the test checks where the focus
//! is; it is never on the page body.

use std::time::Duration;

use crate::support::{
    PASSWORD,
    browser::{self, Browser},
    email,
    page::keys::{CONTROL, ENTER, SHIFT, TAB},
    stack::{Stack, wait_for_path, wait_for_replies},
};

/// Asserts the focused element matches `css`.
async fn assert_focus(browser: &Browser, css: &str, step: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let script = format!("document.activeElement && document.activeElement.matches({css:?})");
        if browser.eval(&script).await == serde_json::Value::Bool(true) {
            return;
        }
        let focus = browser.focused().await;
        assert!(
            tokio::time::Instant::now() < deadline,
            "after {step} the focus is on {} ({:?}), not {css}",
            focus.selector,
            focus.text
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Presses Tab (or Shift+Tab) until the focus is on `css`, checking it never lands on the body.
async fn tab_to(browser: &Browser, css: &str, backwards: bool) {
    let script = format!("document.activeElement && document.activeElement.matches({css:?})");
    for _ in 0..80 {
        if browser.eval(&script).await == serde_json::Value::Bool(true) {
            return;
        }
        browser.press(if backwards { &[SHIFT, TAB] } else { &[TAB] }).await;
        let focus = browser.focused().await;
        assert_ne!(
            focus.selector, "body",
            "tabbing towards {css}, the focus fell to the page body"
        );
    }
    panic!("Tab never reached {css}");
}

/// Answers the confirm dialog that must name `what`.
async fn confirm(browser: &Browser, what: &str) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    let text = loop {
        if let Ok(text) = browser.client.get_alert_text().await {
            break text;
        }
        assert!(tokio::time::Instant::now() < deadline, "no confirm dialog");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(text.contains(what), "the dialog names {what:?}: {text:?}");
    browser.client.accept_alert().await.expect("confirmed");
}

async fn current_conversation(browser: &Browser) -> i64 {
    let path = wait_for_path(browser, |p| p.starts_with("/chat/"), "a conversation URL").await;
    path.trim_start_matches("/chat/").parse().expect("a conversation id")
}

async fn task_id(browser: &Browser, title: &str) -> i64 {
    let script = format!(
        "[...document.querySelectorAll('#task-list li.task')].filter(li => li.querySelector('.title').textContent === {title:?}).map(li => li.id)[0] || ''"
    );
    browser
        .wait_js(&format!("the task {title}"), &format!("({script}) !== ''"))
        .await;
    let id = browser.eval(&script).await;
    id.as_str()
        .and_then(|id| id.trim_start_matches("task-").parse().ok())
        .expect("a task id")
}

#[tokio::test]
async fn everything_works_from_the_keyboard_and_focus_never_falls_to_the_body() {
    let stack = Stack::start().await;
    browser::run("keyboard_only", true, |browser| async {
        browser.client.goto(&stack.url("/signup")).await.unwrap();
        assert_focus(&browser, "input#name", "opening the sign-up page").await;
        browser.type_text("Ada").await;
        browser.press(&[TAB]).await;
        assert_focus(&browser, "input#email", "Tab").await;
        browser.type_text(&email("keys")).await;
        browser.press(&[TAB]).await;
        browser.type_text(PASSWORD).await;
        browser.press(&[ENTER]).await;
        wait_for_path(&browser, |path| path == "/chat", "the chat").await;
        assert_focus(&browser, "textarea#message", "signing up").await;

        // Send: the message box keeps the focus while the reply streams and after.
        browser.type_text("Add a task to buy milk").await;
        browser.press(&[ENTER]).await;
        assert_focus(&browser, "textarea#message", "sending").await;
        wait_for_replies(&browser, 1).await;
        assert_focus(&browser, "textarea#message", "the reply").await;
        let first = current_conversation(&browser).await;

        // New chat, and a second conversation.
        tab_to(&browser, "#new-chat", true).await;
        browser.press(&[ENTER]).await;
        wait_for_path(&browser, |path| path == "/chat", "a new chat").await;
        assert_focus(&browser, "textarea#message", "opening a new chat").await;
        browser.type_text("Add a task to call mom").await;
        browser.press(&[ENTER]).await;
        wait_for_replies(&browser, 1).await;
        let second = current_conversation(&browser).await;
        assert_ne!(first, second);

        // Switch back to the first one.
        tab_to(&browser, &format!("#conversation-list a[href='/chat/{first}']"), true).await;
        browser.press(&[ENTER]).await;
        wait_for_path(
            &browser,
            |path| path == format!("/chat/{first}"),
            "the first conversation",
        )
        .await;
        assert_focus(&browser, "textarea#message", "switching conversations").await;

        // Delete the other one: the dialog names it, and the open conversation stays open.
        tab_to(&browser, &format!("#delete-conversation-{second}"), true).await;
        browser.press(&[ENTER]).await;
        confirm(&browser, "Add a task to call mom").await;
        browser
            .wait_js(
                "the conversation gone",
                &format!("!document.getElementById('delete-conversation-{second}')"),
            )
            .await;
        assert_eq!(current_conversation(&browser).await, first);
        assert_focus(&browser, "textarea#message", "deleting a conversation").await;

        // Tasks: add two, toggle, edit and delete them.
        tab_to(&browser, ".nav a[href='/tasks']", true).await;
        browser.press(&[ENTER]).await;
        wait_for_path(&browser, |path| path == "/tasks", "the tasks page").await;
        assert_focus(&browser, "input#title", "opening the tasks page").await;
        for title in ["Water the plants", "Pay the rent"] {
            browser.type_text(title).await;
            browser.press(&[ENTER]).await;
            task_id(&browser, title).await;
            assert_focus(&browser, "input#title", "adding a task").await;
        }
        let plants = task_id(&browser, "Water the plants").await;
        let toggle = format!("#toggle-{plants}");
        tab_to(&browser, &toggle, false).await;
        browser.press(&[ENTER]).await;
        browser
            .wait_js(
                "the task done",
                &format!("document.getElementById('task-{plants}').classList.contains('done')"),
            )
            .await;
        assert_focus(&browser, &toggle, "toggling a task").await;

        tab_to(&browser, &format!("#edit-{plants}"), false).await;
        browser.press(&[ENTER]).await;
        wait_for_path(&browser, |path| path.ends_with("/edit"), "the edit page").await;
        assert_focus(&browser, "input#title", "opening the edit page").await;
        browser.press(&[CONTROL, 'a']).await;
        browser.type_text("Water the ferns").await;
        browser.press(&[ENTER]).await;
        wait_for_path(&browser, |path| path == "/tasks", "the list after saving").await;
        assert_focus(&browser, "input#title", "saving the edit").await;
        assert_eq!(task_id(&browser, "Water the ferns").await, plants);

        // Deleting moves the focus to the next task, and to the add field once none is left.
        let rent = task_id(&browser, "Pay the rent").await;
        let next = browser
            .eval(&format!(
                "document.getElementById('task-{plants}').nextElementSibling.id"
            ))
            .await;
        let next = next
            .as_str()
            .expect("a task after it")
            .trim_start_matches("task-")
            .to_owned();
        tab_to(&browser, &format!("#delete-{plants}"), false).await;
        browser.press(&[ENTER]).await;
        confirm(&browser, "Water the ferns").await;
        browser
            .wait_js("the task gone", &format!("!document.getElementById('task-{plants}')"))
            .await;
        assert_focus(&browser, &format!("#toggle-{next}"), "deleting a task").await;
        tab_to(&browser, "input#q", true).await;
        browser.type_text("rent").await;
        browser
            .wait_js(
                "only the rent listed",
                "document.querySelectorAll('#task-list li.task').length === 1",
            )
            .await;
        assert_focus(&browser, "input#q", "searching").await;
        tab_to(&browser, &format!("#delete-{rent}"), false).await;
        browser.press(&[ENTER]).await;
        confirm(&browser, "Pay the rent").await;
        browser
            .wait_js("the list empty", "!document.querySelector('#task-list li.task')")
            .await;
        assert_focus(&browser, "input#title", "deleting the last task").await;
        browser
    })
    .await;
}
