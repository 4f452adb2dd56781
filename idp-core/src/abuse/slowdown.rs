//! The slowdown for a whole account or client: once it has `threshold`
//! recent failures, summed over every address, each attempt on it waits
//! before its password or secret is checked, 100 ms at first, doubling
//! with each further failure, up to the configured maximum (2 s by default). The provider waits it
//! through the host's sleep hook ([`crate::Provider::with_sleep`]).
//! Failures are remembered for the longest lockout after the last one.
//!
//! A slowdown, not a lockout: failures from other addresses must never
//! refuse the right password or secret, or anyone who knows a `client_id`
//! or an email could lock its owner out (issue 12, defect 6). The refusal
//! stays with the pair (subject, address) that failed.
//!
//! Every attempt waits, the right one too, and before the check: a delay
//! given only to failures would make a quick answer mean "right secret",
//! and an attacker would simply stop waiting after a few milliseconds. The
//! cost for the real user during an attack is at most the maximum delay per
//! attempt; with nothing failed, the cost is one atomic load.

use super::failures::FailureTracker;
use std::time::{Duration, Instant};

/// The first delay, when a subject reaches its threshold.
const FIRST_DELAY: Duration = Duration::from_millis(100);

/// The wait of an attempt on a subject with `failures` recent failures:
/// none below `threshold`, then 100 ms doubling per further failure, at
/// most `max`. Shared with the database-backed counters
/// ([`super::shared`]).
pub(crate) fn delay(failures: u32, threshold: u32, max: Duration) -> Duration {
    let Some(over) = failures.checked_sub(threshold) else {
        return Duration::ZERO;
    };
    let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
    FIRST_DELAY.saturating_mul(factor).min(max)
}

/// Recent failures per account or client, and the delay they impose.
pub struct Slowdown {
    failures: FailureTracker,
    threshold: u32,
    max: Duration,
}

impl Slowdown {
    /// Slows a subject down after `threshold` recent failures, by at most
    /// `max`, remembering failures for `memory`; `None` when either
    /// `threshold` or `max` is zero.
    pub fn new(threshold: u32, max: Duration, memory: Duration) -> Option<Self> {
        (threshold > 0 && !max.is_zero()).then(|| Self {
            failures: FailureTracker::counter(memory),
            threshold,
            max,
        })
    }

    /// Whether no subject has failures.
    pub fn is_empty(&self) -> bool {
        self.failures.is_empty()
    }

    /// How long an attempt on `key` waits now.
    pub fn delay(&self, key: u64, now: Instant) -> Duration {
        delay(self.failures.recent(key, now), self.threshold, self.max)
    }

    /// Counts a failure of `key`.
    pub fn fail(&self, key: u64, now: Instant) {
        self.failures.fail(key, now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn grows_from_the_threshold_to_the_maximum_and_is_forgotten() {
        let Some(s) = Slowdown::new(3, 2 * S, 60 * S) else {
            panic!("enabled")
        };
        let now = Instant::now();
        let delays: Vec<u128> = (0..10)
            .map(|_| {
                let d = s.delay(1, now).as_millis();
                s.fail(1, now);
                d
            })
            .collect();
        assert_eq!(delays, [0, 0, 0, 100, 200, 400, 800, 1600, 2000, 2000]);
        assert_eq!(s.delay(2, now), Duration::ZERO, "other keys are not slowed");
        assert_eq!(s.delay(1, now + 60 * S), Duration::ZERO);
    }

    #[test]
    fn zero_disables() {
        assert!(Slowdown::new(0, S, S).is_none());
        assert!(Slowdown::new(3, Duration::ZERO, S).is_none());
    }
}
