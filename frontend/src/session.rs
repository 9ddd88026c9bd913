//! The session is the backend's JWT in an HttpOnly, SameSite=Lax cookie. The frontend cannot verify
//! the signature (it holds no key); it only reads `sub` and `exp` to route and to notice expiry early.
//! The backend verifies the token on every call.

use axum::{
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, HeaderValue, header, request::Parts},
};
use base64::Engine;
use serde::Deserialize;
use uuid::Uuid;

use crate::error::Error;

pub const SESSION_COOKIE: &str = "todo_session";
pub const CSRF_COOKIE: &str = "todo_csrf";

/// Cookie attributes that depend on the deployment.
#[derive(Debug, Clone, Copy)]
pub struct CookiePolicy {
    /// Add `Secure` (the site is served over HTTPS).
    pub secure: bool,
}

impl CookiePolicy {
    /// A `Set-Cookie` value; `max_age` `None` makes a browser-session cookie, `Some(0)` deletes it.
    pub fn set_cookie(&self, name: &str, value: &str, max_age: Option<i64>) -> HeaderValue {
        let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
        if let Some(seconds) = max_age {
            cookie.push_str(&format!("; Max-Age={seconds}"));
        }
        if self.secure {
            cookie.push_str("; Secure");
        }
        HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static("invalid=; Max-Age=0"))
    }

    pub fn clear_cookie(&self, name: &str) -> HeaderValue {
        self.set_cookie(name, "", Some(0))
    }
}

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A signed-in user: the bearer token to forward and the user id it names.
#[derive(Debug, Clone)]
pub struct Session {
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
    pub fn from_token(token: &str) -> Option<Self> {
        let payload = token.split('.').nth(1)?;
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).ok()?;
        let claims: Claims = serde_json::from_slice(&bytes).ok()?;
        if claims.exp <= chrono::Utc::now().timestamp() {
            return None;
        }
        Some(Self {
            token: token.to_string(),
            user_id: claims.sub,
        })
    }
}

/// No cookie: log in. A cookie that no longer works: log in again, with a word about why.
impl<S: Send + Sync> FromRequestParts<S> for Session {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        match cookie(&parts.headers, SESSION_COOKIE) {
            None => Err(Error::LoginRequired),
            Some(token) => Self::from_token(token).ok_or(Error::SessionExpired),
        }
    }
}

/// Whether the request carries a session cookie that still looks valid (for "already signed in").
#[derive(Debug, Clone)]
pub struct MaybeSession(pub Option<Session>);

impl<S: Send + Sync> FromRequestParts<S> for MaybeSession {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(
            cookie(&parts.headers, SESSION_COOKIE).and_then(Session::from_token),
        ))
    }
}

impl<S> FromRequestParts<S> for CookiePolicy
where
    CookiePolicy: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(_: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::from_ref(state))
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
    fn cookie_flags() {
        let lax = CookiePolicy { secure: false }.set_cookie("a", "b", None);
        assert_eq!(lax, "a=b; Path=/; HttpOnly; SameSite=Lax");
        let secure = CookiePolicy { secure: true }.set_cookie("a", "b", Some(60));
        assert_eq!(secure, "a=b; Path=/; HttpOnly; SameSite=Lax; Max-Age=60; Secure");
    }

    #[test]
    fn finds_a_cookie_among_several() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("x=1; todo_csrf=abc; y=2"));
        assert_eq!(cookie(&headers, CSRF_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), None);
    }
}
