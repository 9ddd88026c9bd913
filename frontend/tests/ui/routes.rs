//! Route tests: the real router driven with `oneshot`, in front of the real backend process on a
//! real PostgreSQL. Each view as a full page and as an htmx partial, the CSRF check, cookie flags,
//! security headers, and the error states people meet (validation, expiry, backend down).

use axum::{
    body::Body,
    http::{Request, StatusCode, header},
};
use base64::Engine;
use test_support::ClosedPort;

use crate::support::{
    PASSWORD,
    backend::TestBackend,
    email,
    frontend::{TestFrontend, TestResponse},
};

/// A whole document (not an htmx partial), with the description search engines and link previews show.
fn is_full_page(response: &TestResponse) -> bool {
    response.text.starts_with("<!doctype html>")
        && response.text.contains("<meta name=\"description\" content=\"Todo AI: ")
}

fn assert_varies_on_htmx(response: &TestResponse) {
    let vary: Vec<_> = response.headers.get_all(header::VARY).iter().collect();
    let names = vary.iter().flat_map(|v| v.to_str().unwrap_or_default().split(','));
    let mut names = names.map(str::trim);
    // Field names are case-insensitive.
    assert!(
        names.any(|name| name.eq_ignore_ascii_case("hx-request")),
        "Vary: {vary:?}"
    );
}

#[tokio::test]
async fn every_view_renders_as_a_page_and_its_partial_for_htmx() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());

    for path in ["/login", "/signup"] {
        let page = ui.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(is_full_page(&page), "{path}");
        assert_varies_on_htmx(&page);
    }
    ui.sign_up().await;
    ui.post_form("/tasks", &[("title", "Water the plants")]).await;

    let page = ui.get("/tasks").await;
    assert!(is_full_page(&page));
    assert!(page.text.contains("id=\"task-section\"") && page.text.contains("Water the plants"));
    assert_varies_on_htmx(&page);
    let partial = ui.hx_get("/tasks?status=pending").await;
    assert_eq!(partial.status, StatusCode::OK);
    assert!(
        partial.text.starts_with("<section id=\"task-section\""),
        "{}",
        partial.text
    );
    assert!(!partial.text.contains("<html") && partial.text.contains("Water the plants"));
    assert_varies_on_htmx(&partial);
    let completed = ui.hx_get("/tasks?status=completed").await;
    assert!(!completed.text.contains("Water the plants"), "filter applies");
    let search = ui.hx_get("/tasks?q=plants").await;
    assert!(search.text.contains("Water the plants"));

    let panel = ui.hx_get("/tasks/panel").await;
    assert!(panel.text.starts_with("<aside id=\"task-panel\""), "{}", panel.text);
    assert!(panel.text.contains("Water the plants"));

    let chat = ui.get("/chat").await;
    assert_eq!(chat.status, StatusCode::OK);
    assert!(is_full_page(&chat));
    assert!(chat.text.contains("id=\"chat-form\"") && chat.text.contains("id=\"task-panel\""));
    assert!(chat.text.contains("Water the plants"), "the panel is on the chat page");

    let send = ui
        .post_form_with(
            "/chat/send",
            &[("message", "Add a task to buy milk")],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(send.status, StatusCode::OK);
    assert!(send.text.starts_with("<article class=\"msg user\">"), "{}", send.text);
    // The stream is asked for by the turn's opaque id: neither the message nor a token is in a URL.
    let connect = send.text.split("sse-connect=\"").nth(1).expect("a streaming bubble");
    let url = &connect[..connect.find('"').expect("attribute end")];
    assert!(url.starts_with("/chat/turns/") && url.ends_with("/stream"), "{url}");
    let id = url.trim_start_matches("/chat/turns/").trim_end_matches("/stream");
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{url}");
    assert!(!url.contains('?'), "no query string: {url}");

    let edit_link = page.text.split("action=\"/tasks/").nth(1).expect("a task row");
    let id: String = edit_link.chars().take_while(char::is_ascii_digit).collect();
    let edit = ui.get(&format!("/tasks/{id}/edit")).await;
    assert!(is_full_page(&edit) && edit.text.contains("value=\"Water the plants\""));

    assert_eq!(
        ui.get("/").await.location(),
        "/chat",
        "home sends signed-in users to the chat"
    );
    let missing = ui.get("/no/such/page").await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert!(is_full_page(&missing));
}

#[tokio::test]
async fn state_changing_requests_need_the_csrf_token_and_our_origin() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    let token = ui.csrf_token().await;

    let form = |fields: &str| {
        Request::post("/tasks")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(fields.to_owned()))
            .unwrap()
    };
    let missing = ui.send(form("title=Forged")).await;
    assert_eq!(missing.status, StatusCode::FORBIDDEN);
    let wrong = ui.send(form("title=Forged&csrf_token=0000")).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    let mut foreign = form(&format!("title=Forged&csrf_token={token}"));
    foreign
        .headers_mut()
        .insert(header::HOST, "todo.example".parse().unwrap());
    foreign
        .headers_mut()
        .insert(header::ORIGIN, "https://evil.example".parse().unwrap());
    assert_eq!(ui.send(foreign).await.status, StatusCode::FORBIDDEN);

    // htmx sends the token as a header; a refused htmx request gets a banner, not a page.
    let hx = Request::post("/tasks/1/toggle")
        .header("hx-request", "true")
        .header("x-csrf-token", "0000")
        .body(Body::empty())
        .unwrap();
    let refused = ui.send(hx).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(refused.header("hx-retarget"), Some("#flash"));
    assert!(refused.text.contains("form has expired"), "{}", refused.text);

    // Logging out is state-changing too.
    let mut logout = Request::post("/logout").body(Body::empty()).unwrap();
    logout.headers_mut().insert(header::ORIGIN, "null".parse().unwrap());
    assert_eq!(ui.send(logout).await.status, StatusCode::FORBIDDEN);

    let tasks = ui.get("/tasks").await;
    assert!(!tasks.text.contains("Forged"), "nothing forged was created");
    let mut same_origin = form(&format!("title=Real&csrf_token={token}"));
    same_origin
        .headers_mut()
        .insert(header::HOST, "todo.example".parse().unwrap());
    same_origin
        .headers_mut()
        .insert(header::ORIGIN, "http://todo.example".parse().unwrap());
    assert_eq!(ui.send(same_origin).await.status, StatusCode::SEE_OTHER);

    // Stopping a turn is state-changing too.
    let stop = Request::post(format!("/chat/turns/{}/stop", uuid::Uuid::new_v4()))
        .header("hx-request", "true")
        .body(Body::empty())
        .unwrap();
    assert_eq!(ui.send(stop).await.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn cookies_are_http_only_lax_and_secure_when_configured() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    let login = ui.get("/login").await;
    let csrf = login.set_cookie("todo_csrf").expect("csrf cookie");
    assert!(
        csrf.contains("HttpOnly") && csrf.contains("SameSite=Lax") && !csrf.contains("Secure"),
        "{csrf}"
    );

    let address = email("cookie");
    let signup = ui
        .post_form("/signup", &[("email", &address), ("password", PASSWORD)])
        .await;
    let session = signup.set_cookie("todo_session").expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax") && session.contains("Path=/"));
    assert!(session.contains("Max-Age=") && !session.contains("Secure"), "{session}");

    let logout = ui.post_form("/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let cleared = logout.set_cookie("todo_session").expect("session cleared");
    assert!(
        cleared.starts_with("todo_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    // Over HTTPS: Secure, and the __Host- prefix (Path=/, no Domain) so no other site can plant them.
    let mut secure = TestFrontend::with_args(&backend.base_url(), &["--cookie-secure", "true"]);
    let page = secure.get("/login").await;
    assert_eq!(page.set_cookie("todo_csrf"), None);
    let csrf = page.set_cookie("__Host-todo_csrf").unwrap();
    assert!(
        csrf.contains("; Secure") && csrf.contains("Path=/") && !csrf.contains("Domain"),
        "{csrf}"
    );
    let login = secure
        .post_form("/login", &[("email", &address), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER, "{}", login.text);
    let session = login.set_cookie("__Host-todo_session").unwrap();
    assert!(
        session.contains("; Secure") && session.contains("Path=/") && !session.contains("Domain"),
        "{session}"
    );
}

#[tokio::test]
async fn security_headers_and_static_assets() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    let page = ui.get("/login").await;
    for response in [&page, &ui.get("/static/app.css").await, &ui.get("/nope").await] {
        let csp = response.header("content-security-policy").expect("CSP");
        assert!(csp.contains("script-src 'self'") && !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"));
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        assert_eq!(response.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(response.header("referrer-policy"), Some("same-origin"));
    }
    assert!(
        !page.text.contains("<script>") && !page.text.contains("style=\""),
        "no inline script or style"
    );

    // Every asset the first page links to: long-lived cache, compressed, and all of it (page
    // included) well under 100 KB on the wire.
    let mut total = page.wire_bytes;
    let mut seen = 0;
    for link in page.text.split(['"', '\'']).filter(|part| part.starts_with("/static/")) {
        let link = link.replace("&amp;", "&");
        let request = Request::get(&link)
            .header(header::ACCEPT_ENCODING, "gzip")
            .body(Body::empty())
            .unwrap();
        let asset = ui.send(request).await;
        assert_eq!(asset.status, StatusCode::OK, "{link}");
        assert_eq!(
            asset.header("cache-control"),
            Some("public, max-age=31536000, immutable"),
            "{link}"
        );
        if !link.contains(".svg") {
            assert_eq!(asset.header("content-encoding"), Some("gzip"), "{link}");
        }
        assert!(asset.set_cookie("todo_csrf").is_none(), "assets set no cookies: {link}");
        total += asset.wire_bytes;
        seen += 1;
    }
    assert!(seen >= 5, "page links css, icon and three scripts ({seen})");
    assert!(total < 100 * 1024, "first load transfers {total} bytes");
    assert_eq!(ui.get("/static/nothing.js").await.status, StatusCode::NOT_FOUND);
}

/// A token that parses but is expired or signed with another key ends the session politely.
#[tokio::test]
async fn an_expired_session_goes_back_to_login_with_a_message() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let forged = |exp: i64| {
        let claims = serde_json::json!({"sub": uuid::Uuid::new_v4(), "exp": exp});
        format!(
            "{}.{}.c2ln",
            engine.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            engine.encode(claims.to_string())
        )
    };
    ui.set_cookie_value("todo_session", &forged(1_000));
    let expired = ui.get("/chat").await;
    assert_eq!(expired.status, StatusCode::SEE_OTHER);
    assert_eq!(expired.location(), "/login?expired=1");

    // Not expired by its claims, but the backend rejects it (wrong key): same outcome.
    ui.set_cookie_value("todo_session", &forged(chrono::Utc::now().timestamp() + 3600));
    let rejected = ui.get("/tasks").await;
    assert_eq!(rejected.location(), "/login?expired=1");
    let hx = ui.hx_get("/tasks/panel").await;
    assert_eq!(hx.status, StatusCode::OK);
    assert_eq!(
        hx.header("hx-redirect"),
        Some("/login?expired=1"),
        "htmx navigates instead of swapping"
    );

    let login = ui.get("/login?expired=1").await;
    assert!(login.text.contains("Your session has expired. Please log in again."));
    assert!(login.set_cookie("todo_session").unwrap().contains("Max-Age=0"));

    let mut anonymous = TestFrontend::new(&backend.base_url());
    assert_eq!(anonymous.get("/chat").await.location(), "/login");
    assert_eq!(anonymous.get("/").await.location(), "/login");
}

#[tokio::test]
async fn backend_down_shows_a_friendly_banner_and_readiness_fails() {
    let nowhere = ClosedPort::new();
    let mut ui = TestFrontend::new(&nowhere.url(""));
    assert_eq!(ui.get("/healthz").await.status, StatusCode::OK);
    let ready = ui.get("/readyz").await;
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(ready.text.contains("backend unreachable"));

    let login = ui
        .post_form("/login", &[("email", "a@example.com"), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(is_full_page(&login));
    assert!(
        login.text.contains("We can&#39;t reach the task service right now")
            || login.text.contains("We can&#x27;t reach"),
        "{}",
        login.text
    );

    let hx = ui
        .post_form_with(
            "/login",
            &[("email", "a@example.com"), ("password", PASSWORD)],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(hx.header("hx-retarget"), Some("#flash"));
    assert!(hx.text.starts_with("<p class=\"banner error\">"), "{}", hx.text);

    let backend = TestBackend::start().await;
    let mut up = TestFrontend::new(&backend.base_url());
    assert_eq!(up.get("/readyz").await.status, StatusCode::OK);
}
