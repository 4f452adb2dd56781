//! [`PushedRequestStore`](crate::store::PushedRequestStore): pushed
//! authorization requests (RFC 9126), each taken once and never after
//! its expiry.

use super::samples::{pushed, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::crypto::secret::SecretHash;
use crate::store::{Expiring, Store, StoreError};
use std::sync::Arc;

/// A pushed request reads back field for field when taken, and is gone
/// after; a second push under the same hash is a `Conflict`.
pub async fn pushed_request_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let p = pushed("urn:ietf:params:oauth:request_uri:one", 2_000);
    store.create_pushed_request(&a, &p).await?;
    let again = store.create_pushed_request(&a, &p).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");
    let got = store
        .take_pushed_request(&a, &p.request_uri_hash, 1_000)
        .await?;
    assert_eq!(got.as_ref(), Some(&p));
    assert!(
        store
            .take_pushed_request(&a, &p.request_uri_hash, 1_000)
            .await?
            .is_none(),
        "taken twice"
    );
    assert!(
        store
            .take_pushed_request(&a, &SecretHash::of("nope"), 1_000)
            .await?
            .is_none()
    );
    Ok(())
}

/// Of many takes of one pushed request at once, exactly one gets it.
pub async fn pushed_request_is_taken_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let p = pushed(&format!("urn:race:{round}"), 2_000);
        store.create_pushed_request(&a, &p).await?;
        let taken = race(&store, |store, _| {
            let (a, hash) = (a.clone(), p.request_uri_hash);
            async move { store.take_pushed_request(&a, &hash, 1_000).await }
        })
        .await?;
        let winners = taken.iter().filter(|t| t.is_some()).count();
        assert_eq!(winners, 1, "round {round}: {RACERS} racers");
    }
    Ok(())
}

/// From its `expires_at` on, a pushed request is never returned; the
/// purge deletes it strictly before the cutoff.
pub async fn pushed_requests_expire<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let p = pushed("urn:expiring", 1_000);
    store.create_pushed_request(&a, &p).await?;
    assert!(
        store
            .take_pushed_request(&a, &p.request_uri_hash, 1_000)
            .await?
            .is_none(),
        "taken at its expiry"
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::PushedRequests, 1_000, 10)
            .await?,
        0
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::PushedRequests, 1_001, 10)
            .await?,
        1
    );
    // Gone for good: not even a clock set back finds it.
    assert!(
        store
            .take_pushed_request(&a, &p.request_uri_hash, 0)
            .await?
            .is_none()
    );
    let live = pushed("urn:live", 1_000);
    store.create_pushed_request(&a, &live).await?;
    assert!(
        store
            .take_pushed_request(&a, &live.request_uri_hash, 999)
            .await?
            .is_some(),
        "taken just before its expiry"
    );
    Ok(())
}

/// A pushed request of one tenant is neither taken nor purged through
/// another.
pub async fn pushed_requests_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let p = pushed("urn:scoped", 1_000);
    store.create_pushed_request(&a, &p).await?;
    // The same hash may exist in both tenants.
    store.create_pushed_request(&b, &p).await?;
    store
        .purge_expired(&b, Expiring::PushedRequests, i64::MAX, 10)
        .await?;
    assert!(
        store
            .take_pushed_request(&b, &p.request_uri_hash, 500)
            .await?
            .is_none()
    );
    assert!(
        store
            .take_pushed_request(&a, &p.request_uri_hash, 500)
            .await?
            .is_some()
    );
    Ok(())
}
