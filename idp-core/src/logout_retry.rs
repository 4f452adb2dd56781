//! Retrying back-channel logout deliveries (Back-Channel Logout 1.0 §2.8:
//! the OP may retry a delivery that failed, or give up).
//!
//! A Logout Token that cannot be delivered when a session ends (the relying
//! party is unreachable, times out, or answers 408, 429 or 5xx) is queued in
//! the store ([`DeliveryStore`]), so it survives a restart, and a background
//! job of the embedding application calls
//! [`Provider::retry_logout_deliveries`] every so often. The rules:
//!
//! - **What is retried.** A network error, 408, 429 and 5xx: the relying
//!   party may answer differently later. Any other status (a 4xx, a 3xx,
//!   which is never followed) means it understood and refused the request:
//!   the same request will be refused again, so it is logged and dropped.
//!   Any 2xx is delivered (§2.8 asks for 200; some frameworks send 204).
//! - **A fresh token per attempt.** Only the session id, the user and the
//!   client are stored; each attempt signs a new Logout Token with its own
//!   `iat`, `exp` and `jti` with the tenant's current key, so a retry never
//!   sends an expired token (its lifetime is two minutes, §2.4) nor reuses
//!   a `jti` the relying party may have recorded. It goes to the client's
//!   current `backchannel_logout_uri`; a client deleted since, or that
//!   removed its URI, is not told.
//! - **Backoff.** Attempt `n + 1` comes [`RetryPolicy::first_backoff`] ×
//!   2^(n−1) after attempt `n` failed: with the defaults, six attempts in
//!   all, at the logout and 2, 6, 14, 30 and 62 minutes after it. The last
//!   failure gives up, logged at `warn` with the tenant and client (never
//!   the token).
//! - **A bound per tenant.** At most [`RetryPolicy::queue_limit`]
//!   deliveries wait per tenant; a new failure in a full queue pushes out
//!   the oldest, logged at `warn`. The newest are kept because they are
//!   the likeliest to succeed: the oldest have failed longest.
//! - **Several instances.** A delivery is claimed before it is attempted
//!   (its next attempt is moved [`RetryPolicy::lease`] ahead, in one atomic
//!   write), so instances sharing a database do not both send it; if the
//!   claimer dies, the claim lapses and another instance retries.
//!
//! Not supported: retrying front-channel notices (the browser loads them,
//! or not); a different policy per tenant or client.

use crate::channel_logout::{join_all, logout_token};
use crate::clock::UnixTime;
use crate::crypto::random;
use crate::ids::TenantId;
use crate::provider::Provider;
use crate::store::{DeliveryStore, PendingDelivery, Store, StoreError};
use crate::telemetry::LogoutDelivery;
use crate::tenant::TenantContext;
use std::future::Future;
use std::pin::Pin;

/// How failed back-channel deliveries are retried; see the module docs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first delivery included (at least 1).
    pub max_attempts: u32,
    /// Seconds between the first failure and the second attempt; each later
    /// wait is twice the one before.
    pub first_backoff: i64,
    /// Deliveries that may wait per tenant (at least 1).
    pub queue_limit: u32,
    /// Deliveries one retry run claims per tenant.
    pub batch: u32,
    /// Seconds a claim lasts: longer than the delivery hook's timeout, so a
    /// delivery under way is not claimed again.
    pub lease: i64,
}

/// The default of [`RetryPolicy::max_attempts`]: six attempts over about an hour.
pub const DEFAULT_MAX_ATTEMPTS: u32 = 6;
/// The default of [`RetryPolicy::first_backoff`], two minutes.
pub const DEFAULT_FIRST_BACKOFF: i64 = 120;
/// The default of [`RetryPolicy::queue_limit`].
pub const DEFAULT_QUEUE_LIMIT: u32 = 1000;

/// Longest wait between two attempts, whatever the policy (a day).
const MAX_BACKOFF: i64 = 24 * 3600;

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: DEFAULT_MAX_ATTEMPTS,
            first_backoff: DEFAULT_FIRST_BACKOFF,
            queue_limit: DEFAULT_QUEUE_LIMIT,
            batch: 100,
            lease: 60,
        }
    }
}

impl RetryPolicy {
    /// Seconds to wait after attempt `attempts` (1 = the first) failed
    /// before the next: `first_backoff` × 2^(attempts−1), at most a day.
    pub fn backoff(&self, attempts: u32) -> i64 {
        let doublings = attempts.saturating_sub(1).min(30);
        self.first_backoff
            .max(1)
            .saturating_mul(1_i64 << doublings)
            .min(MAX_BACKOFF)
    }

    /// Whether a delivery whose attempt `attempts` just failed is given up.
    pub fn gives_up(&self, attempts: u32) -> bool {
        attempts >= self.max_attempts
    }
}

/// How one attempt ended, from the delivery hook's answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// 2xx: the relying party logged out.
    Delivered,
    /// It answered; a retry would be answered the same (not retried).
    Refused(u16),
    /// Unreachable, or a temporary error: worth another attempt.
    Retry,
}

/// §2.8 and RFC 9110 §15: which answers are final.
pub fn verdict(result: &Result<u16, String>) -> Verdict {
    match result {
        Ok(200..=299) => Verdict::Delivered,
        Ok(408 | 429 | 500..=599) | Err(_) => Verdict::Retry,
        Ok(status) => Verdict::Refused(*status),
    }
}

/// Queues a delivery whose first attempt failed at `now`; logs (and
/// counts) what a full queue pushed out. A store failure is logged: the
/// logout it belongs to stands.
pub(crate) async fn enqueue<S: DeliveryStore + ?Sized>(
    store: &S,
    tenant: (&TenantId, &str),
    policy: &RetryPolicy,
    mut delivery: PendingDelivery,
    now: UnixTime,
) {
    let (tenant_id, slug) = tenant;
    delivery.id = random::token(16);
    delivery.attempts = 1;
    delivery.created_at = now;
    delivery.next_attempt_at = now + policy.backoff(1);
    match store
        .enqueue_delivery(tenant_id, &delivery, policy.queue_limit.max(1))
        .await
    {
        Ok(evicted) => {
            LogoutDelivery::Queued.record();
            for old in evicted {
                LogoutDelivery::Evicted.record();
                tracing::warn!(tenant = slug, client = %old.client_id, attempts = old.attempts,
                    limit = policy.queue_limit,
                    "back-channel logout retry queue full: the oldest delivery was dropped");
            }
        }
        Err(error) => {
            tracing::warn!(tenant = slug, client = %delivery.client_id, %error,
                "back-channel logout not queued for retry");
        }
    }
}

/// What one retry run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryReport {
    /// Tenants visited.
    pub tenants: usize,
    /// Deliveries attempted.
    pub attempted: usize,
    /// Delivered (2xx).
    pub delivered: usize,
    /// Failed again and rescheduled.
    pub rescheduled: usize,
    /// Dropped: the last attempt failed, the client refused or is gone.
    pub given_up: usize,
    /// Tenants whose queue could not be read: (slug, error).
    pub failed: Vec<(String, String)>,
}

type Attempt<'a> = Pin<Box<dyn Future<Output = AttemptEnd> + Send + 'a>>;

/// How one claimed delivery ended.
enum AttemptEnd {
    Delivered,
    Rescheduled,
    GivenUp,
    /// Left alone (a store or signing failure): the claim lapses and a
    /// later run tries again.
    Lapsed,
}

impl<S: Store> Provider<S> {
    /// Attempts every queued back-channel delivery that is due, in every
    /// tenant: the background job's work. Does nothing without a
    /// [`RetryPolicy`] ([`ProviderConfig::logout_retry`]) or a delivery hook.
    ///
    /// [`ProviderConfig::logout_retry`]: crate::ProviderConfig::logout_retry
    pub async fn retry_logout_deliveries(&self) -> Result<RetryReport, StoreError> {
        let mut report = RetryReport::default();
        let (Some(policy), Some(_)) = (&self.config.logout_retry, &self.deliver) else {
            return Ok(report);
        };
        for record in self.store.list_tenants().await? {
            report.tenants += 1;
            let now = self.clock.now();
            let claimed = match self
                .store
                .claim_deliveries(&record.id, now, now + policy.lease, policy.batch)
                .await
            {
                Ok(c) => c,
                Err(e) => {
                    report.failed.push((record.slug.clone(), e.to_string()));
                    continue;
                }
            };
            if claimed.is_empty() {
                continue;
            }
            let tenant = match self.tenant(&record.slug).await {
                Ok(Some(t)) => t,
                Ok(None) => continue,
                Err(e) => {
                    report.failed.push((record.slug.clone(), e.to_string()));
                    continue;
                }
            };
            report.attempted += claimed.len();
            let attempts: Vec<Attempt<'_>> = claimed
                .into_iter()
                .map(|d| Box::pin(self.attempt(&tenant, policy, d)) as Attempt<'_>)
                .collect();
            for end in join_all(attempts).await {
                match end {
                    AttemptEnd::Delivered => report.delivered += 1,
                    AttemptEnd::Rescheduled => report.rescheduled += 1,
                    AttemptEnd::GivenUp => report.given_up += 1,
                    AttemptEnd::Lapsed => {}
                }
            }
        }
        Ok(report)
    }

    /// Removes a claimed delivery from the queue (a failure is logged: the
    /// claim lapses and the next attempt removes it).
    async fn drop_delivery(&self, tenant: &TenantContext, d: &PendingDelivery) {
        if let Err(error) = self
            .store
            .remove_delivery(&tenant.record.id, &d.id, d.attempts)
            .await
        {
            tracing::warn!(tenant = %tenant.record.slug, client = %d.client_id, %error,
                "back-channel logout delivery not removed from the queue");
        }
    }

    /// One attempt of a claimed delivery, and what follows from it.
    async fn attempt(
        &self,
        tenant: &TenantContext,
        policy: &RetryPolicy,
        d: PendingDelivery,
    ) -> AttemptEnd {
        let (tenant_id, slug) = (&tenant.record.id, tenant.record.slug.as_str());
        let remove = || self.drop_delivery(tenant, &d);
        let client = match self.store.client(tenant_id, &d.client_id).await {
            Ok(c) => c,
            Err(error) => {
                tracing::warn!(tenant = slug, client = %d.client_id, %error,
                    "back-channel logout retry postponed: client not read");
                return AttemptEnd::Lapsed;
            }
        };
        let Some((client, uri)) =
            client.and_then(|c| c.backchannel_logout_uri.clone().map(|uri| (c, uri)))
        else {
            LogoutDelivery::GivenUp.record();
            tracing::info!(tenant = slug, client = %d.client_id,
                "back-channel logout dropped: the client or its backchannel_logout_uri is gone");
            remove().await;
            return AttemptEnd::GivenUp;
        };
        let now = self.clock.now();
        let token = match logout_token(tenant, &client, &d.session_id, &d.user_id, now) {
            Ok(t) => t,
            Err(error) => {
                tracing::error!(tenant = slug, client = %d.client_id, %error,
                    "cannot sign a logout token for a retry");
                return AttemptEnd::Lapsed;
            }
        };
        let Some(deliver) = &self.deliver else {
            return AttemptEnd::Lapsed;
        };
        let result = deliver(uri, vec![("logout_token".to_owned(), token)]).await;
        match verdict(&result) {
            Verdict::Delivered => {
                LogoutDelivery::Delivered.record();
                tracing::info!(tenant = slug, client = %d.client_id, attempts = d.attempts,
                    "back-channel logout delivered on a retry");
                remove().await;
                AttemptEnd::Delivered
            }
            Verdict::Refused(status) => {
                LogoutDelivery::Refused.record();
                tracing::warn!(tenant = slug, client = %d.client_id, attempts = d.attempts, status,
                    "back-channel logout refused by the client; given up");
                remove().await;
                AttemptEnd::GivenUp
            }
            Verdict::Retry if policy.gives_up(d.attempts) => {
                LogoutDelivery::GivenUp.record();
                let error = result.err().unwrap_or_default();
                tracing::warn!(tenant = slug, client = %d.client_id, attempts = d.attempts,
                    %error, "back-channel logout given up after its last attempt");
                remove().await;
                AttemptEnd::GivenUp
            }
            Verdict::Retry => {
                LogoutDelivery::Queued.record();
                let next = now + policy.backoff(d.attempts);
                let error = match &result {
                    Ok(status) => format!("status {status}"),
                    Err(e) => e.clone(),
                };
                tracing::info!(tenant = slug, client = %d.client_id, attempts = d.attempts,
                    %error, next_attempt_at = next, "back-channel logout failed again; rescheduled");
                match self
                    .store
                    .reschedule_delivery(tenant_id, &d.id, d.attempts, next)
                    .await
                {
                    Ok(_) => AttemptEnd::Rescheduled,
                    Err(error) => {
                        tracing::warn!(tenant = slug, client = %d.client_id, %error,
                            "back-channel logout not rescheduled; its claim will lapse");
                        AttemptEnd::Lapsed
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_backoff_spreads_six_attempts_over_about_an_hour() {
        let p = RetryPolicy::default();
        let waits: Vec<i64> = (1..p.max_attempts).map(|n| p.backoff(n)).collect();
        assert_eq!(waits, [120, 240, 480, 960, 1920]);
        let last: i64 = waits.iter().sum();
        assert_eq!(last, 62 * 60);
        assert!(!p.gives_up(5));
        assert!(p.gives_up(6));
    }

    #[test]
    fn backoff_is_capped_and_never_zero() {
        let p = RetryPolicy {
            first_backoff: 0,
            ..RetryPolicy::default()
        };
        assert_eq!(p.backoff(1), 1);
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(40), MAX_BACKOFF);
        assert_eq!(p.backoff(u32::MAX), MAX_BACKOFF);
    }

    #[test]
    fn only_temporary_failures_are_retried() {
        for ok in [200, 202, 204] {
            assert_eq!(verdict(&Ok(ok)), Verdict::Delivered, "{ok}");
        }
        for again in [408, 429, 500, 502, 503, 504] {
            assert_eq!(verdict(&Ok(again)), Verdict::Retry, "{again}");
        }
        assert_eq!(verdict(&Err("connection refused".into())), Verdict::Retry);
        for refused in [301, 400, 401, 404] {
            assert_eq!(
                verdict(&Ok(refused)),
                Verdict::Refused(refused),
                "{refused}"
            );
        }
    }
}
