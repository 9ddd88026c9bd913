//! The session is the backend's JWT in an HttpOnly, SameSite=Lax cookie. The frontend cannot verify
//! the signature (it holds no key); it only reads `sub` and `exp` to route and to notice expiry early.
//! The backend verifies the token, and that its session has not been ended, on every call.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, request::Parts},
};
use axum_extra::extract::cookie::{Cookie, CookieJar, SameSite};
use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::Error;

/// The cookies the frontend sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CookieName {
    /// The backend's session token.
    Session,
    /// The nonce CSRF tokens are derived from (see `security`).
    Csrf,
}

/// Cookie attributes that depend on the deployment.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CookiePolicy {
    /// Add `Secure` (the site is served over HTTPS).
    pub secure: bool,
}

impl CookiePolicy {
    /// Over HTTPS the names carry the `__Host-` prefix: browsers then accept the cookie only with
    /// `Secure`, `Path=/` and no `Domain`, so a sibling subdomain or a plain-HTTP page cannot
    /// plant or overwrite it.
    pub(crate) fn name(&self, cookie: CookieName) -> &'static str {
        match (cookie, self.secure) {
            (CookieName::Session, false) => "todo_session",
            (CookieName::Session, true) => "__Host-todo_session",
            (CookieName::Csrf, false) => "todo_csrf",
            (CookieName::Csrf, true) => "__Host-todo_csrf",
        }
    }

    /// An HttpOnly, SameSite=Lax cookie for the whole site, `Secure` when the policy says so; it
    /// lasts for the browser session unless given a Max-Age.
    pub(crate) fn cookie(&self, name: CookieName, value: impl Into<String>) -> Cookie<'static> {
        Cookie::build((self.name(name), value.into()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure)
            .build()
    }

    /// The same cookie emptied, with Max-Age=0: the browser deletes it.
    pub(crate) fn removal(&self, name: CookieName) -> Cookie<'static> {
        let mut cookie = self.cookie(name, "");
        cookie.make_removal();
        cookie
    }
}

/// The value of cookie `name` in the request's `Cookie` headers, unless empty.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    CookieJar::from_headers(headers)
        .get(name)
        .map(|cookie| cookie.value().to_owned())
        .filter(|value| !value.is_empty())
}

/// A signed-in user: the bearer token to forward and the user id it names.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    pub token: String,
    pub user_id: Uuid,
}

#[derive(Deserialize)]
struct Claims {
    sub: Uuid,
    exp: i64,
}

impl Session {
    /// Reads the claims of a JWT without verifying it; `None` when it is malformed or expired.
    pub(crate) fn from_token(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claims: Claims = serde_json::from_slice(&bytes).ok()?;
        if claims.exp <= chrono::Utc::now().timestamp() {
            return None;
        }
        Some(Self {
            token: token.to_owned(),
            user_id: claims.sub,
        })
    }
}

/// No cookie: log in. A cookie that no longer works: log in again, with a word about why.
impl<S> FromRequestParts<S> for Session
where
    CookiePolicy: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let name = CookiePolicy::from_ref(state).name(CookieName::Session);
        match cookie(&parts.headers, name) {
            None => Err(Error::LoginRequired),
            Some(token) => Self::from_token(&token).ok_or(Error::SessionExpired),
        }
    }
}

/// Whether the request carries a session cookie that still looks valid (for "already signed in").
#[derive(Debug, Clone)]
pub(crate) struct MaybeSession(pub Option<Session>);

impl<S> FromRequestParts<S> for MaybeSession
where
    CookiePolicy: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let name = CookiePolicy::from_ref(state).name(CookieName::Session);
        Ok(Self(
            cookie(&parts.headers, name).and_then(|token| Session::from_token(&token)),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn token(claims: &serde_json::Value) -> String {
        let engine = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        format!(
            "{}.{}.signature",
            engine.encode(r#"{"alg":"HS256","typ":"JWT"}"#),
            engine.encode(claims.to_string())
        )
    }

    #[test]
    fn reads_subject_and_rejects_expired_or_garbage_tokens() {
        let user = Uuid::new_v4();
        let later = chrono::Utc::now().timestamp() + 60;
        let session = Session::from_token(&token(&serde_json::json!({"sub": user, "exp": later}))).unwrap();
        assert_eq!(session.user_id, user);
        let earlier = chrono::Utc::now().timestamp() - 1;
        assert!(Session::from_token(&token(&serde_json::json!({"sub": user, "exp": earlier}))).is_none());
        assert!(Session::from_token("not-a-jwt").is_none());
    }

    #[test]
    fn cookie_flags_and_host_prefix() {
        let lax = CookiePolicy { secure: false }.cookie(CookieName::Csrf, "b");
        assert_eq!(lax.to_string(), "todo_csrf=b; HttpOnly; SameSite=Lax; Path=/");
        let secure = CookiePolicy { secure: true }.cookie(CookieName::Session, "b");
        assert_eq!(
            secure.to_string(),
            "__Host-todo_session=b; HttpOnly; SameSite=Lax; Secure; Path=/"
        );
        let removal = CookiePolicy { secure: false }.removal(CookieName::Session);
        assert!(
            removal
                .to_string()
                .starts_with("todo_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0; Expires="),
            "{removal}"
        );
    }

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::COOKIE,
            axum::http::HeaderValue::from_static("x=1; todo_csrf=abc; y=2; todo_session="),
        );
        assert_eq!(cookie(&headers, "todo_csrf").as_deref(), Some("abc"));
        assert_eq!(cookie(&headers, "todo_session"), None, "an empty cookie is no cookie");
    }
}
