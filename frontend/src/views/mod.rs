//! HTML views. Each view is a page struct that embeds a partial struct (kanidm's server/core views):
//! a normal request gets the page, an htmx request the partial alone.

pub(crate) mod auth;
pub(crate) mod chat;
pub(crate) mod connect;
pub(crate) mod messages;
pub(crate) mod stream;
pub(crate) mod tasks;

use std::convert::Infallible;

use axum::{
    extract::{FromRef, FromRequestParts, Path, Request},
    http::{StatusCode, header, request::Parts},
    middleware::Next,
    response::{Html, IntoResponse, Response},
};
use axum_htmx::{HxHistoryRestoreRequest, HxRedirect, HxRequest, HxReswap, HxRetarget, SwapOption, VaryHxRequest};

use crate::{
    assets::{AssetUrls, URLS},
    backend_client::{BackendClient, Caller},
    error::{Error, ErrorBanner},
    security::CsrfToken,
    session::{CookiePolicy, Session},
};
use service_kit::client::TrustedProxies;

/// What the layout (`base.html`) needs besides the page itself.
#[derive(Debug, Clone)]
pub(crate) struct Layout {
    pub csrf: String,
    pub signed_in: bool,
    pub nav: Nav,
    pub assets: &'static AssetUrls,
    /// A notice shown above the page (e.g. "your session has expired").
    pub flash: Option<String>,
}

/// Which top-level section is current.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Nav {
    None,
    Chat,
    Tasks,
    Connect,
    Login,
    Signup,
}

impl Layout {
    pub(crate) fn new(csrf: &CsrfToken, signed_in: bool, nav: Nav) -> Self {
        Self {
            csrf: csrf.0.clone(),
            signed_in,
            nav,
            assets: &URLS,
            flash: None,
        }
    }

    /// For pages rendered without request context (errors).
    pub(crate) fn anonymous() -> Self {
        Self {
            csrf: String::new(),
            signed_in: false,
            nav: Nav::None,
            assets: &URLS,
            flash: None,
        }
    }

    pub(crate) fn with_flash(mut self, flash: impl Into<String>) -> Self {
        self.flash = Some(flash.into());
        self
    }
}

/// Whether the request wants a partial: made by htmx and not a history restore (which needs the page).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Partial(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Partial {
    type Rejection = Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let HxRequest(htmx) = HxRequest::from_request_parts(parts, state).await?;
        let HxHistoryRestoreRequest(restore) = HxHistoryRestoreRequest::from_request_parts(parts, state).await?;
        Ok(Self(htmx && !restore))
    }
}

/// Middleware that fits responses to htmx: HTML varies on `HX-Request`; redirects become
/// `HX-Redirect` (XHR would follow a 303 silently and swap the login page into a fragment); error
/// pages become a banner in `#flash`.
pub(crate) async fn htmx_adapter(request: Request, next: Next) -> Response {
    let (mut parts, body) = request.into_parts();
    let Ok(Partial(partial)) = Partial::from_request_parts(&mut parts, &()).await;
    let response = next.run(Request::from_parts(parts, body)).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/html"));
    let response = if is_html || response.status().is_redirection() {
        (VaryHxRequest, response).into_response()
    } else {
        response
    };
    if !partial {
        return response;
    }
    if response.status().is_redirection() {
        let (mut head, _) = response.into_parts();
        let location = head.headers.remove(header::LOCATION);
        head.status = StatusCode::OK;
        let location = location.and_then(|value| value.to_str().map(str::to_owned).ok());
        return (head, location.map(HxRedirect), ()).into_response();
    }
    if let Some(ErrorBanner(message)) = response.extensions().get::<ErrorBanner>().cloned() {
        return (
            response.status(),
            HxRetarget("#flash".into()),
            HxReswap(SwapOption::InnerHtml),
            VaryHxRequest,
            Html(banner_html(&message)),
        )
            .into_response();
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

/// What a signed-in page's handler works with: the backend client, who is calling, the session, the
/// CSRF token its forms carry, and whether htmx asked for a partial. No session cookie sends the
/// browser to the login page; one that no longer works, too, with a word about why.
#[derive(Debug, Clone)]
pub(crate) struct SignedIn {
    pub backend: BackendClient,
    pub caller: Caller,
    pub session: Session,
    pub csrf: CsrfToken,
    pub partial: bool,
}

impl<S> FromRequestParts<S> for SignedIn
where
    BackendClient: FromRef<S>,
    CookiePolicy: FromRef<S>,
    TrustedProxies: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let session = Session::from_request_parts(parts, state).await?;
        let csrf = CsrfToken::from_request_parts(parts, state).await?;
        let Ok(caller) = Caller::from_request_parts(parts, state).await;
        let Ok(Partial(partial)) = Partial::from_request_parts(parts, state).await;
        Ok(Self {
            backend: BackendClient::from_ref(state),
            caller,
            session,
            csrf,
            partial,
        })
    }
}

/// The `{id}` of a route; anything that is not a number is simply a page that does not exist.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Id(pub i64);

impl<S: Send + Sync> FromRequestParts<S> for Id {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<i64>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Ok(Self(id))
    }
}

/// The `{id}` of a chat turn's route: the backend's opaque turn id.
#[derive(Debug, Clone, Copy)]
pub(crate) struct TurnId(pub uuid::Uuid);

impl<S: Send + Sync> FromRequestParts<S> for TurnId {
    type Rejection = Error;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Path(id) = Path::<uuid::Uuid>::from_request_parts(parts, state)
            .await
            .map_err(|_| Error::NotFound)?;
        Ok(Self(id))
    }
}
