//! The "Connect an assistant" page: the MCP address, and the personal access tokens an assistant
//! signs in with — create one (shown once, with a ready-to-paste Claude Desktop configuration), see
//! when each was last used, revoke one. Plain forms; with htmx the token section swaps in place.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{FromRef, FromRequestParts},
    http::{HeaderMap, HeaderValue, StatusCode, Uri, header, request::Parts, uri::Authority},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use serde_json::json;

use crate::{
    error::{Error, FieldErrors, Result, redirect},
    models::{AccessToken, AccessTokenRequest, CreatedAccessToken},
    session::CookiePolicy,
    urls,
    views::{Id, Layout, Nav, SignedIn},
};

/// The lifetimes offered, as (form value, label); the empty value is "never expires".
const LIFETIMES: [(&str, &str); 5] = [
    ("30", "in 30 days"),
    ("7", "in 7 days"),
    ("90", "in 90 days"),
    ("365", "in a year"),
    ("", "never"),
];
/// What to show in configuration examples where no fresh token is at hand.
const TOKEN_PLACEHOLDER: &str = "YOUR_TOKEN";

/// The create form as typed, with the backend's verdict per field.
#[derive(Debug, Clone)]
pub(crate) struct TokenForm {
    pub name: String,
    pub lifetime: String,
    pub errors: FieldErrors,
}

impl Default for TokenForm {
    fn default() -> Self {
        Self {
            name: String::new(),
            lifetime: LIFETIMES[0].0.to_owned(),
            errors: FieldErrors::new(),
        }
    }
}

/// Partial: a just-created token (once), the create form and the list, swapped as one.
#[derive(Debug, Template, WebTemplate)]
#[template(path = "partials/access_tokens.html")]
pub(crate) struct TokenSection {
    pub csrf: String,
    pub mcp_url: String,
    pub created: Option<CreatedAccessToken>,
    pub form: TokenForm,
    pub tokens: Vec<AccessToken>,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "connect.html")]
pub(crate) struct ConnectPage {
    pub layout: Layout,
    pub section: TokenSection,
}

impl TokenSection {
    pub(crate) fn lifetimes(&self) -> [(&'static str, &'static str); 5] {
        LIFETIMES
    }

    /// `claude_desktop_config.json` for this server: Claude Desktop starts local (stdio) servers, so
    /// `mcp-remote` carries its requests to the URL with the token in a header.
    pub(crate) fn claude_desktop_config(&self) -> String {
        let mut args = vec![json!("-y"), json!("mcp-remote"), json!(self.mcp_url)];
        if self.mcp_url.starts_with("http://") {
            args.push(json!("--allow-http"));
        }
        args.extend([json!("--header"), json!("Authorization:${TODO_AUTH_HEADER}")]);
        let config = json!({"mcpServers": {"todo": {
            "command": "npx",
            "args": args,
            "env": {"TODO_AUTH_HEADER": format!("Bearer {}", self.token_or_placeholder())},
        }}});
        serde_json::to_string_pretty(&config).unwrap_or_default()
    }

    /// A first request with curl: the tool list.
    pub(crate) fn curl_example(&self) -> String {
        format!(
            "curl -s {} \\\n  -H 'Authorization: Bearer {}' \\\n  -H 'Content-Type: application/json' \\\n  \
             -H 'Accept: application/json, text/event-stream' \\\n  -H 'MCP-Protocol-Version: 2025-11-25' \\\n  \
             -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}'",
            self.mcp_url,
            self.token_or_placeholder()
        )
    }

    fn token_or_placeholder(&self) -> &str {
        self.created
            .as_ref()
            .map_or(TOKEN_PLACEHOLDER, |created| created.token.as_str())
    }
}

/// What the MCP address is derived from: how the browser reached this page.
#[derive(Debug)]
pub(crate) struct Address {
    headers: HeaderMap,
    uri: Uri,
    cookies: CookiePolicy,
}

impl<S> FromRequestParts<S> for Address
where
    CookiePolicy: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> std::result::Result<Self, Self::Rejection> {
        Ok(Self {
            headers: parts.headers.clone(),
            uri: parts.uri.clone(),
            cookies: CookiePolicy::from_ref(state),
        })
    }
}

/// Fields of the create form.
#[derive(Debug, Deserialize)]
pub(crate) struct TokenFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    expires_in_days: String,
}

/// `GET /connect`.
pub(crate) async fn page(user: SignedIn, address: Address) -> Result<Response> {
    let section = section(&user, &address, None, TokenForm::default()).await?;
    Ok(respond(&user, section, StatusCode::OK))
}

/// `POST /connect/tokens`: answered with the page itself, never a redirect, because the new token
/// is in it and nowhere else; nothing may cache that answer.
pub(crate) async fn create(user: SignedIn, address: Address, Form(fields): Form<TokenFields>) -> Result<Response> {
    let form = TokenForm {
        name: fields.name.clone(),
        lifetime: fields.expires_in_days.clone(),
        errors: FieldErrors::new(),
    };
    let Ok(expires_in_days) = parse_lifetime(&fields.expires_in_days) else {
        let errors = FieldErrors::from([("expires_in_days".into(), "choose one of the offered lifetimes".into())]);
        let section = section(&user, &address, None, TokenForm { errors, ..form }).await?;
        return Ok(respond(&user, section, StatusCode::UNPROCESSABLE_ENTITY));
    };
    let request = AccessTokenRequest {
        name: fields.name.trim(),
        expires_in_days,
    };
    let (created, form, status) = match user
        .backend
        .create_access_token(&user.caller, &user.session, &request)
        .await
    {
        Ok(created) => (Some(created), TokenForm::default(), StatusCode::CREATED),
        Err(err) => match err.field_errors() {
            Some(errors) => (
                None,
                TokenForm {
                    errors: errors.clone(),
                    ..form
                },
                StatusCode::UNPROCESSABLE_ENTITY,
            ),
            None => return Err(err),
        },
    };
    let section = section(&user, &address, created, form).await?;
    let mut response = respond(&user, section, status);
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}

/// `POST /connect/tokens/{id}/revoke`.
pub(crate) async fn revoke(user: SignedIn, address: Address, Id(id): Id) -> Result<Response> {
    user.backend
        .revoke_access_token(&user.caller, &user.session, id)
        .await?;
    if !user.partial {
        return Ok(redirect(urls::CONNECT));
    }
    let section = section(&user, &address, None, TokenForm::default()).await?;
    Ok(respond(&user, section, StatusCode::OK))
}

/// A lifetime from the form: one of the offered ones, in days; none for "never".
fn parse_lifetime(value: &str) -> std::result::Result<Option<u16>, ()> {
    match LIFETIMES.iter().find(|(offered, _)| *offered == value) {
        Some(("", _)) => Ok(None),
        Some((days, _)) => days.parse().map(Some).map_err(|_| ()),
        None => Err(()),
    }
}

async fn section(
    user: &SignedIn,
    address: &Address,
    created: Option<CreatedAccessToken>,
    form: TokenForm,
) -> Result<TokenSection> {
    let tokens = user.backend.access_tokens(&user.caller, &user.session).await?;
    Ok(TokenSection {
        csrf: user.csrf.0.clone(),
        mcp_url: mcp_url(&address.headers, &address.uri, address.cookies)?,
        created,
        form,
        tokens,
    })
}

/// The MCP address as this browser reaches the UI: its `Host` (or HTTP/2 authority), and `https`
/// when the Ingress says so (`X-Forwarded-Proto`) or the cookies are `Secure`.
fn mcp_url(headers: &HeaderMap, uri: &Uri, cookies: CookiePolicy) -> Result<String> {
    let host = headers
        .get(header::HOST)
        .and_then(|value| value.to_str().ok())
        .or_else(|| uri.authority().map(Authority::as_str))
        .ok_or(Error::Invalid("the request names no host"))?;
    let forwarded = headers.get("x-forwarded-proto").and_then(|value| value.to_str().ok());
    let https = forwarded.map_or(cookies.secure, |proto| proto.eq_ignore_ascii_case("https"));
    let scheme = if https { "https" } else { "http" };
    Ok(format!("{scheme}://{host}{}", urls::MCP))
}

/// The section alone for htmx, the whole page otherwise.
fn respond(user: &SignedIn, section: TokenSection, status: StatusCode) -> Response {
    if user.partial {
        return (status, section).into_response();
    }
    let page = ConnectPage {
        layout: Layout::new(&user.csrf, true, Nav::Connect),
        section,
    };
    (status, page).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_are_only_the_offered_ones() {
        assert_eq!(parse_lifetime("30"), Ok(Some(30)));
        assert_eq!(parse_lifetime(""), Ok(None));
        assert_eq!(parse_lifetime("365"), Ok(Some(365)));
        assert!(parse_lifetime("1000").is_err());
        assert!(parse_lifetime("x").is_err());
    }

    #[test]
    fn the_mcp_address_follows_the_browsers() {
        let mut headers = HeaderMap::new();
        headers.insert(header::HOST, HeaderValue::from_static("localhost:8080"));
        let plain = CookiePolicy { secure: false };
        let path = Uri::from_static("/connect");
        assert_eq!(mcp_url(&headers, &path, plain).unwrap(), "http://localhost:8080/mcp");
        assert_eq!(
            mcp_url(&headers, &path, CookiePolicy { secure: true }).unwrap(),
            "https://localhost:8080/mcp"
        );
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert_eq!(mcp_url(&headers, &path, plain).unwrap(), "https://localhost:8080/mcp");
        let http2 = Uri::from_static("https://todo.example.com/connect");
        assert_eq!(
            mcp_url(&HeaderMap::new(), &http2, plain).unwrap(),
            "http://todo.example.com/mcp"
        );
        assert!(mcp_url(&HeaderMap::new(), &path, plain).is_err());
    }
}
