//! OpenID Connect Front-Channel Logout 1.0 and Back-Channel Logout 1.0:
//! when a login session ends, the relying parties that took part in it are
//! told, so that they end their own sessions too.
//!
//! The authorization endpoint records every client it issues a code to in
//! a session, and the device verification page every device client whose
//! request the user approves in it (RFC 8628: the device has no session of
//! its own; the one it was approved in stands for it). When the session
//! ends, by RP-Initiated Logout ([`logout`](crate::logout)) or by revocation
//! ([`Provider::revoke_session`]), those clients are taken from the store
//! (once: a second end of the same session tells no one again) and:
//!
//! - back-channel: each client with a `backchannel_logout_uri` is POSTed a
//!   Logout Token (Back-Channel §2.4) through the embedding application's
//!   [`Deliver`](crate::provider::Deliver) hook; all deliveries run at once
//!   and the logout waits for them, so the hook's timeout bounds the wait.
//!   A failure is logged (never the token) and does not fail the logout;
//!   a temporary one is queued and retried later
//!   ([`logout_retry`](crate::logout_retry));
//! - front-channel: each client with a `frontchannel_logout_uri` gets that
//!   URL with `iss` and `sid` added (Front-Channel §3), for the "signed out"
//!   page to load in iframes. A revocation has no browser to load them in.
//!
//! `iss` and `sid` (front) and `sid` and `sub` (back) are always sent, so
//! the `*_session_required` metadata is stored and echoed but changes
//! nothing.

use crate::clock::UnixTime;
use crate::crypto::random;
use crate::ids::{SessionId, UserId};
use crate::jose;
use crate::logout_retry::{self, RetryPolicy, Verdict};
use crate::provider::{Deliver, Provider};
use crate::store::{ClientRecord, PendingDelivery, SessionRecord, Store, StoreError};
use crate::telemetry::LogoutDelivery;
use crate::tenant::TenantContext;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::Poll;

/// Back-Channel Logout §2.4: the only member of `events`.
pub const BACKCHANNEL_LOGOUT_EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// Lifetime of a Logout Token: §2.4 recommends a short one (2 minutes).
pub const LOGOUT_TOKEN_LIFETIME: i64 = 120;

/// Back-Channel Logout §2.4: the claims of a Logout Token. `nonce` is
/// forbidden (§2.4: "A nonce Claim MUST NOT be present") and never sent.
#[derive(Serialize)]
struct LogoutTokenClaims<'a> {
    iss: &'a str,
    aud: &'a str,
    iat: UnixTime,
    exp: UnixTime,
    jti: String,
    events: serde_json::Value,
    sid: &'a str,
    sub: &'a str,
}

/// Signs a Logout Token for `client` about the session `sid` of `user`, with
/// the tenant's key of the client's ID-token algorithm and `typ:
/// logout+jwt` (§2.4), issued at `now` with a new `jti`.
pub fn logout_token(
    tenant: &TenantContext,
    client: &ClientRecord,
    sid: &SessionId,
    user: &UserId,
    now: UnixTime,
) -> Result<String, String> {
    let alg = client.id_token_alg;
    let key = tenant
        .keys
        .signing(alg, now)
        .ok_or_else(|| format!("tenant has no {} key", alg.as_str()))?;
    // The subject this client sees (OIDC Core §8: pairwise or public).
    let sub = tenant.subjects.of(client, user);
    let claims = LogoutTokenClaims {
        iss: &tenant.issuer,
        aud: client.id.as_str(),
        iat: now,
        exp: now + LOGOUT_TOKEN_LIFETIME,
        // 128 random bits.
        jti: random::token(16),
        events: serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
        sid: sid.as_str(),
        sub: &sub,
    };
    jose::sign(key, "logout+jwt", &claims).map_err(|e| e.to_string())
}

/// Front-Channel Logout §3: `uri` with `iss` and `sid` appended to any query
/// it already has.
pub fn frontchannel_url(uri: &str, issuer: &str, sid: &str) -> Option<String> {
    let mut url = url::Url::parse(uri).ok()?;
    url.query_pairs_mut()
        .append_pair("iss", issuer)
        .append_pair("sid", sid);
    Some(url.into())
}

type Delivery = Pin<Box<dyn Future<Output = ()> + Send>>;

/// What the end of one or more sessions asks of their relying parties.
#[derive(Default)]
#[must_use = "back-channel notices are sent only by `deliver`"]
pub(crate) struct EndNotices {
    /// Front-channel URLs for the browser to load.
    pub frontchannel: Vec<String>,
    /// Back-channel deliveries, not yet started.
    deliveries: Vec<Delivery>,
}

impl EndNotices {
    /// Adds another session's notices.
    pub(crate) fn extend(&mut self, other: EndNotices) {
        self.frontchannel.extend(other.frontchannel);
        self.deliveries.extend(other.deliveries);
    }

    /// Runs every back-channel delivery concurrently and waits for all of
    /// them; returns the front-channel URLs.
    pub(crate) async fn deliver(self) -> Vec<String> {
        join_all(self.deliveries).await;
        self.frontchannel
    }
}

/// Polls every future in turn until all are done, and returns their
/// outputs in order: concurrency without an async runtime, which the core
/// does not have.
pub(crate) async fn join_all<'a, T>(
    futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>,
) -> Vec<T> {
    let mut pending: Vec<Option<Pin<Box<dyn Future<Output = T> + Send + 'a>>>> =
        futures.into_iter().map(Some).collect();
    let mut done: Vec<Option<T>> = pending.iter().map(|_| None).collect();
    std::future::poll_fn(move |cx| {
        for (slot, out) in pending.iter_mut().zip(done.iter_mut()) {
            if let Some(f) = slot
                && let Poll::Ready(value) = f.as_mut().poll(cx)
            {
                *out = Some(value);
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(done.iter_mut().filter_map(Option::take).collect())
        } else {
            Poll::Pending
        }
    })
    .await
}

impl<S: Store> Provider<S> {
    /// `session` has ended: takes the clients that took part in it and
    /// prepares their notices (call [`EndNotices::deliver`] to send them).
    pub(crate) async fn session_end_notices(
        &self,
        tenant: &TenantContext,
        session: &SessionRecord,
    ) -> Result<EndNotices, StoreError> {
        end_notices(
            &self.store,
            self.deliver.as_ref(),
            self.config.logout_retry.as_ref(),
            tenant,
            session,
            self.clock.now(),
        )
        .await
    }
}

/// `session` has ended at `now`: takes the clients that took part in it
/// and prepares their notices, back-channel ones through `deliver` (call
/// [`EndNotices::deliver`] to send them); with a `retry` policy, a delivery
/// that fails for a reason that may pass is queued for another attempt.
/// Shared by the provider (logout) and the admin service (revocation).
pub(crate) async fn end_notices<S: Store>(
    store: &Arc<S>,
    deliver: Option<&Deliver>,
    retry: Option<&RetryPolicy>,
    tenant: &TenantContext,
    session: &SessionRecord,
    now: UnixTime,
) -> Result<EndNotices, StoreError> {
    let clients = store
        .take_session_clients(&tenant.record.id, &session.id)
        .await?;
    let mut notices = EndNotices::default();
    for client in &clients {
        if let Some(uri) = &client.frontchannel_logout_uri
            && let Some(url) = frontchannel_url(uri, &tenant.issuer, session.id.as_str())
        {
            notices.frontchannel.push(url);
        }
        let Some(uri) = &client.backchannel_logout_uri else {
            continue;
        };
        let Some(deliver) = deliver else {
            tracing::debug!(client = %client.id, "no delivery hook: back-channel logout skipped");
            continue;
        };
        let token = match logout_token(tenant, client, &session.id, &session.user_id, now) {
            Ok(t) => t,
            Err(error) => {
                tracing::error!(client = %client.id, %error, "cannot sign a logout token");
                continue;
            }
        };
        let sending = deliver(uri.clone(), vec![("logout_token".to_owned(), token)]);
        let client_id = client.id.clone();
        let slug = tenant.record.slug.clone();
        // What a retry needs, if failures are retried: never the token.
        let requeue = retry.map(|policy| {
            (
                Arc::clone(store),
                tenant.record.id.clone(),
                policy.clone(),
                PendingDelivery {
                    id: String::new(),
                    client_id: client.id.clone(),
                    uri: uri.clone(),
                    session_id: session.id.clone(),
                    user_id: session.user_id.clone(),
                    attempts: 1,
                    created_at: now,
                    next_attempt_at: now,
                },
            )
        });
        notices.deliveries.push(Box::pin(async move {
            let result = sending.await;
            match logout_retry::verdict(&result) {
                Verdict::Delivered => {
                    LogoutDelivery::Delivered.record();
                    tracing::info!(tenant = %slug, client = %client_id, "back-channel logout delivered");
                }
                Verdict::Refused(status) => {
                    LogoutDelivery::Refused.record();
                    tracing::warn!(tenant = %slug, client = %client_id, status,
                        "back-channel logout refused by the client; not retried");
                }
                Verdict::Retry => {
                    let error = match result {
                        Ok(status) => format!("status {status}"),
                        Err(e) => e,
                    };
                    match requeue {
                        Some((store, tenant_id, policy, delivery)) => {
                            tracing::warn!(tenant = %slug, client = %client_id, %error,
                                "back-channel logout not delivered; queued for retry");
                            logout_retry::enqueue(&*store, (&tenant_id, &slug), &policy, delivery, now)
                                .await;
                        }
                        None => {
                            LogoutDelivery::GivenUp.record();
                            tracing::warn!(tenant = %slug, client = %client_id, %error,
                                "back-channel logout not delivered; retries are off");
                        }
                    }
                }
            }
        }));
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn frontchannel_url_appends_iss_and_sid() {
        assert_eq!(
            frontchannel_url("https://rp.example/fc", "https://op/t/a", "s 1").as_deref(),
            Some("https://rp.example/fc?iss=https%3A%2F%2Fop%2Ft%2Fa&sid=s+1")
        );
        assert_eq!(
            frontchannel_url("https://rp.example/fc?x=1", "i", "s").as_deref(),
            Some("https://rp.example/fc?x=1&iss=i&sid=s")
        );
        assert_eq!(frontchannel_url("not a url", "i", "s"), None);
    }

    /// A future that is pending `n` times (waking itself) before it counts.
    struct Steps(usize, Arc<AtomicUsize>);

    impl Future for Steps {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut std::task::Context<'_>) -> Poll<()> {
            if self.0 == 0 {
                self.1.fetch_add(1, Ordering::SeqCst);
                Poll::Ready(())
            } else {
                self.0 -= 1;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }

    #[test]
    fn join_all_waits_for_every_future() {
        let done = Arc::new(AtomicUsize::new(0));
        let futures: Vec<Delivery> = [3, 0, 7]
            .into_iter()
            .map(|n| Box::pin(Steps(n, Arc::clone(&done))) as Delivery)
            .collect();
        let mut joined = Box::pin(join_all(futures));
        let waker = std::task::Waker::noop();
        let mut cx = std::task::Context::from_waker(waker);
        let mut polls = 0;
        while joined.as_mut().poll(&mut cx).is_pending() {
            polls += 1;
            assert!(polls < 100, "join_all never finished");
        }
        assert_eq!(done.load(Ordering::SeqCst), 3);
        // Polled together: as many rounds as the slowest, not the sum.
        assert_eq!(polls, 7);
    }
}
