//! HTML views. Each view is a page struct that embeds a partial struct (kanidm's server/core views):
//! a normal request gets the page, an htmx request the partial alone.

pub mod auth;
pub mod chat;
pub mod stream;
pub mod tasks;

use axum::{
    extract::{FromRequestParts, Request},
    http::{HeaderName, HeaderValue, StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};

use crate::{
    assets::{AssetUrls, URLS},
    error::ErrorBanner,
    security::CsrfToken,
};

/// What the layout (`base.html`) needs besides the page itself.
#[derive(Debug, Clone)]
pub struct Layout {
    pub csrf: String,
    pub signed_in: bool,
    pub nav: Nav,
    pub assets: &'static AssetUrls,
    /// A notice shown above the page (e.g. "your session has expired").
    pub flash: Option<String>,
}

/// Which top-level section is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    None,
    Chat,
    Tasks,
    Login,
    Signup,
}

impl Layout {
    pub fn new(csrf: &CsrfToken, signed_in: bool, nav: Nav) -> Self {
        Self {
            csrf: csrf.0.clone(),
            signed_in,
            nav,
            assets: &URLS,
            flash: None,
        }
    }

    /// For pages rendered without request context (errors).
    pub fn anonymous() -> Self {
        Self {
            csrf: String::new(),
            signed_in: false,
            nav: Nav::None,
            assets: &URLS,
            flash: None,
        }
    }

    pub fn with_flash(mut self, flash: impl Into<String>) -> Self {
        self.flash = Some(flash.into());
        self
    }
}

const HX_REQUEST: HeaderName = HeaderName::from_static("hx-request");
const HX_HISTORY_RESTORE: HeaderName = HeaderName::from_static("hx-history-restore-request");
const HX_REDIRECT: HeaderName = HeaderName::from_static("hx-redirect");
const HX_RETARGET: HeaderName = HeaderName::from_static("hx-retarget");
const HX_RESWAP: HeaderName = HeaderName::from_static("hx-reswap");
pub const HX_PUSH_URL: HeaderName = HeaderName::from_static("hx-push-url");

/// Whether the request wants a partial: made by htmx and not a history restore (which needs the page).
#[derive(Debug, Clone, Copy)]
pub struct Partial(pub bool);

impl Partial {
    fn of(headers: &axum::http::HeaderMap) -> bool {
        headers.get(HX_REQUEST).is_some_and(|v| v == "true") && !headers.contains_key(HX_HISTORY_RESTORE)
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Partial {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(Self::of(&parts.headers)))
    }
}

/// Middleware that fits responses to htmx: HTML varies on `HX-Request`; redirects become
/// `HX-Redirect` (XHR would follow a 303 silently and swap the login page into a fragment); error
/// pages become a banner in `#flash`.
pub async fn htmx_adapter(request: Request, next: Next) -> Response {
    let partial = Partial::of(request.headers());
    let mut response = next.run(request).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    if is_html || response.status().is_redirection() {
        response
            .headers_mut()
            .append(header::VARY, HeaderValue::from_static("HX-Request"));
    }
    if !partial {
        return response;
    }
    if response.status().is_redirection()
        && let Some(location) = response.headers().get(header::LOCATION).cloned()
    {
        let mut headers = response.headers().clone();
        headers.remove(header::LOCATION);
        headers.insert(HX_REDIRECT, location);
        let mut converted = StatusCode::OK.into_response();
        *converted.headers_mut() = headers;
        return converted;
    }
    if let Some(ErrorBanner(message)) = response.extensions().get::<ErrorBanner>().cloned() {
        let mut banner = Html(banner_html(&message)).into_response();
        *banner.status_mut() = response.status();
        let headers = banner.headers_mut();
        headers.insert(HX_RETARGET, HeaderValue::from_static("#flash"));
        headers.insert(HX_RESWAP, HeaderValue::from_static("innerHTML"));
        headers.append(header::VARY, HeaderValue::from_static("HX-Request"));
        return banner;
    }
    response
}

fn banner_html(message: &str) -> String {
    #[derive(askama::Template)]
    #[template(source = r#"<p class="banner error">{{ message }}</p>"#, ext = "html")]
    struct Banner<'a> {
        message: &'a str,
    }
    askama::Template::render(&Banner { message }).unwrap_or_default()
}

/// The `{id}` of a route; anything that is not a number is simply a page that does not exist.
#[derive(Debug, Clone, Copy)]
pub struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = crate::error::Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let axum::extract::Path(id) = axum::extract::Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| crate::error::Error::NotFound)?;
        Ok(Self(id))
    }
}
