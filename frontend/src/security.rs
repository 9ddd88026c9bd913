//! Browser-facing protections: the security headers every response carries and the CSRF check on
//! every state-changing request.
//!
//! CSRF uses a signed double-submit token bound to the session: a random nonce lives in an
//! HttpOnly cookie, and the token pages render into forms (`csrf_token` field) and into htmx's
//! request headers (`X-CSRF-Token`) is an HMAC, under `CSRF_SECRET`, of that nonce and the session
//! cookie. A foreign site can make the browser send both cookies but cannot read them, and a
//! cookie planted from elsewhere is useless without the key. The nonce is replaced at login and
//! logout, so no token outlives the session it was shown in. On top, a request whose `Origin` is
//! not exactly our own (scheme, host and port) is refused outright.

use std::net::SocketAddr;

use axum::{
    body::Body,
    extract::{ConnectInfo, FromRequestParts, Request, State},
    http::{HeaderMap, HeaderName, HeaderValue, Method, header, request::Parts},
    middleware::Next,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::{Cookie, CookieJar};
use base64::Engine;
use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretSlice};
use service_kit::client::TrustedProxies;
use sha2::Sha256;
use subtle::ConstantTimeEq;
use tower_http::set_header::SetResponseHeaderLayer;

use crate::{
    error::Error,
    session::{CookieName, CookiePolicy, cookie},
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

/// What the CSRF check needs: the signing key, the cookie settings, and which peers may tell us
/// the public host and scheme (`X-Forwarded-Host`, `X-Forwarded-Proto`).
#[derive(Debug, Clone)]
pub(crate) struct CsrfGuard {
    key: SecretSlice<u8>,
    cookies: CookiePolicy,
    proxies: TrustedProxies,
}

impl CsrfGuard {
    pub(crate) fn new(key: SecretSlice<u8>, cookies: CookiePolicy, proxies: TrustedProxies) -> Self {
        Self { key, cookies, proxies }
    }

    /// The token for a browser holding `nonce` and (when signed in) `session`.
    fn token(&self, nonce: &str, session: Option<&str>) -> String {
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(self.key.expose_secret()) else {
            unreachable!("HMAC takes keys of any length")
        };
        // Lengths first, so no two (nonce, session) pairs sign the same bytes.
        let session = session.unwrap_or_default();
        for part in [nonce, session] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }
}

/// A fresh nonce cookie: set at login and logout, so every token shown before is void.
pub(crate) fn fresh_nonce(cookies: &CookiePolicy) -> Cookie<'static> {
    cookies.cookie(CookieName::Csrf, uuid::Uuid::new_v4().simple().to_string())
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
/// hands every request its token and gives new visitors the nonce cookie.
pub(crate) async fn csrf(State(guard): State<CsrfGuard>, request: Request, next: Next) -> Response {
    let existing = cookie(request.headers(), guard.cookies.name(CookieName::Csrf));
    let session = cookie(request.headers(), guard.cookies.name(CookieName::Session));
    let mut request = request;
    if !matches!(*request.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        let expected = existing.as_deref().map(|nonce| guard.token(nonce, session.as_deref()));
        match verified(&guard, request, expected.as_deref()).await {
            Ok(checked) => request = checked,
            Err(err) => return err.into_response(),
        }
    }
    let nonce = existing
        .clone()
        .unwrap_or_else(|| uuid::Uuid::new_v4().simple().to_string());
    request
        .extensions_mut()
        .insert(CsrfToken(guard.token(&nonce, session.as_deref())));
    let response = next.run(request).await;
    let name = guard.cookies.name(CookieName::Csrf);
    if existing.is_some() || sets_cookie(response.headers(), name) {
        return response;
    }
    (
        CookieJar::new().add(guard.cookies.cookie(CookieName::Csrf, nonce)),
        response,
    )
        .into_response()
}

/// Whether the response already sets cookie `name` (a handler rotated it).
fn sets_cookie(headers: &HeaderMap, name: &str) -> bool {
    headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.strip_prefix(name).is_some_and(|rest| rest.starts_with('=')))
}

/// Passes the request on (body restored) when its origin and token check out. A form too large
/// to hold a token is 413, not a CSRF refusal.
async fn verified(guard: &CsrfGuard, request: Request, expected: Option<&str>) -> Result<Request, Error> {
    if !same_origin(guard, &request) {
        return Err(Error::Csrf);
    }
    let presented = request.headers().get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Some(presented) = presented {
        return if expected.is_some_and(|expected| same_token(presented, expected)) {
            Ok(request)
        } else {
            Err(Error::Csrf)
        };
    }
    let (parts, body) = request.into_parts();
    let bytes = axum::body::to_bytes(body, MAX_FORM_BYTES)
        .await
        .map_err(|_| Error::PayloadTooLarge)?;
    let expected = expected.ok_or(Error::Csrf)?;
    let presented = form_urlencoded_field(&bytes, CSRF_FIELD).ok_or(Error::Csrf)?;
    if !same_token(&presented, expected) {
        return Err(Error::Csrf);
    }
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// No `Origin` (old browsers, non-browser clients) is left to the token; a present one must be
/// exactly our own: same scheme, host and port.
fn same_origin(guard: &CsrfGuard, request: &Request) -> bool {
    let headers = request.headers();
    let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip());
    // What a trusted proxy says about the public side; from anyone else it is ignored.
    let forwarded = |name: &str| {
        peer.filter(|peer| guard.proxies.contains(*peer))
            .and_then(|_| headers.get(name))
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .map(str::trim)
    };
    let Some(host) = forwarded("x-forwarded-host").or_else(|| headers.get(header::HOST).and_then(|v| v.to_str().ok()))
    else {
        return false;
    };
    let scheme = forwarded("x-forwarded-proto").unwrap_or(if guard.cookies.secure { "https" } else { "http" });
    match (
        normalized_origin(origin),
        normalized_origin(&format!("{scheme}://{host}")),
    ) {
        (Some(presented), Some(ours)) => presented == ours,
        _ => false, // "null" and other opaque origins
    }
}

/// `scheme://host[:port]`, lower-cased, with the scheme's default port left out.
fn normalized_origin(origin: &str) -> Option<String> {
    let (scheme, authority) = origin.split_once("://")?;
    let scheme = scheme.to_ascii_lowercase();
    let authority: axum::http::uri::Authority = authority.parse().ok()?;
    if authority.as_str().contains('@') || !matches!(scheme.as_str(), "http" | "https") {
        return None;
    }
    let default_port = if scheme == "https" { 443 } else { 80 };
    let host = authority.host().to_ascii_lowercase();
    Some(match authority.port_u16() {
        Some(port) if port != default_port => format!("{scheme}://{host}:{port}"),
        _ => format!("{scheme}://{host}"),
    })
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

    fn guard(secure: bool, proxies: &str) -> CsrfGuard {
        CsrfGuard::new(
            SecretSlice::from(b"0123456789abcdef0123456789abcdef".to_vec()),
            CookiePolicy { secure },
            TrustedProxies::parse(proxies).unwrap(),
        )
    }

    fn request(peer: &str, pairs: &[(&'static str, &'static str)]) -> Request {
        let mut request = Request::post("/tasks").body(Body::empty()).unwrap();
        for (name, value) in pairs {
            request
                .headers_mut()
                .insert(HeaderName::from_static(name), HeaderValue::from_static(value));
        }
        let peer: std::net::IpAddr = peer.parse().unwrap();
        request
            .extensions_mut()
            .insert(ConnectInfo(SocketAddr::from((peer, 50_000))));
        request
    }

    #[test]
    fn the_whole_origin_must_be_ours() {
        let plain = guard(false, "");
        let ok = |pairs: &[(&'static str, &'static str)]| same_origin(&plain, &request("198.51.100.1", pairs));
        assert!(ok(&[("host", "todo.example.com")]), "no Origin is left to the token");
        assert!(ok(&[
            ("host", "todo.example.com"),
            ("origin", "http://todo.example.com")
        ]));
        assert!(ok(&[("host", "localhost:8080"), ("origin", "http://localhost:8080")]));
        assert!(ok(&[
            ("host", "todo.example.com:80"),
            ("origin", "http://TODO.example.com")
        ]));
        assert!(
            !ok(&[("host", "todo.example.com"), ("origin", "https://todo.example.com")]),
            "scheme"
        );
        assert!(
            !ok(&[("host", "localhost:8080"), ("origin", "http://localhost:9090")]),
            "port"
        );
        assert!(!ok(&[("host", "todo.example.com"), ("origin", "http://evil.example")]));
        assert!(!ok(&[("host", "todo.example.com"), ("origin", "null")]));
        let secure = guard(true, "");
        let request = request(
            "198.51.100.1",
            &[("host", "todo.example.com"), ("origin", "https://todo.example.com")],
        );
        assert!(same_origin(&secure, &request));
    }

    #[test]
    fn forwarded_host_and_scheme_count_only_from_a_trusted_proxy() {
        let behind = guard(false, "10.0.0.0/8");
        let spoofed = [
            ("host", "todo.internal:3000"),
            ("x-forwarded-host", "evil.example"),
            ("x-forwarded-proto", "https"),
            ("origin", "https://evil.example"),
        ];
        assert!(
            same_origin(&behind, &request("10.0.0.9", &spoofed)),
            "the ingress may say so"
        );
        assert!(
            !same_origin(&behind, &request("198.51.100.1", &spoofed)),
            "a browser may not"
        );
    }

    #[test]
    fn tokens_are_bound_to_the_nonce_the_session_and_the_key() {
        let guard = guard(false, "");
        let anonymous = guard.token("nonce", None);
        assert_eq!(anonymous, guard.token("nonce", None));
        assert_ne!(anonymous, guard.token("other", None));
        assert_ne!(anonymous, guard.token("nonce", Some("session")));
        assert_ne!(guard.token("ab", Some("c")), guard.token("a", Some("bc")));
        let other_key = CsrfGuard::new(
            SecretSlice::from(vec![7u8; 32]),
            CookiePolicy { secure: false },
            TrustedProxies::default(),
        );
        assert_ne!(anonymous, other_key.token("nonce", None));
    }

    #[test]
    fn finds_the_token_field_in_a_form() {
        let body = b"title=Milk&csrf_token=abc%20d";
        assert_eq!(form_urlencoded_field(body, CSRF_FIELD).as_deref(), Some("abc d"));
        assert!(same_token("abc", "abc"));
        assert!(!same_token("abc", "abd") && !same_token("abc", "abcd"));
    }
}
