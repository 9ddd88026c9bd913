//! Session tokens: JWT HS256 signed with `AUTH_SECRET`, `sub` = user id, `sid` = the session row
//! that must still exist for the token to be accepted (see [`super::sessions`]).

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
    sid: String,
    iat: i64,
    exp: i64,
}

/// A freshly issued token and when it stops being accepted.
#[derive(Debug)]
pub(crate) struct IssuedToken {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// What a token with a valid signature says: whose it is and which session it belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionClaims {
    pub user_id: Uuid,
    pub session_id: Uuid,
    /// Unix seconds.
    pub expires_at: i64,
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

    /// When a session starting now ends.
    pub(crate) fn expiry(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        now + self.ttl
    }

    /// A token for `session_id` of `user_id`, valid until `expires_at`.
    pub(crate) fn issue(&self, user_id: Uuid, session_id: Uuid, expires_at: DateTime<Utc>) -> Result<IssuedToken> {
        self.issue_at(user_id, session_id, Utc::now(), expires_at)
    }

    /// Issues a token as if the time were `now`; tests use it to mint expired tokens.
    pub(crate) fn issue_at(
        &self,
        user_id: Uuid,
        session_id: Uuid,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<IssuedToken> {
        let claims = Claims {
            sub: user_id.to_string(),
            sid: session_id.to_string(),
            iat: now.timestamp(),
            exp: expires_at.timestamp(),
        };
        let token = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|err| Error::Internal(anyhow::anyhow!("signing token: {err}")))?;
        Ok(IssuedToken { token, expires_at })
    }

    /// The claims of a well-signed, unexpired token; any defect (signature, algorithm, expiry,
    /// subject, a token from before sessions existed) is 401. Whether its session still exists is
    /// the caller's next question.
    pub(crate) fn verify(&self, token: &str) -> Result<SessionClaims> {
        let data = jsonwebtoken::decode::<Claims>(token, &self.decoding, &self.validation).map_err(|err| {
            tracing::debug!(error = %err, "rejected token");
            Error::Unauthenticated
        })?;
        let parse = |text: &str| Uuid::parse_str(text).map_err(|_| Error::Unauthenticated);
        Ok(SessionClaims {
            user_id: parse(&data.claims.sub)?,
            session_id: parse(&data.claims.sid)?,
            expires_at: data.claims.exp,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> TokenKeys {
        TokenKeys::new(&SecretString::from("k".repeat(32)), Duration::days(7))
    }

    #[test]
    fn round_trip_gives_back_the_user_and_session() {
        let keys = keys();
        let (user, session) = (Uuid::new_v4(), Uuid::new_v4());
        let expires_at = keys.expiry(Utc::now());
        let issued = keys.issue(user, session, expires_at).unwrap();
        let claims = keys.verify(&issued.token).unwrap();
        assert_eq!((claims.user_id, claims.session_id), (user, session));
        assert_eq!(claims.expires_at, expires_at.timestamp());
    }

    #[test]
    fn expired_token_is_rejected() {
        let keys = keys();
        let then = Utc::now() - Duration::days(8);
        let issued = keys
            .issue_at(Uuid::new_v4(), Uuid::new_v4(), then, keys.expiry(then))
            .unwrap();
        assert!(matches!(keys.verify(&issued.token), Err(Error::Unauthenticated)));
    }

    #[test]
    fn token_signed_with_another_secret_is_rejected() {
        let other = TokenKeys::new(&SecretString::from("x".repeat(32)), Duration::days(7));
        let issued = other
            .issue(Uuid::new_v4(), Uuid::new_v4(), other.expiry(Utc::now()))
            .unwrap();
        assert!(matches!(keys().verify(&issued.token), Err(Error::Unauthenticated)));
    }

    #[test]
    fn a_token_without_a_session_is_rejected() {
        // What tokens looked like before sessions could be revoked: valid signature, no `sid`.
        let claims =
            serde_json::json!({"sub": Uuid::new_v4().to_string(), "iat": 0, "exp": Utc::now().timestamp() + 60});
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &claims,
            &EncodingKey::from_secret("k".repeat(32).as_bytes()),
        )
        .unwrap();
        assert!(matches!(keys().verify(&token), Err(Error::Unauthenticated)));
    }
}
