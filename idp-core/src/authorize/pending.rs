//! The cap on pending interactions per requester. An authorization request
//! needs no credentials, yet each one that reaches the login or consent page
//! is stored (an interaction); this cap bounds how many one requester (the
//! server passes the client's address) can keep at once, so that the
//! storage one address can occupy is at most the cap times
//! [`super::bounds::MAX_STORED_REQUEST`].
//!
//! An interaction holds its slot from the moment it is stored until the
//! person signs in through it, consents, denies or cancels, or until it
//! expires (a lifetime the page's first showing extends, see
//! [`crate::Lifetimes::pending_interaction`]). Over the cap, the request is
//! refused and nothing is stored.
//!
//! Invariants: a slot exists only for an interaction that was stored (a
//! failed write gives it back); every slot has the expiry of its
//! interaction, so an expired interaction never holds a slot past the next
//! look at its requester; the table only holds live slots plus those
//! expired since the last sweep.
//!
//! Held in memory: a restart forgets the slots (the interactions stay and
//! expire as usual), and several server processes each count their own.

use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::error::{ErrorCode, OAuthError};
use crate::wire;
use bytes::Bytes;
use http::header::RETRY_AFTER;
use http::{HeaderValue, Response, StatusCode};
use std::collections::HashMap;
use std::sync::Mutex;

/// Who sent an authorization request, as an opaque key the embedding
/// application computes (idp-server: the client's address, an IPv6 /64,
/// hashed). Put it in the request's extensions; without one (an exempt
/// address) the request is not capped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Requester(pub u64);

/// The answer over the cap: a page (the browser is a person's, or an
/// attacker's), 429 with `Retry-After` (RFC 6585 §4), and nothing stored.
pub(crate) fn refusal(wait_secs: i64) -> Response<Bytes> {
    let mut res = wire::error_page(&OAuthError::new(
        ErrorCode::TemporarilyUnavailable,
        "too many sign-ins are waiting from this network; try again later",
    ));
    *res.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    res.headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(wait_secs.max(1)));
    res
}

/// Admissions between two sweeps of expired slots.
const SWEEP_EVERY: u32 = 1024;

#[derive(Clone, Copy)]
struct Slot {
    /// The first bytes of the interaction id's hash (itself a SHA-256 of a
    /// random secret), enough to tell one requester's slots apart.
    id: u64,
    expires_at: UnixTime,
}

#[derive(Default)]
struct Table {
    by_requester: HashMap<Requester, Vec<Slot>>,
    owner: HashMap<u64, Requester>,
    admissions: u32,
}

impl Table {
    fn forget_expired(&mut self, requester: Requester, now: UnixTime) {
        let Some(slots) = self.by_requester.get_mut(&requester) else {
            return;
        };
        let owner = &mut self.owner;
        slots.retain(|s| {
            let live = s.expires_at > now;
            if !live {
                owner.remove(&s.id);
            }
            live
        });
        if slots.is_empty() {
            self.by_requester.remove(&requester);
        }
    }

    fn sweep(&mut self, now: UnixTime) {
        let requesters: Vec<Requester> = self.by_requester.keys().copied().collect();
        for r in requesters {
            self.forget_expired(r, now);
        }
    }
}

fn tag(id: &SecretHash) -> u64 {
    let mut first = [0u8; 8];
    first.copy_from_slice(&id.as_bytes()[..8]);
    u64::from_le_bytes(first)
}

/// Counts pending interactions per requester.
pub struct PendingInteractions {
    cap: usize,
    table: Mutex<Table>,
}

impl PendingInteractions {
    /// At most `cap` pending interactions per requester; 0 for no cap.
    pub fn new(cap: u32) -> Self {
        Self {
            cap: cap as usize,
            table: Mutex::default(),
        }
    }

    /// Takes a slot for interaction `id` of `requester`, expiring at
    /// `expires_at`; `Err(seconds)` until one frees if `requester` is at the cap.
    pub fn admit(
        &self,
        requester: Requester,
        id: &SecretHash,
        expires_at: UnixTime,
        now: UnixTime,
    ) -> Result<(), i64> {
        if self.cap == 0 {
            return Ok(());
        }
        let Ok(mut t) = self.table.lock() else {
            return Ok(());
        };
        t.admissions = t.admissions.wrapping_add(1);
        if t.admissions.is_multiple_of(SWEEP_EVERY) {
            t.sweep(now);
        }
        t.forget_expired(requester, now);
        let slots = t.by_requester.entry(requester).or_default();
        if slots.len() >= self.cap {
            let first_free = slots.iter().map(|s| s.expires_at).min().unwrap_or(now);
            return Err((first_free - now).max(1));
        }
        let id = tag(id);
        slots.push(Slot { id, expires_at });
        t.owner.insert(id, requester);
        Ok(())
    }

    /// Moves the expiry of interaction `id`'s slot, if it holds one.
    pub fn extend(&self, id: &SecretHash, expires_at: UnixTime) {
        let Ok(mut t) = self.table.lock() else {
            return;
        };
        let id = tag(id);
        let Some(requester) = t.owner.get(&id).copied() else {
            return;
        };
        if let Some(slot) = t
            .by_requester
            .get_mut(&requester)
            .and_then(|slots| slots.iter_mut().find(|s| s.id == id))
        {
            slot.expires_at = expires_at;
        }
    }

    /// Gives back interaction `id`'s slot, if it holds one.
    pub fn release(&self, id: &SecretHash) {
        let Ok(mut t) = self.table.lock() else {
            return;
        };
        let id = tag(id);
        let Some(requester) = t.owner.remove(&id) else {
            return;
        };
        if let Some(slots) = t.by_requester.get_mut(&requester) {
            slots.retain(|s| s.id != id);
            if slots.is_empty() {
                t.by_requester.remove(&requester);
            }
        }
    }

    #[cfg(test)]
    fn held(&self) -> usize {
        self.table.lock().map_or(0, |t| t.owner.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(n: u32) -> SecretHash {
        SecretHash::of(&n.to_string())
    }

    #[test]
    fn refuses_over_the_cap_until_a_slot_frees() {
        let p = PendingInteractions::new(2);
        let (a, b) = (Requester(1), Requester(2));
        assert_eq!(p.admit(a, &id(1), 100, 0), Ok(()));
        assert_eq!(p.admit(a, &id(2), 50, 0), Ok(()));
        assert_eq!(p.admit(a, &id(3), 100, 10), Err(40), "the earliest expiry");
        assert_eq!(p.admit(b, &id(4), 100, 10), Ok(()), "requesters are apart");
        p.release(&id(1));
        assert_eq!(p.admit(a, &id(5), 100, 10), Ok(()));
        assert_eq!(p.admit(a, &id(6), 100, 60), Ok(()), "id 2 expired at 50");
        assert_eq!(p.held(), 3, "ids 4, 5 and 6");
    }

    #[test]
    fn an_extended_slot_is_held_longer() {
        let p = PendingInteractions::new(1);
        let a = Requester(1);
        assert_eq!(p.admit(a, &id(1), 100, 0), Ok(()));
        p.extend(&id(1), 1000);
        assert_eq!(p.admit(a, &id(2), 1100, 500), Err(500));
        assert_eq!(p.admit(a, &id(2), 2000, 1000), Ok(()));
    }

    #[test]
    fn no_cap_holds_nothing() {
        let p = PendingInteractions::new(0);
        for n in 0..10 {
            assert_eq!(p.admit(Requester(1), &id(n), 100, 0), Ok(()));
        }
        assert_eq!(p.held(), 0);
    }

    #[test]
    fn sweeps_forget_requesters_whose_slots_expired() {
        let p = PendingInteractions::new(5);
        for n in 0..SWEEP_EVERY {
            assert_eq!(p.admit(Requester(u64::from(n)), &id(n), 10, 0), Ok(()));
        }
        // The last admission fell on a sweep at time 0: nothing had expired.
        assert_eq!(p.held(), SWEEP_EVERY as usize);
        for n in 0..SWEEP_EVERY {
            let _ = p.admit(Requester(7), &id(SWEEP_EVERY + n), 100, 20);
        }
        assert!(p.held() <= 5, "{}", p.held());
    }
}
