//! Sign up, log in, log out. Plain forms and redirects: they work the same with or without JavaScript.

use askama::Template;
use askama_web::WebTemplate;
use axum::{
    Form,
    extract::{Query, State},
    http::StatusCode,
    response::{IntoResponse, Response},
};
use axum_extra::extract::cookie::CookieJar;
use serde::Deserialize;

use crate::{
    backend_client::{BackendClient, Caller},
    error::{Error, FieldErrors, Result, redirect},
    models::{AuthToken, LoginRequest, SignupRequest},
    security::{CsrfToken, fresh_nonce},
    session::{CookieName, CookiePolicy, MaybeSession},
    urls,
    views::{Layout, Nav},
};

/// What a form showed and what was wrong with it; passwords are never echoed back.
#[derive(Debug, Default)]
pub(crate) struct AuthForm {
    pub name: String,
    pub email: String,
    pub timezone: String,
    pub errors: FieldErrors,
    /// A problem with the form as a whole ("email or password is incorrect").
    pub problem: Option<String>,
}

impl AuthForm {
    /// The ids of what explains a problem with `field`: its own error, and the form's problem
    /// ("Email or password is incorrect" is about both credentials). `None` when it is fine.
    pub(crate) fn described_by(&self, field: &str) -> Option<String> {
        let own = self.errors.contains_key(field).then(|| format!("{field}-error"));
        let form = (self.problem.is_some() && matches!(field, "email" | "password")).then(|| "form-error".to_owned());
        match (own, form) {
            (Some(own), Some(form)) => Some(format!("{own} {form}")),
            (own, form) => own.or(form),
        }
    }

    /// The field a page focuses, of its `fields` in order: the first with a problem, else the first.
    fn focus<'a>(&self, fields: &[&'a str]) -> &'a str {
        fields
            .iter()
            .copied()
            .find(|field| self.described_by(field).is_some())
            .unwrap_or(fields[0])
    }
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "login.html")]
pub(crate) struct LoginPage {
    pub layout: Layout,
    pub form: AuthForm,
}

#[derive(Debug, Template, WebTemplate)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage {
    pub layout: Layout,
    pub form: AuthForm,
}

impl LoginPage {
    pub(crate) fn autofocus(&self, field: &str) -> bool {
        self.form.focus(&["email", "password"]) == field
    }
}

impl SignupPage {
    pub(crate) fn autofocus(&self, field: &str) -> bool {
        self.form.focus(&["name", "email", "password"]) == field
    }
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginNotice {
    #[serde(default)]
    expired: Option<String>,
    #[serde(default)]
    logged_out: Option<String>,
}

#[derive(Debug, Deserialize)]
pub(crate) struct LoginFields {
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
}

#[derive(Debug, Deserialize)]
pub(crate) struct SignupFields {
    #[serde(default)]
    name: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    timezone: String,
}

/// `GET /`: the chat for people who are signed in, the login page for everyone else.
pub(crate) async fn home(MaybeSession(session): MaybeSession) -> Response {
    redirect(if session.is_some() { urls::CHAT } else { urls::LOGIN })
}

/// `GET /login`. An expired session lands here with `?expired=1`; its cookie is dropped.
pub(crate) async fn login_page(
    csrf: CsrfToken,
    State(cookies): State<CookiePolicy>,
    MaybeSession(session): MaybeSession,
    Query(notice): Query<LoginNotice>,
) -> Response {
    if notice.expired.is_some() {
        let layout = Layout::new(&csrf, false, Nav::Login).with_flash("Your session has expired. Please log in again.");
        let page = LoginPage {
            layout,
            form: AuthForm::default(),
        };
        return (CookieJar::new().add(cookies.removal(CookieName::Session)), page).into_response();
    }
    if session.is_some() {
        return redirect(urls::CHAT);
    }
    let mut layout = Layout::new(&csrf, false, Nav::Login);
    match notice.logged_out.as_deref() {
        Some(EVERYWHERE) => layout = layout.with_flash("You have been logged out on every device."),
        Some(_) => layout = layout.with_flash("You have been logged out."),
        None => {}
    }
    LoginPage {
        layout,
        form: AuthForm::default(),
    }
    .into_response()
}

/// `POST /login`.
pub(crate) async fn login(
    State(backend): State<BackendClient>,
    caller: Caller,
    csrf: CsrfToken,
    State(cookies): State<CookiePolicy>,
    Form(fields): Form<LoginFields>,
) -> Result<Response> {
    let mut form = AuthForm {
        email: fields.email.trim().to_owned(),
        ..AuthForm::default()
    };
    if form.email.is_empty() {
        form.errors.insert("email".into(), "Enter your email address.".into());
    }
    if fields.password.is_empty() {
        form.errors.insert("password".into(), "Enter your password.".into());
    }
    if form.errors.is_empty() {
        let body = LoginRequest {
            email: &form.email,
            password: &fields.password,
        };
        match backend.login(&caller, &body).await {
            Ok(token) => return Ok(signed_in(&cookies, &token)),
            Err(Error::Backend { status, message, .. }) => {
                form.problem = Some(match status {
                    StatusCode::UNAUTHORIZED => "Email or password is incorrect.".to_owned(),
                    _ => sentence(&message),
                });
            }
            Err(err) => return Err(err),
        }
    }
    let page = LoginPage {
        layout: Layout::new(&csrf, false, Nav::Login),
        form,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `GET /signup`.
pub(crate) async fn signup_page(csrf: CsrfToken, MaybeSession(session): MaybeSession) -> Response {
    if session.is_some() {
        return redirect(urls::CHAT);
    }
    SignupPage {
        layout: Layout::new(&csrf, false, Nav::Signup),
        form: AuthForm::default(),
    }
    .into_response()
}

/// `POST /signup`: the backend validates; its field errors appear next to the fields.
pub(crate) async fn signup(
    State(backend): State<BackendClient>,
    caller: Caller,
    csrf: CsrfToken,
    State(cookies): State<CookiePolicy>,
    Form(fields): Form<SignupFields>,
) -> Result<Response> {
    let mut form = AuthForm {
        name: fields.name.trim().to_owned(),
        email: fields.email.trim().to_owned(),
        timezone: fields.timezone.trim().to_owned(),
        ..AuthForm::default()
    };
    let body = SignupRequest {
        email: &form.email,
        password: &fields.password,
        name: Some(form.name.as_str()).filter(|n| !n.is_empty()),
        timezone: Some(form.timezone.as_str()).filter(|t| !t.is_empty()),
    };
    match backend.signup(&caller, &body).await {
        Ok(token) => return Ok(signed_in(&cookies, &token)),
        Err(Error::Backend {
            status,
            message,
            fields,
            ..
        }) => {
            if status == StatusCode::CONFLICT {
                form.errors
                    .insert("email".into(), "An account with this email already exists.".into());
            } else if fields.is_empty() {
                form.problem = Some(sentence(&message));
            } else {
                form.errors = fields
                    .into_iter()
                    .map(|(name, problem)| (name, sentence(&problem)))
                    .collect();
            }
        }
        Err(err) => return Err(err),
    }
    let page = SignupPage {
        layout: Layout::new(&csrf, false, Nav::Signup),
        form,
    };
    Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
}

/// `?logged_out=` value of a logout from every device.
const EVERYWHERE: &str = "everywhere";

/// `POST /logout`: ends the session at the backend (its token is refused from now on, by every
/// replica), forgets the cookie and starts a new CSRF nonce.
pub(crate) async fn logout(
    State(backend): State<BackendClient>,
    State(cookies): State<CookiePolicy>,
    caller: Caller,
    MaybeSession(session): MaybeSession,
) -> Response {
    if let Some(session) = session {
        match backend.logout(&caller, &session).await {
            // Already ended (elsewhere, or expired): nothing left to end.
            Ok(()) | Err(Error::SessionExpired) => {}
            // The cookie goes anyway; the token then lives until it expires.
            Err(err) => tracing::warn!(error = %err, "could not end the session at the backend"),
        }
    }
    signed_out(&cookies, "1")
}

/// `POST /logout/everywhere`: ends every session of the user, on every device.
pub(crate) async fn logout_everywhere(
    State(backend): State<BackendClient>,
    State(cookies): State<CookiePolicy>,
    caller: Caller,
    MaybeSession(session): MaybeSession,
) -> Result<Response> {
    let Some(session) = session else {
        return Err(Error::LoginRequired);
    };
    backend.logout_everywhere(&caller, &session).await?;
    Ok(signed_out(&cookies, EVERYWHERE))
}

fn signed_out(cookies: &CookiePolicy, notice: &str) -> Response {
    let jar = CookieJar::new()
        .add(cookies.removal(CookieName::Session))
        .add(fresh_nonce(cookies));
    (jar, redirect(&format!("{}?logged_out={notice}", urls::LOGIN))).into_response()
}

/// Sets the session cookie to live exactly as long as the token, starts a new CSRF nonce (no
/// token shown before signing in works after it) and goes to the chat.
fn signed_in(cookies: &CookiePolicy, token: &AuthToken) -> Response {
    let max_age = (token.expires_at - chrono::Utc::now()).num_seconds().max(0);
    let mut session = cookies.cookie(CookieName::Session, token.token.clone());
    session.set_max_age(time::Duration::seconds(max_age));
    let jar = CookieJar::new().add(session).add(fresh_nonce(cookies));
    (jar, redirect(urls::CHAT)).into_response()
}

/// "must be at least 8 characters" → "Must be at least 8 characters."
fn sentence(text: &str) -> String {
    let mut chars = text.trim().chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}
