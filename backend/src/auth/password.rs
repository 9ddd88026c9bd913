//! Password hashing with argon2id (the crate's defaults follow the OWASP recommendation: 19 MiB,
//! two passes), in PHC string format.
//!
//! Memory is the constraint: each hash needs 19 MiB of working memory. Allocating it per hash made
//! glibc keep freed buffers around (1.4 GiB resident after a burst of 400 signups, see
//! docs/benchmarks.md), so a few buffers are allocated once and reused, and at most that many
//! hashes run at once. The ceiling is `MAX_CONCURRENT_HASHES` × 19 MiB whatever the allocator.

use std::sync::{Mutex, PoisonError};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Hashes running at once; more wait their turn.
const MAX_CONCURRENT_HASHES: usize = 4;
static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);
/// Working memory returned by finished hashes, at most one buffer per permit of `HASHING`.
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Runs argon2 work on a blocking thread (it would stall the async workers), a few at a time.
async fn run_bounded<T: Send + 'static>(work: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    let permit = HASHING.acquire().await.map_err(|err| Error::Internal(err.into()))?;
    // The permit lives on the blocking thread: if the request is cancelled, the hash still runs to
    // the end and must keep its slot (and its buffer) until then.
    let work = move || {
        let _permit = permit;
        work()
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::Internal(err.into()))?
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
pub(crate) async fn hash(password: String) -> Result<String> {
    run_bounded(move || {
        let salt = SaltString::generate(&mut OsRng);
        let argon2 = Argon2::default();
        let output = compute(&argon2, password.as_bytes(), salt.as_salt()).map_err(internal)?;
        let hashed = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(argon2.params()).map_err(internal)?,
            salt: Some(salt.as_salt()),
            hash: Some(output),
        };
        Ok(hashed.to_string())
    })
    .await
}

/// Checks a password against a stored hash. With no stored hash (unknown email) a dummy hash is
/// verified anyway so that response time does not reveal which emails have accounts.
pub(crate) async fn verify(password: String, stored: Option<String>) -> Result<bool> {
    run_bounded(move || {
        let known = stored.is_some();
        let stored = stored.as_deref().unwrap_or(DUMMY_HASH);
        let expected = PasswordHash::new(stored).map_err(internal)?;
        let argon2 = Argon2::new(
            Algorithm::try_from(expected.algorithm).map_err(internal)?,
            Version::try_from(expected.version.unwrap_or_default()).map_err(internal)?,
            Params::try_from(&expected).map_err(internal)?,
        );
        let salt = expected.salt.ok_or_else(|| internal("stored hash has no salt"))?;
        let computed = compute(&argon2, password.as_bytes(), salt).map_err(internal)?;
        // `Output` compares in constant time.
        Ok(known && expected.hash == Some(computed))
    })
    .await
}

/// The raw argon2 output for `password` and `salt`, computed in reused working memory.
fn compute(argon2: &Argon2<'_>, password: &[u8], salt: Salt<'_>) -> password_hash::Result<Output> {
    let mut salt_buffer = [0u8; Salt::MAX_LENGTH];
    let salt_bytes = salt.decode_b64(&mut salt_buffer)?;
    let params = argon2.params();
    let mut memory = SPARE_MEMORY
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .pop()
        .unwrap_or_default();
    // Every block is written before it is read, so a reused buffer needs no clearing.
    memory.resize(params.block_count(), Block::new());
    let output = Output::init_with(params.output_len().unwrap_or(Params::DEFAULT_OUTPUT_LEN), |out| {
        Ok(argon2.hash_password_into_with_memory(password, salt_bytes, out, &mut memory)?)
    });
    SPARE_MEMORY.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
    output
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("password hashing: {err}"))
}

/// argon2id hash of a random string nobody knows, with the default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$1B5w8kb8nQ2nBfcBHZCEmJkQmNn7F3o6dZ2l6M7rJ9Q";

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let stored = hash("correct horse".into()).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
        assert!(verify("correct horse".into(), Some(stored.clone())).await.unwrap());
        assert!(!verify("wrong horse".into(), Some(stored)).await.unwrap());
    }

    #[tokio::test]
    async fn unknown_user_never_verifies() {
        assert!(!verify("anything".into(), None).await.unwrap());
    }

    #[tokio::test]
    async fn interoperates_with_the_reference_implementation() {
        // Ours verifies the crate's own PHC strings, and the crate verifies ours.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"interop password", &salt)
            .unwrap()
            .to_string();
        assert!(verify("interop password".into(), Some(theirs)).await.unwrap());
        let ours = hash("interop password".into()).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"interop password", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"other password", &parsed).is_err());
    }
}
