//! Helpers shared by the frontend's tests: the real backend in this process on a database of its
//! own, the frontend either in-process (`router(state)` driven with `oneshot`) or as its own
//! process, and (with `browser-tests`) headless Chromium.

pub(crate) mod backend;
#[cfg(feature = "browser-tests")]
pub(crate) mod browser;
pub(crate) mod frontend;
#[cfg(feature = "browser-tests")]
pub(crate) mod page;
#[cfg(feature = "browser-tests")]
pub(crate) mod proxy;
#[cfg(feature = "browser-tests")]
pub(crate) mod stack;

/// A unique, valid email for one test user.
pub(crate) fn email(tag: &str) -> String {
    format!("{tag}-{}@example.com", uuid::Uuid::new_v4().simple())
}

pub(crate) const PASSWORD: &str = "correct horse battery";
