//! Application wiring: shared state, the router with its middleware, and the server lifecycle.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    BoxError, Router,
    error_handling::HandleErrorLayer,
    extract::{DefaultBodyLimit, FromRef, MatchedPath, Request},
    http::Response,
    middleware,
    response::IntoResponse,
};
use secrecy::ExposeSecret;
use sqlx::{PgPool, postgres::PgConnectOptions, postgres::PgPoolOptions};
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::{
    catch_panic::CatchPanicLayer,
    compression::CompressionLayer,
    request_id::{MakeRequestUuid, PropagateRequestIdLayer, RequestId, SetRequestIdLayer},
    trace::TraceLayer,
};
use tracing::{Span, field::Empty};
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    auth::{self, extract::ClientAddressPolicy, rate_limit::LoginLimiter, token::TokenKeys},
    chat::{self, agent::Engine},
    config::Config,
    error::Error,
    health,
    lifecycle::Lifecycle,
    metrics::{self, Metrics},
    openapi::{self, ApiDoc, ApiDocument},
    tasks,
};

/// Largest request body accepted (SPEC.md): 64 KiB.
pub const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long start-up keeps retrying an unreachable database before giving up.
const DATABASE_STARTUP_RETRY: Duration = Duration::from_secs(60);
/// How often the login limiter forgets recovered keys.
const LIMITER_PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Everything handlers share; sub-states are reached with `State<T>` through `FromRef`.
#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub db: PgPool,
    pub tokens: Arc<TokenKeys>,
    pub login_limiter: LoginLimiter,
    pub client_addresses: ClientAddressPolicy,
    pub lifecycle: Lifecycle,
    pub metrics: Arc<Metrics>,
    pub openapi: ApiDocument,
    pub request_timeout: RequestTimeout,
    /// The chat engine `LLM_PROVIDER` chose.
    pub chat: Arc<Engine>,
}

/// Per-request time limit.
#[derive(Debug, Clone, Copy)]
pub struct RequestTimeout(pub Duration);

impl AppState {
    pub fn new(db: PgPool, config: &Config) -> anyhow::Result<Self> {
        let ttl = chrono::Duration::hours(i64::from(config.auth_token_ttl_hours));
        let document = openapi().to_json().unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot serialise the OpenAPI document");
            "{}".into()
        });
        Ok(Self {
            db,
            chat: Arc::new(chat::engine(config).context("cannot set up the chat engine")?),
            tokens: Arc::new(TokenKeys::new(&config.auth_secret, ttl)),
            login_limiter: LoginLimiter::default(),
            client_addresses: ClientAddressPolicy {
                trust_forwarded_for: config.trust_forwarded_for,
            },
            lifecycle: Lifecycle::default(),
            metrics: Arc::new(Metrics::new()),
            openapi: ApiDocument(document.into()),
            request_timeout: RequestTimeout(config.request_timeout()),
        })
    }
}

/// Every documented route, in two groups: requests bounded by the request timeout, and chat turns,
/// which stream for as long as the agent works and carry their own deadline.
fn api_routes() -> (OpenApiRouter<AppState>, OpenApiRouter<AppState>) {
    let bounded = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi::openapi_json))
        .merge(auth::routes())
        .merge(tasks::routes());
    (bounded, chat::routes())
}

/// The OpenAPI document of exactly the routes that [`router`] serves.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let (bounded, chat) = api_routes();
    bounded.merge(chat).split_for_parts().1
}

/// The whole HTTP application over `state`, middleware included; serve it or drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let (bounded, chat) = api_routes();
    let RequestTimeout(timeout) = state.request_timeout;
    let timed = ServiceBuilder::new()
        .layer(HandleErrorLayer::new(|_: BoxError| async { Error::Timeout }))
        .timeout(timeout);
    let routes = bounded.split_for_parts().0.layer(timed).merge(chat.split_for_parts().0);
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
        .layer(CompressionLayer::new());
    routes
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
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

/// A bound, ready-to-run server: database migrated, listener open.
#[derive(Debug)]
pub struct Application {
    listener: TcpListener,
    state: AppState,
    grace: Duration,
}

impl Application {
    /// Connects to the database (retrying while it starts), runs migrations, binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        let db = connect_and_migrate(&config).await?;
        let address = config.bind_address();
        let listener = TcpListener::bind(&address)
            .await
            .with_context(|| format!("cannot listen on {address}"))?;
        Ok(Self {
            listener,
            state: AppState::new(db, &config)?,
            grace: config.shutdown_grace(),
        })
    }

    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves; then readiness turns 503, the listener closes, and
    /// in-flight requests get the grace period to finish.
    pub async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { listener, state, grace } = self;
        let lifecycle = state.lifecycle.clone();
        spawn_limiter_purge(state.login_limiter.clone(), lifecycle.clone());
        let db = state.db.clone();
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
            result = server => {
                result.context("server error")?;
                // Every request has finished, so every connection is back in the pool.
                db.close().await;
            }
            () = deadline => tracing::warn!("grace period over; exiting with requests still in flight"),
        }
        tracing::info!("stopped");
        Ok(())
    }
}

async fn connect_and_migrate(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .expose_secret()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    // The task list picks its sort with parameters; only a plan made for the actual values folds
    // those away and walks an index. A cached generic plan would sort every row of the user instead.
    let options = options.options([("plan_cache_mode", "force_custom_plan")]);
    let pool = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        .connect_lazy_with(options);
    let started = tokio::time::Instant::now();
    loop {
        // The migrator holds a PostgreSQL advisory lock, so replicas starting together take turns.
        match sqlx::migrate!().run(&pool).await {
            Ok(()) => return Ok(pool),
            Err(err) if started.elapsed() < DATABASE_STARTUP_RETRY && is_connection_problem(&err) => {
                tracing::warn!(error = %err, "database not reachable yet; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Err(err) => return Err(err).context("cannot migrate the database"),
        }
    }
}

fn is_connection_problem(err: &sqlx::migrate::MigrateError) -> bool {
    matches!(
        err,
        sqlx::migrate::MigrateError::Execute(sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::Tls(_))
    )
}

fn spawn_limiter_purge(limiter: LoginLimiter, lifecycle: Lifecycle) {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(LIMITER_PURGE_INTERVAL);
        loop {
            tokio::select! {
                _ = ticks.tick() => limiter.purge(),
                () = lifecycle.shutdown_started() => break,
            }
        }
    });
}
