//! [`DeliveryStore`](crate::store::DeliveryStore): the queue of failed
//! back-channel logout deliveries, claimed once, bounded per tenant.

use super::samples::two_tenants;
use super::{Outcome, RACERS, ROUNDS, race};
use crate::ids::{ClientId, SessionId, UserId};
use crate::store::{PendingDelivery, Store};
use std::collections::BTreeSet;
use std::sync::Arc;

/// A delivery to client `c1` about session `s1`, first failed at
/// `created_at` and due 100 s later.
fn delivery(id: &str, created_at: i64) -> PendingDelivery {
    PendingDelivery {
        id: id.to_owned(),
        client_id: ClientId::new("c1"),
        uri: "https://rp.example/backchannel".to_owned(),
        session_id: SessionId::new("s1"),
        user_id: UserId::new("u1"),
        attempts: 1,
        created_at,
        next_attempt_at: created_at + 100,
    }
}

fn ids(deliveries: &[PendingDelivery]) -> Vec<&str> {
    deliveries.iter().map(|d| d.id.as_str()).collect()
}

/// A queued delivery reads back whole once due, not before; a claim counts
/// an attempt and holds it until the lease ends, after which it can be
/// claimed again; only its latest claimer can reschedule or remove it.
pub async fn delivery_is_claimed_until_its_lease_ends<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let d = delivery("d1", 1_000);
    assert!(store.enqueue_delivery(&a, &d, 10).await?.is_empty());
    assert!(
        store
            .claim_deliveries(&a, 1_099, 1_160, 10)
            .await?
            .is_empty()
    );
    let claimed = store.claim_deliveries(&a, 1_100, 1_160, 10).await?;
    assert_eq!(
        claimed,
        [PendingDelivery {
            attempts: 2,
            next_attempt_at: 1_160,
            ..d.clone()
        }]
    );
    // Held until the lease ends.
    assert!(
        store
            .claim_deliveries(&a, 1_159, 1_220, 10)
            .await?
            .is_empty()
    );
    let again = store.claim_deliveries(&a, 1_160, 1_220, 10).await?;
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 3);
    // The first claimer lost it: it can neither reschedule nor remove it.
    assert!(!store.reschedule_delivery(&a, "d1", 2, 5_000).await?);
    assert!(!store.remove_delivery(&a, "d1", 2).await?);
    // The latest can.
    assert!(store.reschedule_delivery(&a, "d1", 3, 2_000).await?);
    assert!(
        store
            .claim_deliveries(&a, 1_999, 2_060, 10)
            .await?
            .is_empty()
    );
    let third = store.claim_deliveries(&a, 2_000, 2_060, 10).await?;
    assert_eq!(third.len(), 1);
    assert_eq!(third[0].attempts, 4);
    assert!(store.remove_delivery(&a, "d1", 4).await?);
    assert!(!store.remove_delivery(&a, "d1", 4).await?);
    assert!(
        store
            .claim_deliveries(&a, 9_999, 10_060, 10)
            .await?
            .is_empty()
    );
    assert!(!store.reschedule_delivery(&a, "d1", 4, 1).await?);
    Ok(())
}

/// A claim takes at most `limit` deliveries, the earliest due first.
pub async fn delivery_claims_are_bounded_and_earliest_first<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    // Due at 1 300, 1 100, 1 200.
    for (id, created) in [("late", 1_200), ("early", 1_000), ("middle", 1_100)] {
        store
            .enqueue_delivery(&a, &delivery(id, created), 10)
            .await?;
    }
    let first = store.claim_deliveries(&a, 5_000, 5_060, 2).await?;
    assert_eq!(ids(&first), ["early", "middle"]);
    let rest = store.claim_deliveries(&a, 5_000, 5_060, 2).await?;
    assert_eq!(ids(&rest), ["late"]);
    Ok(())
}

/// Of many claims at once, each due delivery goes to exactly one: two
/// instances never both send it.
pub async fn racing_claims_take_each_delivery_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let base = 10_000 * (round as i64 + 1);
        let queued: BTreeSet<String> = (0..RACERS / 2).map(|i| format!("r{round}-d{i}")).collect();
        for (i, id) in queued.iter().enumerate() {
            store
                .enqueue_delivery(&a, &delivery(id, base + i as i64), 1_000)
                .await?;
        }
        let claims = race(&store, |store, _| {
            let a = a.clone();
            async move { store.claim_deliveries(&a, base + 1_000, i64::MAX, 3).await }
        })
        .await?;
        let mut seen = BTreeSet::new();
        for d in claims.iter().flatten() {
            assert!(
                seen.insert(d.id.clone()),
                "round {round}: {} claimed twice",
                d.id
            );
            assert_eq!(d.attempts, 2, "round {round}");
        }
        assert_eq!(seen, queued, "round {round}");
    }
    Ok(())
}

/// A tenant holds at most `limit` deliveries: a new one in a full queue
/// pushes out the oldest, which come back; another tenant's queue is
/// neither counted nor touched. Racing enqueues never exceed the limit.
pub async fn delivery_queue_is_bounded_per_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for (id, created) in [("b1", 100), ("b2", 200)] {
        store
            .enqueue_delivery(&b, &delivery(id, created), 3)
            .await?;
    }
    for (id, created) in [("a2", 2_000), ("a1", 1_000), ("a3", 3_000)] {
        let evicted = store
            .enqueue_delivery(&a, &delivery(id, created), 3)
            .await?;
        assert!(evicted.is_empty(), "{id}: {evicted:?}");
    }
    let evicted = store
        .enqueue_delivery(&a, &delivery("a4", 4_000), 3)
        .await?;
    assert_eq!(evicted, [delivery("a1", 1_000)]);
    // A lower limit takes as many as needed to get under it.
    let evicted = store
        .enqueue_delivery(&a, &delivery("a5", 5_000), 2)
        .await?;
    assert_eq!(ids(&evicted), ["a2", "a3"]);
    let left = store.claim_deliveries(&a, 99_999, 100_000, 100).await?;
    assert_eq!(ids(&left), ["a4", "a5"]);
    let left_b = store.claim_deliveries(&b, 99_999, 100_000, 100).await?;
    assert_eq!(ids(&left_b), ["b1", "b2"]);

    for round in 0..ROUNDS {
        race(&store, |store, i| {
            let a = a.clone();
            let d = delivery(&format!("q{round}-{i}"), 200_000 + i as i64);
            async move { store.enqueue_delivery(&a, &d, 5).await }
        })
        .await?;
        let held = store
            .claim_deliveries(&a, 999_999, 1_000_000, 1_000)
            .await?;
        assert_eq!(held.len(), 5, "round {round}: {:?}", ids(&held));
        for d in &held {
            assert!(store.remove_delivery(&a, &d.id, d.attempts).await?);
        }
    }
    Ok(())
}

/// Through another tenant, no claim finds a delivery and no reschedule or
/// removal changes one; the same id may exist there.
pub async fn deliveries_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    store
        .enqueue_delivery(&a, &delivery("d1", 1_000), 10)
        .await?;
    assert!(
        store
            .claim_deliveries(&b, 9_999, 10_000, 10)
            .await?
            .is_empty()
    );
    assert!(!store.reschedule_delivery(&b, "d1", 1, 1).await?);
    assert!(!store.remove_delivery(&b, "d1", 1).await?);
    let other = PendingDelivery {
        client_id: ClientId::new("c2"),
        ..delivery("d1", 1_000)
    };
    store.enqueue_delivery(&b, &other, 10).await?;
    let in_a = store.claim_deliveries(&a, 9_999, 10_000, 10).await?;
    assert_eq!(in_a.len(), 1);
    assert_eq!(in_a[0].client_id, ClientId::new("c1"));
    let in_b = store.claim_deliveries(&b, 9_999, 10_000, 10).await?;
    assert_eq!(in_b.len(), 1);
    assert_eq!(in_b[0].client_id, ClientId::new("c2"));
    Ok(())
}
