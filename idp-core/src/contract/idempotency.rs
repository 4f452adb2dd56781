//! [`IdempotencyStore`](crate::store::IdempotencyStore): a key is claimed
//! once while it lives, completed once, released if its request failed,
//! replaced once expired.

use super::{Outcome, ROUNDS, race};
use crate::store::{IdempotencyRecord, Store};
use std::sync::Arc;

/// A claim of `scope` made at 1 000, living until 2 000.
pub fn claim(scope: &str, fingerprint: &str) -> IdempotencyRecord {
    IdempotencyRecord {
        scope: scope.to_owned(),
        fingerprint: fingerprint.to_owned(),
        status: None,
        body: Vec::new(),
        created_at: 1_000,
        expires_at: 2_000,
    }
}

/// The first claim inserts (`None`); the next sees it in progress; once
/// completed, claims see the status and body; completing twice, or a scope
/// never claimed, is `false`.
pub async fn idempotency_key_is_claimed_then_completed<S: Store>(store: Arc<S>) -> Outcome {
    let record = claim("scope-1", "fp-1");
    assert_eq!(store.claim_idempotency_key(&record, 1_000).await?, None);
    let other = claim("scope-1", "fp-2");
    assert_eq!(
        store.claim_idempotency_key(&other, 1_500).await?,
        Some(record.clone())
    );
    let body = [b"sealed".as_slice(), &[0, 255, 1]].concat();
    assert!(
        store
            .complete_idempotency_key("scope-1", 201, &body)
            .await?
    );
    assert!(!store.complete_idempotency_key("scope-1", 500, b"x").await?);
    assert!(!store.complete_idempotency_key("scope-2", 201, b"x").await?);
    let done = IdempotencyRecord {
        status: Some(201),
        body: body.clone(),
        ..record.clone()
    };
    assert_eq!(
        store.claim_idempotency_key(&other, 1_999).await?,
        Some(done.clone())
    );
    // A release leaves a completed record alone.
    store.release_idempotency_key("scope-1").await?;
    assert_eq!(
        store.claim_idempotency_key(&other, 1_999).await?,
        Some(done)
    );
    Ok(())
}

/// A released claim is gone, so a retry claims anew; an expired record
/// (expiring at or before `now`) is replaced by the new claim.
pub async fn idempotency_key_is_released_or_replaced<S: Store>(store: Arc<S>) -> Outcome {
    let record = claim("scope-1", "fp-1");
    assert_eq!(store.claim_idempotency_key(&record, 1_000).await?, None);
    store.release_idempotency_key("scope-1").await?;
    store.release_idempotency_key("never-claimed").await?;
    let retry = claim("scope-1", "fp-2");
    assert_eq!(store.claim_idempotency_key(&retry, 1_100).await?, None);
    assert!(
        store
            .complete_idempotency_key("scope-1", 200, b"ok")
            .await?
    );
    let later = IdempotencyRecord {
        created_at: 2_000,
        expires_at: 3_000,
        ..claim("scope-1", "fp-3")
    };
    assert_eq!(store.claim_idempotency_key(&later, 2_000).await?, None);
    let seen = store
        .claim_idempotency_key(&claim("scope-1", "fp-4"), 2_500)
        .await?;
    assert_eq!(seen, Some(later));
    Ok(())
}

/// The purge deletes at most `limit` records expired strictly before the
/// cutoff, completed or not.
pub async fn idempotency_purge_is_bounded_and_strict<S: Store>(store: Arc<S>) -> Outcome {
    for (scope, expires_at) in [("s1", 100), ("s2", 200), ("s3", 300), ("s4", 400)] {
        let record = IdempotencyRecord {
            created_at: 50,
            expires_at,
            ..claim(scope, "fp")
        };
        assert_eq!(store.claim_idempotency_key(&record, 50).await?, None);
    }
    assert!(store.complete_idempotency_key("s1", 200, b"ok").await?);
    assert_eq!(store.purge_idempotency_keys(300, 1).await?, 1);
    assert_eq!(store.purge_idempotency_keys(300, 10).await?, 1);
    assert_eq!(store.purge_idempotency_keys(300, 10).await?, 0);
    // s3 and s4 are still there (claims at 50 see them in progress).
    for scope in ["s3", "s4"] {
        let seen = store.claim_idempotency_key(&claim(scope, "x"), 50).await?;
        assert_eq!(seen.map(|r| r.status), Some(None), "{scope}");
    }
    Ok(())
}

/// Racing claims of one scope: exactly one inserts, every other sees its
/// record.
pub async fn racing_claims_have_one_winner<S: Store>(store: Arc<S>) -> Outcome {
    for round in 0..ROUNDS {
        let scope = format!("scope-{round}");
        let results = race(&store, |store, i| {
            let record = claim(&scope, &format!("fp-{i}"));
            async move { store.claim_idempotency_key(&record, 1_000).await }
        })
        .await?;
        let winners: Vec<usize> = (0..results.len())
            .filter(|&i| results[i].is_none())
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let winner = format!("fp-{}", winners[0]);
        for seen in results.iter().flatten() {
            assert_eq!(seen.fingerprint, winner, "round {round}");
        }
    }
    Ok(())
}
