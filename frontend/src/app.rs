//! Application wiring: shared state, the router with its middleware, and the server lifecycle.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    Router,
    extract::{DefaultBodyLimit, FromRef, MatchedPath, Request},
    http::{Response, StatusCode},
    middleware,
    response::IntoResponse,
    routing::{get, post},
};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    timeout::TimeoutLayer,
    trace::TraceLayer,
};
use tracing::{Span, field::Empty};

use crate::{
    assets,
    backend_client::BackendClient,
    config::Config,
    error::Error,
    health,
    lifecycle::Lifecycle,
    metrics::{self, Metrics},
    security,
    session::CookiePolicy,
    urls,
    views::{self, auth, chat, stream, tasks},
};

/// Largest request body accepted; forms are far smaller.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Everything handlers share; sub-states are reached with `State<T>` through `FromRef`.
#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub backend: BackendClient,
    pub cookies: CookiePolicy,
    pub lifecycle: Lifecycle,
    pub metrics: Arc<Metrics>,
    pub request_timeout: RequestTimeout,
}

/// Time limit until a response starts (a chat stream's body has its own limit, `CHAT_TIMEOUT_SECS`).
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

impl AppState {
    pub fn new(config: &Config) -> anyhow::Result<Self> {
        let chat_timeout = Duration::from_secs(config.chat_timeout_secs);
        let backend = BackendClient::new(
            &config.backend_url,
            Duration::from_secs(config.backend_timeout_secs),
            chat_timeout,
        )
        .context("cannot build the backend client")?;
        Ok(Self {
            backend,
            cookies: CookiePolicy {
                secure: config.cookie_secure,
            },
            lifecycle: Lifecycle::default(),
            metrics: Arc::new(Metrics::new()),
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
        .route(urls::CHAT, get(chat::new_chat))
        .route(urls::CHAT_CONVERSATION, get(chat::conversation))
        .route(urls::CHAT_SEND, post(chat::send))
        .route(urls::CHAT_STREAM, get(stream::stream))
        .route(urls::CHAT_SYNC, get(chat::sync))
        .route(urls::CHAT_DELETE, post(chat::delete))
        .route(urls::TASKS, get(tasks::index).post(tasks::create))
        .route(urls::TASK_PANEL, get(tasks::panel))
        .route(urls::TASK_EDIT, get(tasks::edit_page))
        .route(urls::TASK_UPDATE, post(tasks::update))
        .route(urls::TASK_TOGGLE, post(tasks::toggle))
        .route(urls::TASK_DELETE, post(tasks::delete))
        .fallback(|| async { Error::NotFound })
        // Inner first: the adapter sees the CSRF rejection too, so htmx shows it as a banner.
        .layer(middleware::from_fn_with_state(state.cookies, security::csrf))
        .layer(middleware::from_fn(views::htmx_adapter))
}

/// The whole HTTP application over `state`, middleware included; serve it or drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let RequestTimeout(timeout) = state.request_timeout;
    // Outermost first: the request id exists before the trace span, which wraps everything else.
    let middleware = ServiceBuilder::new()
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(request_span)
                .on_response(record_response),
        )
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(middleware::from_fn_with_state(state.metrics.clone(), metrics::track))
        .layer(CatchPanicLayer::custom(|_| {
            Error::Internal(anyhow::anyhow!("handler panicked")).into_response()
        }))
        .layer(CompressionLayer::new())
        .layer(TimeoutLayer::with_status_code(StatusCode::SERVICE_UNAVAILABLE, timeout));
    let [csp, nosniff, referrer, frame, permissions] = security::header_layers();
    Router::new()
        .route(urls::HEALTHZ, get(health::healthz))
        .route(urls::READYZ, get(health::readyz))
        .route(urls::METRICS, get(metrics::metrics))
        .route(urls::STATIC, get(assets::serve))
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
        .layer(middleware)
        .with_state(state)
}

fn request_span(request: &Request) -> Span {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .and_then(|id| id.header_value().to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "http_request",
        method = %request.method(),
        route,
        request_id,
        status = Empty,
        latency_ms = Empty,
    )
}

fn record_response<B>(response: &Response<B>, latency: Duration, span: &Span) {
    span.record("status", response.status().as_u16());
    span.record("latency_ms", u64::try_from(latency.as_millis()).unwrap_or(u64::MAX));
    tracing::info!("request finished");
}

/// A bound, ready-to-run server.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    grace: Duration,
}

impl Application {
    /// Builds the state and binds the listener (port 0 picks a free one).
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let state = AppState::new(&config)?;
        let address = config.bind_address();
        let listener = TcpListener::bind(&address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            state,
            grace: config.shutdown_grace(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// Serves until `shutdown` resolves; then readiness turns 503, the listener closes, and
    /// in-flight requests (chat streams included) get the grace period to finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, state, grace } = self;
        let lifecycle = state.lifecycle.clone();
        let trigger = lifecycle.clone();
        let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
        tracing::info!(address = %listener.local_addr()?, "listening");
        let server = axum::serve(listener, app).with_graceful_shutdown(async move {
            shutdown.await;
            trigger.begin_shutdown();
            tracing::info!(grace_secs = grace.as_secs(), "draining in-flight requests");
        });
        let deadline = async {
            lifecycle.shutdown_started().await;
            tokio::time::sleep(grace).await;
        };
        tokio::select! {
            result = server => result.context("server error")?,
            () = deadline => tracing::warn!("grace period over; exiting with requests still in flight"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}
