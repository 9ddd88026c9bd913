//! The crate's one error type. Every failure becomes a page a person can act on: a redirect to the
//! login page, or the layout with a friendly banner. Internal causes are logged here, once.

use std::collections::BTreeMap;

use askama::Template;
use axum::{
    http::{HeaderValue, StatusCode, header},
    response::{Html, IntoResponse, Response},
};

use crate::{urls, views::Layout};

pub(crate) type Result<T, E = Error> = std::result::Result<T, E>;

/// Field name → what the backend said is wrong with it.
pub(crate) type FieldErrors = BTreeMap<String, String>;

#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    #[error("please log in")]
    LoginRequired,
    #[error("your session has expired")]
    SessionExpired,
    #[error("this form has expired; reload the page and try again")]
    Csrf,
    #[error("this form is too large to send (at most 64 KiB)")]
    PayloadTooLarge,
    #[error("page not found")]
    NotFound,
    /// Input the frontend refuses itself, before asking the backend; the text is shown as it is.
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the task service is unreachable")]
    BackendUnavailable(#[source] anyhow::Error),
    /// A 4xx answer from the backend that the handler did not turn into a form error.
    #[error("{message}")]
    Backend {
        status: StatusCode,
        code: String,
        message: String,
        fields: FieldErrors,
    },
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

/// Marks an error response so the htmx adapter can show it as a banner instead of a page.
#[derive(Debug, Clone)]
pub(crate) struct ErrorBanner(pub String);

#[derive(Debug, Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout,
    title: &'a str,
    message: &'a str,
}

impl Error {
    pub(crate) fn status_code(&self) -> StatusCode {
        match self {
            Self::LoginRequired | Self::SessionExpired => StatusCode::SEE_OTHER,
            Self::Csrf => StatusCode::FORBIDDEN,
            Self::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            Self::BackendUnavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            Self::Backend { status, .. } if status.is_client_error() => *status,
            Self::Backend { .. } => StatusCode::BAD_GATEWAY,
            Self::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The sentence people see.
    pub(crate) fn user_message(&self) -> String {
        match self {
            Self::BackendUnavailable(_) => {
                "We can't reach the task service right now. Your tasks are safe; please try again in a moment.".into()
            }
            Self::Internal(_) => "Something went wrong on our side. Please try again.".into(),
            Self::Backend { message, .. } => capitalise(message),
            other => capitalise(&other.to_string()),
        }
    }

    /// Whether the backend rejected the request with a validation error.
    pub(crate) fn field_errors(&self) -> Option<&FieldErrors> {
        match self {
            Self::Backend { fields, .. } if !fields.is_empty() => Some(fields),
            _ => None,
        }
    }
}

impl IntoResponse for Error {
    fn into_response(self) -> Response {
        match &self {
            Self::LoginRequired => return redirect(urls::LOGIN),
            Self::SessionExpired => return redirect(&format!("{}?expired=1", urls::LOGIN)),
            Self::BackendUnavailable(err) => tracing::warn!(error = format!("{err:#}"), "backend unavailable"),
            Self::Internal(err) => tracing::error!(error = format!("{err:#}"), "internal error"),
            Self::Backend { status, code, .. } => {
                tracing::info!(status = status.as_u16(), code = %code, "backend refused the request");
            }
            _ => {}
        }
        let status = self.status_code();
        let message = self.user_message();
        let title = match status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::FORBIDDEN => "Not allowed",
            StatusCode::SERVICE_UNAVAILABLE => "Temporarily unavailable",
            _ => "Something went wrong",
        };
        let page = ErrorPage {
            layout: Layout::anonymous(),
            title,
            message: &message,
        };
        let body = page.render().unwrap_or_else(|_| message.clone());
        let mut response = (status, Html(body)).into_response();
        response.extensions_mut().insert(ErrorBanner(message));
        response
    }
}

/// 303 See Other: after a POST the browser follows with a GET (no resubmission on reload).
pub(crate) fn redirect(location: &str) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}
