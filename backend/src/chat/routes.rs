//! Chat routes: a turn as JSON or as Server-Sent Events, and the conversations.

use std::{convert::Infallible, sync::Arc};

use axum::{
    Json,
    extract::{FromRequestParts, State},
    http::{HeaderMap, StatusCode, header, request::Parts},
    response::{
        IntoResponse, Response,
        sse::{Event, KeepAlive, Sse},
    },
};
use futures_util::{Stream, StreamExt, stream};
use serde::Deserialize;
use serde_json::json;
use sqlx::PgPool;
use tokio_stream::wrappers::UnboundedReceiverStream;
use tracing::Instrument;
use utoipa::IntoParams;
use utoipa_axum::{router::OpenApiRouter, routes};

use super::{
    agent::{AgentEvent, Engine},
    in_flight,
    model::{ChatRequest, ChatResponse, ConversationDetail, ConversationSummary},
    store,
    turn::{self, TurnFailure, TurnOutcome},
};
use crate::{
    app::AppState,
    auth::extract::UserScope,
    error::{Error, ErrorBody, Result},
    extract::{JsonBody, QueryParams, path_id},
    metrics::Metrics,
    quotas::UserQuotas,
};

/// Most messages a conversation view returns (the newest ones).
const CONVERSATION_MESSAGES: i64 = 500;

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(chat))
        .routes(routes!(list_conversations))
        .routes(routes!(get_conversation, delete_conversation))
        .merge(super::turns::routes())
}

/// Send a message to the assistant. With `Accept: text/event-stream` the reply streams as
/// `tool_call`, `tool_result`, `delta`, then `done` (or `error`) events.
#[utoipa::path(post, path = "/api/{user_id}/chat", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = ChatRequest,
    responses(
        (status = 200, description = "The assistant's reply (JSON), or its event stream", content(
            (ChatResponse = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown conversation", body = ErrorBody),
        (status = 409, description = "Another turn is still running in this conversation", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "Too many chat messages this minute (QUOTA_CHAT_TURNS_PER_MINUTE)",
            body = ErrorBody),
        (status = 502, description = "The agent could not finish; the reply says what was done", body = ErrorBody),
    ))]
async fn chat(
    scope: UserScope,
    State(db): State<PgPool>,
    State(engine): State<Arc<Engine>>,
    State(metrics): State<Arc<Metrics>>,
    State(quotas): State<UserQuotas>,
    headers: HeaderMap,
    JsonBody(request): JsonBody<ChatRequest>,
) -> Result<Response> {
    quotas.check_chat_turn(scope.user_id)?;
    let prepared = turn::prepare(&db, scope.user_id, quotas.settings, request).await?;
    if wants_event_stream(&headers) {
        let (events, received) = tokio::sync::mpsc::unbounded_channel();
        // The turn runs on its own task, so a client that disconnects does not cut it short:
        // the reply is still stored and shows up when the conversation is reloaded.
        let finished =
            tokio::spawn(async move { prepared.run(&engine, &metrics, Some(events)).await }.in_current_span());
        let updates = UnboundedReceiverStream::new(received).map(|event| Ok(sse_event(event)));
        let end = stream::once(async move {
            Ok::<_, Infallible>(match finished.await {
                Ok(result) => final_event(result),
                Err(_) => error_event("internal", "The assistant stopped unexpectedly.", None),
            })
        });
        return Ok(event_stream(updates.chain(end)).into_response());
    }
    let finished = tokio::spawn(async move { prepared.run(&engine, &metrics, None).await }.in_current_span());
    match finished.await {
        Ok(Ok(outcome)) => Ok(Json(ChatResponse {
            conversation_id: outcome.conversation_id,
            message_id: outcome.message_id,
            response: outcome.response,
            tool_calls: outcome.tool_calls,
        })
        .into_response()),
        Ok(Err(failure)) => Err(Error::Agent {
            code: failure.code,
            message: failure.message,
        }),
        Err(err) => Err(Error::Internal(anyhow::anyhow!("chat turn task failed: {err}"))),
    }
}

pub(super) fn wants_event_stream(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.contains("text/event-stream"))
}

pub(super) fn event_stream(
    events: impl Stream<Item = Result<Event, Infallible>> + Send + 'static,
) -> impl IntoResponse {
    // Proxies must pass events through as they come rather than buffer the response.
    (
        [("x-accel-buffering", "no")],
        Sse::new(events).keep_alive(KeepAlive::default()),
    )
}

pub(super) fn sse_event(event: AgentEvent) -> Event {
    let (name, data) = match event {
        AgentEvent::ToolCall { id, tool, arguments } => {
            ("tool_call", json!({ "id": id, "tool": tool, "arguments": arguments }))
        }
        AgentEvent::ToolResult { id, tool, result } => {
            ("tool_result", json!({ "id": id, "tool": tool, "result": result }))
        }
        AgentEvent::Delta(content) => ("delta", json!({ "content": content })),
    };
    Event::default().event(name).data(data.to_string())
}

fn final_event(result: Result<TurnOutcome, TurnFailure>) -> Event {
    match result {
        Ok(outcome) => done_event(outcome.conversation_id, outcome.message_id),
        Err(failure) => error_event(failure.code, &failure.message, Some(failure.conversation_id)),
    }
}

pub(super) fn done_event(conversation_id: i64, message_id: i64) -> Event {
    Event::default()
        .event("done")
        .data(json!({ "conversation_id": conversation_id, "message_id": message_id }).to_string())
}

pub(super) fn error_event(code: &str, message: &str, conversation_id: Option<i64>) -> Event {
    Event::default()
        .event("error")
        .data(json!({ "code": code, "message": message, "conversation_id": conversation_id }).to_string())
}

/// `{id}` of a conversation URL.
#[derive(Debug, Clone, Copy)]
struct ConversationId(i64);

impl<S: Send + Sync> FromRequestParts<S> for ConversationId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        path_id(parts, state, "conversation").await.map(Self)
    }
}

#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
struct PageQuery {
    /// 1–100, default 50.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
    /// Conversations to skip, default 0.
    #[param(minimum = 0, maximum = 2147483647)]
    offset: Option<u32>,
}

/// Your conversations, most recently active first.
#[utoipa::path(get, path = "/api/{user_id}/conversations", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), PageQuery),
    responses(
        (status = 200, body = Vec<ConversationSummary>),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody),
    ))]
async fn list_conversations(
    scope: UserScope,
    State(db): State<PgPool>,
    QueryParams(query): QueryParams<PageQuery>,
) -> Result<Json<Vec<ConversationSummary>>> {
    let limit = query.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(Error::InvalidQuery("limit must be between 1 and 100".into()));
    }
    let offset = query.offset.unwrap_or(0);
    if offset > i32::MAX as u32 {
        return Err(Error::InvalidQuery(format!(
            "offset must be between 0 and {}",
            i32::MAX
        )));
    }
    let conversations = store::conversations(&db, scope.user_id, i64::from(limit), i64::from(offset)).await?;
    Ok(Json(conversations))
}

/// One conversation with its messages, oldest first (the latest 500).
#[utoipa::path(get, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 200, body = ConversationDetail),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn get_conversation(
    scope: UserScope,
    State(db): State<PgPool>,
    ConversationId(id): ConversationId,
) -> Result<Json<ConversationDetail>> {
    in_flight::close_lost(&db, scope.user_id, id).await?;
    let conversation = store::conversation(&db, scope.user_id, id).await?;
    let messages = store::latest_messages(&db, scope.user_id, id, CONVERSATION_MESSAGES).await?;
    Ok(Json(ConversationDetail { conversation, messages }))
}

/// Delete a conversation and its messages.
#[utoipa::path(delete, path = "/api/{user_id}/conversations/{id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("id" = i64, Path, description = "Conversation id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn delete_conversation(
    scope: UserScope,
    State(db): State<PgPool>,
    ConversationId(id): ConversationId,
) -> Result<StatusCode> {
    store::delete_conversation(&db, scope.user_id, id).await?;
    tracing::info!(conversation_id = id, "conversation deleted");
    Ok(StatusCode::NO_CONTENT)
}
