//! Session tokens: JWT HS256 signed with `AUTH_SECRET`, `sub` = user id.

use chrono::{DateTime, Duration, Utc};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::{Error, Result};

/// Signing and verification keys plus token lifetime; built once at start.
pub(crate) struct TokenKeys {
    encoding: EncodingKey,
    decoding: DecodingKey,
    validation: Validation,
    ttl: Duration,
}

impl std::fmt::Debug for TokenKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TokenKeys")
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    iat: i64,
    exp: i64,
}

/// A freshly issued token and when it stops being accepted.
#[derive(Debug)]
pub(crate) struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl TokenKeys {
    pub(crate) fn new(secret: &SecretString, ttl: Duration) -> Self {
        let bytes = secret.expose_secret().as_bytes();
        // Only HS256 is accepted: this rejects `alg: none` and algorithm-confusion tokens.
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_required_spec_claims(&["exp", "sub"]);
        validation.leeway = 5;
        Self {
            encoding: EncodingKey::from_secret(bytes),
            decoding: DecodingKey::from_secret(bytes),
            validation,
            ttl,
        }
    }

    pub(crate) fn issue(&self, user_id: Uuid) -> Result<IssuedToken> {
        self.issue_at(user_id, Utc::now())
    }

    /// Issues a token as if the time were `now`; tests use it to mint expired tokens.
    pub(crate) fn issue_at(&self, user_id: Uuid, now: DateTime<Utc>) -> Result<IssuedToken> {
        let expires_at = now + self.ttl;
        let claims = Claims {
            sub: user_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| Error::Internal(anyhow::anyhow!("signing token: {err}")))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The user id of a valid token; any defect (signature, algorithm, expiry, subject) is 401.
    pub(crate) fn verify(&self, token: &str) -> Result<Uuid> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|err| {
            tracing::debug!(error = %err, "rejected token");
            Error::Unauthenticated
        })?;
        Uuid::parse_str(&data.claims.sub).map_err(|_| Error::Unauthenticated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&SecretString::from("k".repeat(32)), Duration::days(7))
    }

    #[test]
    fn round_trip_gives_back_the_user() {
        let keys = keys();
        let user = Uuid::new_v4();
        let issued = keys.issue(user).unwrap();
        assert_eq!(keys.verify(&issued.token).unwrap(), user);
    }

    #[test]
    fn expired_token_is_rejected() {
        let keys = keys();
        let issued = keys.issue_at(Uuid::new_v4(), Utc::now() - Duration::days(8)).unwrap();
        assert!(matches!(keys.verify(&issued.token), Err(Error::Unauthenticated)));
    }

    #[test]
    fn token_signed_with_another_secret_is_rejected() {
        let other = TokenKeys::new(&SecretString::from("x".repeat(32)), Duration::days(7));
        let issued = other.issue(Uuid::new_v4()).unwrap();
        assert!(matches!(keys().verify(&issued.token), Err(Error::Unauthenticated)));
    }
}
