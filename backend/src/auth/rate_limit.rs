//! Login throttling per email and per client address (governor's keyed GCRA limiters).
//!
//! State lives in process memory, so each replica counts on its own; with N replicas an attacker
//! gets at most N times the quota, which still makes online guessing impractical.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock, clock::DefaultClock};

use crate::error::{Error, Result};

/// Attempts allowed in a burst per email, then one more every `EMAIL_PERIOD`.
const EMAIL_BURST: u32 = 10;
const EMAIL_PERIOD: Duration = Duration::from_secs(30);
/// Attempts allowed in a burst per client address, then one more every `CLIENT_PERIOD`.
const CLIENT_BURST: u32 = 30;
const CLIENT_PERIOD: Duration = Duration::from_secs(2);

#[derive(Debug, Clone)]
pub(crate) struct LoginLimiter {
    by_email: Arc<DefaultKeyedRateLimiter<String>>,
    by_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Default for LoginLimiter {
    fn default() -> Self {
        Self::new(EMAIL_BURST, EMAIL_PERIOD, CLIENT_BURST, CLIENT_PERIOD)
    }
}

impl LoginLimiter {
    pub(crate) fn new(email_burst: u32, email_period: Duration, client_burst: u32, client_period: Duration) -> Self {
        Self {
            by_email: Arc::new(RateLimiter::keyed(quota(email_burst, email_period))),
            by_client: Arc::new(RateLimiter::keyed(quota(client_burst, client_period))),
        }
    }

    /// Counts one login attempt; `Err(TooManyRequests)` when either key is over its quota.
    pub(crate) fn check(&self, email: &str, client: Option<IpAddr>) -> Result<()> {
        let clock = DefaultClock::default();
        let now = clock.now();
        if let Some(client) = client
            && let Err(not_until) = self.by_client.check_key(&client)
        {
            return Err(too_many(not_until.wait_time_from(now)));
        }
        if let Err(not_until) = self.by_email.check_key(&email.to_owned()) {
            return Err(too_many(not_until.wait_time_from(now)));
        }
        Ok(())
    }

    /// Forgets keys whose quota has fully recovered, so memory stays bounded.
    pub(crate) fn purge(&self) {
        self.by_email.retain_recent();
        self.by_client.retain_recent();
        self.by_email.shrink_to_fit();
        self.by_client.shrink_to_fit();
    }
}

fn quota(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

fn too_many(wait: Duration) -> Error {
    Error::TooManyRequests {
        retry_after_secs: wait.as_secs().max(1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn email_quota_is_separate_from_client_quota() {
        let limiter = LoginLimiter::new(2, Duration::from_secs(60), 100, Duration::from_secs(60));
        let client = Some(IpAddr::from([10, 0, 0, 1]));
        assert!(limiter.check("a@example.com", client).is_ok());
        assert!(limiter.check("a@example.com", client).is_ok());
        let err = limiter.check("a@example.com", client).unwrap_err();
        assert!(matches!(err, Error::TooManyRequests { retry_after_secs } if retry_after_secs >= 1));
        assert!(limiter.check("b@example.com", client).is_ok());
    }

    #[test]
    fn client_quota_spans_emails() {
        let limiter = LoginLimiter::new(100, Duration::from_secs(60), 2, Duration::from_secs(60));
        let client = Some(IpAddr::from([10, 0, 0, 2]));
        assert!(limiter.check("a@example.com", client).is_ok());
        assert!(limiter.check("b@example.com", client).is_ok());
        assert!(limiter.check("c@example.com", client).is_err());
        assert!(
            limiter
                .check("c@example.com", Some(IpAddr::from([10, 0, 0, 3])))
                .is_ok()
        );
    }
}
