//! `/mcp`: the task tools as a Model Context Protocol server over the streamable HTTP transport
//! (the official Rust SDK, `rmcp`), so any MCP client — Claude Desktop, an IDE agent, a script —
//! manages the same tasks as the chat and the UI (docs/mcp.md).
//!
//! The transport runs statelessly: every POST is answered on its own, with a JSON body, and nothing
//! is kept between requests. Two replicas behind a Service without sticky sessions can therefore
//! take turns on one client's requests, and a restart loses nothing. Every request is checked here
//! before the SDK sees it: a browser `Origin` that is not allowed → 403 (the transport's guard
//! against DNS rebinding), then a session token or personal access token → the user, or 401;
//! both refusals carry a JSON-RPC error.

mod catalog;
mod server;

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{FromRef, FromRequestParts, Request, State},
    http::{HeaderValue, header, request::Parts},
    response::{IntoResponse, Response},
    routing::any,
};
use rmcp::transport::{
    StreamableHttpServerConfig, StreamableHttpService, streamable_http_server::session::never::NeverSessionManager,
};
use serde_json::json;
use sqlx::PgPool;

use self::server::{Caller, TodoServer};
use crate::{
    app::AppState,
    auth::extract::{Authenticator, CurrentUser},
    error::Error,
    metrics::Metrics,
    quotas::Quotas,
};

/// Where the endpoint is served.
pub(crate) const PATH: &str = "/mcp";

/// The SDK's transport over [`TodoServer`], and the browser origins allowed to call it.
#[derive(Clone)]
pub(crate) struct Endpoint {
    transport: StreamableHttpService<TodoServer, NeverSessionManager>,
    allowed_origins: Arc<[String]>,
}

impl std::fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Endpoint")
            .field("allowed_origins", &self.allowed_origins)
            .finish_non_exhaustive()
    }
}

impl Endpoint {
    /// `allowed_origins` are exact `scheme://host[:port]` values; an empty list refuses every browser origin.
    pub(crate) fn new(
        db: PgPool,
        metrics: Arc<Metrics>,
        quotas: Quotas,
        allowed_origins: &[String],
        max_body_bytes: usize,
    ) -> Self {
        let server = TodoServer { db, metrics, quotas };
        let config = StreamableHttpServerConfig::default()
            .with_legacy_session_mode(false)
            .with_json_response(true)
            .with_sse_keep_alive(None)
            .with_max_request_body_bytes(max_body_bytes)
            // Checked in `OriginAllowed` instead, before authentication, so a refused origin is a 403
            // whatever else is wrong. Host names are the deployment's (Ingress, Service, localhost):
            // nothing to pin here, and bearer tokens, which a rebinding page cannot have, guard the rest.
            .disable_allowed_origins()
            .disable_allowed_hosts();
        let transport = StreamableHttpService::new(
            move || Ok(server.clone()),
            Arc::new(NeverSessionManager::default()),
            config,
        );
        Self {
            transport,
            allowed_origins: allowed_origins
                .iter()
                .map(|origin| origin.trim().trim_end_matches('/').to_ascii_lowercase())
                .collect(),
        }
    }
}

pub(crate) fn routes() -> Router<AppState> {
    Router::new().route(PATH, any(serve))
}

/// Every method goes to the SDK, which answers POST and refuses the rest (405: there are no
/// sessions to stream from or to end).
async fn serve(
    State(endpoint): State<Endpoint>,
    _origin: OriginAllowed,
    Authenticated(user): Authenticated,
    mut request: Request,
) -> Response {
    request.extensions_mut().insert(Caller {
        user,
        span: tracing::Span::current(),
    });
    endpoint.transport.handle(request).await.into_response()
}

/// No `Origin` (what MCP clients outside a browser send), or one on `MCP_ALLOWED_ORIGINS`.
#[derive(Debug, Clone, Copy)]
struct OriginAllowed;

impl<S> FromRequestParts<S> for OriginAllowed
where
    Endpoint: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Some(origin) = parts.headers.get(header::ORIGIN) else {
            return Ok(Self);
        };
        let endpoint = Endpoint::from_ref(state);
        let allowed = origin.to_str().is_ok_and(|origin| {
            let origin = origin.trim_end_matches('/').to_ascii_lowercase();
            endpoint.allowed_origins.contains(&origin)
        });
        if allowed {
            Ok(Self)
        } else {
            tracing::info!(origin = ?origin, "MCP request from a browser origin that is not allowed");
            Err(Rejection(Error::OriginNotAllowed))
        }
    }
}

/// The caller, from a session token or a personal access token.
#[derive(Debug, Clone, Copy)]
struct Authenticated(CurrentUser);

impl<S> FromRequestParts<S> for Authenticated
where
    Authenticator: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Rejection;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        CurrentUser::from_request_parts(parts, state)
            .await
            .map(Self)
            .map_err(Rejection)
    }
}

/// A request refused before the SDK sees it. The HTTP status is the REST API's (401 with
/// `WWW-Authenticate`, 403), but the body is a JSON-RPC error without an id, as the transport
/// allows, so MCP clients show its message rather than a bare status.
#[derive(Debug)]
struct Rejection(Error);

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        let code = match self.0 {
            Error::Unauthenticated => UNAUTHORIZED,
            Error::OriginNotAllowed => FORBIDDEN,
            // The database is down, say: the API's own answer, logged as such.
            other => return other.into_response(),
        };
        let body = json!({"jsonrpc": "2.0", "id": null, "error": {"code": code, "message": self.0.to_string()}});
        let mut response = (self.0.status_code(), Json(body)).into_response();
        if code == UNAUTHORIZED {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// JSON-RPC error codes (server-defined range) of the refusals, after the HTTP statuses they go with.
const UNAUTHORIZED: i32 = -32001;
const FORBIDDEN: i32 = -32003;
