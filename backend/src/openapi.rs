//! The OpenAPI document, assembled from the `#[utoipa::path]` annotations of the routes actually
//! registered (utoipa-axum), so the document and the router cannot drift apart.

use std::sync::Arc;

use axum::{extract::State, http::header, response::IntoResponse};
use utoipa::{
    Modify, OpenApi,
    openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme},
};

#[derive(OpenApi)]
#[openapi(
    info(title = "Todo AI Chatbot API", description = "Accounts, tasks and chat for the Todo AI Chatbot."),
    modifiers(&BearerAuth),
    tags(
        (name = "auth", description = "Accounts and session tokens"),
        (name = "tasks", description = "The signed-in user's tasks"),
        (name = "chat", description = "The assistant that manages tasks in natural language, and its conversations"),
        (name = "access tokens", description = "Personal access tokens for assistants (the MCP endpoint at /mcp) and scripts"),
        (name = "operations", description = "Health, readiness, metrics, this document"),
    )
)]
#[derive(Debug)]
pub(crate) struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "A session token (JWT) from signup or login, or a personal access token (todo_pat_…); \
                         access tokens cannot manage access tokens",
                    ))
                    .build(),
            ),
        );
    }
}

/// The document serialised once at start.
#[derive(Debug, Clone)]
pub(crate) struct ApiDocument(pub Arc<str>);

/// This OpenAPI 3.1 document.
#[utoipa::path(get, path = "/openapi.json", tag = "operations", responses(
    (status = 200, description = "OpenAPI document", content_type = "application/json", body = Object),
))]
pub(crate) async fn openapi_json(State(document): State<ApiDocument>) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document.0.to_string())
}
