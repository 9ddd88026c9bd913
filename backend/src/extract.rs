//! Extractors that turn axum's rejections into the contract's error body.

use axum::{
    extract::{FromRequest, FromRequestParts, Path, Request, rejection::JsonRejection, rejection::QueryRejection},
    http::{StatusCode, request::Parts},
};
use serde::{Deserialize, de::DeserializeOwned};

use crate::error::Error;

/// `Json<T>` for request bodies: malformed JSON → 400, wrong shape or unknown field → 422,
/// over the body limit → 413, wrong content type → 415.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(json_rejection(rejection)),
        }
    }
}

fn json_rejection(rejection: JsonRejection) -> Error {
    match rejection {
        JsonRejection::JsonDataError(err) => Error::InvalidBody(format!("invalid request body: {}", innermost(&err))),
        JsonRejection::JsonSyntaxError(err) => Error::MalformedJson(innermost(&err)),
        JsonRejection::MissingJsonContentType(_) => Error::UnsupportedMediaType,
        other if other.status() == StatusCode::PAYLOAD_TOO_LARGE => Error::PayloadTooLarge,
        other => Error::InvalidBody(other.body_text()),
    }
}

/// Query string parameters; anything that does not parse is a 422 naming the problem.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct QueryParams<T>(pub T);

impl<S, T> FromRequestParts<S> for QueryParams<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(QueryRejection::FailedToDeserializeQueryString(err)) => Err(Error::InvalidQuery(format!(
                "invalid query string: {}",
                innermost(&err)
            ))),
            Err(other) => Err(Error::InvalidQuery(other.body_text())),
        }
    }
}

/// The `{id}` path parameter of an object URL. An id that is not an integer names no object, so
/// it is a 404 "`what` not found", like any unknown id.
pub(crate) async fn path_id<S: Send + Sync>(parts: &mut Parts, state: &S, what: &'static str) -> Result<i64, Error> {
    #[derive(Deserialize)]
    struct Params {
        id: i64,
    }
    let Path(params) = Path::<Params>::from_request_parts(parts, state)
        .await
        .map_err(|_| Error::NotFound(what))?;
    Ok(params.id)
}

/// The deepest source of an error: serde's own sentence, without axum's prefix.
fn innermost(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(source) = current.source() {
        current = source;
    }
    current.to_string()
}
