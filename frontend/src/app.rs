//! Application wiring: shared state, the router with its middleware, and the server lifecycle.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef},
    http::{HeaderValue, StatusCode, header},
    middleware,
    routing::{any, get, post},
};
use service_kit::{Lifecycle, client::TrustedProxies, metrics::Metrics, server::Server};
use tower::ServiceBuilder;
use tower_http::{set_header::SetResponseHeaderLayer, timeout::TimeoutLayer};

use crate::{
    assets,
    backend_client::{BackendClient, Timeouts},
    config::Config,
    error::Error,
    health, mcp,
    security::{self, CsrfGuard},
    session::CookiePolicy,
    urls,
    views::{self, auth, chat, connect, stream, tasks},
};

/// Largest request body accepted; forms are far smaller.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// Latency buckets in seconds, from 1 ms to 60 s (chat streams are long).
const LATENCY_BUCKETS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 60.0,
];

/// Everything handlers share; sub-states are reached with `State<T>` through `FromRef`.
#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub(crate) backend: BackendClient,
    pub(crate) cookies: CookiePolicy,
    pub(crate) trusted_proxies: TrustedProxies,
    pub(crate) csrf: CsrfGuard,
    pub lifecycle: Lifecycle,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) request_timeout: RequestTimeout,
}

/// Time limit until a response starts (a chat stream's body has its own limit, `CHAT_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeout(pub Duration);

impl AppState {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let chat_timeout = Duration::from_secs(config.chat_timeout_secs);
        let timeouts = Timeouts {
            call: Duration::from_secs(config.backend_timeout_secs),
            chat: chat_timeout,
            chat_first_byte: Duration::from_secs(config.chat_first_byte_timeout_secs),
        };
        let backend = BackendClient::new(&config.backend_url, timeouts).context("cannot build the backend client")?;
        let cookies = CookiePolicy {
            secure: config.cookie_secure,
        };
        let trusted_proxies = config.http.trusted_proxies.clone();
        Ok(Self {
            backend,
            cookies,
            csrf: CsrfGuard::new(config.csrf_key()?, cookies, trusted_proxies.clone()),
            trusted_proxies,
            lifecycle: Lifecycle::default(),
            metrics: Arc::new(Metrics::new(
                LATENCY_BUCKETS,
                "HTTP request latency by method and route (streams: time to first byte)",
            )),
            // The non-JavaScript chat path waits for a whole turn before it answers.
            request_timeout: RequestTimeout(chat_timeout + Duration::from_secs(5)),
        })
    }
}

/// The pages: behind the CSRF check and the htmx adapter.
fn page_routes(state: &AppState) -> Router<AppState> {
    Router::new()
        .route(urls::HOME, get(auth::home))
        .route(urls::LOGIN, get(auth::login_page).post(auth::login))
        .route(urls::SIGNUP, get(auth::signup_page).post(auth::signup))
        .route(urls::LOGOUT, post(auth::logout))
        .route(urls::LOGOUT_EVERYWHERE, post(auth::logout_everywhere))
        .route(urls::CHAT, get(chat::new_chat))
        .route(urls::CHAT_CONVERSATION, get(chat::conversation))
        .route(urls::CHAT_SEND, post(chat::send))
        .route(urls::CHAT_TURN, get(stream::resume))
        .route(urls::CHAT_TURN_STREAM, get(stream::stream))
        .route(urls::CHAT_TURN_STOP, post(stream::stop))
        .route(urls::CHAT_SYNC, get(chat::sync))
        .route(urls::CHAT_DELETE, post(chat::delete))
        .route(urls::TASKS, get(tasks::index).post(tasks::create))
        .route(urls::TASK_PANEL, get(tasks::panel))
        .route(urls::TASK_EDIT, get(tasks::edit_page))
        .route(urls::TASK_UPDATE, post(tasks::update))
        .route(urls::TASK_TOGGLE, post(tasks::toggle))
        .route(urls::TASK_DELETE, post(tasks::delete))
        .route(urls::CONNECT, get(connect::page))
        .route(urls::CONNECT_TOKENS, post(connect::create))
        .route(urls::CONNECT_TOKEN_REVOKE, post(connect::revoke))
        .fallback(|| async { Error::NotFound })
        // Inner first: the adapter sees the CSRF rejection too, so htmx shows it as a banner.
        .layer(middleware::from_fn_with_state(state.csrf.clone(), security::csrf))
        .layer(middleware::from_fn(views::htmx_adapter))
        // Pages show the user's data and carry their CSRF token: no cache, shared or private, keeps them.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
}

/// The whole HTTP application over `state`, middleware included; serve it or drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let RequestTimeout(timeout) = state.request_timeout;
    let http_metrics = state.metrics.http();
    let [csp, nosniff, referrer, frame, permissions] = security::header_layers();
    let routes = Router::new()
        .route(urls::HEALTHZ, get(service_kit::health::healthz))
        .route(urls::READYZ, get(health::readyz))
        .route(urls::METRICS, get(service_kit::metrics::serve))
        .route(urls::STATIC, get(assets::serve))
        // For MCP clients, not browsers: bearer tokens, no cookies, so outside the CSRF check.
        .route(urls::MCP, any(mcp::forward))
        .merge(page_routes(&state))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(
            ServiceBuilder::new()
                .layer(csp)
                .layer(nosniff)
                .layer(referrer)
                .layer(frame)
                .layer(permissions),
        )
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout))
        .with_state(state);
    service_kit::http::observed::<Error, _>(routes, http_metrics)
}

/// A bound, ready-to-run server, built and run through [`service_kit::Service`].
#[derive(Debug)]
pub struct Application {
    server: Server,
}

impl service_kit::Service for Application {
    type Config = Config;

    async fn build(config: Config) -> anyhow::Result<Self> {
        let state = AppState::new(&config)?;
        let lifecycle = state.lifecycle.clone();
        let server = Server::bind(
            &config.bind_address(),
            router(state),
            lifecycle,
            config.shutdown_grace(),
            &config.http,
        )
        .await?;
        Ok(Self { server })
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.server.local_addr()
    }

    async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        self.server.run_until_stopped(shutdown).await
    }
}
