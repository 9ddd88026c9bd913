//! Throttles on the account routes (governor's keyed GCRA limiters): login per client and per
//! account-and-client, signup per client.
//!
//! A client is its address as `service_kit::client` finds it behind the trusted proxies, an IPv6
//! client its /64. Login attempts on one account are counted per client, so a burst of bad guesses
//! from elsewhere cannot lock the owner out; guessing from many clients is bounded by each
//! client's own quota and by the cost of argon2. State lives in process memory, so each replica
//! counts on its own: with N replicas a client gets at most N times the quota.

use std::{net::IpAddr, num::NonZeroU32, sync::Arc, time::Duration};

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock, clock::DefaultClock};
use service_kit::client::limit_key;

use super::input::MAX_EMAIL_CHARS;
use crate::error::{Error, Result};

/// Login attempts on one account from one client in a burst, then one more every period.
const ACCOUNT_BURST: u32 = 10;
const ACCOUNT_PERIOD: Duration = Duration::from_secs(30);
/// Login attempts from one client (any accounts) in a burst, then one more every period.
const CLIENT_BURST: u32 = 30;
const CLIENT_PERIOD: Duration = Duration::from_secs(2);

/// How many signups one client may make: `burst` at once, then one per `interval`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SignupQuota {
    pub burst: u32,
    pub interval: Duration,
}

#[derive(Debug, Clone)]
pub(crate) struct Throttles {
    login_by_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
    login_by_account: Arc<DefaultKeyedRateLimiter<(String, Option<IpAddr>)>>,
    signup_by_client: Arc<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Throttles {
    pub(crate) fn new(signup: SignupQuota) -> Self {
        Self::with_login_quotas(signup, (ACCOUNT_BURST, ACCOUNT_PERIOD), (CLIENT_BURST, CLIENT_PERIOD))
    }

    fn with_login_quotas(signup: SignupQuota, account: (u32, Duration), client: (u32, Duration)) -> Self {
        Self {
            login_by_client: Arc::new(RateLimiter::keyed(quota(client.0, client.1))),
            login_by_account: Arc::new(RateLimiter::keyed(quota(account.0, account.1))),
            signup_by_client: Arc::new(RateLimiter::keyed(quota(signup.burst, signup.interval))),
        }
    }

    /// Counts one login attempt on `email` (normalised) from `client`; `Err(TooManyRequests)`
    /// when the client or the account-from-this-client is over its quota.
    pub(crate) fn check_login(&self, email: &str, client: Option<IpAddr>) -> Result<()> {
        let client = client.map(limit_key);
        if let Some(client) = client {
            check(&self.login_by_client, &client)?;
        }
        // No account has a longer email, and the key's size stays bounded whatever is sent.
        let account: String = email.chars().take(MAX_EMAIL_CHARS).collect();
        check(&self.login_by_account, &(account, client))
    }

    /// Counts one signup from `client`.
    pub(crate) fn check_signup(&self, client: Option<IpAddr>) -> Result<()> {
        match client {
            Some(client) => check(&self.signup_by_client, &limit_key(client)),
            None => Ok(()),
        }
    }

    /// Forgets keys whose quota has fully recovered, so memory stays bounded.
    pub(crate) fn purge(&self) {
        self.login_by_client.retain_recent();
        self.login_by_account.retain_recent();
        self.signup_by_client.retain_recent();
        self.login_by_client.shrink_to_fit();
        self.login_by_account.shrink_to_fit();
        self.signup_by_client.shrink_to_fit();
    }
}

fn check<K: std::hash::Hash + Eq + Clone>(limiter: &DefaultKeyedRateLimiter<K>, key: &K) -> Result<()> {
    let now = DefaultClock::default().now();
    limiter.check_key(key).map_err(|not_until| Error::TooManyRequests {
        retry_after_secs: not_until.wait_time_from(now).as_secs().max(1),
    })
}

fn quota(burst: u32, period: Duration) -> Quota {
    let burst = NonZeroU32::new(burst.max(1)).unwrap_or(NonZeroU32::MIN);
    Quota::with_period(period)
        .unwrap_or_else(|| Quota::per_second(NonZeroU32::MIN))
        .allow_burst(burst)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SIGNUPS: SignupQuota = SignupQuota {
        burst: 2,
        interval: Duration::from_secs(60),
    };

    fn throttles(account_burst: u32, client_burst: u32) -> Throttles {
        let minute = Duration::from_secs(60);
        Throttles::with_login_quotas(SIGNUPS, (account_burst, minute), (client_burst, minute))
    }

    fn ip(text: &str) -> Option<IpAddr> {
        Some(text.parse().unwrap())
    }

    #[test]
    fn guesses_on_an_account_lock_only_the_guessing_client() {
        let throttles = throttles(2, 100);
        let attacker = ip("198.51.100.7");
        assert!(throttles.check_login("a@example.com", attacker).is_ok());
        assert!(throttles.check_login("a@example.com", attacker).is_ok());
        let err = throttles.check_login("a@example.com", attacker).unwrap_err();
        assert!(matches!(err, Error::TooManyRequests { retry_after_secs } if retry_after_secs >= 1));
        assert!(
            throttles.check_login("b@example.com", attacker).is_ok(),
            "other accounts"
        );
        assert!(
            throttles.check_login("a@example.com", ip("203.0.113.5")).is_ok(),
            "the owner elsewhere"
        );
    }

    #[test]
    fn client_quota_spans_accounts_and_an_ipv6_client_is_its_64() {
        let throttles = throttles(100, 2);
        assert!(throttles.check_login("a@example.com", ip("2001:db8:1:2::1")).is_ok());
        assert!(throttles.check_login("b@example.com", ip("2001:db8:1:2::2")).is_ok());
        assert!(
            throttles
                .check_login("c@example.com", ip("2001:db8:1:2:ffff::9"))
                .is_err()
        );
        assert!(throttles.check_login("c@example.com", ip("2001:db8:1:3::1")).is_ok());
    }

    #[test]
    fn huge_emails_share_one_bounded_key() {
        let throttles = throttles(1, 100);
        let client = ip("198.51.100.8");
        let long = "x".repeat(MAX_EMAIL_CHARS);
        assert!(throttles.check_login(&format!("{long}a"), client).is_ok());
        assert!(throttles.check_login(&format!("{long}b"), client).is_err());
    }

    #[test]
    fn signups_are_counted_per_client() {
        let throttles = throttles(10, 10);
        let client = ip("198.51.100.9");
        assert!(throttles.check_signup(client).is_ok());
        assert!(throttles.check_signup(client).is_ok());
        assert!(throttles.check_signup(client).is_err());
        assert!(throttles.check_signup(ip("198.51.100.10")).is_ok());
    }
}
