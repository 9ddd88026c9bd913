//! Quotas on what one user may make the backend do: tool calls per chat turn, tasks kept, chat
//! turns per minute. Over a quota is a 429 `quota_exceeded` whose message says which limit was hit
//! (a chat tool reads the same sentence as its error instead). The turn rate is counted in process
//! memory, so with N replicas a user gets at most N times it; the other two are exact per turn and
//! per account.

use std::{num::NonZeroU32, sync::Arc, time::Duration};

use clap::Args;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter, clock::Clock, clock::DefaultClock};
use uuid::Uuid;

use crate::error::{Error, Result};

const DEFAULT_ACTIONS_PER_TURN: u32 = 50;
const DEFAULT_TASKS_PER_USER: u32 = 10_000;
const DEFAULT_CHAT_TURNS_PER_MINUTE: u32 = 20;

/// The quota settings (flattened into the backend's `Config`).
#[derive(Debug, Clone, Copy, Args)]
pub(crate) struct Quotas {
    /// Tool calls one chat turn may make; further calls are refused and the turn says so.
    #[arg(long = "quota-actions-per-turn", env = "QUOTA_ACTIONS_PER_TURN", default_value_t = DEFAULT_ACTIONS_PER_TURN,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub actions_per_turn: u32,

    /// Tasks one account may keep; 0 = no limit.
    #[arg(long = "quota-tasks-per-user", env = "QUOTA_TASKS_PER_USER", default_value_t = DEFAULT_TASKS_PER_USER)]
    pub tasks_per_user: u32,

    /// Chat turns one user may start per minute (per replica), all at once or spread out; 0 = no limit.
    #[arg(long = "quota-chat-turns-per-minute", env = "QUOTA_CHAT_TURNS_PER_MINUTE", default_value_t = DEFAULT_CHAT_TURNS_PER_MINUTE)]
    pub chat_turns_per_minute: u32,
}

impl Default for Quotas {
    fn default() -> Self {
        Self {
            actions_per_turn: DEFAULT_ACTIONS_PER_TURN,
            tasks_per_user: DEFAULT_TASKS_PER_USER,
            chat_turns_per_minute: DEFAULT_CHAT_TURNS_PER_MINUTE,
        }
    }
}

impl Quotas {
    /// The most tasks an account may keep, or `None` for no limit.
    pub(crate) fn max_tasks(&self) -> Option<i64> {
        (self.tasks_per_user > 0).then_some(i64::from(self.tasks_per_user))
    }

    /// The error for a create that would exceed [`Quotas::max_tasks`].
    pub(crate) fn too_many_tasks(max: i64) -> Error {
        Error::QuotaExceeded {
            message: format!("you already have {max} tasks, the most one account may keep; delete some to add more"),
            retry_after_secs: None,
        }
    }

    /// What a tool call over [`Quotas::actions_per_turn`] answers.
    pub(crate) fn too_many_actions(&self) -> String {
        format!(
            "this message already made {} tool calls, the most one message may make; nothing more was done — \
             tell the user to send another message to go on",
            self.actions_per_turn
        )
    }
}

/// The quotas as the app holds them: the settings, and the count of chat turns per user per minute.
#[derive(Debug, Clone)]
pub(crate) struct UserQuotas {
    pub settings: Quotas,
    chat_turns: Option<Arc<DefaultKeyedRateLimiter<Uuid>>>,
}

impl UserQuotas {
    pub(crate) fn new(settings: Quotas) -> Self {
        let chat_turns = NonZeroU32::new(settings.chat_turns_per_minute)
            .map(|per_minute| Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))));
        Self { settings, chat_turns }
    }

    /// Counts one chat turn of `user_id`.
    pub(crate) fn check_chat_turn(&self, user_id: Uuid) -> Result<()> {
        let Some(limiter) = &self.chat_turns else {
            return Ok(());
        };
        let now = DefaultClock::default().now();
        limiter.check_key(&user_id).map_err(|not_until| {
            let wait = not_until.wait_time_from(now).max(Duration::from_secs(1));
            Error::QuotaExceeded {
                message: format!(
                    "too many chat messages in the last minute; try again in {} seconds",
                    wait.as_secs()
                ),
                retry_after_secs: Some(wait.as_secs()),
            }
        })
    }

    /// Forgets users whose quota has fully recovered, so memory stays bounded.
    pub(crate) fn purge(&self) {
        if let Some(limiter) = &self.chat_turns {
            limiter.retain_recent();
            limiter.shrink_to_fit();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quotas(chat_turns_per_minute: u32) -> Quotas {
        Quotas {
            chat_turns_per_minute,
            ..Quotas::default()
        }
    }

    #[test]
    fn turns_are_counted_per_user() {
        let throttle = UserQuotas::new(quotas(2));
        let (alice, bob) = (Uuid::new_v4(), Uuid::new_v4());
        assert!(throttle.check_chat_turn(alice).is_ok());
        assert!(throttle.check_chat_turn(alice).is_ok());
        let err = throttle.check_chat_turn(alice).unwrap_err();
        assert!(matches!(err, Error::QuotaExceeded { retry_after_secs: Some(secs), .. } if (1..=60).contains(&secs)));
        assert!(throttle.check_chat_turn(bob).is_ok());
    }

    #[test]
    fn zero_means_no_limit() {
        let throttle = UserQuotas::new(quotas(0));
        let user = Uuid::new_v4();
        assert!((0..1000).all(|_| throttle.check_chat_turn(user).is_ok()));
        assert_eq!(
            Quotas {
                tasks_per_user: 0,
                ..Quotas::default()
            }
            .max_tasks(),
            None
        );
    }
}
