//! What axe does not measure: the contrast of field borders, toggles and the filter (non-text
//! contrast, 3:1), of placeholders and of the marks in chips (4.5:1), in light and dark; the skip
//! link; Copy on a reply; reduced motion; focus rings the conversation strip on a phone must not
//! clip. Colours are read from the rendered page (`getComputedStyle`), so they are what people see.

use std::time::Duration;

use test_support::llm::SlowModel;

use crate::support::{
    backend::TestBackend,
    browser::{self, Browser},
    page::{
        DESKTOP, Motion, PHONE, Scheme,
        keys::{ENTER, SHIFT, TAB},
    },
    stack::{ApiUser, Stack, open_tasks_with_one_done, sign_up, wait_for_replies},
};

/// WCAG's contrast ratio between computed colours, and what lies behind an element: a JavaScript
/// prelude for the measurements below.
const CONTRAST: &str = r"
const rgba = c => { const v = c.match(/[\d.]+/g).map(Number); return { r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1 }; };
const channel = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
// A colour seen through its alpha and an opacity, over an opaque background.
const over = (fg, bg, opacity) => { const f = rgba(fg), b = rgba(bg), a = f.a * opacity; return `rgb(${['r', 'g', 'b'].map(k => f[k] * a + b[k] * (1 - a)).join(', ')})`; };
const luminance = c => { const { r, g, b } = rgba(c); return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b); };
const ratio = (x, y) => { const [hi, lo] = [luminance(x), luminance(y)].sort((p, q) => q - p); return (hi + 0.05) / (lo + 0.05); };
const behind = el => { for (let e = el; e; e = e.parentElement) { const c = getComputedStyle(e).backgroundColor; if (rgba(c).a === 1) return c; } return 'rgb(255, 255, 255)'; };
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\s+/).join('.') : '');
const findings = []; let measured = 0;
const need = (what, el, fg, bg, min, opacity = 1) => { measured += 1; const r = ratio(over(fg, bg, opacity), bg); if (r < min) findings.push(`${what} ${name(el)}: ${fg} on ${bg} is ${r.toFixed(2)}:1, under ${min}:1`); };
";

/// Measures every field border, toggle, filter group, placeholder and chip mark on the page.
const MEASURE: &str = r"
for (const el of document.querySelectorAll('input:not([type=hidden]):not([type=radio]):not([type=checkbox]), select, textarea, .segmented, .task:not(.done) .check')) {
  const border = getComputedStyle(el).borderTopColor;
  need('border (outside)', el, border, behind(el.parentElement), 3);
  need('border (inside)', el, border, behind(el), 3);
}
for (const el of document.querySelectorAll('.task.done .check')) {
  need('the tick', el, getComputedStyle(el, '::after').color, behind(el), 3);
}
for (const el of document.querySelectorAll('[placeholder]')) {
  const placeholder = getComputedStyle(el, '::placeholder');
  if (placeholder.color === getComputedStyle(el).color) findings.push(`${name(el)}: the placeholder's own colour was not read`);
  need('placeholder', el, placeholder.color, behind(el), 4.5, parseFloat(placeholder.opacity));
}
for (const el of document.querySelectorAll('.chip-mark')) {
  need('chip mark', el, getComputedStyle(el).color, behind(el), 4.5);
}
return [measured, findings];
";

async fn measure(browser: &Browser, page: &str, scheme: Scheme) -> (u64, Vec<String>) {
    browser.emulate(DESKTOP, scheme).await;
    let found = browser.eval(&format!("(() => {{ {CONTRAST} {MEASURE} }})()")).await;
    let (measured, findings): (u64, Vec<String>) = serde_json::from_value(found).expect("a count and findings");
    let findings = findings
        .into_iter()
        .map(|f| format!("{page} [{scheme:?}]: {f}"))
        .collect();
    (measured, findings)
}

#[tokio::test]
async fn borders_placeholders_and_chip_marks_have_enough_contrast_in_light_and_dark() {
    let stack = Stack::start().await;
    browser::run("contrast", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let conversation = api.chat(None, "Add a task to buy groceries").await;
        api.chat(Some(conversation), "Mark task 999 as complete").await;
        let done = api.add_task("Water the plants").await;
        api.add_task("Call the plumber").await;

        let mut findings = Vec::new();
        browser
            .client
            .goto(&stack.url(&format!("/chat/{conversation}")))
            .await
            .unwrap();
        let chips = browser
            .eval("[document.querySelectorAll('.chip').length, document.querySelectorAll('.chip.failed').length]")
            .await;
        assert!(
            chips[0].as_u64() > chips[1].as_u64() && chips[1].as_u64() >= Some(1),
            "chips of each kind to measure (all, failed): {chips}"
        );
        for scheme in Scheme::BOTH {
            let (measured, found) = measure(&browser, "chat", scheme).await;
            assert!(
                measured >= 4,
                "the composer, its placeholder and two chip marks: {measured}"
            );
            findings.extend(found);
        }

        open_tasks_with_one_done(&browser, &stack, done).await;
        for scheme in Scheme::BOTH {
            let (measured, found) = measure(&browser, "tasks", scheme).await;
            assert!(
                measured >= 8,
                "fields, the filter, toggles and placeholders: {measured}"
            );
            findings.extend(found);
        }
        browser
            .client
            .goto(&stack.url(&format!("/tasks/{done}/edit")))
            .await
            .unwrap();
        for scheme in Scheme::BOTH {
            findings.extend(measure(&browser, "edit", scheme).await.1);
        }
        assert!(findings.is_empty(), "{}", findings.join("\n"));
        browser
    })
    .await;
}

/// The focus is on the skip link, which is the page's first stop for Tab and shows when focused.
async fn assert_skip_link_shows(browser: &Browser, page: &str) {
    let shown = browser
        .eval(
            "(() => { const a = document.activeElement, r = a.getBoundingClientRect();
               const first = document.querySelector('a[href], button, input:not([type=hidden]), select, textarea, [tabindex]:not([tabindex=\"-1\"])');
               return [a.classList.contains('skip-link'), a === first, r.height > 0 && r.top >= 0 && r.bottom <= innerHeight]; })()",
        )
        .await;
    assert_eq!(
        shown,
        serde_json::json!([true, true, true]),
        "{page}: (focused, first, in view)"
    );
}

#[tokio::test]
async fn the_skip_link_comes_first_shows_itself_and_leads_past_the_header() {
    let stack = Stack::start().await;
    browser::run("skip_link", true, |browser| async {
        sign_up(&browser, &stack).await;
        // A page that focuses nothing: the first Tab lands on the skip link.
        browser.client.goto(&stack.url("/no/such/page")).await.unwrap();
        browser.press(&[TAB]).await;
        assert_skip_link_shows(&browser, "not found").await;
        browser.press(&[ENTER]).await;
        browser
            .wait_js(
                "not found: focus on main",
                "document.activeElement.matches('main#main')",
            )
            .await;
        // Pages that focus their main field at once: the skip link still comes before the header.
        for (path, target) in [("/chat", "textarea#message"), ("/tasks", "main#main")] {
            browser.client.goto(&stack.url(path)).await.unwrap();
            browser.eval("(document.querySelector('.brand').focus(), true)").await;
            browser.press(&[SHIFT, TAB]).await;
            assert_skip_link_shows(&browser, path).await;
            browser.press(&[ENTER]).await;
            let script = format!("document.activeElement.matches({target:?})");
            browser.wait_js(&format!("{path}: focus on {target}"), &script).await;
        }
        browser
    })
    .await;
}

#[tokio::test]
async fn copy_puts_the_reply_on_the_clipboard_and_says_so() {
    let stack = Stack::start().await;
    browser::run("copy_a_reply", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let conversation = api.chat(None, "Add a task to buy groceries").await;
        browser
            .client
            .goto(&stack.url(&format!("/chat/{conversation}")))
            .await
            .unwrap();
        wait_for_replies(&browser, 1).await;
        browser.allow_clipboard().await;

        browser.click(".msg.assistant .copy").await;
        browser
            .wait_js(
                "the announcement",
                "document.getElementById('announce').textContent === 'Reply copied.'",
            )
            .await;
        let reply = browser
            .eval("document.querySelector('.msg.assistant .text').textContent")
            .await;
        let copied = browser
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 navigator.clipboard.readText().then(done, e => done('unreadable: ' + e));",
                vec![],
            )
            .await
            .expect("the clipboard read");
        assert!(reply.as_str().is_some_and(|r| r.contains("groceries")), "{reply}");
        assert_eq!(copied, reply, "the clipboard holds the reply's text");
        browser
    })
    .await;
}

#[tokio::test]
async fn with_reduced_motion_the_thinking_dots_keep_still() {
    let model = SlowModel::start("Buy bread", "Added \"Buy bread\".", Duration::from_secs(60)).await;
    let stack = Stack::on(TestBackend::with_args(&model.backend_args()).await).await;
    browser::run("reduced_motion", true, |browser| async {
        sign_up(&browser, &stack).await;
        browser.click("#message").await;
        browser.type_text("Add a task to buy bread").await;
        browser.press(&[ENTER]).await;
        browser
            .wait_js(
                "the thinking dots",
                "!!document.querySelector('.msg.streaming .thinking span')",
            )
            .await;
        let animation = "getComputedStyle(document.querySelector('.msg.streaming .thinking span')).animationName";
        assert_eq!(browser.eval(animation).await, "pulse", "the dots pulse by default");
        browser.emulate_media(Scheme::Light, Motion::Reduced).await;
        assert_eq!(
            browser.eval(animation).await,
            "none",
            "and keep still when asked for less motion"
        );
        // The state is still told in words, for everyone.
        let status = browser.eval("document.getElementById('chat-status').textContent").await;
        assert!(status.as_str().is_some_and(|s| s.contains("thinking")), "{status}");
        browser.click("#stop").await;
        browser
            .wait_js("the turn stopped", "!document.querySelector('.msg.streaming')")
            .await;
        browser
    })
    .await;
}

#[tokio::test]
async fn on_a_phone_the_conversation_strip_never_clips_a_focus_ring() {
    let stack = Stack::start().await;
    browser::run("conversation_strip_focus", true, |browser| async {
        let address = sign_up(&browser, &stack).await;
        let api = ApiUser::login(&stack, &address).await;
        let mut last = 0;
        // Five conversations: a link and a delete button each, ten stops for Tab.
        for n in 0..5 {
            last = api.chat(None, &format!("Add a task to water plant number {n}")).await;
        }
        browser.emulate(PHONE, Scheme::Light).await;
        browser.client.goto(&stack.url(&format!("/chat/{last}"))).await.unwrap();
        // Tab through the strip from "New chat": each control's ring (outline width plus offset
        // beyond its box) lies inside the strip's scrolling box, so none of it is cut off.
        browser.eval("(document.getElementById('new-chat').focus(), true)").await;
        let mut bad = Vec::new();
        for _ in 0..10 {
            browser.press(&[TAB]).await;
            let found = browser
                .eval(
                    "(() => { const el = document.activeElement, strip = document.querySelector('#conversation-list ul');
                       if (!strip.contains(el)) return 'left the strip at ' + (el.id || el.tagName);
                       const s = getComputedStyle(el), ring = parseFloat(s.outlineWidth) + parseFloat(s.outlineOffset);
                       const r = el.getBoundingClientRect(), box = strip.getBoundingClientRect();
                       const name = el.id || el.getAttribute('href');
                       if (s.outlineStyle === 'none') return name + ' shows no ring';
                       const out = [r.top - ring - box.top, box.bottom - r.bottom - ring, r.left - ring - box.left,
                                    box.right - r.right - ring].map(d => Math.min(0, Math.round(d)));
                       return out.some(d => d < 0) ? name + ' cut by (top, bottom, left, right) ' + out.join(', ') : ''; })()",
                )
                .await;
            if let Some(problem) = found.as_str().filter(|p| !p.is_empty()) {
                bad.push(problem.to_owned());
            }
        }
        assert!(bad.is_empty(), "focus rings cut off by the strip: {bad:?}");
        browser
    })
    .await;
}
