//! The layout holds: on a desktop the chat is an app as tall as the window whose thread scrolls on
//! its own, following new content only while the reader is at the bottom; on phones (390 and
//! 320 px) no page scrolls sideways, whatever the conversations and tasks are called, and the
//! composer sits at the bottom.

use serde_json::Value;

use crate::support::{
    browser::{self, Browser},
    page::{DESKTOP, PHONE, SMALL_PHONE, Scheme, Viewport},
    stack::{ApiUser, Stack, open_task_panel_on_a_phone, send_message, sign_up, wait_for_path, wait_for_replies},
};

/// A word no line can hold: 120 letters without a break.
fn long_word() -> String {
    "Supercalifragilistic".repeat(6)
}

/// `(document height, window height, thread scroll height, thread height, thread at its bottom)`.
async fn heights(browser: &Browser) -> (f64, f64, f64, f64, bool) {
    let found = browser
        .eval(
            "(() => { const m = document.getElementById('messages');
               return [document.documentElement.scrollHeight, window.innerHeight, m.scrollHeight, m.clientHeight,
                       m.scrollHeight - m.scrollTop - m.clientHeight < 2]; })()",
        )
        .await;
    serde_json::from_value(found).expect("five values")
}

/// Whether the element `css` lies wholly inside the window.
async fn in_view(browser: &Browser, css: &str) -> bool {
    let script = format!(
        "(() => {{ const r = document.querySelector({css:?}).getBoundingClientRect();
           return r.height > 0 && r.top >= 0 && r.left >= 0 && r.bottom <= innerHeight + 0.5 && r.right <= innerWidth + 0.5; }})()"
    );
    browser.eval(&script).await == Value::Bool(true)
}

#[tokio::test]
async fn after_twelve_turns_the_desktop_chat_fits_the_window_and_its_thread_scrolls() {
    let stack = Stack::start().await;
    browser::run("desktop_chat_after_twelve_turns", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let mut conversation = None;
        for turn in 0..12 {
            let message = format!("Add a task to water plant number {turn} in the garden");
            conversation = Some(api.chat(conversation, &message).await);
        }
        let path = format!("/chat/{}", conversation.expect("a conversation"));
        browser.emulate(DESKTOP, Scheme::Light).await;
        browser.client.goto(&stack.url(&path)).await.unwrap();

        let (document, window, thread, thread_height, at_bottom) = heights(&browser).await;
        assert!(
            document <= window,
            "the page is {document} px tall in a {window} px window"
        );
        assert!(
            thread > thread_height,
            "the thread ({thread} px in {thread_height} px) scrolls"
        );
        assert!(at_bottom, "a conversation opens at its latest message");
        for part in [".topbar", "#new-chat", "#task-panel", "#thread-title", "#chat-form"] {
            assert!(in_view(&browser, part).await, "{part} stays in view");
        }

        // Sending from anywhere in the thread brings the reader down to their message, and the
        // thread follows the reply. (Reading back while a reply streams is in turns.rs, where a
        // reply can be made slow.)
        browser
            .eval("(document.getElementById('messages').scrollTop = 0) || true")
            .await;
        send_message(&browser, "Show me all my tasks").await;
        wait_for_replies(&browser, 13).await;
        let (document, _, _, _, at_bottom) = heights(&browser).await;
        assert!(at_bottom, "the thread followed the new turn");
        assert!(document <= window, "still no taller than the window");
        browser
    })
    .await;
}

/// Checks `scrollWidth <= clientWidth` at both phone widths; returns the offenders.
async fn sideways(browser: &Browser, page: &str) -> Vec<String> {
    let mut found = Vec::new();
    for viewport in [PHONE, SMALL_PHONE] {
        browser.emulate(viewport, Scheme::Light).await;
        let widths = browser
            .eval("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
            .await;
        let [scroll, client]: [f64; 2] = serde_json::from_value(widths).expect("two widths");
        if scroll > client {
            found.push(format!("{page} at {} px: {scroll} px wide", viewport.width));
        }
    }
    found
}

async fn composer_at_the_bottom(browser: &Browser, viewport: Viewport) {
    browser.emulate(viewport, Scheme::Light).await;
    let gap = browser
        .eval("innerHeight - document.getElementById('chat-form').getBoundingClientRect().bottom")
        .await;
    let gap = gap.as_f64().expect("a number");
    assert!(
        gap.abs() < 1.0,
        "at {} px the composer ends {gap} px above the bottom",
        viewport.width
    );
}

#[tokio::test]
async fn on_phones_no_page_scrolls_sideways_and_the_composer_is_at_the_bottom() {
    let stack = Stack::start().await;
    browser::run("phones_never_scroll_sideways", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let word = long_word();
        let mut last = 0;
        for n in 0..5 {
            last = api.chat(None, &format!("Add a task to buy {word}{n}")).await;
        }
        api.chat(Some(last), &format!("Rename task 1 to {word} and then some"))
            .await;
        let task = api.add_task(&format!("Read {word} twice")).await;

        let mut offenders = Vec::new();
        for page in [
            "/chat".to_owned(),
            format!("/chat/{last}"),
            "/tasks".into(),
            format!("/tasks/{task}/edit"),
            "/tasks?status=completed".into(),
            "/no/such/page".into(),
        ] {
            browser.emulate(PHONE, Scheme::Light).await;
            browser.client.goto(&stack.url(&page)).await.unwrap();
            offenders.extend(sideways(&browser, &page).await);
        }
        browser.client.goto(&stack.url(&format!("/chat/{last}"))).await.unwrap();
        composer_at_the_bottom(&browser, PHONE).await;
        composer_at_the_bottom(&browser, SMALL_PHONE).await;
        open_task_panel_on_a_phone(&browser).await;
        offenders.extend(sideways(&browser, "the chat with its task panel open").await);

        browser.emulate(DESKTOP, Scheme::Light).await;
        browser.click("#logout").await;
        wait_for_path(&browser, |path| path.starts_with("/login"), "the login page").await;
        for page in ["/login", "/signup"] {
            browser.client.goto(&stack.url(page)).await.unwrap();
            offenders.extend(sideways(&browser, page).await);
        }
        assert!(
            offenders.is_empty(),
            "pages wider than the phone:\n{}",
            offenders.join("\n")
        );
        browser
    })
    .await;
}
