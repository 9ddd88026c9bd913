//! The frontend under test: in-process (the real router, driven with `oneshot`) or as the real
//! binary over TCP.

use axum::{
    Router,
    body::Body,
    http::{HeaderMap, Method, Request, StatusCode, header},
};
use axum_extra::extract::cookie::Cookie;
use service_kit::config::LoadConfig;
use test_support::process::ServiceProcess;
use todo_frontend::{AppState, Config, router};

use super::{PASSWORD, email};

pub(crate) const BINARY: &str = env!("CARGO_BIN_EXE_todo-frontend");

/// The router over a backend URL, plus a tiny cookie jar so tests read like a browser session.
pub(crate) struct TestFrontend {
    pub(crate) router: Router,
    pub(crate) cookies: Vec<(String, String)>,
    /// The CSRF token the last page rendered, and the cookies (nonce, session) it was made for.
    csrf: Option<(String, CsrfCookies)>,
}

/// The cookies a CSRF token is bound to, whatever their prefix.
type CsrfCookies = (Option<String>, Option<String>);

/// The value of the hidden `csrf_token` field in a rendered page.
fn rendered_csrf_token(html: &str) -> Option<String> {
    let start = html.find(r#"name="csrf_token" value=""#)? + r#"name="csrf_token" value=""#.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

#[derive(Debug)]
pub(crate) struct TestResponse {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) text: String,
    /// Body size on the wire (after any compression).
    pub(crate) wire_bytes: usize,
}

impl TestResponse {
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub(crate) fn location(&self) -> &str {
        self.header("location").unwrap_or_default()
    }

    /// The `Set-Cookie` line for cookie `name`.
    pub(crate) fn set_cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{name}=")))
            .map(str::to_owned)
    }
}

impl TestFrontend {
    pub(crate) fn new(backend_url: &str) -> Self {
        Self::with_args(backend_url, &[])
    }

    pub(crate) fn with_args(backend_url: &str, extra: &[&str]) -> Self {
        test_support::init_test_log();
        let mut args = vec!["todo-frontend", "--backend-url", backend_url];
        args.extend_from_slice(extra);
        let config = Config::load_from(args).expect("test configuration parses");
        let state = AppState::new(&config).expect("state builds");
        Self {
            router: router(state),
            cookies: Vec::new(),
            csrf: None,
        }
    }

    pub(crate) fn cookie(&self, name: &str) -> Option<&str> {
        self.cookies.iter().find(|(n, _)| n == name).map(|(_, v)| v.as_str())
    }

    /// A cookie by its name without the `__Host-` prefix an HTTPS deployment adds.
    pub(crate) fn cookie_any_prefix(&self, name: &str) -> Option<&str> {
        self.cookie(name).or_else(|| self.cookie(&format!("__Host-{name}")))
    }

    fn csrf_cookies(&self) -> CsrfCookies {
        (
            self.cookie_any_prefix("todo_csrf").map(str::to_owned),
            self.cookie_any_prefix("todo_session").map(str::to_owned),
        )
    }

    /// The CSRF token for the jar's current cookies, as the last page rendered it (a page is
    /// fetched when the cookies changed since, e.g. after logging in).
    pub(crate) async fn csrf_token(&mut self) -> String {
        if let Some((token, cookies)) = &self.csrf
            && *cookies == self.csrf_cookies()
        {
            return token.clone();
        }
        let page = if self.csrf_cookies().1.is_some() {
            "/chat"
        } else {
            "/login"
        };
        let response = self.get(page).await;
        assert_eq!(
            response.status,
            StatusCode::OK,
            "{page} renders a token: {}",
            response.text
        );
        self.csrf.clone().expect("the page renders a CSRF token").0
    }

    pub(crate) fn set_cookie_value(&mut self, name: &str, value: &str) {
        self.cookies.retain(|(n, _)| n != name);
        self.cookies.push((name.to_owned(), value.to_owned()));
    }

    /// Sends `request` with the jar's cookies and keeps the cookies the response sets.
    pub(crate) async fn send(&mut self, mut request: Request<Body>) -> TestResponse {
        if !self.cookies.is_empty() && !request.headers().contains_key(header::COOKIE) {
            let jar = self
                .cookies
                .iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect::<Vec<_>>()
                .join("; ");
            request
                .headers_mut()
                .insert(header::COOKIE, jar.parse().expect("cookie header"));
        }
        let answer = test_support::http::send(&self.router, request).await;
        for line in answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
        {
            let cookie = Cookie::parse(line).unwrap_or_else(|err| panic!("Set-Cookie {line}: {err}"));
            self.cookies.retain(|(name, _)| name != cookie.name());
            let removed = cookie.max_age().is_some_and(|age| age.is_zero());
            if !cookie.value().is_empty() && !removed {
                self.cookies.push((cookie.name().to_owned(), cookie.value().to_owned()));
            }
        }
        let text = answer.text();
        if let Some(token) = rendered_csrf_token(&text) {
            self.csrf = Some((token, self.csrf_cookies()));
        }
        TestResponse {
            text,
            wire_bytes: answer.body.len(),
            status: answer.status,
            headers: answer.headers,
        }
    }

    pub(crate) async fn get(&mut self, uri: &str) -> TestResponse {
        self.send(Request::get(uri).body(Body::empty()).unwrap()).await
    }

    /// An htmx request (`HX-Request: true`).
    pub(crate) async fn hx_get(&mut self, uri: &str) -> TestResponse {
        self.send(
            Request::get(uri)
                .header("hx-request", "true")
                .body(Body::empty())
                .unwrap(),
        )
        .await
    }

    /// A form POST carrying the CSRF token from the jar, as the rendered forms do.
    pub(crate) async fn post_form(&mut self, uri: &str, fields: &[(&str, &str)]) -> TestResponse {
        self.post_form_with(uri, fields, &[]).await
    }

    pub(crate) async fn post_form_with(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        headers: &[(&str, &str)],
    ) -> TestResponse {
        let token = self.csrf_token().await;
        let mut all: Vec<(&str, &str)> = vec![("csrf_token", token.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).expect("form encodes");
        let mut request = Request::builder()
            .method(Method::POST)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        self.send(request.body(Body::from(body)).unwrap()).await
    }

    /// Signs up a new user through the form; the jar then holds the session.
    pub(crate) async fn sign_up(&mut self) -> String {
        let address = email("ui");
        let response = self
            .post_form(
                "/signup",
                &[("email", &address), ("password", PASSWORD), ("name", "Ada")],
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.text);
        assert_eq!(response.location(), "/chat");
        address
    }
}

/// The real binary with a clean environment plus `extra`; returns once it listens.
pub(crate) async fn spawn_frontend(backend_url: &str, extra: &[(&str, &str)]) -> ServiceProcess {
    let mut env = vec![("BACKEND_URL", backend_url), ("RUST_LOG", "info")];
    env.extend_from_slice(extra);
    ServiceProcess::spawn(BINARY, &env).await
}
