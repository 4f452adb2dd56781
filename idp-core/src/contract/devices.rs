//! [`DeviceStore`](crate::store::DeviceStore): device authorizations
//! (RFC 8628), decided once and redeemed once.

use super::samples::{approve, client, device, session, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, SessionId, UserId};
use crate::store::{DeviceCodeRecord, DeviceDecision, DeviceStatus, Store, StoreError};
use std::sync::Arc;

fn assert_same(got: &DeviceCodeRecord, want: &DeviceCodeRecord) {
    assert_eq!(got.device_code_hash, want.device_code_hash);
    assert_eq!(got.user_code, want.user_code);
    assert_eq!(got.grant_id, want.grant_id);
    assert_eq!(got.client_id, want.client_id);
    assert_eq!(got.scope, want.scope);
    assert_eq!(got.status, want.status);
    assert_eq!(got.user_id, want.user_id);
    assert_eq!(got.session_id, want.session_id);
    assert_eq!(got.auth_time, want.auth_time);
    assert_eq!(got.interval, want.interval);
    assert_eq!(got.last_poll_at, want.last_poll_at);
    assert_eq!(got.consumed_at, want.consumed_at);
    assert_eq!(got.created_at, want.created_at);
    assert_eq!(got.expires_at, want.expires_at);
}

/// A device authorization reads back field for field by user code and by
/// poll; a poll records its time and returns the record as it was before;
/// the interval can be changed; another client's poll sees nothing and
/// changes nothing.
pub async fn device_code_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let d = device("dc", "BCDFGHJK");
    store.create_device_code(&a, &d).await?;
    let found = store
        .device_code_by_user_code(&a, "BCDFGHJK", 1_001)
        .await?;
    assert_same(&found.ok_or("by user code")?, &d);
    assert!(
        store
            .device_code_by_user_code(&a, "XXXXXXXX", 1_001)
            .await?
            .is_none()
    );
    let tv = ClientId::new("tv");
    let polled = store
        .poll_device_code(&a, &tv, &d.device_code_hash, 1_010)
        .await?;
    assert_same(&polled.ok_or("poll")?, &d);
    let other = store
        .poll_device_code(&a, &ClientId::new("tv2"), &d.device_code_hash, 1_015)
        .await?;
    assert!(other.is_none());
    store
        .set_device_interval(&a, &d.device_code_hash, 10)
        .await?;
    store
        .set_device_interval(&a, &SecretHash::of("nope"), 10)
        .await?;
    let polled = store
        .poll_device_code(&a, &tv, &d.device_code_hash, 1_020)
        .await?
        .ok_or("poll")?;
    assert_eq!((polled.interval, polled.last_poll_at), (10, Some(1_010)));
    assert_eq!(polled.status, DeviceStatus::Pending);
    assert!(
        store
            .poll_device_code(&a, &tv, &SecretHash::of("nope"), 1_020)
            .await?
            .is_none()
    );
    Ok(())
}

/// A decision is recorded once: approving fills the user, session and
/// authentication time; afterwards the user code no longer finds a pending
/// request and a second decision (or a racing one) is refused.
pub async fn device_decision_is_made_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let (dc, user_code) = (format!("dc{round}"), format!("BCDFGHJ{round}"));
        store
            .create_device_code(&a, &device(&dc, &user_code))
            .await?;
        let decided = race(&store, |store, i| {
            let (a, user_code) = (a.clone(), user_code.clone());
            let decision = if i.is_multiple_of(2) {
                approve()
            } else {
                DeviceDecision::Deny
            };
            async move {
                store
                    .decide_device_code(&a, &user_code, &decision, 1_002)
                    .await
            }
        })
        .await?;
        let winners: Vec<usize> = (0..RACERS).filter(|&i| decided[i]).collect();
        assert_eq!(winners.len(), 1, "round {round}: {decided:?}");
        assert!(
            store
                .device_code_by_user_code(&a, &user_code, 1_003)
                .await?
                .is_none()
        );
        assert!(
            !store
                .decide_device_code(&a, &user_code, &approve(), 1_003)
                .await?
        );
        let d = store
            .poll_device_code(&a, &ClientId::new("tv"), &SecretHash::of(&dc), 1_004)
            .await?
            .ok_or("gone")?;
        if winners[0].is_multiple_of(2) {
            assert_eq!(d.status, DeviceStatus::Approved);
            assert_eq!(d.user_id, Some(UserId::new("u1")));
            assert_eq!(d.session_id, Some(SessionId::new("s1")));
            assert_eq!(d.auth_time, Some(1_010));
        } else {
            assert_eq!(d.status, DeviceStatus::Denied);
            assert_eq!((d.user_id, d.session_id, d.auth_time), (None, None, None));
        }
    }
    Ok(())
}

/// Of many polls of an approved code at once, exactly one sees it
/// unconsumed (and redeems it); later polls see it consumed at that time.
pub async fn device_code_is_redeemed_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let (dc, user_code) = (format!("dc{round}"), format!("BCDFGHJ{round}"));
        store
            .create_device_code(&a, &device(&dc, &user_code))
            .await?;
        assert!(
            store
                .decide_device_code(&a, &user_code, &approve(), 1_002)
                .await?
        );
        let hash = SecretHash::of(&dc);
        let polls = race(&store, |store, _| {
            let a = a.clone();
            async move {
                store
                    .poll_device_code(&a, &ClientId::new("tv"), &hash, 1_020)
                    .await
            }
        })
        .await?;
        let mut redeemed = 0;
        for poll in &polls {
            let d = poll.as_ref().ok_or("a poll found nothing")?;
            assert_eq!(d.status, DeviceStatus::Approved);
            if d.consumed_at.is_none() {
                redeemed += 1;
            }
        }
        assert_eq!(redeemed, 1, "round {round}");
        let after = store
            .poll_device_code(&a, &ClientId::new("tv"), &hash, 1_030)
            .await?
            .ok_or("gone")?;
        assert_eq!(
            (after.consumed_at, after.last_poll_at),
            (Some(1_020), Some(1_020))
        );
    }
    Ok(())
}

/// A user code in use in the tenant is a `Conflict`; of many creations
/// with one user code at once, exactly one succeeds.
pub async fn device_user_codes_are_unique<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_device_code(&a, &device("dc", "BCDFGHJK"))
        .await?;
    let result = store
        .create_device_code(&a, &device("dc2", "BCDFGHJK"))
        .await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    for round in 0..ROUNDS {
        let user_code = format!("WXYZWXY{round}");
        let created = race(&store, |store, i| {
            let a = a.clone();
            let d = device(&format!("dc-{round}-{i}"), &user_code);
            async move {
                match store.create_device_code(&a, &d).await {
                    Ok(()) => Ok(true),
                    Err(StoreError::Conflict(_)) => Ok(false),
                    Err(e) => Err(e),
                }
            }
        })
        .await?;
        assert_eq!(
            created.iter().filter(|&&c| c).count(),
            1,
            "round {round}: {created:?}"
        );
    }
    Ok(())
}

/// From its expiry on, a code is not found by user code, cannot be
/// decided, and an approved one is not redeemed by a poll.
pub async fn device_codes_expire<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store
        .create_device_code(&a, &device("dc", "BCDFGHJK"))
        .await?;
    store
        .create_device_code(&a, &device("dc2", "CDFGHJKL"))
        .await?;
    assert!(
        store
            .device_code_by_user_code(&a, "BCDFGHJK", 1_600)
            .await?
            .is_none()
    );
    assert!(
        !store
            .decide_device_code(&a, "BCDFGHJK", &approve(), 1_600)
            .await?
    );
    assert!(
        store
            .decide_device_code(&a, "CDFGHJKL", &approve(), 1_599)
            .await?
    );
    let late = store
        .poll_device_code(&a, &ClientId::new("tv"), &SecretHash::of("dc2"), 1_600)
        .await?
        .ok_or("gone")?;
    assert_eq!(late.consumed_at, None);
    let again = store
        .poll_device_code(&a, &ClientId::new("tv"), &SecretHash::of("dc2"), 1_601)
        .await?
        .ok_or("gone")?;
    assert_eq!(again.consumed_at, None, "redeemed after its expiry");
    Ok(())
}

/// Through another tenant a device code is neither found, decided, polled
/// nor slowed down; the same user code may exist there.
pub async fn device_codes_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let d = device("dc", "BCDFGHJK");
    store.create_device_code(&a, &d).await?;
    let tv = ClientId::new("tv");
    assert!(
        store
            .device_code_by_user_code(&b, "BCDFGHJK", 1_001)
            .await?
            .is_none()
    );
    assert!(
        !store
            .decide_device_code(&b, "BCDFGHJK", &approve(), 1_001)
            .await?
    );
    assert!(
        store
            .poll_device_code(&b, &tv, &d.device_code_hash, 1_001)
            .await?
            .is_none()
    );
    store
        .set_device_interval(&b, &d.device_code_hash, 60)
        .await?;
    let got = store
        .poll_device_code(&a, &tv, &d.device_code_hash, 1_002)
        .await?
        .ok_or("gone")?;
    assert_same(&got, &d);
    store.create_device_code(&b, &d).await?;
    assert!(
        store
            .decide_device_code(&b, "BCDFGHJK", &approve(), 1_003)
            .await?
    );
    let ours = store
        .device_code_by_user_code(&a, "BCDFGHJK", 1_003)
        .await?;
    assert_eq!(
        ours.ok_or("decided through b")?.status,
        DeviceStatus::Pending
    );
    Ok(())
}

/// Approving records the device's client in the approving session, in the
/// same write, so that the end of that session tells it (front- and
/// back-channel logout); a denial records nothing; an approval in a
/// revoked session is refused, records nothing and leaves the request
/// pending.
pub async fn device_approval_records_its_session_client<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.create_client(&a, &client("tv")).await?;
    let s1 = SessionId::new("s1");
    store
        .create_device_code(&a, &device("dc1", "BCDFGHJK"))
        .await?;
    store
        .create_device_code(&a, &device("dc2", "BCDFGHJL"))
        .await?;
    assert!(
        store
            .decide_device_code(&a, "BCDFGHJL", &DeviceDecision::Deny, 1_001)
            .await?
    );
    assert!(store.take_session_clients(&a, &s1).await?.is_empty());
    assert!(
        store
            .decide_device_code(&a, "BCDFGHJK", &approve(), 1_002)
            .await?
    );
    let taken = store.take_session_clients(&a, &s1).await?;
    let ids: Vec<&str> = taken.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["tv"]);

    let s2 = SessionId::new("s2");
    store
        .create_session(&a, &session("s2", "cookie-2", 100_000))
        .await?;
    assert!(store.revoke_session(&a, &s2, 1_003).await?);
    store
        .create_device_code(&a, &device("dc3", "BCDFGHJM"))
        .await?;
    let in_revoked = DeviceDecision::Approve {
        user_id: UserId::new("u1"),
        session_id: s2.clone(),
        auth_time: 1_000,
    };
    assert!(
        !store
            .decide_device_code(&a, "BCDFGHJM", &in_revoked, 1_004)
            .await?
    );
    assert!(store.take_session_clients(&a, &s2).await?.is_empty());
    let still = store
        .device_code_by_user_code(&a, "BCDFGHJM", 1_005)
        .await?
        .ok_or("the request is no longer pending")?;
    assert_eq!(still.status, DeviceStatus::Pending);
    Ok(())
}
