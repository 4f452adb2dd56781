//! Request-rate limits (governor's GCRA, keyed): a steady rate per second
//! with a burst of twice that, so a client that is usually quiet can catch
//! up after a pause without being refused.

use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

/// Keys kept at most. A key whose bucket is full again is indistinguishable
/// from an absent one, so sweeping it (`retain_recent`) loses nothing; the
/// table then holds only keys seen within the last two seconds (a minute
/// for a per-minute gate). If a flood
/// of distinct keys keeps it above this even so, the limit is suspended
/// until the next sweep finds the table drained: a request-rate limit fails
/// open rather than refusing everyone (the failure lockouts, which guard
/// credentials, stay in force).
const CAPACITY: usize = 100_000;
/// Checks between two looks at the table's size (`len` visits every shard).
const SWEEP_EVERY: u32 = 4096;

/// A keyed request-rate limit.
pub struct RateGate {
    limiter: DefaultKeyedRateLimiter<u64>,
    checks: AtomicU32,
    saturated: std::sync::atomic::AtomicBool,
}

impl RateGate {
    /// `per_second` requests a second per key, bursts of twice that; `None`
    /// for 0 (no limit).
    pub fn new(per_second: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_second)?;
        let burst = NonZeroU32::new(per_second.saturating_mul(2)).unwrap_or(rate);
        Some(Self::with_quota(Quota::per_second(rate).allow_burst(burst)))
    }

    /// `per_minute` requests a minute per key, all of them at once if the
    /// key was quiet for a minute; `None` for 0 (no limit).
    pub fn per_minute(per_minute: u32) -> Option<Self> {
        let rate = NonZeroU32::new(per_minute)?;
        Some(Self::with_quota(Quota::per_minute(rate)))
    }

    fn with_quota(quota: Quota) -> Self {
        Self {
            limiter: DefaultKeyedRateLimiter::keyed(quota),
            checks: AtomicU32::new(0),
            saturated: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// `Err(wait)` when `key` is over its rate.
    pub fn check(&self, key: u64) -> Result<(), Duration> {
        if self
            .checks
            .fetch_add(1, Ordering::Relaxed)
            .is_multiple_of(SWEEP_EVERY)
        {
            self.sweep();
        }
        if self.saturated.load(Ordering::Relaxed) {
            return Ok(());
        }
        self.limiter
            .check_key(&key)
            .map_err(|not_until| not_until.wait_time_from(self.limiter.clock().now()))
    }

    fn sweep(&self) {
        if self.limiter.len() < CAPACITY / 2 {
            self.saturated.store(false, Ordering::Relaxed);
            return;
        }
        self.limiter.retain_recent();
        self.limiter.shrink_to_fit();
        let full = self.limiter.len() >= CAPACITY;
        if full {
            tracing::warn!(
                keys = self.limiter.len(),
                "request-rate limit table is full; new keys pass unlimited until it drains"
            );
        }
        self.saturated.store(full, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_over_the_burst_per_key() {
        let Some(g) = RateGate::new(2) else {
            panic!("a non-zero rate makes a gate");
        };
        for _ in 0..4 {
            assert!(g.check(7).is_ok());
        }
        let wait = g.check(7).err();
        assert!(
            wait.is_some_and(|w| w <= Duration::from_millis(500)),
            "{wait:?}"
        );
        assert!(g.check(8).is_ok(), "keys are independent");
        assert!(RateGate::new(0).is_none());
    }
}
