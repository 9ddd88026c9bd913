//! The MCP server itself: lists the tools and runs them through the chat's [`ToolBox`] — the same
//! functions, validation and messages — as the user the request authenticated as. A failing tool is
//! an MCP tool error (`isError: true`) carrying the chat tool's message; only a call to a tool that
//! does not exist is a protocol error, as the protocol asks.

use std::{borrow::Cow, sync::Arc, time::Instant};

use axum::http::request::Parts;
use rmcp::{
    ErrorData, RoleServer, ServerHandler,
    model::{
        CacheScope, CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, Implementation,
        ListToolsResult, PaginatedRequestParams, ProtocolVersion, ServerCapabilities, ServerConfig, Tool,
    },
    service::RequestContext,
};
use serde_json::Value;
use sqlx::PgPool;
use tracing::Instrument;

use super::catalog;
use crate::{
    auth::extract::{Credential, CurrentUser},
    chat::tools::ToolBox,
    metrics::Metrics,
    quotas::Quotas,
};

/// The revisions served: every one with the streamable HTTP transport, up to the current one, so
/// clients that still open with `initialize` and clients that send each request on its own both work.
const PROTOCOL_VERSIONS: &[ProtocolVersion] = &[
    ProtocolVersion::V_2025_03_26,
    ProtocolVersion::V_2025_06_18,
    ProtocolVersion::V_2025_11_25,
    ProtocolVersion::V_2026_07_28,
];

/// How long clients may reuse the tool list: it changes only with a new release.
const TOOL_LIST_TTL_MS: u64 = 5 * 60 * 1000;

const INSTRUCTIONS: &str = "Tools to manage the signed-in user's todo list: add_task, list_tasks, \
    complete_task, delete_task, update_task and undo. Tasks are referred to by their integer id (task_id); \
    call list_tasks to find the id of a task the user names in words. Due dates are RFC 3339 times. \
    undo reverts the latest tool call made here that changed tasks (each call is one step; chat \
    conversations keep their own).";

/// Who a request acts for, put into the request by the endpoint once the bearer token checked out,
/// with the HTTP request's span so the tool's logs stay inside it.
#[derive(Debug, Clone)]
pub(super) struct Caller {
    pub user: CurrentUser,
    pub span: tracing::Span,
}

/// One server per request (the transport is stateless), over the shared pool and metrics.
#[derive(Debug, Clone)]
pub(super) struct TodoServer {
    pub db: PgPool,
    pub metrics: Arc<Metrics>,
    /// The same limits a chat turn has (actions per call, tasks per user).
    pub quotas: Quotas,
}

impl ServerHandler for TodoServer {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(
                Implementation::new("todo-chatbot", env!("CARGO_PKG_VERSION")).with_title("Todo AI Chatbot"),
            )
            .with_instructions(INSTRUCTIONS)
    }

    fn supported_protocol_versions(&self) -> Cow<'static, [ProtocolVersion]> {
        Cow::Borrowed(PROTOCOL_VERSIONS)
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(catalog::all())
            .with_ttl_ms(TOOL_LIST_TTL_MS)
            .with_cache_scope(CacheScope::Private))
    }

    fn get_tool(&self, name: &str) -> Option<Tool> {
        catalog::find(name)
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let parts = context.extensions.get::<Parts>();
        let caller = parts
            .and_then(|parts| parts.extensions.get::<Caller>())
            .cloned()
            .ok_or_else(|| ErrorData::internal_error("the request reached the tools unauthenticated", None))?;
        let request_id = parts
            .and_then(|parts| parts.headers.get("x-request-id"))
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let tool = request.name.as_ref();
        if catalog::find(tool).is_none() {
            self.metrics.observe_mcp_call(tool, false, std::time::Duration::ZERO);
            return Err(ErrorData::invalid_params(format!("unknown tool: {tool}"), None));
        }
        let access_token_id = match caller.user.credential {
            Credential::AccessToken(id) => Some(id),
            Credential::Session(_) => None,
        };
        // One line per call with who, which tool, how it went and how long it took; never the arguments.
        let span = tracing::info_span!(
            parent: &caller.span,
            "mcp_tool_call",
            tool,
            user_id = %caller.user.id,
            access_token_id,
            request_id,
        );
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let started = Instant::now();
        let (result, failure) = async {
            let result = ToolBox::new(self.db.clone(), caller.user.id)
                .with_quotas(self.quotas)
                .call(tool, &arguments)
                .await;
            let failure = tool_failure(&result);
            let outcome = if failure.is_none() { "ok" } else { "error" };
            let duration_ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
            tracing::info!(outcome, duration_ms, "MCP tool call finished");
            (result, failure)
        }
        .instrument(span)
        .await;
        self.metrics
            .observe_mcp_call(tool, failure.is_none(), started.elapsed());
        Ok(match failure {
            Some(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
            None => CallToolResult::success(vec![ContentBlock::text(result.to_string())]),
        }
        .into())
    }
}

/// The message of a failed tool: the tools answer `{"error": "…"}` when they fail.
fn tool_failure(result: &Value) -> Option<String> {
    result.get("error").and_then(Value::as_str).map(str::to_owned)
}
