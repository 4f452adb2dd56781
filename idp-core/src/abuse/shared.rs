//! Account lockouts shared by every instance on one database (issue 15):
//! N servers must not give an attacker N times the guesses at one account.
//!
//! [`SharedLoginLimits`] keeps the per-account counters of password logins
//! (the (account, address) pair's lockout and the account's slowdown,
//! ADR 0016) in the store, through [`LoginFailureStore`], and leaves
//! everything else to the in-memory limits it wraps: the per-address
//! lockouts and every client-authentication limit stay per process (a
//! request-rate matter, and the token endpoint must not pay a database
//! round trip per request). The rules are those of
//! [`InMemoryLimits`](super::memory::InMemoryLimits): a pair is refused
//! after `login_per_account` failures, for `lockout` doubling per further
//! failure up to `lockout_max`; the account as a whole is only slowed.
//!
//! Counters are kept under SHA-256 hashes of the canonical account (and
//! address), never the typed email; a counter is forgotten `lockout_max`
//! after its last failure.

use super::failures::Backoff;
use super::memory::{AddressKey, InMemoryLimits};
use super::{AbuseLimits, Attempt, AttemptResult, LimitFuture, LockoutPolicy, Subject, Verdict};
use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::ids::TenantId;
use crate::store::StoreResult;
use std::sync::Arc;
use std::time::Duration;

/// One counter: its failures and when the last one happened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FailureCount {
    /// Failures since the counter was last forgotten or cleared.
    pub failures: u32,
    /// Unix seconds of the last failure.
    pub last_failure_at: UnixTime,
}

/// Where shared counters live (a store several processes use). Boxed
/// futures: the port is used as `dyn`.
pub trait LoginFailureStore: Send + Sync {
    /// Counts a failure of each of `keys` at `now`; a counter whose last
    /// failure is before `forget_before` starts again from one.
    fn record_failures<'a>(
        &'a self,
        tenant: &'a TenantId,
        keys: &'a [String],
        now: UnixTime,
        forget_before: UnixTime,
    ) -> LimitFuture<'a, StoreResult<()>>;

    /// The counters of `keys` (same order; `None` for a key without
    /// failures since `forget_before`).
    fn failures<'a>(
        &'a self,
        tenant: &'a TenantId,
        keys: &'a [String],
        forget_before: UnixTime,
    ) -> LimitFuture<'a, StoreResult<Vec<Option<FailureCount>>>>;

    /// Forgets `key` (a success of the pair).
    fn clear<'a>(&'a self, tenant: &'a TenantId, key: &'a str) -> LimitFuture<'a, StoreResult<()>>;
}

/// Login counters in the store, everything else in memory.
pub struct SharedLoginLimits {
    memory: InMemoryLimits,
    store: Arc<dyn LoginFailureStore>,
    policy: LockoutPolicy,
    now: fn() -> UnixTime,
}

impl SharedLoginLimits {
    /// The limits `policy` describes, with login counters in `store`.
    pub fn new(policy: &LockoutPolicy, store: Arc<dyn LoginFailureStore>) -> Self {
        Self {
            // The in-memory part counts logins per address only.
            memory: InMemoryLimits::new(&LockoutPolicy {
                login_per_account: 0,
                ..policy.clone()
            }),
            store,
            policy: policy.clone(),
            now: || crate::clock::Clock::now(&crate::clock::SystemClock),
        }
    }

    /// The counters' keys for a login: (pair, account).
    fn keys(account: &str, address: Option<AddressKey>) -> [String; 2] {
        let hashed = |s: String| crate::jose::b64(SecretHash::of(&s).as_bytes());
        [
            hashed(format!("pair\0{account}\0{address:?}")),
            hashed(format!("account\0{account}")),
        ]
    }

    fn memory_seconds(&self) -> i64 {
        i64::try_from(self.policy.lockout_max.as_secs()).unwrap_or(i64::MAX)
    }

    async fn login_verdict(&self, attempt: &Attempt<'_>, account: &str) -> Verdict {
        let per_account = self.policy.login_per_account;
        if per_account == 0 {
            return Verdict::Proceed {
                delay: Duration::ZERO,
            };
        }
        let now = (self.now)();
        let keys = Self::keys(account, attempt.address.map(AddressKey::from));
        let counts = match self
            .store
            .failures(attempt.tenant, &keys, now - self.memory_seconds())
            .await
        {
            Ok(counts) => counts,
            Err(e) => {
                // The store decides nothing it cannot read: the in-memory
                // per-address limits still stand.
                tracing::warn!(error = %e, "cannot read shared login failures");
                return Verdict::Proceed {
                    delay: Duration::ZERO,
                };
            }
        };
        let backoff = Backoff {
            threshold: per_account,
            base: self.policy.lockout,
            max: self.policy.lockout_max,
        };
        if let Some(Some(pair)) = counts.first()
            && let Some(lockout) = backoff.lockout(pair.failures)
        {
            let until = pair.last_failure_at + i64::try_from(lockout.as_secs()).unwrap_or(i64::MAX);
            if now < until {
                return Verdict::Refuse {
                    retry_after: Duration::from_secs(u64::try_from(until - now).unwrap_or(1)),
                };
            }
        }
        let delay = match counts.get(1) {
            Some(Some(total)) => {
                super::slowdown::delay(total.failures, per_account, self.policy.slowdown_max)
            }
            _ => Duration::ZERO,
        };
        Verdict::Proceed { delay }
    }

    async fn record_login(&self, attempt: &Attempt<'_>, account: &str, result: AttemptResult) {
        if self.policy.login_per_account == 0 {
            return;
        }
        let keys = Self::keys(account, attempt.address.map(AddressKey::from));
        let now = (self.now)();
        let outcome = match result {
            AttemptResult::Failed => {
                self.store
                    .record_failures(attempt.tenant, &keys, now, now - self.memory_seconds())
                    .await
            }
            // Only the pair: the account's slowdown stays (ADR 0016).
            AttemptResult::Succeeded => self.store.clear(attempt.tenant, &keys[0]).await,
        };
        if let Err(e) = outcome {
            tracing::warn!(error = %e, "cannot write shared login failures");
        }
    }
}

impl AbuseLimits for SharedLoginLimits {
    fn check<'a>(&'a self, attempt: &'a Attempt<'a>) -> LimitFuture<'a, Verdict> {
        Box::pin(async move {
            let local = self.memory.check(attempt).await;
            let Subject::Account(typed) = attempt.subject else {
                return local;
            };
            if matches!(local, Verdict::Refuse { .. }) {
                return local;
            }
            let shared = self.login_verdict(attempt, typed).await;
            match (local, shared) {
                (_, refuse @ Verdict::Refuse { .. }) => refuse,
                (Verdict::Proceed { delay: a }, Verdict::Proceed { delay: b }) => {
                    Verdict::Proceed { delay: a.max(b) }
                }
                (other, _) => other,
            }
        })
    }

    fn record<'a>(
        &'a self,
        attempt: &'a Attempt<'a>,
        result: AttemptResult,
    ) -> LimitFuture<'a, ()> {
        Box::pin(async move {
            self.memory.record(attempt, result).await;
            if let Subject::Account(typed) = attempt.subject {
                self.record_login(attempt, typed, result).await;
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ip_block::IpBlocks;
    use std::collections::HashMap;
    use std::sync::Mutex;

    /// Counters in a map: the rules, not the database, are under test here
    /// (the PostgreSQL store's counters are tested through two servers).
    #[derive(Default)]
    struct Counters(Mutex<HashMap<(String, String), FailureCount>>);

    impl LoginFailureStore for Counters {
        fn record_failures<'a>(
            &'a self,
            tenant: &'a TenantId,
            keys: &'a [String],
            now: UnixTime,
            forget_before: UnixTime,
        ) -> LimitFuture<'a, StoreResult<()>> {
            if let Ok(mut map) = self.0.lock() {
                for key in keys {
                    let entry = map
                        .entry((tenant.as_str().to_owned(), key.clone()))
                        .or_insert(FailureCount {
                            failures: 0,
                            last_failure_at: now,
                        });
                    if entry.last_failure_at < forget_before {
                        entry.failures = 0;
                    }
                    entry.failures += 1;
                    entry.last_failure_at = now;
                }
            }
            Box::pin(std::future::ready(Ok(())))
        }

        fn failures<'a>(
            &'a self,
            tenant: &'a TenantId,
            keys: &'a [String],
            forget_before: UnixTime,
        ) -> LimitFuture<'a, StoreResult<Vec<Option<FailureCount>>>> {
            let counts = self.0.lock().map_or_else(
                |_| vec![None; keys.len()],
                |map| {
                    keys.iter()
                        .map(|k| {
                            map.get(&(tenant.as_str().to_owned(), k.clone()))
                                .copied()
                                .filter(|c| c.last_failure_at >= forget_before)
                        })
                        .collect()
                },
            );
            Box::pin(std::future::ready(Ok(counts)))
        }

        fn clear<'a>(
            &'a self,
            tenant: &'a TenantId,
            key: &'a str,
        ) -> LimitFuture<'a, StoreResult<()>> {
            if let Ok(mut map) = self.0.lock() {
                map.remove(&(tenant.as_str().to_owned(), key.to_owned()));
            }
            Box::pin(std::future::ready(Ok(())))
        }
    }

    fn login<'a>(tenant: &'a TenantId, account: &'a str, ip: &str) -> Attempt<'a> {
        Attempt {
            tenant,
            subject: Subject::Account(account),
            address: ip.parse().ok(),
        }
    }

    #[tokio::test]
    async fn the_pair_locks_the_account_slows_and_limits_do_not_cross() {
        let store = Arc::new(Counters::default());
        let policy = LockoutPolicy {
            exempt: IpBlocks::default(),
            login_per_account: 3,
            login_per_address: 0,
            ..LockoutPolicy::default()
        };
        // Two "instances" sharing one store.
        let a = SharedLoginLimits::new(&policy, Arc::clone(&store) as Arc<dyn LoginFailureStore>);
        let b = SharedLoginLimits::new(&policy, Arc::clone(&store) as Arc<dyn LoginFailureStore>);
        let (acme, other) = (TenantId::new("acme"), TenantId::new("other"));
        let attacker = login(&acme, "ada@example.com", "198.51.100.7");
        for limits in [&a, &b, &a] {
            assert!(matches!(
                limits.check(&attacker).await,
                Verdict::Proceed { .. }
            ));
            limits.record(&attacker, AttemptResult::Failed).await;
        }
        // Three failures across both: the pair is locked on both, for the
        // first lockout.
        for limits in [&a, &b] {
            match limits.check(&attacker).await {
                Verdict::Refuse { retry_after } => {
                    assert!(retry_after <= policy.lockout && !retry_after.is_zero());
                }
                other => panic!("not refused: {other:?}"),
            }
        }
        // The account from another address is slowed (first delay), not refused.
        let owner = login(&acme, "ada@example.com", "203.0.113.9");
        assert_eq!(
            b.check(&owner).await,
            Verdict::Proceed {
                delay: Duration::from_millis(100)
            }
        );
        // The owner's success clears only the owner's pair.
        b.record(&owner, AttemptResult::Succeeded).await;
        assert!(matches!(a.check(&attacker).await, Verdict::Refuse { .. }));
        // Another tenant's account of the same email is untouched.
        assert_eq!(
            a.check(&login(&other, "ada@example.com", "198.51.100.7"))
                .await,
            Verdict::Proceed {
                delay: Duration::ZERO
            }
        );
    }
}
