//! Purging what has expired: the core decides how long each kind of row must
//! outlive its own expiry, a store ([`Maintenance`](crate::store::Maintenance)) deletes in small batches.
//!
//! The rule for every kind is "keep a row while something could still depend
//! on it", plus a clock-skew margin because several instances (or an instance
//! and a resource server) may disagree on the time:
//!
//! | kind | kept until | why |
//! |---|---|---|
//! | authorization codes | `expires_at` + access-token lifetime | RFC 6749 §4.1.2: a reused code revokes the tokens issued from it; those live one access-token lifetime after the code could last be redeemed |
//! | interactions, device codes | `expires_at` | useless once expired (the margin lets a late device poll still hear `expired_token`, RFC 8628 §3.5) |
//! | sessions (not revoked) | `expires_at` | an ended but unexpired session may still be revoked, which must cut its tokens |
//! | revoked sessions | `revoked_at` + access-token lifetime + max(code, device-code lifetime) | the row is what revokes the session's access tokens (ADR 0011); a code issued just before the revocation can still mint one |
//! | session clients | `created_at` + session lifetime | sessions are absolute: by then the session has expired, will never end by logout, and nobody will be told |
//! | refresh tokens | `expires_at` | the token endpoint refuses an expired refresh token before it looks for reuse (`token/refresh_token.rs`), so an expired member, consumed or not, can no longer trigger reuse detection; the family's live members carry it, and `revoked_grants` covers the family's access tokens |
//! | revoked access tokens and grants | `keep_until` | the token's (or the grant's last token's) `exp` |
//! | client-assertion `jti`s | `expires_at` | RFC 7523 §3: an expired assertion is refused anyway |
//! | pushed authorization requests | `expires_at` | RFC 9126 §4: an expired `request_uri` is refused anyway (a used one is already gone) |
//! | upstream flights | `expires_at` | an expired flight is never taken (the callback fails as if its `state` were unknown); a finished one is already gone |

use crate::clock::UnixTime;
use crate::provider::{Lifetimes, Provider};
use crate::store::{Expiring, Store, StoreError};

/// Rows deleted per statement: small enough that one batch holds SQLite's
/// write lock for about 20 ms (measured on a shared 2-core machine, 500 of
/// 200 000 rows), large enough that a big backlog takes few statements.
pub const PURGE_BATCH: u32 = 500;

/// The default clock-skew margin in seconds (every cutoff is moved this far
/// into the past).
pub const DEFAULT_CLOCK_SKEW: i64 = 60;

/// How many rows one purge deleted, per kind.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PurgeReport {
    /// Tenants visited.
    pub tenants: usize,
    /// Rows deleted, in [`Expiring::ALL`] order.
    pub deleted: [u64; Expiring::ALL.len()],
}

impl PurgeReport {
    /// Rows of `kind` deleted.
    pub fn of(&self, kind: Expiring) -> u64 {
        Expiring::ALL
            .iter()
            .position(|k| *k == kind)
            .map_or(0, |i| self.deleted[i])
    }

    /// Rows deleted in all.
    pub fn total(&self) -> u64 {
        self.deleted.iter().sum()
    }

    /// `(kind, count)` pairs for the kinds that lost rows.
    pub fn nonzero(&self) -> impl Iterator<Item = (Expiring, u64)> + '_ {
        Expiring::ALL
            .iter()
            .zip(self.deleted)
            .filter(|(_, n)| *n > 0)
            .map(|(k, n)| (*k, n))
    }
}

/// The cutoff for `kind` at `now`: rows whose time (see [`Expiring`]) is
/// before it are deleted. See the module's table for the reasons.
pub fn cutoff(kind: Expiring, now: UnixTime, lifetimes: &Lifetimes, clock_skew: i64) -> UnixTime {
    let skew = clock_skew.max(0);
    let kept_after = match kind {
        Expiring::AuthorizationCodes => lifetimes.access_token,
        Expiring::RevokedSessions => {
            lifetimes.access_token + lifetimes.code.max(lifetimes.device_code)
        }
        Expiring::SessionClients => lifetimes.session,
        Expiring::Interactions
        | Expiring::DeviceCodes
        | Expiring::Sessions
        | Expiring::RefreshTokens
        | Expiring::RevokedAccessTokens
        | Expiring::RevokedGrants
        | Expiring::ClientAssertions
        | Expiring::PushedRequests
        | Expiring::UpstreamFlights => 0,
    };
    now - skew - kept_after.max(0)
}

impl<S: Store> Provider<S> {
    /// Deletes every tenant's expired rows (see the module's table), in
    /// batches of [`PURGE_BATCH`], and reports the counts. Idempotent; several
    /// processes may run it at once (each batch is its own short write, and a
    /// row deleted by another is simply not counted twice). Dropping the
    /// future between batches is safe.
    pub async fn purge_expired(&self, clock_skew: i64) -> Result<PurgeReport, StoreError> {
        let now = self.clock.now();
        let tenants = self.store.list_tenants().await?;
        let mut report = PurgeReport {
            tenants: tenants.len(),
            ..PurgeReport::default()
        };
        for tenant in &tenants {
            for (i, kind) in Expiring::ALL.into_iter().enumerate() {
                let before = cutoff(kind, now, &self.config.lifetimes, clock_skew);
                loop {
                    let n = self
                        .store
                        .purge_expired(&tenant.id, kind, before, PURGE_BATCH)
                        .await?;
                    report.deleted[i] += n;
                    if n < u64::from(PURGE_BATCH) {
                        break;
                    }
                }
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cutoffs_keep_what_is_still_needed() {
        let l = Lifetimes::default();
        let now = 1_000_000;
        let at = |kind| cutoff(kind, now, &l, 60);
        assert_eq!(at(Expiring::Interactions), now - 60);
        assert_eq!(at(Expiring::ClientAssertions), now - 60);
        assert_eq!(at(Expiring::RevokedAccessTokens), now - 60);
        // Codes stay one access-token lifetime for reuse detection.
        assert_eq!(at(Expiring::AuthorizationCodes), now - 60 - 3600);
        // A revoked session outlives every access token that may carry its sid.
        assert_eq!(at(Expiring::RevokedSessions), now - 60 - 3600 - 600);
        assert_eq!(at(Expiring::RefreshTokens), now - 60);
        // A session's clients go once the session must have expired.
        assert_eq!(at(Expiring::SessionClients), now - 60 - 14 * 24 * 3600);
        // A negative margin is no margin.
        assert_eq!(cutoff(Expiring::Sessions, now, &l, -5), now);
    }

    #[test]
    fn report_counts_by_kind() {
        let mut r = PurgeReport::default();
        r.deleted[1] = 4;
        r.deleted[3] = 2;
        assert_eq!(r.of(Expiring::ALL[1]), 4);
        assert_eq!(r.total(), 6);
        assert_eq!(r.nonzero().count(), 2);
    }
}
