//! Password hashing with argon2id, in PHC string format, with OWASP's 7 MiB parameter set
//! (m=7168 KiB, t=5, p=1): the Password Storage Cheat Sheet lists it beside the crate's default of
//! 19 MiB and two passes as giving the same defence, trading memory for passes. Memory is what
//! bounds a replica (its limit in the chart, and the benchmark's 40 MiB), so the smaller set is
//! used; a stored hash with other parameters still verifies, and is replaced at its next login.
//!
//! Allocating the working memory per hash made glibc keep freed buffers around (1.4 GiB resident
//! after a burst of 400 signups, see docs/benchmarks.md), so a few buffers are allocated once and
//! reused, and at most that many hashes run at once: one per core the process may use (argon2 is
//! pure CPU work; more at once would only add memory). The ceiling is slots × 7 MiB.
//!
//! Logins and signups queue separately, each queue bounded, and signups never take every slot.

use std::{
    num::NonZeroUsize,
    sync::{
        LazyLock, Mutex, PoisonError,
        atomic::{AtomicUsize, Ordering},
    },
};

use argon2::{
    Algorithm, Argon2, Block, Params, Version,
    password_hash::{self, Output, ParamsString, PasswordHash, Salt, SaltString, rand_core::OsRng},
};
use tokio::sync::Semaphore;

use crate::error::{Error, Result};

/// Working memory of a new hash, in KiB, and its passes over it.
const MEMORY_KIB: u32 = 7 * 1024;
const PASSES: u32 = 5;
/// Hashes running at once: the cores the process may use (`available_parallelism` follows the
/// container's CPU quota), at least two so that signups never hold every slot, at most four.
static SLOTS: LazyLock<usize> = LazyLock::new(|| {
    std::thread::available_parallelism()
        .map_or(2, NonZeroUsize::get)
        .clamp(2, 4)
});
static HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(*SLOTS));
/// Signups may hold only half of the slots, so logins always find one (a signup flood used to
/// make every login wait for minutes).
static SIGNUP_HASHING: LazyLock<Semaphore> = LazyLock::new(|| Semaphore::new(*SLOTS / 2));
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

/// The parameters of a new hash.
fn current_params() -> Params {
    Params::new(MEMORY_KIB, PASSES, 1, None).unwrap_or_default()
}

/// A new PHC string (`$argon2id$v=19$m=7168,t=5,p=1$salt$hash`) for `password`, for `purpose`'s
/// queue: a signup's, or a login's replacing a hash with older parameters.
pub(crate) async fn hash(password: String, purpose: Purpose) -> Result<String> {
    run_bounded(purpose, move || {
        let salt = SaltString::generate(&mut OsRng);
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, current_params());
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

/// What checking a password found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verdict {
    Wrong,
    Right,
    /// Right, and the stored hash was made with other parameters than a new one would be.
    RightButOutdated,
}

/// Checks a password against a stored hash. With no stored hash (unknown email) a dummy hash is
/// verified anyway so that response time does not reveal which emails have accounts.
pub(crate) async fn verify(password: String, stored: Option<String>) -> Result<Verdict> {
    run_bounded(Purpose::Login, move || {
        let known = stored.is_some();
        let stored = stored.as_deref().unwrap_or(DUMMY_HASH);
        let expected = PasswordHash::new(stored).map_err(internal)?;
        let algorithm = Algorithm::try_from(expected.algorithm).map_err(internal)?;
        let version = Version::try_from(expected.version.unwrap_or_default()).map_err(internal)?;
        let stored_params = Params::try_from(&expected).map_err(internal)?;
        let current = current_params();
        let outdated = (algorithm, version) != (Algorithm::Argon2id, Version::V0x13)
            || (stored_params.m_cost(), stored_params.t_cost(), stored_params.p_cost())
                != (current.m_cost(), current.t_cost(), current.p_cost());
        let argon2 = Argon2::new(algorithm, version, stored_params);
        let salt = expected.salt.ok_or_else(|| internal("stored hash has no salt"))?;
        let computed = compute(&argon2, password.as_bytes(), salt).map_err(internal)?;
        // `Output` compares in constant time.
        Ok(match known && expected.hash == Some(computed) {
            false => Verdict::Wrong,
            true if outdated => Verdict::RightButOutdated,
            true => Verdict::Right,
        })
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
    // A buffer grown for an older, larger hash is freed rather than kept for good.
    if memory.len() <= current_params().block_count() {
        SPARE_MEMORY.lock().unwrap_or_else(PoisonError::into_inner).push(memory);
    }
    output
}

fn internal(err: impl std::fmt::Display) -> Error {
    Error::Internal(anyhow::anyhow!("password hashing: {err}"))
}

/// argon2id hash of a random string nobody knows, with the parameters of a new hash.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=7168,t=5,p=1$c29tZXNhbHRzb21lc2FsdA$1B5w8kb8nQ2nBfcBHZCEmJkQmNn7F3o6dZ2l6M7rJ9Q";

#[cfg(test)]
mod tests {
    use argon2::{PasswordHasher, PasswordVerifier};

    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let stored = hash("correct horse".into(), Purpose::Signup).await.unwrap();
        assert!(stored.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"));
        assert_eq!(
            verify("correct horse".into(), Some(stored.clone())).await.unwrap(),
            Verdict::Right
        );
        assert_eq!(
            verify("wrong horse".into(), Some(stored)).await.unwrap(),
            Verdict::Wrong
        );
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
        assert_eq!(verify("anything".into(), None).await.unwrap(), Verdict::Wrong);
    }

    #[tokio::test]
    async fn interoperates_with_the_reference_implementation() {
        // Ours verifies the crate's own PHC strings (its default parameters, 19 MiB and two passes,
        // are those of hashes stored before the 7 MiB set), and the crate verifies ours.
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default()
            .hash_password(b"interop password", &salt)
            .unwrap()
            .to_string();
        assert_eq!(
            verify("interop password".into(), Some(theirs.clone())).await.unwrap(),
            Verdict::RightButOutdated
        );
        assert_eq!(
            verify("other password".into(), Some(theirs)).await.unwrap(),
            Verdict::Wrong
        );
        let ours = hash("interop password".into(), Purpose::Signup).await.unwrap();
        let parsed = PasswordHash::new(&ours).unwrap();
        assert!(Argon2::default().verify_password(b"interop password", &parsed).is_ok());
        assert!(Argon2::default().verify_password(b"other password", &parsed).is_err());
    }
}
