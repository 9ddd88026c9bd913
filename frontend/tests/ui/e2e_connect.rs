//! The personal access token's life through the "Connect an assistant" page in headless Chromium:
//! created, copied (it is on the page that one time only), used by an MCP request to the UI's own
//! address, revoked — after which the same request is refused.

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{Value, json};

use crate::{
    support::browser::{self, Browser},
    support::stack::{Stack, sign_up, wait_for_path},
};

const CONTROL: &str = "\u{E009}";
const RELEASE_KEYS: &str = "\u{E000}";

/// `tools/call list_tasks` with `token` through the frontend's `/mcp`, as an MCP client sends it.
async fn list_tasks_over_mcp(stack: &Stack, token: &str) -> reqwest::Response {
    let call =
        json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_tasks", "arguments": {}}});
    reqwest::Client::new()
        .post(stack.url("/mcp"))
        .bearer_auth(token)
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-11-25")
        .json(&call)
        .send()
        .await
        .expect("the frontend answers")
}

async fn click(browser: &Browser, locator: Locator<'_>) {
    let element = browser
        .client
        .find(locator)
        .await
        .unwrap_or_else(|err| panic!("{locator:?}: {err}"));
    element.click().await.expect("the click lands");
}

async fn value_of(browser: &Browser, id: &str) -> String {
    let element = browser.client.find(Locator::Id(id)).await.expect(id);
    element.prop("value").await.expect("value").unwrap_or_default()
}

#[tokio::test]
async fn an_access_token_is_created_copied_once_used_and_revoked() {
    let stack = Stack::start().await;
    browser::run(
        "an_access_token_is_created_copied_once_used_and_revoked",
        true,
        |browser| async {
            sign_up(&browser, &stack).await;
            click(&browser, Locator::LinkText("Connect")).await;
            wait_for_path(&browser, |path| path == "/connect", "the connect page").await;
            let address = browser.text("#mcp-url").await;
            assert_eq!(address, stack.url("/mcp"), "the address is the UI's own");
            assert!(browser.client.find(Locator::Id("no-tokens")).await.is_ok());

            let name = browser.client.find(Locator::Id("token-name")).await.unwrap();
            name.send_keys("Claude Desktop").await.unwrap();
            click(&browser, Locator::Css("#token-lifetime option[value='7']")).await;
            click(&browser, Locator::Id("create-token")).await;
            browser
                .wait_js("the new token", "document.getElementById('new-token')")
                .await;
            let token = value_of(&browser, "new-token").await;
            assert!(token.starts_with("todo_pat_") && token.len() > 40, "{token}");
            let config: Value =
                serde_json::from_str(&browser.text("#claude-config").await).expect("the config is JSON");
            let server = &config["mcpServers"]["todo"];
            assert_eq!(server["env"]["TODO_AUTH_HEADER"], format!("Bearer {token}"));
            assert!(server["args"].as_array().unwrap().contains(&json!(address)), "{config}");
            assert!(browser.text("#token-list .name").await.contains("Claude Desktop"));
            browser
                .screenshot(&browser::artifacts_dir().join("connect-new-token.png"))
                .await;

            // Copy, then paste into the name field: what the clipboard holds is the token.
            click(&browser, Locator::Id("copy-token")).await;
            browser
                .wait_js(
                    "the copy to be confirmed",
                    "/Copied/.test(document.getElementById('copy-status').textContent)",
                )
                .await;
            let field = browser.client.find(Locator::Id("token-name")).await.unwrap();
            field.clear().await.unwrap();
            field.send_keys(&format!("{CONTROL}v{RELEASE_KEYS}")).await.unwrap();
            assert_eq!(
                value_of(&browser, "token-name").await,
                token,
                "the clipboard holds the token"
            );

            // The token works at the UI's address, and the page notes its use.
            let answer = list_tasks_over_mcp(&stack, &token).await;
            assert_eq!(answer.status(), reqwest::StatusCode::OK);
            let body: Value = answer.json().await.unwrap();
            assert_eq!(body["result"]["isError"], false, "{body}");

            // Shown once: after a reload the token is nowhere on the page, only its prefix.
            browser.client.goto(&stack.url("/connect")).await.unwrap();
            browser
                .wait_js("the token list", "document.querySelector('#token-list .name')")
                .await;
            let source = browser.client.source().await.unwrap();
            assert!(!source.contains(&token), "the token is gone from the page");
            assert!(source.contains(&token[..13]), "its prefix is listed");
            assert_ne!(browser.text("#token-list .last-used").await, "never");

            // Revoke (confirming the dialog): the row goes and the next request is refused.
            click(&browser, Locator::Css("#token-list button.danger")).await;
            tokio::time::sleep(Duration::from_millis(200)).await;
            browser.client.accept_alert().await.expect("the confirmation dialog");
            browser
                .wait_js("the list without the token", "document.getElementById('no-tokens')")
                .await;
            let refused = list_tasks_over_mcp(&stack, &token).await;
            assert_eq!(refused.status(), reqwest::StatusCode::UNAUTHORIZED);
            browser
        },
    )
    .await;
}
