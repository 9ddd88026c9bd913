//! The browser side of issue 15's findings, through the real router in front of the real backend:
//! CSRF tokens bound to the session (a planted cookie is useless; tokens rotate at login and
//! logout), the whole origin compared and forwarded headers believed only from trusted proxies,
//! logout ending the session at the backend (here and everywhere), pages never stored, an
//! oversized form answered 413, and the browser's address passed on only as a trusted proxy gives it.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::ConnectInfo,
    http::{Request, StatusCode, header},
};

use crate::support::{
    PASSWORD,
    backend::TestBackend,
    email,
    frontend::{TestFrontend, TestResponse},
};

fn form(fields: &str) -> Request<Body> {
    Request::post("/tasks")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(fields.to_owned()))
        .unwrap()
}

/// Whether the signed-in user's task list shows `title`.
async fn has_task(ui: &mut TestFrontend, title: &str) -> bool {
    let page = ui.get("/tasks").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.text);
    page.text.contains(title)
}

#[tokio::test]
async fn a_planted_csrf_cookie_with_a_matching_field_is_refused() {
    let backend = TestBackend::start().await;
    let mut victim = TestFrontend::new(&backend.base_url());
    victim.sign_up().await;
    // The attacker sets the nonce cookie (from a sibling subdomain, or over plain HTTP) and
    // submits the same value as the form field, with no Origin header.
    victim.set_cookie_value("todo_csrf", "attacker-chosen");
    let forged = victim.send(form("title=Planted&csrf_token=attacker-chosen")).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN, "{}", forged.text);
    assert!(!has_task(&mut victim, "Planted").await);
}

#[tokio::test]
async fn a_token_is_void_once_the_user_logs_in_or_out() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    let address = email("rotate");
    ui.post_form("/signup", &[("email", &address), ("password", PASSWORD)])
        .await;
    ui.post_form("/logout", &[]).await;

    let anonymous = ui.csrf_token().await;
    let nonce = ui.cookie("todo_csrf").unwrap().to_owned();
    let login = ui
        .post_form("/login", &[("email", &address), ("password", PASSWORD)])
        .await;
    assert_eq!(login.status, StatusCode::SEE_OTHER);
    assert_ne!(ui.cookie("todo_csrf").unwrap(), nonce, "login starts a new nonce");
    let signed_in = ui.csrf_token().await;
    assert_ne!(signed_in, anonymous);
    let stale = ui.send(form(&format!("title=Stale&csrf_token={anonymous}"))).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN, "a token from before the login");
    let fresh = ui.send(form(&format!("title=Fresh&csrf_token={signed_in}"))).await;
    assert_eq!(fresh.status, StatusCode::SEE_OTHER, "{}", fresh.text);

    let logout = ui.post_form("/logout", &[]).await;
    assert_eq!(logout.status, StatusCode::SEE_OTHER);
    let after = ui
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "email=x%40example.com&password=y&csrf_token={signed_in}"
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(after.status, StatusCode::FORBIDDEN, "a token from before the logout");
}

#[tokio::test]
async fn the_whole_origin_is_compared_and_forwarded_hosts_need_a_trusted_proxy() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    let token = ui.csrf_token().await;
    let from = |origin: &str, extra: &[(&'static str, &str)]| {
        let mut request = form(&format!("title=From {origin}&csrf_token={token}"));
        let headers = request.headers_mut();
        headers.insert(header::HOST, "todo.example:8080".parse().unwrap());
        headers.insert(header::ORIGIN, origin.parse().unwrap());
        for (name, value) in extra {
            headers.insert(*name, value.parse().unwrap());
        }
        request
    };
    for refused in [
        "https://todo.example:8080",
        "http://todo.example:9090",
        "http://todo.example",
    ] {
        let response = ui.send(from(refused, &[])).await;
        assert_eq!(response.status, StatusCode::FORBIDDEN, "{refused}");
    }
    // A browser's own X-Forwarded-Host cannot make another site ours.
    let spoofed = from("http://evil.example", &[("x-forwarded-host", "evil.example")]);
    assert_eq!(ui.send(spoofed).await.status, StatusCode::FORBIDDEN);
    let ours = ui.send(from("http://todo.example:8080", &[])).await;
    assert_eq!(ours.status, StatusCode::SEE_OTHER, "{}", ours.text);
}

#[tokio::test]
async fn logging_out_ends_the_session_at_the_backend() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    ui.sign_up().await;
    let token = ui.cookie("todo_session").unwrap().to_owned();
    let logout = ui.post_form("/logout", &[]).await;
    assert_eq!(logout.location(), "/login?logged_out=1");

    // Whoever kept a copy of the cookie has nothing: the backend refuses the token.
    let me = reqwest::Client::new()
        .get(format!("{}/api/auth/me", backend.base_url()))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(me.status(), 401);
    ui.set_cookie_value("todo_session", &token);
    assert_eq!(ui.get("/tasks").await.location(), "/login?expired=1");
}

#[tokio::test]
async fn logging_out_everywhere_ends_the_other_browsers_too() {
    let backend = TestBackend::start().await;
    let mut laptop = TestFrontend::new(&backend.base_url());
    let address = email("everywhere");
    laptop
        .post_form("/signup", &[("email", &address), ("password", PASSWORD)])
        .await;
    let mut phone = TestFrontend::new(&backend.base_url());
    phone
        .post_form("/login", &[("email", &address), ("password", PASSWORD)])
        .await;
    assert_eq!(phone.get("/tasks").await.status, StatusCode::OK);

    let everywhere = laptop.post_form("/logout/everywhere", &[]).await;
    assert_eq!(everywhere.location(), "/login?logged_out=everywhere");
    assert!(laptop.cookie("todo_session").is_none());
    let notice = laptop.get("/login?logged_out=everywhere").await;
    assert!(notice.text.contains("logged out on every device"), "{}", notice.text);
    assert_eq!(phone.get("/tasks").await.location(), "/login?expired=1");
}

#[tokio::test]
async fn pages_are_never_stored_and_big_forms_are_413() {
    let backend = TestBackend::start().await;
    let mut ui = TestFrontend::new(&backend.base_url());
    assert_eq!(ui.get("/login").await.header("cache-control"), Some("no-store"));
    ui.sign_up().await;
    for page in ["/chat", "/tasks", "/tasks/panel"] {
        let response: TestResponse = ui.get(page).await;
        assert_eq!(response.header("cache-control"), Some("no-store"), "{page}");
    }
    // Static assets keep their long cache.
    let asset = ui.get("/static/app.css").await;
    assert_eq!(
        asset.header("cache-control"),
        Some("public, max-age=31536000, immutable")
    );

    let huge = format!("title=Big&description={}", "x".repeat(70 * 1024));
    let response = ui.send(form(&huge)).await;
    assert_eq!(response.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", response.text);
}

/// Signs up through the frontend as a browser at `browser` arriving through a proxy at
/// `10.0.0.1` (whose `X-Forwarded-For` the frontend trusts or not).
async fn sign_up_through_proxy(ui: &mut TestFrontend, browser: &str) -> TestResponse {
    let token = ui.csrf_token().await;
    let body = serde_urlencoded::to_string([
        ("csrf_token", token.as_str()),
        ("email", &email("proxied")),
        ("password", PASSWORD),
    ])
    .unwrap();
    let mut request = Request::post("/signup")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header("x-forwarded-for", browser)
        .body(Body::from(body))
        .unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::from(([10, 0, 0, 1], 41_000))));
    let response = ui.send(request).await;
    ui.cookies.retain(|(name, _)| name != "todo_session");
    response
}

#[tokio::test]
async fn the_browsers_address_reaches_the_backend_only_through_a_trusted_proxy() {
    // The backend limits signups per client (10 by default) and trusts this frontend's forwarding.
    let backend = TestBackend::start().await;
    let mut behind_ingress = TestFrontend::with_args(&backend.base_url(), &["--trusted-proxies", "10.0.0.0/8"]);
    for _ in 0..10 {
        let response = sign_up_through_proxy(&mut behind_ingress, "198.51.100.1").await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text);
    }
    let throttled = sign_up_through_proxy(&mut behind_ingress, "198.51.100.1").await;
    assert_eq!(throttled.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(throttled.text.contains("Too many attempts"), "{}", throttled.text);
    let other_browser = sign_up_through_proxy(&mut behind_ingress, "198.51.100.2").await;
    assert_eq!(other_browser.status, StatusCode::SEE_OTHER, "{}", other_browser.text);

    // Not trusted: the proxy's own address is the client, whatever it forwards.
    let backend = TestBackend::start().await;
    let mut untrusting = TestFrontend::new(&backend.base_url());
    for n in 0..10 {
        let response = sign_up_through_proxy(&mut untrusting, &format!("198.51.100.{n}")).await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text);
    }
    let spoofed = sign_up_through_proxy(&mut untrusting, "198.51.100.99").await;
    assert_eq!(spoofed.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", spoofed.text);
}
