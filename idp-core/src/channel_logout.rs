//! OpenID Connect Front-Channel Logout 1.0 and Back-Channel Logout 1.0:
//! when a login session ends, the relying parties that took part in it are
//! told, so that they end their own sessions too.
//!
//! The authorization endpoint records every client it issues a code to in
//! a session. When the session ends, by RP-Initiated Logout
//! ([`logout`](crate::logout)) or by revocation
//! ([`Provider::revoke_session`]), those clients are taken from the store
//! (once: a second end of the same session tells no one again) and:
//!
//! - back-channel: each client with a `backchannel_logout_uri` is POSTed a
//!   Logout Token (Back-Channel §2.4) through the embedding application's
//!   [`Deliver`](crate::provider::Deliver) hook; all deliveries run at once
//!   and the logout waits for them, so the hook's timeout bounds the wait.
//!   A failure is logged (never the token) and does not fail the logout;
//! - front-channel: each client with a `frontchannel_logout_uri` gets that
//!   URL with `iss` and `sid` added (Front-Channel §3), for the "signed out"
//!   page to load in iframes. A revocation has no browser to load them in.
//!
//! `iss` and `sid` (front) and `sid` and `sub` (back) are always sent, so
//! the `*_session_required` metadata is stored and echoed but changes
//! nothing. Not supported: retrying a failed delivery (§2.8 lets the OP
//! give up), and telling the clients of device-flow grants, which are not
//! recorded in the session.

use crate::clock::UnixTime;
use crate::crypto::random;
use crate::jose;
use crate::provider::{Deliver, Provider};
use crate::store::{ClientRecord, SessionRecord, Store, StoreError};
use crate::tenant::TenantContext;
use serde::Serialize;
use std::future::Future;
use std::pin::Pin;
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

/// Signs a Logout Token for `client` about `session`, with the tenant's key
/// of the client's ID-token algorithm and `typ: logout+jwt` (§2.4).
pub fn logout_token(
    tenant: &TenantContext,
    client: &ClientRecord,
    session: &SessionRecord,
    now: UnixTime,
) -> Result<String, String> {
    let alg = client.id_token_alg;
    let key = tenant
        .keys
        .signing(alg, now)
        .ok_or_else(|| format!("tenant has no {} key", alg.as_str()))?;
    // The subject this client sees (OIDC Core §8: pairwise or public).
    let sub = tenant.subjects.of(client, &session.user_id);
    let claims = LogoutTokenClaims {
        iss: &tenant.issuer,
        aud: client.id.as_str(),
        iat: now,
        exp: now + LOGOUT_TOKEN_LIFETIME,
        // 128 random bits.
        jti: random::token(16),
        events: serde_json::json!({ BACKCHANNEL_LOGOUT_EVENT: {} }),
        sid: session.id.as_str(),
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

/// Polls every future in turn until all are done: concurrency without an
/// async runtime, which the core does not have.
async fn join_all(futures: Vec<Delivery>) {
    let mut pending: Vec<Option<Delivery>> = futures.into_iter().map(Some).collect();
    std::future::poll_fn(move |cx| {
        for slot in pending.iter_mut() {
            if let Some(f) = slot
                && f.as_mut().poll(cx).is_ready()
            {
                *slot = None;
            }
        }
        if pending.iter().all(Option::is_none) {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
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
            &*self.store,
            self.deliver.as_ref(),
            tenant,
            session,
            self.clock.now(),
        )
        .await
    }
}

/// `session` has ended at `now`: takes the clients that took part in it
/// and prepares their notices, back-channel ones through `deliver` (call
/// [`EndNotices::deliver`] to send them). Shared by the provider (logout)
/// and the admin service (revocation).
pub(crate) async fn end_notices<S: Store>(
    store: &S,
    deliver: Option<&Deliver>,
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
        let token = match logout_token(tenant, client, session, now) {
            Ok(t) => t,
            Err(error) => {
                tracing::error!(client = %client.id, %error, "cannot sign a logout token");
                continue;
            }
        };
        let sending = deliver(uri.clone(), vec![("logout_token".to_owned(), token)]);
        let client_id = client.id.clone();
        notices.deliveries.push(Box::pin(async move {
            // §2.8: the RP answers 200 (some frameworks 204) when it logged out.
            match sending.await {
                Ok(200 | 204) => {
                    tracing::info!(client = %client_id, "back-channel logout delivered");
                }
                Ok(status) => {
                    tracing::warn!(client = %client_id, status, "back-channel logout refused by the client");
                }
                Err(error) => {
                    tracing::warn!(client = %client_id, %error, "back-channel logout not delivered");
                }
            }
        }));
    }
    Ok(notices)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
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
