//! Failure counting with exponential lockout, the in-memory limits' counter: after `threshold` failures a
//! key is locked for `base`, and each further failure doubles the lockout,
//! up to `max`. A key with no failure for `max` after its last lockout ends
//! is forgotten. A counter ([`FailureTracker::counter`]) only counts, for the
//! slowdown (`slowdown.rs`). Held in memory: a restart forgets it, which costs an
//! attacker a restart.
//!
//! Not governor: a rate limiter cannot be reset by a success, and a token
//! bucket refills at a steady rate instead of backing off.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Keys tracked at most. When full, forgotten keys are swept, then keys that
/// are not locked; locked keys are never dropped to make room, so flooding
/// the table cannot unlock a victim (new keys then go untracked until space
/// frees up). About 40 bytes a key.
const CAPACITY: usize = 65_536;

/// How failures turn into lockouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Backoff {
    /// Failures allowed before the first lockout.
    pub threshold: u32,
    /// The first lockout.
    pub base: Duration,
    /// The longest lockout, and how long a quiet key is remembered.
    pub max: Duration,
}

impl Backoff {
    /// The lockout after `failures` failures, if any.
    pub(crate) fn lockout(&self, failures: u32) -> Option<Duration> {
        let over = failures.checked_sub(self.threshold)?;
        let factor = 1u32.checked_shl(over.min(31)).unwrap_or(u32::MAX);
        Some(self.base.saturating_mul(factor).min(self.max))
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    /// When the key may try again (a past instant when not locked).
    locked_until: Instant,
    last_failure: Instant,
}

impl Entry {
    fn forgotten(&self, now: Instant, max: Duration) -> bool {
        now >= self.locked_until.max(self.last_failure) + max
    }
}

/// The keys are already uniformly distributed hashes: hash them no further.
#[derive(Default)]
struct PreHashed(u64);

impl std::hash::Hasher for PreHashed {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0 << 8) | u64::from(*b);
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = n;
    }
}

/// Failures per key (a keyed hash of tenant and IP, account or client).
pub struct FailureTracker {
    /// `None` for a tracker that only counts (see [`FailureTracker::counter`]).
    backoff: Option<Backoff>,
    /// How long a key is remembered after its last failure or lockout.
    memory: Duration,
    entries: Mutex<HashMap<u64, Entry, BuildHasherDefault<PreHashed>>>,
    /// Mirrors `entries.len()`, so the common case (no failures anywhere)
    /// costs one atomic load and no lock.
    len: AtomicUsize,
}

impl FailureTracker {
    /// A tracker with this policy.
    pub fn new(backoff: Backoff) -> Self {
        Self {
            backoff: Some(backoff),
            memory: backoff.max,
            entries: Mutex::new(HashMap::default()),
            len: AtomicUsize::new(0),
        }
    }

    /// A tracker that counts failures and never locks: a key's count
    /// starts over after `memory` without a failure.
    pub fn counter(memory: Duration) -> Self {
        Self {
            backoff: None,
            memory,
            entries: Mutex::new(HashMap::default()),
            len: AtomicUsize::new(0),
        }
    }

    /// Whether no key has failures.
    pub fn is_empty(&self) -> bool {
        self.len.load(Ordering::Relaxed) == 0
    }

    /// `Err(wait)` while `key` is locked.
    pub fn check(&self, key: u64, now: Instant) -> Result<(), Duration> {
        if self.is_empty() {
            return Ok(());
        }
        let Ok(map) = self.entries.lock() else {
            return Ok(());
        };
        match map.get(&key) {
            Some(e) if e.locked_until > now => Err(e.locked_until - now),
            _ => Ok(()),
        }
    }

    /// How many failures `key` has that are not yet forgotten.
    pub fn recent(&self, key: u64, now: Instant) -> u32 {
        if self.is_empty() {
            return 0;
        }
        let Ok(map) = self.entries.lock() else {
            return 0;
        };
        match map.get(&key) {
            Some(e) if !e.forgotten(now, self.memory) => e.failures,
            _ => 0,
        }
    }

    /// Records a failure of `key`; returns the lockout it starts, if any.
    pub fn fail(&self, key: u64, now: Instant) -> Option<Duration> {
        let Ok(mut map) = self.entries.lock() else {
            return None;
        };
        if map.len() >= CAPACITY && !map.contains_key(&key) {
            self.make_room(&mut map, now);
            if map.len() >= CAPACITY {
                return None;
            }
        }
        let max = self.memory;
        let e = map.entry(key).or_insert(Entry {
            failures: 0,
            locked_until: now,
            last_failure: now,
        });
        if e.forgotten(now, max) {
            e.failures = 0;
        }
        e.failures = e.failures.saturating_add(1);
        e.last_failure = now;
        let lockout = self.backoff.and_then(|b| b.lockout(e.failures));
        if let Some(d) = lockout {
            e.locked_until = now + d;
        }
        self.len.store(map.len(), Ordering::Relaxed);
        lockout
    }

    /// Forgets `key`'s failures (a successful login).
    pub fn reset(&self, key: u64) {
        if self.is_empty() {
            return;
        }
        if let Ok(mut map) = self.entries.lock() {
            map.remove(&key);
            self.len.store(map.len(), Ordering::Relaxed);
        }
    }

    /// Drops forgotten keys, then unlocked ones if still full.
    fn make_room(
        &self,
        map: &mut HashMap<u64, Entry, BuildHasherDefault<PreHashed>>,
        now: Instant,
    ) {
        let max = self.memory;
        map.retain(|_, e| !e.forgotten(now, max));
        if map.len() >= CAPACITY {
            map.retain(|_, e| e.locked_until > now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    fn tracker() -> FailureTracker {
        FailureTracker::new(Backoff {
            threshold: 3,
            base: 10 * S,
            max: 60 * S,
        })
    }

    #[test]
    fn locks_after_the_threshold_and_doubles() {
        let t = tracker();
        let now = Instant::now();
        assert_eq!(t.fail(1, now), None);
        assert_eq!(t.fail(1, now), None);
        assert!(t.check(1, now).is_ok());
        assert_eq!(t.fail(1, now), Some(10 * S));
        assert_eq!(t.check(1, now + 4 * S), Err(6 * S));
        assert!(t.check(2, now).is_ok(), "other keys are not affected");
        assert!(t.check(1, now + 10 * S).is_ok());
        assert_eq!(t.fail(1, now + 10 * S), Some(20 * S));
        assert_eq!(t.fail(1, now + 30 * S), Some(40 * S));
        assert_eq!(t.fail(1, now + 70 * S), Some(60 * S), "capped");
    }

    #[test]
    fn reset_and_quiet_time_forget() {
        let t = tracker();
        let now = Instant::now();
        for _ in 0..3 {
            t.fail(1, now);
        }
        t.reset(1);
        assert!(t.check(1, now).is_ok());
        assert!(t.is_empty());
        for _ in 0..3 {
            t.fail(1, now);
        }
        // Locked until now+10; forgotten 60 s after that.
        assert_eq!(t.fail(1, now + 71 * S), None, "counting starts over");
    }

    #[test]
    fn a_counter_counts_and_never_locks() {
        let t = FailureTracker::counter(60 * S);
        let now = Instant::now();
        for _ in 0..100 {
            assert_eq!(t.fail(1, now), None);
        }
        assert!(t.check(1, now).is_ok());
        assert_eq!(t.recent(1, now + 59 * S), 100);
        assert_eq!(t.recent(2, now), 0);
        assert_eq!(t.recent(1, now + 60 * S), 0, "forgotten after the memory");
    }

    #[test]
    fn a_full_table_keeps_locked_keys() {
        let t = FailureTracker::new(Backoff {
            threshold: 1,
            base: 10 * S,
            max: 60 * S,
        });
        let now = Instant::now();
        t.fail(u64::MAX, now);
        let quiet = FailureTracker::new(Backoff {
            threshold: 2,
            base: 10 * S,
            max: 60 * S,
        });
        for k in 0..CAPACITY as u64 {
            quiet.fail(k, now);
        }
        // Full of unlocked keys: they make room for a new one.
        assert_eq!(quiet.fail(u64::MAX, now), None);
        assert!(quiet.len.load(Ordering::Relaxed) < CAPACITY);
        for k in 0..CAPACITY as u64 {
            t.fail(k, now);
        }
        // Full of locked keys: the victim stays locked, the newcomer is untracked.
        assert!(t.check(u64::MAX, now).is_err());
        assert_eq!(t.fail(u64::MAX - 1, now), None);
    }
}
