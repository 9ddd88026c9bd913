//! A turn in the browser, whatever the network does: the composer's keys, Stop, a connection dropped
//! between the browser and the frontend, the backend lost in the middle of a turn, and reading back
//! while a reply arrives. A turn never runs twice. The slow turns come from the backend's OpenAI
//! engine talking to `test_support::llm::SlowModel`, a stand-in provider that asks for `add_task`
//! at once and answers after a delay (no real model is reachable from the tests); connections are
//! cut by a TCP proxy between the parts (`support/proxy.rs`).

use std::time::Duration;

use test_support::llm::SlowModel;

use crate::{
    a11y::Audit,
    support::{
        backend::TestBackend,
        browser::{self, Browser},
        page::keys::{ENTER, SHIFT},
        proxy::Proxy,
        stack::{ApiUser, Stack, sign_up, sign_up_at, wait_for_replies},
    },
};

const BREAD: &str = "Add a task to buy bread";
const ANSWER: &str = "Added \"Buy bread\".";

async fn slow_stack(delay: Duration) -> (Stack, SlowModel) {
    let model = SlowModel::start("Buy bread", ANSWER, delay).await;
    let backend = TestBackend::with_args(&model.backend_args()).await;
    (Stack::on(backend).await, model)
}

/// Types `text` in the composer and sends it with Enter.
async fn send(browser: &Browser, text: &str) {
    browser.click("#message").await;
    browser.type_text(text).await;
    browser.press(&[ENTER]).await;
}

/// Waits for the chip of the turn's tool call: the task exists, the model is still thinking.
async fn wait_for_the_tool_call(browser: &Browser) {
    browser
        .wait_js(
            "the tool call's chip",
            "!!document.querySelector('.msg.streaming .chip')",
        )
        .await;
}

async fn text_of(browser: &Browser, expression: &str) -> String {
    browser.eval(expression).await.as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn shift_enter_breaks_the_line_and_enter_sends() {
    let stack = Stack::start().await;
    browser::run("shift_enter_and_enter", true, |browser| async {
        sign_up(&browser, &stack).await;
        browser.click("#message").await;
        browser.type_text("Add a task to buy milk").await;
        browser.press(&[SHIFT, ENTER]).await;
        browser.type_text("and check the fridge").await;
        let typed = text_of(&browser, "document.getElementById('message').value").await;
        assert_eq!(typed, "Add a task to buy milk\nand check the fridge");
        assert_eq!(
            browser.eval("document.querySelectorAll('.msg').length").await,
            0,
            "nothing sent yet"
        );
        browser.press(&[ENTER]).await;
        wait_for_replies(&browser, 1).await;
        let sent = text_of(&browser, "document.querySelector('.msg.user .text').textContent").await;
        assert_eq!(
            sent, "Add a task to buy milk\nand check the fridge",
            "the line break is kept"
        );
        assert_eq!(text_of(&browser, "document.getElementById('message').value").await, "");
        browser
    })
    .await;
}

#[tokio::test]
async fn stop_ends_a_streaming_turn_and_the_conversation_stays_consistent() {
    let (stack, _model) = slow_stack(Duration::from_secs(60)).await;
    browser::run("stop_ends_a_streaming_turn", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        send(&browser, BREAD).await;
        wait_for_the_tool_call(&browser).await;

        // While the reply streams: the box keeps the focus and takes typing, Enter sends nothing,
        // Send has become Stop, and the thinking state is announced.
        assert_eq!(browser.focused().await.selector, "textarea#message");
        browser.type_text("Then call mom").await;
        browser.press(&[ENTER]).await;
        assert_eq!(browser.eval("document.querySelectorAll('.msg.user').length").await, 1);
        assert_eq!(browser.eval("document.getElementById('stop').hidden").await, false);
        assert_eq!(browser.eval("document.getElementById('send').hidden").await, true);
        assert_eq!(
            browser
                .eval("document.querySelector('.msg.streaming').getAttribute('aria-busy')")
                .await,
            "true"
        );
        let status = text_of(&browser, "document.getElementById('chat-status').textContent").await;
        assert!(
            status.contains("thinking") || status.contains("still answering"),
            "{status}"
        );
        let mut audit = Audit::default();
        audit.check(&browser, "a reply streaming").await;

        browser.click("#stop").await;
        browser
            .wait_js("the turn ended", "!document.querySelector('.msg.streaming')")
            .await;
        let note = text_of(
            &browser,
            "document.querySelector('.msg.assistant .turn-note').textContent",
        )
        .await;
        assert_eq!(note, "Stopped. Before that I had already added task #1 \"Buy bread\".");
        assert_ne!(browser.focused().await.selector, "body");
        assert_eq!(browser.eval("document.getElementById('send').hidden").await, false);
        audit.check(&browser, "a stopped reply").await;

        // What the page showed is what was stored: the message, the change, and the note.
        browser.client.refresh().await.unwrap();
        let stored = text_of(&browser, "document.querySelector('.msg.assistant').innerText").await;
        assert!(
            stored.contains("Added #1 Buy bread") && stored.contains("Stopped."),
            "{stored}"
        );
        assert_eq!(browser.eval("document.querySelectorAll('.msg').length").await, 2);
        let api = ApiUser::login(&stack, &address).await;
        assert_eq!(api.task_titles().await, ["Buy bread"]);
        audit.assert_clean();
        browser
    })
    .await;
}

#[tokio::test]
async fn a_connection_dropped_mid_turn_never_runs_it_twice_and_the_reply_arrives_once() {
    let (stack, model) = slow_stack(Duration::from_secs(3)).await;
    let proxy = Proxy::start(&stack.url("")).await;
    browser::run("dropped_connection_mid_turn", true, |browser| async {
        let address = sign_up_at(&browser, &proxy.url("/signup")).await;
        send(&browser, BREAD).await;
        wait_for_the_tool_call(&browser).await;
        proxy.cut();

        browser
            .wait_js(
                "the reply after the reconnect",
                "!document.querySelector('.msg.streaming')",
            )
            .await;
        let replies = browser.eval("document.querySelectorAll('.msg.assistant').length").await;
        assert_eq!(replies, 1);
        assert_eq!(
            text_of(&browser, "document.querySelector('.msg.assistant .text').textContent").await,
            ANSWER
        );
        assert_eq!(
            browser
                .eval("document.querySelectorAll('.msg.assistant .chip').length")
                .await,
            1
        );
        assert_eq!(browser.eval("document.querySelectorAll('.turn-error').length").await, 0);
        let api = ApiUser::login(&stack, &address).await;
        assert_eq!(api.task_titles().await, ["Buy bread"], "one task: the turn ran once");
        assert_eq!(model.requests().await, 2, "the model was asked for one turn only");
        browser
    })
    .await;
}

#[tokio::test]
async fn when_the_backend_is_lost_mid_turn_retry_is_offered_with_the_text_given_back() {
    let model = SlowModel::start("Buy bread", ANSWER, Duration::from_secs(3)).await;
    let backend = TestBackend::with_args(&model.backend_args()).await;
    let proxy = Proxy::start(&backend.base_url()).await;
    let stack = Stack::reaching(backend, &proxy.url("")).await;
    browser::run("backend_lost_mid_turn", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        send(&browser, BREAD).await;
        wait_for_the_tool_call(&browser).await;
        proxy.refuse(true);
        proxy.cut();

        browser
            .wait_js("the turn given up", "!!document.querySelector('.msg.assistant .turn-error')")
            .await;
        assert_eq!(text_of(&browser, "document.getElementById('message').value").await, BREAD, "the text is given back");
        assert_eq!(browser.eval("!!document.querySelector('.msg.assistant button.resume')").await, true, "Retry is offered");
        assert_ne!(browser.focused().await.selector, "body");
        let mut audit = Audit::default();
        audit.check(&browser, "a reply whose connection was lost").await;

        // Retry asks for the same turn: the backend had finished it, so it shows, and nothing runs again.
        proxy.refuse(false);
        browser.click(".msg.assistant button.resume").await;
        browser
            .wait_js(
                "the stored reply",
                &format!("document.querySelector('.msg.assistant .text') && document.querySelector('.msg.assistant .text').textContent === {ANSWER:?} && !document.querySelector('.msg.streaming')"),
            )
            .await;
        assert_eq!(browser.eval("document.querySelectorAll('.msg.assistant').length").await, 1);
        let api = ApiUser::login(&stack, &address).await;
        assert_eq!(api.task_titles().await, ["Buy bread"], "one task");
        assert_eq!(model.requests().await, 2);
        audit.assert_clean();
        browser
    })
    .await;
}

#[tokio::test]
async fn reading_back_while_a_reply_arrives_keeps_the_place_and_offers_jump_to_latest() {
    let (stack, _model) = slow_stack(Duration::from_secs(2)).await;
    browser::run("reading_back_while_a_reply_arrives", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let mut conversation = None;
        for n in 0..6 {
            conversation = Some(api.chat(conversation, &format!("Tell me about task number {n}")).await);
        }
        let path = format!("/chat/{}", conversation.expect("a conversation"));
        browser.client.goto(&stack.url(&path)).await.unwrap();
        send(&browser, "What's pending?").await;
        browser.wait_js("the reply streaming", "!!document.querySelector('.msg.streaming')").await;
        browser.eval("(document.getElementById('messages').scrollTop = 0) || true").await;
        browser
            .wait_js("the reply", "!document.querySelector('.msg.streaming')")
            .await;
        assert_eq!(browser.eval("document.getElementById('messages').scrollTop").await, 0, "the reader stays put");
        assert_eq!(browser.eval("document.getElementById('jump').hidden").await, false, "Jump to latest appears");
        browser.click("#jump").await;
        let at_bottom = browser
            .eval("(() => { const m = document.getElementById('messages'); return m.scrollHeight - m.scrollTop - m.clientHeight < 2; })()")
            .await;
        assert_eq!(at_bottom, true);
        assert_eq!(browser.focused().await.selector, "textarea#message");
        assert_eq!(browser.eval("document.getElementById('jump').hidden").await, true);
        browser
    })
    .await;
}

#[tokio::test]
async fn a_failed_turn_gives_the_text_back_and_retry_sends_it_again() {
    // A model nobody answers for: every turn fails at once with the agent's own explanation.
    let nowhere = test_support::ClosedPort::new();
    let settings = [
        ("--llm-provider", "openai"),
        ("--llm-base-url", &nowhere.url("/v1")),
        ("--llm-api-key", "sk-test"),
        ("--llm-max-retries", "0"),
    ];
    let args: Vec<String> = settings
        .iter()
        .flat_map(|(k, v)| [(*k).to_owned(), (*v).to_owned()])
        .collect();
    let stack = Stack::on(TestBackend::with_args(&args).await).await;
    browser::run("failed_turn_and_retry", true, |browser| async {
        sign_up(&browser, &stack).await;
        send(&browser, BREAD).await;
        browser.wait_js("the failure", "!!document.querySelector('.msg.assistant .turn-error')").await;
        assert_eq!(text_of(&browser, "document.getElementById('message').value").await, BREAD);
        let mut audit = Audit::default();
        audit.check(&browser, "a failed reply").await;

        browser.eval("(document.getElementById('message').value = '') || true").await;
        browser.click(".msg.assistant button.retry").await;
        browser
            .wait_js(
                "the message sent again",
                "document.querySelectorAll('.msg.user').length === 2 && document.querySelectorAll('.msg.assistant .turn-error').length === 2",
            )
            .await;
        let again = text_of(&browser, "document.querySelectorAll('.msg.user .text')[1].textContent").await;
        assert_eq!(again, BREAD, "Retry sent the same words as a new turn");
        audit.assert_clean();
        browser
    })
    .await;
}
