//! The default [`AbuseLimits`]: counters in this process's memory (ADR
//! 0016), lost on restart, which costs an attacker a restart.
//!
//! | limit | key | then |
//! |---|---|---|
//! | login, per account and address | (tenant, account, address) | lockout |
//! | login, per account | (tenant, account), every address | slowdown |
//! | login, per address | (tenant, address) | lockout |
//! | client auth, per client and address | (tenant, claimed client_id, address) | lockout |
//! | client auth, per client | (tenant, claimed client_id), every address | slowdown |
//! | client auth, per address | (tenant, address) | lockout |
//!
//! A lockout starts at [`LockoutPolicy::lockout`] and doubles with each
//! further failure up to [`LockoutPolicy::lockout_max`]. A success clears
//! the (subject, address) count only: not the address's (an attacker with
//! one valid account must not clear the count of the address they guess
//! other accounts from), nor the subject's slowdown (the real user signing
//! in must not hand the attacker fresh quick guesses). An account or client
//! as a whole is never refused, only slowed, so that failures from an
//! attacker's addresses cannot lock its owner out. Exempt addresses skip
//! the per-address lockouts only.
//!
//! Keys are hashes under a per-process random key of (kind, tenant,
//! subject), so nobody can aim two subjects at one counter; IPv6 addresses
//! count per /64. With nothing failed anywhere, a check costs atomic loads.

use super::failures::{Backoff, FailureTracker};
use super::slowdown::Slowdown;
use super::{AbuseLimits, Attempt, AttemptResult, LimitFuture, LockoutPolicy, Subject, Verdict};
use crate::ip_block::IpBlocks;
use std::hash::{BuildHasher, Hash, RandomState};
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// What a key counts, so equal strings of different kinds never share a key.
#[derive(Clone, Copy, Hash)]
enum KeyKind {
    Account,
    Client,
    LoginAddress,
    ClientAddress,
    AccountAtAddress,
    ClientAtAddress,
}

/// A client address as a limit subject: an IPv4 address, or an IPv6 /64
/// (one subscriber usually holds a whole /64, so counting single IPv6
/// addresses would hand an attacker 2^64 fresh keys).
#[derive(Clone, Copy, Debug, Hash, PartialEq, Eq)]
pub enum AddressKey {
    /// An IPv4 address (or an IPv4-mapped IPv6 one).
    V4(u32),
    /// The first 64 bits of an IPv6 address.
    V6Prefix(u64),
}

impl From<IpAddr> for AddressKey {
    fn from(ip: IpAddr) -> Self {
        match ip.to_canonical() {
            IpAddr::V4(v4) => AddressKey::V4(u32::from(v4)),
            IpAddr::V6(v6) => AddressKey::V6Prefix((u128::from(v6) >> 64) as u64),
        }
    }
}

/// One kind of credential's counters.
struct Counters {
    /// Per (subject, address): lockouts.
    pair: Option<FailureTracker>,
    /// Per subject, summed over addresses: slowdown.
    subject: Option<Slowdown>,
    /// Per address: lockouts.
    address: Option<FailureTracker>,
}

impl Counters {
    fn new(policy: &LockoutPolicy, per_subject: u32, per_address: u32) -> Self {
        let tracker = |threshold: u32| {
            (threshold > 0).then(|| {
                FailureTracker::new(Backoff {
                    threshold,
                    base: policy.lockout,
                    max: policy.lockout_max,
                })
            })
        };
        Self {
            pair: tracker(per_subject),
            subject: Slowdown::new(per_subject, policy.slowdown_max, policy.lockout_max),
            address: tracker(per_address),
        }
    }

    /// Whether nothing has failed: no key to compute.
    fn quiet(&self) -> bool {
        self.pair.as_ref().is_none_or(FailureTracker::is_empty)
            && self.subject.as_ref().is_none_or(Slowdown::is_empty)
            && self.address.as_ref().is_none_or(FailureTracker::is_empty)
    }
}

/// An attempt's keys.
struct Keys {
    pair: Option<u64>,
    subject: Option<u64>,
    address: Option<u64>,
}

/// Lockouts and slowdowns held in memory.
pub struct InMemoryLimits {
    exempt: IpBlocks,
    hasher: RandomState,
    login: Counters,
    client: Counters,
}

impl InMemoryLimits {
    /// The limits `policy` describes.
    pub fn new(policy: &LockoutPolicy) -> Self {
        Self {
            exempt: policy.exempt.clone(),
            hasher: RandomState::new(),
            login: Counters::new(policy, policy.login_per_account, policy.login_per_address),
            client: Counters::new(
                policy,
                policy.client_auth_per_client,
                policy.client_auth_per_address,
            ),
        }
    }

    fn counters(&self, subject: &Subject<'_>) -> &Counters {
        match subject {
            Subject::Account(_) => &self.login,
            Subject::Client(_) => &self.client,
        }
    }

    fn keys(&self, a: &Attempt<'_>) -> Keys {
        let tenant = a.tenant.as_str();
        let (kind, pair_kind, address_kind, subject) = match a.subject {
            Subject::Account(account) => (
                KeyKind::Account,
                KeyKind::AccountAtAddress,
                KeyKind::LoginAddress,
                Some(account),
            ),
            Subject::Client(client) => (
                KeyKind::Client,
                KeyKind::ClientAtAddress,
                KeyKind::ClientAddress,
                client,
            ),
        };
        let address = a.address.map(AddressKey::from);
        Keys {
            subject: subject.map(|s| self.hasher.hash_one((kind, tenant, s))),
            pair: subject.map(|s| self.hasher.hash_one((pair_kind, tenant, (s, address)))),
            address: a.address.filter(|ip| !self.exempt.contains(*ip)).map(|ip| {
                self.hasher
                    .hash_one((address_kind, tenant, AddressKey::from(ip)))
            }),
        }
    }

    /// The verdict on `a` at `now`.
    pub fn verdict(&self, a: &Attempt<'_>, now: Instant) -> Verdict {
        let counters = self.counters(&a.subject);
        if counters.quiet() {
            return Verdict::Proceed {
                delay: Duration::ZERO,
            };
        }
        let keys = self.keys(a);
        let locked = |t: &Option<FailureTracker>, k: Option<u64>| match (t, k) {
            (Some(t), Some(k)) => t.check(k, now).err(),
            _ => None,
        };
        let refusal =
            locked(&counters.pair, keys.pair).max(locked(&counters.address, keys.address));
        if let Some(retry_after) = refusal {
            return Verdict::Refuse { retry_after };
        }
        let delay = match (&counters.subject, keys.subject) {
            (Some(s), Some(k)) => s.delay(k, now),
            _ => Duration::ZERO,
        };
        Verdict::Proceed { delay }
    }

    /// Counts `a`'s result at `now`.
    pub fn count(&self, a: &Attempt<'_>, result: AttemptResult, now: Instant) {
        let counters = self.counters(&a.subject);
        match result {
            AttemptResult::Succeeded => {
                if let Some(t) = counters.pair.as_ref().filter(|t| !t.is_empty())
                    && let Some(k) = self.keys(a).pair
                {
                    t.reset(k);
                }
            }
            AttemptResult::Failed => {
                let keys = self.keys(a);
                if let (Some(t), Some(k)) = (&counters.pair, keys.pair) {
                    t.fail(k, now);
                }
                if let (Some(s), Some(k)) = (&counters.subject, keys.subject) {
                    s.fail(k, now);
                }
                if let (Some(t), Some(k)) = (&counters.address, keys.address) {
                    t.fail(k, now);
                }
            }
        }
    }
}

impl AbuseLimits for InMemoryLimits {
    fn check<'a>(&'a self, attempt: &'a Attempt<'a>) -> LimitFuture<'a, Verdict> {
        let verdict = self.verdict(attempt, Instant::now());
        Box::pin(std::future::ready(verdict))
    }

    fn record<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        result: AttemptResult,
    ) -> LimitFuture<'a, ()> {
        self.count(attempt, result, Instant::now());
        Box::pin(std::future::ready(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::TenantId;

    fn policy() -> LockoutPolicy {
        LockoutPolicy {
            exempt: IpBlocks::default(),
            login_per_account: 2,
            slowdown_max: Duration::from_millis(1),
            ..LockoutPolicy::default()
        }
    }

    fn login<'a>(tenant: &'a TenantId, ip: &str, account: &'a str) -> Attempt<'a> {
        Attempt {
            tenant,
            subject: Subject::Account(account),
            address: ip.parse().ok(),
        }
    }

    fn refused(l: &InMemoryLimits, a: &Attempt<'_>) -> bool {
        matches!(l.verdict(a, Instant::now()), Verdict::Refuse { .. })
    }

    #[test]
    fn account_lockout_is_per_address_and_spans_spellings() {
        let l = InMemoryLimits::new(&policy());
        let (acme, other) = (TenantId::new("acme"), TenantId::new("other"));
        let bob = super::super::account("Bob@Example.com ");
        let a = login(&acme, "192.0.2.1", &bob);
        let now = Instant::now();
        l.count(&a, AttemptResult::Failed, now);
        l.count(&a, AttemptResult::Failed, now);
        assert!(refused(&l, &a));
        let fullwidth = super::super::account("ｂob@example.com");
        assert!(refused(&l, &login(&acme, "192.0.2.1", &fullwidth)));
        assert!(
            !refused(&l, &login(&acme, "192.0.2.2", &bob)),
            "another address"
        );
        assert!(
            !refused(&l, &login(&other, "192.0.2.1", &bob)),
            "another tenant"
        );
        l.count(&a, AttemptResult::Succeeded, now);
        assert!(!refused(&l, &a));
    }

    #[test]
    fn client_failures_lock_the_address_even_without_a_client_id() {
        let l = InMemoryLimits::new(&LockoutPolicy {
            exempt: IpBlocks::default(),
            client_auth_per_address: 2,
            ..LockoutPolicy::default()
        });
        let t = TenantId::new("acme");
        let unnamed = Attempt {
            tenant: &t,
            subject: Subject::Client(None),
            address: "198.51.100.7".parse().ok(),
        };
        let named = Attempt {
            subject: Subject::Client(Some("web")),
            ..unnamed
        };
        l.count(&unnamed, AttemptResult::Failed, Instant::now());
        l.count(&unnamed, AttemptResult::Failed, Instant::now());
        assert!(refused(&l, &named));
        let exempt = InMemoryLimits::new(&LockoutPolicy {
            client_auth_per_address: 2,
            ..LockoutPolicy::default()
        });
        let local = Attempt {
            address: "127.0.0.1".parse().ok(),
            ..unnamed
        };
        exempt.count(&local, AttemptResult::Failed, Instant::now());
        exempt.count(&local, AttemptResult::Failed, Instant::now());
        assert!(!refused(&exempt, &local), "loopback is exempt by default");
    }

    #[test]
    fn the_policy_off_limits_nothing() {
        let l = InMemoryLimits::new(&LockoutPolicy::off());
        let t = TenantId::new("acme");
        let a = login(&t, "192.0.2.1", "bob@example.com");
        for _ in 0..100 {
            l.count(&a, AttemptResult::Failed, Instant::now());
        }
        assert_eq!(
            l.verdict(&a, Instant::now()),
            Verdict::Proceed {
                delay: Duration::ZERO
            }
        );
    }

    #[test]
    fn ipv6_addresses_share_their_slash_64() -> Result<(), std::net::AddrParseError> {
        let a = AddressKey::from("2001:db8:1:2::1".parse::<IpAddr>()?);
        let b = AddressKey::from("2001:db8:1:2:ffff::9".parse::<IpAddr>()?);
        let c = AddressKey::from("2001:db8:1:3::1".parse::<IpAddr>()?);
        assert_eq!(a, b);
        assert_ne!(a, c);
        Ok(())
    }
}
