//! Spent sign-up challenges ([`super::pow`]), so each is used once.
//!
//! Unauthenticated state, bounded like the project's other such state
//! (the server's `rate_limit::unauthenticated`): an entry is added only
//! for a challenge that was solved (work done) by an address within its
//! sign-up rate, and kept only until the challenge expires. When the
//! ledger is full even after dropping expired entries, it refuses new
//! sign-ups ([`Spend::Full`]) rather than forget a spent challenge: a
//! replay must never succeed.

use crate::clock::UnixTime;
use std::collections::HashMap;
use std::sync::Mutex;

/// The default number of spent challenges kept.
pub const DEFAULT_CAPACITY: usize = 10_000;

/// What spending a challenge did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Spend {
    /// First use: go ahead.
    Spent,
    /// Already used.
    Reused,
    /// No room to remember it: refuse for now.
    Full,
}

/// The spent challenges of this process.
#[derive(Debug)]
pub struct ChallengeLedger {
    capacity: usize,
    spent: Mutex<HashMap<[u8; 32], UnixTime>>,
}

impl Default for ChallengeLedger {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY)
    }
}

impl ChallengeLedger {
    /// A ledger of at most `capacity` challenges.
    pub fn new(capacity: usize) -> Self {
        Self {
            capacity,
            spent: Mutex::new(HashMap::new()),
        }
    }

    /// Spends the challenge `id`, valid until `expires_at`.
    pub fn spend(&self, id: [u8; 32], expires_at: UnixTime, now: UnixTime) -> Spend {
        let mut spent = self
            .spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if spent.contains_key(&id) {
            return Spend::Reused;
        }
        if spent.len() >= self.capacity {
            spent.retain(|_, until| *until > now);
            if spent.len() >= self.capacity {
                return Spend::Full;
            }
        }
        spent.insert(id, expires_at);
        Spend::Spent
    }

    /// How many challenges are remembered.
    pub fn len(&self) -> usize {
        self.spent
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spends_once_and_stays_bounded() {
        let l = ChallengeLedger::new(2);
        assert_eq!(l.spend([1; 32], 100, 0), Spend::Spent);
        assert_eq!(l.spend([1; 32], 100, 0), Spend::Reused);
        assert_eq!(l.spend([2; 32], 50, 0), Spend::Spent);
        assert_eq!(l.spend([3; 32], 100, 10), Spend::Full);
        // Once [2] expires its room is free again; [1] is still remembered.
        assert_eq!(l.spend([3; 32], 100, 60), Spend::Spent);
        assert_eq!(l.spend([1; 32], 100, 60), Spend::Reused);
        assert_eq!(l.len(), 2);
    }
}
