//! Browser-facing protections: the security headers every response carries and the CSRF check on
//! every state-changing request.
//!
//! CSRF uses a double-submit token: a random value in an HttpOnly cookie that pages also render into
//! forms (`csrf_token` field) and into htmx's request headers (`X-CSRF-Token`). A foreign site can
//! make the browser send the cookie but cannot read it to fill the field. On top, a request whose
//! `Origin` names another site is refused outright.

use axum::{
    body::Body,
    extract::{FromRequestParts, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use subtle::ConstantTimeEq;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{
    error::Error,
    session::{CSRF_COOKIE, CookiePolicy, cookie},
};

pub(crate) const CSRF_FIELD: &str = "csrf_token";
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";
/// Forms are small; this bounds what the CSRF check buffers to find its field.
const MAX_FORM_BYTES: usize = 64 * 1024;

/// Scripts and styles only from our own origin (no inline script, no eval), no framing, no plugins.
pub(crate) const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; \
     img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'; object-src 'none'";
/// `same-origin` rather than `no-referrer`: with `no-referrer` browsers send `Origin: null` on form
/// posts, which the origin check would have to let through.
pub(crate) const REFERRER_POLICY: &str = "same-origin";

/// The headers every response gets unless a handler set its own.
pub(crate) fn header_layers() -> [SetResponseHeaderLayer<HeaderValue>; 5] {
    let fixed = |name: HeaderName, value: &'static str| {
        SetResponseHeaderLayer::if_not_present(name, HeaderValue::from_static(value))
    };
    [
        fixed(header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        fixed(header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        fixed(header::REFERRER_POLICY, REFERRER_POLICY),
        fixed(header::X_FRAME_OPTIONS, "DENY"),
        fixed(
            HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=()",
        ),
    ]
}

/// The request's CSRF token, for rendering into forms.
#[derive(Debug, Clone)]
pub(crate) struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Self>()
            .cloned()
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("CSRF middleware is not installed")))
    }
}

/// Middleware: refuses state-changing requests without a matching token or from another origin;
/// hands every request its token and gives new visitors the cookie.
pub(crate) async fn csrf(State(policy): State<CookiePolicy>, request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), CSRF_COOKIE);
    let mut request = request;
    if !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        match verified(request, existing.as_deref()).await {
            Ok(checked) => request = checked,
            Err(err) => return err.into_response(),
        }
    }
    let token = existing
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    request.extensions_mut().insert(CsrfToken(token.clone()));
    let response = next.run(request).await;
    if existing.is_some() {
        return response;
    }
    (CookieJar::new().add(policy.cookie(CSRF_COOKIE, token)), response).into_response()
}

/// Passes the request on (body restored) when its origin and token check out.
async fn verified(request: Request, expected: Option<&str>) -> Result<Request, Error> {
    if !same_origin(request.headers()) {
        return Err(Error::Csrf);
    }
    let expected = expected.ok_or(Error::Csrf)?;
    if let Some(presented) = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok()) {
        return if same_token(presented, expected) {
            Ok(request)
        } else {
            Err(Error::Csrf)
        };
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Error::Csrf)?;
    let presented = form_urlencoded_field(&bytes, CSRF_FIELD).ok_or(Error::Csrf)?;
    if !same_token(&presented, expected) {
        return Err(Error::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// No `Origin` (old browsers, non-browser clients) is left to the token; a present one must be ours.
fn same_origin(headers: &HeaderMap) -> bool {
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let Some(authority) = origin.split_once("://").map(|(_, rest)| rest) else {
        return false; // "null" and other opaque origins
    };
    [header::HOST.as_str(), "x-forwarded-host"]
        .iter()
        .filter_map(|name| headers.get(*name).and_then(|v| v.to_str().ok()))
        .any(|host| host.eq_ignore_ascii_case(authority))
}

fn form_urlencoded_field(body: &[u8], name: &str) -> Option<String> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(body).ok()?;
    pairs.into_iter().find(|(key, _)| key == name).map(|(_, value)| value)
}

/// Compared in constant time, so how long a refusal takes says nothing about the token.
fn same_token(presented: &str, expected: &str) -> bool {
    presented.as_bytes().ct_eq(expected.as_bytes()).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs
            .iter()
            .map(|(name, value)| (HeaderName::from_static(name), HeaderValue::from_static(value)))
            .collect()
    }

    #[test]
    fn origin_must_match_the_host() {
        assert!(same_origin(&headers(&[("host", "todo.example.com")])));
        assert!(same_origin(&headers(&[
            ("host", "todo.example.com"),
            ("origin", "https://todo.example.com")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "todo.example.com"),
            ("origin", "https://evil.example")
        ])));
        assert!(!same_origin(&headers(&[
            ("host", "todo.example.com"),
            ("origin", "null")
        ])));
    }

    #[test]
    fn finds_the_token_field_in_a_form() {
        let body = b"title=Milk&csrf_token=abc%20d";
        assert_eq!(form_urlencoded_field(body, CSRF_FIELD).as_deref(), Some("abc d"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd") && !same_token("abc", "abcd"));
    }
}
