//! `POST /api/{user_id}/chat/turns`, then the turn by its id: run (or follow) it, read it, stop it.

use std::{collections::HashMap, convert::Infallible, sync::Arc};

use axum::{
    Json,
    extract::{FromRequestParts, Path, State},
    http::{HeaderMap, StatusCode, request::Parts},
    response::{IntoResponse, Response, sse::Event},
};
use futures_util::{Stream, StreamExt, stream};
use serde_json::json;
use sqlx::PgPool;
use tokio_stream::wrappers::UnboundedReceiverStream;
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use super::{
    TurnStatus,
    runner::{Run, Runner, stopped_before_start},
    store,
};
use crate::{
    app::AppState,
    auth::extract::UserScope,
    chat::{
        agent::{AgentEvent, Engine},
        model::ChatRequest,
        routes::{done_event, error_event, event_stream, sse_event, wants_event_stream},
        store as conversations, turn,
    },
    error::{Error, ErrorBody, Result},
    extract::JsonBody,
    metrics::Metrics,
    quotas::UserQuotas,
};

pub(crate) fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(create_turn))
        .routes(routes!(turn_status))
        .routes(routes!(run_turn))
        .routes(routes!(stop_turn))
}

/// `{turn_id}` of a turn URL; anything that is not a UUID names no turn.
#[derive(Debug, Clone, Copy)]
struct TurnId(Uuid);

impl<S: Send + Sync> FromRequestParts<S> for TurnId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound("turn"))?;
        params
            .get("turn_id")
            .and_then(|id| id.parse().ok())
            .map(Self)
            .ok_or(Error::NotFound("turn"))
    }
}

/// Store a message as a pending turn. Nothing runs yet: the turn runs once, when its id is first
/// asked for at `…/chat/turns/{turn_id}/run` (within 10 minutes; later it has expired).
#[utoipa::path(post, path = "/api/{user_id}/chat/turns", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id")),
    request_body = ChatRequest,
    responses(
        (status = 201, description = "The pending turn and its id", body = TurnStatus),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, description = "Unknown conversation", body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 415, body = ErrorBody), (status = 422, body = ErrorBody),
        (status = 429, description = "Too many chat messages this minute (QUOTA_CHAT_TURNS_PER_MINUTE)",
            body = ErrorBody),
    ))]
async fn create_turn(
    scope: UserScope,
    State(db): State<PgPool>,
    State(quotas): State<UserQuotas>,
    JsonBody(request): JsonBody<ChatRequest>,
) -> Result<(StatusCode, Json<TurnStatus>)> {
    let message = turn::validate(&request.message)?;
    // Counted when the message is posted: each posted message is one turn, however often its
    // stream is asked for.
    quotas.check_chat_turn(scope.user_id)?;
    if let Some(id) = request.conversation_id {
        conversations::conversation(&db, scope.user_id, id).await?;
    }
    let pending = store::create(&db, scope.user_id, request.conversation_id, &message).await?;
    Ok((StatusCode::CREATED, Json(pending)))
}

/// A turn: its state, and once it has finished, its stored reply or why there is none.
#[utoipa::path(get, path = "/api/{user_id}/chat/turns/{turn_id}", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("turn_id" = Uuid, Path, description = "The turn's id")),
    responses(
        (status = 200, body = TurnStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn turn_status(scope: UserScope, State(db): State<PgPool>, TurnId(id): TurnId) -> Result<Json<TurnStatus>> {
    Ok(Json(store::status(&db, scope.user_id, id).await?))
}

/// Run a pending turn, exactly once. The first request for the id runs it (with
/// `Accept: text/event-stream`, its `tool_call`, `tool_result` and `delta` events stream, then `done`
/// or `error`); any later request never runs it again: its stream starts with a `replay` event,
/// waits for the turn, and replays the stored reply as the same events. Without the event stream,
/// the answer is the finished turn.
#[utoipa::path(post, path = "/api/{user_id}/chat/turns/{turn_id}/run", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("turn_id" = Uuid, Path, description = "The turn's id")),
    responses(
        (status = 200, description = "The finished turn (JSON), or its event stream", content(
            (TurnStatus = "application/json"),
            (String = "text/event-stream"),
        )),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn run_turn(
    scope: UserScope,
    State(db): State<PgPool>,
    State(engine): State<Arc<Engine>>,
    State(metrics): State<Arc<Metrics>>,
    State(quotas): State<UserQuotas>,
    TurnId(id): TurnId,
    headers: HeaderMap,
) -> Result<Response> {
    let runner = Runner {
        db,
        engine,
        metrics,
        quotas: quotas.settings,
    };
    let run = runner.start(scope.user_id, id).await?;
    if wants_event_stream(&headers) {
        return Ok(event_stream(events(run, runner, scope.user_id, id)).into_response());
    }
    let finished = match run {
        Run::Live { outcome, .. } => outcome
            .await
            .map_err(|err| Error::Internal(anyhow::anyhow!("chat turn task failed: {err}")))?,
        Run::Replay { .. } => runner.follow(scope.user_id, id).await?,
    };
    Ok(Json(finished).into_response())
}

/// Ask a turn to stop: a pending turn never runs, a running one stops at its next step (never in
/// the middle of a tool call) and stores what it had done; a finished turn is left as it is.
#[utoipa::path(post, path = "/api/{user_id}/chat/turns/{turn_id}/stop", tag = "chat", security(("bearer" = [])),
    params(("user_id" = String, Path, description = "Your user id"), ("turn_id" = Uuid, Path, description = "The turn's id")),
    responses(
        (status = 200, description = "The turn after the request", body = TurnStatus),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    ))]
async fn stop_turn(scope: UserScope, State(db): State<PgPool>, TurnId(id): TurnId) -> Result<Json<TurnStatus>> {
    store::request_stop(&db, scope.user_id, id, &stopped_before_start()).await?;
    Ok(Json(store::status(&db, scope.user_id, id).await?))
}

/// The event stream of a run: live, or a replay of the turn once it is final.
fn events(run: Run, runner: Runner, user_id: Uuid, id: Uuid) -> impl Stream<Item = Result<Event, Infallible>> + Send {
    match run {
        Run::Live { events, outcome } => {
            let live = UnboundedReceiverStream::new(events).map(|event| Ok(sse_event(event)));
            let end = stream::once(async move {
                match outcome.await {
                    Ok(status) => Ok(final_event(&status)),
                    Err(_) => Ok(error_event("internal", "The assistant stopped unexpectedly.", None)),
                }
            });
            live.chain(end).boxed()
        }
        Run::Replay { state } => {
            let marker = Event::default()
                .event("replay")
                .data(json!({ "state": state }).to_string());
            let replayed = stream::once(async move {
                let events = match runner.follow(user_id, id).await {
                    Ok(status) => replayed(&status),
                    Err(err) => vec![error_event(err.code(), "This turn no longer exists.", None)],
                };
                stream::iter(events.into_iter().map(Ok))
            })
            .flatten();
            stream::once(async { Ok(marker) }).chain(replayed).boxed()
        }
    }
}

/// A final turn told again as the events a live run sends.
fn replayed(status: &TurnStatus) -> Vec<Event> {
    let mut events = Vec::new();
    if let Some(reply) = &status.reply {
        for call in &reply.tool_calls {
            events.push(sse_event(AgentEvent::ToolCall {
                id: call.id.clone(),
                tool: call.tool.clone(),
                arguments: call.arguments.clone(),
            }));
            events.push(sse_event(AgentEvent::ToolResult {
                id: call.id.clone(),
                tool: call.tool.clone(),
                result: call.result.clone(),
            }));
        }
        // A turn that did not finish stored what it had said followed by what the `error` event
        // says; the text is replayed without that note, as it streamed.
        let said = match &status.error {
            Some(error) => reply
                .content
                .strip_suffix(error.message.as_str())
                .unwrap_or_default()
                .trim_end(),
            None => reply.content.as_str(),
        };
        if !said.is_empty() {
            events.push(sse_event(AgentEvent::Delta(said.to_owned())));
        }
    }
    events.push(final_event(status));
    events
}

/// `done` for an answered turn, `error` (with the code and what the user is told) for the others.
fn final_event(status: &TurnStatus) -> Event {
    match (&status.reply, &status.error, status.conversation_id) {
        (Some(reply), None, Some(conversation_id)) => done_event(conversation_id, reply.message_id),
        (_, Some(error), conversation_id) => error_event(&error.code, &error.message, conversation_id),
        (_, None, conversation_id) => error_event(
            "internal",
            "The assistant could not finish this reply.",
            conversation_id,
        ),
    }
}
