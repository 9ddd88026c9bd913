//! Application wiring: shared state, the router with its middleware, and the server lifecycle.

use std::{future::Future, net::SocketAddr, sync::Arc, time::Duration};

use anyhow::Context;
use axum::{
    BoxError, Router,
    error_handling::HandleErrorLayer,
    extract::{DefaultBodyLimit, FromRef},
    middleware,
};
use secrecy::ExposeSecret;
use service_kit::{Lifecycle, client::TrustedProxies, server::Server};
use sqlx::{Connection, PgPool, postgres::PgConnectOptions, postgres::PgPoolOptions};
use tower::ServiceBuilder;
use utoipa::OpenApi;
use utoipa_axum::{router::OpenApiRouter, routes};

use crate::{
    access_tokens,
    auth::{
        self,
        extract::Authenticator,
        rate_limit::{SignupQuota, Throttles},
        sessions::Sessions,
        token::TokenKeys,
    },
    chat::{self, agent::Engine},
    config::Config,
    database::{self, DatabaseGate},
    error::Error,
    health, mcp,
    metrics::{self, Metrics},
    openapi::{self, ApiDoc, ApiDocument},
    quotas::UserQuotas,
    tasks,
};

/// Largest request body accepted (docs/contract.md): 64 KiB.
pub(crate) const MAX_BODY_BYTES: usize = 64 * 1024;
/// How long start-up keeps retrying an unreachable database before giving up.
const DATABASE_STARTUP_RETRY: Duration = Duration::from_secs(60);
/// A pooled connection idle this long is pinged before a request gets it.
const PING_AFTER_IDLE: Duration = Duration::from_secs(30);
/// How often the throttles forget recovered keys.
const LIMITER_PURGE_INTERVAL: Duration = Duration::from_secs(60);

/// Everything handlers share; sub-states are reached with `State<T>` through `FromRef`.
#[derive(Debug, Clone, FromRef)]
pub struct AppState {
    pub(crate) db: PgPool,
    pub(crate) database_gate: DatabaseGate,
    pub(crate) auth: Authenticator,
    pub(crate) throttles: Throttles,
    pub(crate) trusted_proxies: TrustedProxies,
    pub(crate) quotas: UserQuotas,
    pub lifecycle: Lifecycle,
    pub(crate) metrics: Arc<Metrics>,
    pub(crate) openapi: ApiDocument,
    pub(crate) request_timeout: RequestTimeout,
    /// The chat engine `LLM_PROVIDER` chose.
    pub(crate) chat: Arc<Engine>,
    /// The MCP endpoint's transport.
    pub(crate) mcp: mcp::Endpoint,
}

/// Per-request time limit.
#[derive(Debug, Clone, Copy)]
pub(crate) struct RequestTimeout(pub Duration);

impl AppState {
    pub fn new(db: PgPool, config: &Config) -> anyhow::Result<Self> {
        let ttl = chrono::Duration::hours(i64::from(config.auth_token_ttl_hours));
        let document = openapi().to_json().unwrap_or_else(|err| {
            tracing::error!(error = %err, "cannot serialise the OpenAPI document");
            "{}".into()
        });
        let metrics = Arc::new(Metrics::new());
        let sessions = Sessions::new(db.clone(), metrics.session_checks());
        Ok(Self {
            mcp: mcp::Endpoint::new(
                db.clone(),
                metrics.clone(),
                config.quotas,
                &config.mcp_allowed_origins,
                MAX_BODY_BYTES,
            ),
            chat: Arc::new(chat::engine(config).context("cannot set up the chat engine")?),
            auth: Authenticator::new(TokenKeys::new(&config.auth_secret, ttl), sessions, db.clone()),
            database_gate: DatabaseGate::new(db.clone()),
            db,
            throttles: Throttles::new(SignupQuota {
                burst: config.signup_burst,
                interval: Duration::from_secs(config.signup_interval_secs),
            }),
            trusted_proxies: config.trusted_proxies(),
            quotas: UserQuotas::new(config.quotas),
            lifecycle: Lifecycle::default(),
            metrics,
            openapi: ApiDocument(document.into()),
            request_timeout: RequestTimeout(config.request_timeout()),
        })
    }
}

/// Every documented route, in three groups: the operational endpoints; the API, whose requests
/// are bounded by the request timeout; and chat turns, which stream for as long as the agent works
/// and carry their own deadline.
fn api_routes() -> [OpenApiRouter<AppState>; 3] {
    let operations = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(health::healthz))
        .routes(routes!(health::readyz))
        .routes(routes!(metrics::metrics))
        .routes(routes!(openapi::openapi_json));
    let api = OpenApiRouter::new()
        .merge(auth::routes())
        .merge(access_tokens::routes())
        .merge(tasks::routes());
    [operations, api, chat::routes()]
}

/// The OpenAPI document of exactly the routes that [`router`] serves.
pub(crate) fn openapi() -> utoipa::openapi::OpenApi {
    let [operations, api, chat] = api_routes();
    operations.merge(api).merge(chat).split_for_parts().1
}

/// The whole HTTP application over `state`, middleware included; serve it or drive it with `oneshot`.
pub fn router(state: AppState) -> Router {
    let [operations, api, chat] = api_routes();
    let RequestTimeout(timeout) = state.request_timeout;
    let timed = || {
        ServiceBuilder::new()
            .layer(HandleErrorLayer::new(|_: BoxError| async { Error::Timeout }))
            .timeout(timeout)
    };
    let http_metrics = state.metrics.http();
    // Readiness reports an outage itself; everything else that needs the database fails fast in one.
    let data = api
        .split_for_parts()
        .0
        // Not in the OpenAPI document: MCP describes itself (tools/list).
        .merge(mcp::routes())
        .layer(timed())
        .merge(chat.split_for_parts().0)
        .layer(middleware::from_fn_with_state(
            state.database_gate.clone(),
            database::gate,
        ));
    let routes = operations
        .split_for_parts()
        .0
        .layer(timed())
        .merge(data)
        .fallback(|| async { Error::RouteNotFound })
        .method_not_allowed_fallback(|| async { Error::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(state);
    service_kit::http::observed::<Error, _>(routes, http_metrics)
}

/// A bound, ready-to-run server: database migrated, listener open. Built and run through
/// [`service_kit::Service`].
#[derive(Debug)]
pub struct Application {
    server: Server,
    state: AppState,
}

impl service_kit::Service for Application {
    type Config = Config;

    /// Connects to the database (retrying while it starts), runs migrations, binds the listener.
    async fn build(config: Config) -> anyhow::Result<Self> {
        tracing::info!(llm_provider = ?config.llm_provider, "chat engine");
        if config.trust_forwarded_for {
            tracing::warn!(
                "TRUST_FORWARDED_FOR=true is deprecated: it trusts X-Forwarded-For from every peer; \
                 set TRUSTED_PROXIES to the proxies' addresses instead"
            );
        }
        let db = connect_and_migrate(&config).await?;
        let state = AppState::new(db.clone(), &config)?;
        let server = Server::bind(
            &config.bind_address(),
            router(state.clone()),
            state.lifecycle.clone(),
            config.shutdown_grace(),
            &config.http,
        )
        .await?
        // Every request has finished, so every connection is back in the pool.
        .after_drain(async move { db.close().await });
        Ok(Self { server, state })
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.server.local_addr()
    }

    async fn run_until_stopped(self, shutdown: impl Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        let Self { server, state } = self;
        let lifecycle = state.lifecycle.clone();
        let serving = async {
            let result = server.run_until_stopped(shutdown).await;
            // Ends the background work below even when serving failed.
            lifecycle.begin_shutdown();
            result
        };
        let sessions = state.auth.sessions().cache();
        let (result, (), ()) = tokio::join!(
            serving,
            purge_throttles(&state, &state.lifecycle),
            sessions.follow(&state.db, &state.lifecycle),
        );
        result
    }
}

async fn connect_and_migrate(config: &Config) -> anyhow::Result<PgPool> {
    let options: PgConnectOptions = config
        .database_url
        .expose_secret()
        .parse()
        .context("DATABASE_URL is not a valid PostgreSQL URL")?;
    let pool = PgPoolOptions::new()
        .max_connections(config.database_max_connections)
        .acquire_timeout(Duration::from_secs(5))
        // sqlx pings every connection it hands out by default: one more round trip, and one more wake-up
        // of a PostgreSQL backend, for every statement a request runs (docs/benchmarks.md, "The tail").
        // Only a connection that sat idle long enough for a proxy or the server to have dropped it is
        // checked; a connection that broke while in use fails its statement, and sqlx discards it.
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for >= PING_AFTER_IDLE {
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
        // How long each request waited for a connection: `RUST_LOG=info,sqlx::pool::acquire=debug`.
        .acquire_time_level(log::LevelFilter::Debug)
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

/// Until shutdown begins, forgets recovered throttle keys every minute.
async fn purge_throttles(state: &AppState, lifecycle: &Lifecycle) {
    let mut ticks = tokio::time::interval(LIMITER_PURGE_INTERVAL);
    loop {
        tokio::select! {
            _ = ticks.tick() => {
                state.throttles.purge();
                state.quotas.purge();
            }
            () = lifecycle.shutdown_started() => break,
        }
    }
}
