//! The token itself: 32 random bytes behind a fixed prefix, and the digest that is stored instead.
//!
//! The prefix lets the auth extractor tell an access token from a session JWT without trying both,
//! and lets secret scanners recognise a leaked one. The digest is plain SHA-256: the token has 256
//! bits of entropy, so there is nothing to guess and nothing a salt or a slow hash would protect,
//! while every MCP call pays for the lookup.

use base64::Engine;
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// Every access token starts with this.
pub(crate) const PREFIX: &str = "todo_pat_";
const RANDOM_BYTES: usize = 32;
/// Random characters kept in the shown prefix: enough to tell tokens apart, far too few to use one.
const SHOWN_RANDOM_CHARS: usize = 4;

/// A freshly generated token: the secret (shown once), its digest and the part that may be shown again.
#[derive(Debug)]
pub(crate) struct NewSecret {
    pub token: SecretString,
    pub digest: [u8; 32],
    pub shown_prefix: String,
}

/// A new random token from the operating system's generator.
pub(crate) fn generate() -> Result<NewSecret> {
    let mut random = [0_u8; RANDOM_BYTES];
    getrandom::fill(&mut random).map_err(|err| Error::Internal(anyhow::anyhow!("no randomness: {err}")))?;
    let encoded = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random);
    let token = format!("{PREFIX}{encoded}");
    let shown_prefix = token[..PREFIX.len() + SHOWN_RANDOM_CHARS].to_owned();
    Ok(NewSecret {
        digest: digest(&token),
        token: SecretString::from(token),
        shown_prefix,
    })
}

/// Whether a bearer credential is an access token (rather than a session token).
pub(crate) fn is_access_token(bearer: &str) -> bool {
    bearer.starts_with(PREFIX)
}

/// What the database stores and looks tokens up by.
pub(crate) fn digest(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

impl NewSecret {
    pub(crate) fn expose(&self) -> &str {
        self.token.expose_secret()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_prefixed_random_and_hashed() {
        let first = generate().unwrap();
        let second = generate().unwrap();
        assert!(is_access_token(first.expose()));
        assert_eq!(
            first.expose().len(),
            PREFIX.len() + 43,
            "32 bytes in unpadded base64url"
        );
        assert_ne!(first.expose(), second.expose());
        assert_eq!(first.digest, digest(first.expose()));
        assert!(first.expose().starts_with(&first.shown_prefix));
        assert_eq!(first.shown_prefix.len(), PREFIX.len() + SHOWN_RANDOM_CHARS);
        assert!(!is_access_token("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    }
}
