//! Password hashing with argon2id (the crate's defaults follow the OWASP recommendation: 19 MiB,
//! two passes), in PHC string format.
//!
//! Memory is the constraint: each hash needs 19 MiB of working memory. Allocating it per hash made
//! glibc keep freed buffers around (1.4 GiB resident after a burst of 400 signups, see
//! docs/benchmarks.md), so a few buffers are allocated once and reused, and at most that many
//! hashes run at once. The ceiling is `MAX_CONCURRENT_HASHES` × 19 MiB whatever the allocator.
//!
//! Logins and signups queue separately, each queue bounded, and signups never take every slot.

use std::sync::{
    Mutex, PoisonError,
    atomic::{AtomicUsize, Ordering},
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Hashes running at once.
const MAX_CONCURRENT_HASHES: usize = 4;
static HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_HASHES);
/// Signups may hold only some of the slots, so logins always find one (a signup flood used to
/// make every login wait for minutes).
const MAX_CONCURRENT_SIGNUP_HASHES: usize = 2;
static SIGNUP_HASHING: Semaphore = Semaphore::const_new(MAX_CONCURRENT_SIGNUP_HASHES);
/// Requests of one kind that may wait for a slot; one more is told at once to come back later
/// instead of waiting for the request timeout. At ~50 ms a hash this is well under a second.
const MAX_WAITING: usize = 32;
static QUEUES: Queues = Queues::new(MAX_WAITING);
/// What a request told to come back later is asked to wait, in seconds.
const RETRY_AFTER_SECS: u64 = 1;
/// Working memory returned by finished hashes, at most one buffer per permit of `HASHING`.
static SPARE_MEMORY: Mutex<Vec<Vec<Block>>> = Mutex::new(Vec::new());

/// Why a hash is computed; each kind queues on its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Purpose {
    Login = 0,
    Signup = 1,
}

/// How many requests of each purpose wait for a slot.
struct Queues {
    waiting: [AtomicUsize; 2],
    max_waiting: usize,
}

impl Queues {
    const fn new(max_waiting: usize) -> Self {
        Self {
            waiting: [AtomicUsize::new(0), AtomicUsize::new(0)],
            max_waiting,
        }
    }

    /// A place in the queue of `purpose`, or `Busy` when it is full.
    fn join(&self, purpose: Purpose) -> Result<Waiting<'_>> {
        let counter = &self.waiting[purpose as usize];
        if counter.fetch_add(1, Ordering::AcqRel) >= self.max_waiting {
            counter.fetch_sub(1, Ordering::AcqRel);
            return Err(Error::Busy {
                retry_after_secs: RETRY_AFTER_SECS,
            });
        }
        Ok(Waiting(counter))
    }
}

/// A place in a queue, given up when the request gets a slot or goes away.
struct Waiting<'a>(&'a AtomicUsize);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Runs argon2 work on a blocking thread (it would stall the async workers), a few at a time;
/// 503 with `Retry-After` at once when too many requests of this kind already wait.
async fn run_bounded<T: Send + 'static>(
    purpose: Purpose,
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    let waiting = QUEUES.join(purpose)?;
    let class = match purpose {
        Purpose::Signup => Some(
            SIGNUP_HASHING
                .acquire()
                .await
                .map_err(|err| Error::Internal(err.into()))?,
        ),
        Purpose::Login => None,
    };
    let permit = HASHING.acquire().await.map_err(|err| Error::Internal(err.into()))?;
    drop(waiting);
    // The permits live on the blocking thread: if the request is cancelled, the hash still runs to
    // the end and must keep its slot (and its buffer) until then.
    let work = move || {
        let _permits = (permit, class);
        work()
    };
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|err| Error::Internal(err.into()))?
}

/// A new PHC string (`$argon2id$v=19$m=19456,t=2,p=1$salt$hash`) for `password`.
pub(crate) async fn hash(password: String) -> Result<String> {
    run_bounded(Purpose::Signup, move || {
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
    run_bounded(Purpose::Login, move || {
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

    #[test]
    fn a_full_queue_refuses_at_once_and_places_are_given_back() {
        let queues = Queues::new(3);
        let places: Vec<Waiting<'_>> = (0..3).map(|_| queues.join(Purpose::Signup).unwrap()).collect();
        assert!(matches!(
            queues.join(Purpose::Signup),
            Err(Error::Busy {
                retry_after_secs: RETRY_AFTER_SECS
            })
        ));
        assert!(
            queues.join(Purpose::Login).is_ok(),
            "logins wait in a queue of their own"
        );
        drop(places);
        assert!(queues.join(Purpose::Signup).is_ok());
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
