//! Request bodies of the account routes and their validation.

use std::str::FromStr;

use serde::Deserialize;
use utoipa::{
    ToSchema,
    openapi::{Object, ObjectBuilder, schema::SchemaType, schema::Type},
};

use crate::error::{Error, FieldErrors, NUL_PROBLEM, Result};

const MIN_PASSWORD_CHARS: usize = 8;
/// Upper bound so nobody can make the server hash megabytes.
const MAX_PASSWORD_CHARS: usize = 256;
pub(crate) const MAX_EMAIL_CHARS: usize = 254;
const MAX_NAME_CHARS: usize = 100;

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct SignupRequest {
    #[schema(example = "ada@example.com", format = Email, max_length = 254)]
    pub email: String,
    /// 8–256 characters.
    #[schema(example = "correct horse battery", min_length = 8, max_length = 256)]
    pub password: String,
    /// Display name, up to 100 characters.
    #[schema(example = "Ada", max_length = 100, pattern = r"^[^\u0000]*$")]
    pub name: Option<String>,
    /// IANA time zone name; defaults to UTC.
    #[schema(schema_with = timezone_schema)]
    pub timezone: Option<String>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub(super) struct LoginRequest {
    pub email: String,
    pub password: String,
}

/// A signup that passed validation.
#[derive(Debug)]
pub(super) struct NewAccount {
    pub email: String,
    pub password: String,
    pub name: Option<String>,
    pub timezone: String,
}

impl SignupRequest {
    pub(super) fn validate(self) -> Result<NewAccount> {
        let mut problems = FieldErrors::new();
        let email = normalize_email(&self.email);
        if !looks_like_email(&email) {
            problems.insert("email".into(), "must be an email address like name@example.com".into());
        }
        let password_chars = self.password.chars().count();
        if password_chars < MIN_PASSWORD_CHARS {
            problems.insert(
                "password".into(),
                format!("must be at least {MIN_PASSWORD_CHARS} characters"),
            );
        } else if password_chars > MAX_PASSWORD_CHARS {
            problems.insert(
                "password".into(),
                format!("must be at most {MAX_PASSWORD_CHARS} characters"),
            );
        }
        let name = self
            .name
            .map(|name| name.trim().to_owned())
            .filter(|name| !name.is_empty());
        if name.as_ref().is_some_and(|name| name.chars().count() > MAX_NAME_CHARS) {
            problems.insert("name".into(), format!("must be at most {MAX_NAME_CHARS} characters"));
        }
        if name.as_ref().is_some_and(|name| name.contains('\0')) {
            problems.insert("name".into(), NUL_PROBLEM.into());
        }
        let timezone = self
            .timezone
            .map(|tz| tz.trim().to_owned())
            .unwrap_or_else(|| "UTC".into());
        if chrono_tz::Tz::from_str(&timezone).is_err() {
            problems.insert(
                "timezone".into(),
                "must be an IANA time zone name such as Europe/Berlin".into(),
            );
        }
        if !problems.is_empty() {
            return Err(Error::Validation(problems));
        }
        Ok(NewAccount {
            email,
            password: self.password,
            name,
            timezone,
        })
    }
}

/// Every IANA zone name the server knows, so clients can offer exactly the accepted values.
fn timezone_schema() -> Object {
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter([Type::String, Type::Null]))
        .description(Some("IANA time zone name; defaults to UTC."))
        .examples(["Europe/Berlin"])
        .enum_values(Some(
            chrono_tz::TZ_VARIANTS
                .iter()
                .map(|tz| serde_json::Value::from(tz.name()))
                .chain([serde_json::Value::Null]),
        ))
        .build()
}

/// Emails compare case-insensitively: stored and looked up trimmed and lower-cased.
pub(super) fn normalize_email(email: &str) -> String {
    email.trim().to_lowercase()
}

/// A deliberately small check: one `@`, something on each side, a dot in the domain, no spaces.
fn looks_like_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    email.chars().count() <= MAX_EMAIL_CHARS
        && !local.is_empty()
        && !domain.contains('@')
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signup(email: &str, password: &str, timezone: Option<&str>) -> SignupRequest {
        SignupRequest {
            email: email.into(),
            password: password.into(),
            name: None,
            timezone: timezone.map(Into::into),
        }
    }

    #[test]
    fn normalizes_email_and_defaults_timezone() {
        let account = signup("  Ada@Example.COM ", "long enough", None).validate().unwrap();
        assert_eq!(account.email, "ada@example.com");
        assert_eq!(account.timezone, "UTC");
    }

    #[test]
    fn reports_every_bad_field() {
        let Err(Error::Validation(fields)) = signup("not-an-email", "short", Some("Mars/Olympus")).validate() else {
            panic!("expected a validation error");
        };
        assert_eq!(fields.keys().collect::<Vec<_>>(), ["email", "password", "timezone"]);
    }

    #[test]
    fn email_shapes() {
        for good in ["a@b.co", "first.last+tag@sub.example.org"] {
            assert!(looks_like_email(good), "{good}");
        }
        for bad in ["", "@b.co", "a@", "a@b", "a@@b.co", "a b@c.de", "a@.com", "a@com."] {
            assert!(!looks_like_email(bad), "{bad}");
        }
    }
}
