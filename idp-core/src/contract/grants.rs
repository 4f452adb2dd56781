//! [`GrantStore`](crate::store::GrantStore): authorization codes and
//! refresh tokens, each redeemed once.

use super::samples::{client, code, refresh, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::crypto::secret::SecretHash;
use crate::store::{CodeRecord, RefreshTokenRecord, Rotation, Store, StoreError, TakenCode};
use std::sync::Arc;

fn assert_same_code(got: &CodeRecord, want: &CodeRecord) {
    assert_eq!(got.code_hash, want.code_hash);
    assert_eq!(got.amr, want.amr);
    assert_eq!(got.grant_id, want.grant_id);
    assert_eq!(got.client_id, want.client_id);
    assert_eq!(got.user_id, want.user_id);
    assert_eq!(got.session_id, want.session_id);
    assert_eq!(got.redirect_uri, want.redirect_uri);
    assert_eq!(got.scope, want.scope);
    assert_eq!(got.nonce, want.nonce);
    assert_eq!(got.code_challenge, want.code_challenge);
    assert_eq!(got.claims, want.claims);
    assert_eq!(got.auth_time, want.auth_time);
    assert_eq!(got.expires_at, want.expires_at);
    assert_eq!(got.resource, want.resource);
}

fn assert_same_token(got: &RefreshTokenRecord, want: &RefreshTokenRecord) {
    assert_eq!(got.token_hash, want.token_hash);
    assert_eq!(got.amr, want.amr);
    assert_eq!(got.grant_id, want.grant_id);
    assert_eq!(got.client_id, want.client_id);
    assert_eq!(got.user_id, want.user_id);
    assert_eq!(got.session_id, want.session_id);
    assert_eq!(got.scope, want.scope);
    assert_eq!(got.claims, want.claims);
    assert_eq!(got.auth_time, want.auth_time);
    assert_eq!(got.issued_at, want.issued_at);
    assert_eq!(got.expires_at, want.expires_at);
    assert_eq!(got.consumed_at, want.consumed_at);
    assert_eq!(got.revoked, want.revoked);
    assert_eq!(got.resource, want.resource);
}

/// A code reads back field for field when taken (optional fields set or
/// not); then it is `AlreadyUsed`, still whole; an unknown one is `Unknown`.
pub async fn code_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let full = code("code-1", "g1");
    let bare = CodeRecord {
        nonce: None,
        code_challenge: None,
        claims: None,
        resource: None,
        ..code("code-2", "g2")
    };
    for c in [&full, &bare] {
        store.create_code(&a, c, 1_000).await?;
        let TakenCode::Fresh(got) = store.take_code(&a, &c.code_hash, 1_001).await? else {
            return Err("first take was not Fresh".into());
        };
        assert_same_code(&got, c);
        let TakenCode::AlreadyUsed(again) = store.take_code(&a, &c.code_hash, 1_002).await? else {
            return Err("second take was not AlreadyUsed".into());
        };
        assert_same_code(&again, c);
    }
    let unknown = store.take_code(&a, &SecretHash::of("nope"), 1_000).await?;
    assert!(matches!(unknown, TakenCode::Unknown), "{unknown:?}");
    Ok(())
}

/// Of many redemptions of one code at once, exactly one gets it `Fresh`;
/// every other one sees `AlreadyUsed`.
pub async fn code_is_taken_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let c = code(&format!("code-race-{round}"), "g1");
        store.create_code(&a, &c, 1_000).await?;
        let taken = race(&store, |store, _| {
            let (a, hash) = (a.clone(), c.code_hash);
            async move { store.take_code(&a, &hash, 1_010).await }
        })
        .await?;
        let fresh = taken
            .iter()
            .filter(|t| matches!(t, TakenCode::Fresh(_)))
            .count();
        let used = taken
            .iter()
            .filter(|t| matches!(t, TakenCode::AlreadyUsed(_)))
            .count();
        assert_eq!((fresh, used), (1, RACERS - 1), "round {round}");
    }
    Ok(())
}

/// Issuing a code records its client in its session, once per client,
/// in the same write: a duplicate code records nothing.
pub async fn code_records_its_session_client<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.create_client(&a, &client("c1")).await?;
    store.create_client(&a, &client("c2")).await?;
    let first = code("code-1", "g1");
    store.create_code(&a, &first, 10).await?;
    store.create_code(&a, &code("code-2", "g2"), 20).await?;
    let taken = store.take_session_clients(&a, &first.session_id).await?;
    let ids: Vec<&str> = taken.iter().map(|c| c.id.as_str()).collect();
    assert_eq!(ids, ["c1"]);
    // A code that cannot be stored records no client either.
    let dup = CodeRecord {
        client_id: crate::ids::ClientId::new("c2"),
        ..first.clone()
    };
    assert!(store.create_code(&a, &dup, 30).await.is_err());
    assert!(
        store
            .take_session_clients(&a, &first.session_id)
            .await?
            .is_empty()
    );
    Ok(())
}

/// A code hash in use in the tenant is a `Conflict`, and the first code is
/// unchanged.
pub async fn code_hashes_are_unique<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let c = code("code-1", "g1");
    store.create_code(&a, &c, 1_000).await?;
    let other = CodeRecord {
        scope: "other".to_owned(),
        ..c.clone()
    };
    let result = store.create_code(&a, &other, 1_000).await;
    assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    let TakenCode::Fresh(got) = store.take_code(&a, &c.code_hash, 1_001).await? else {
        return Err("not Fresh".into());
    };
    assert_same_code(&got, &c);
    Ok(())
}

/// A refresh token reads back field for field, consumed or not.
pub async fn refresh_token_round_trips<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let live = refresh("rt-1", "g1");
    let used = RefreshTokenRecord {
        claims: None,
        consumed_at: Some(1_200),
        resource: None,
        ..refresh("rt-2", "g1")
    };
    for t in [&live, &used] {
        store.create_refresh_token(&a, t).await?;
        assert_same_token(
            &store
                .refresh_token(&a, &t.token_hash)
                .await?
                .ok_or("missing")?,
            t,
        );
    }
    assert!(
        store
            .refresh_token(&a, &SecretHash::of("nope"))
            .await?
            .is_none()
    );
    Ok(())
}

/// Rotation consumes the old token at `now` and stores the new one;
/// presenting the old one again (or an unknown one) is `Reused` and
/// stores nothing.
pub async fn refresh_token_rotation_then_reuse<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let first = refresh("rt-1", "g1");
    store.create_refresh_token(&a, &first).await?;
    let second = refresh("rt-2", "g1");
    let rotated = store
        .rotate_refresh_token(&a, &first.token_hash, &second, 5_000)
        .await?;
    assert_eq!(rotated, Rotation::Rotated);
    let old = store
        .refresh_token(&a, &first.token_hash)
        .await?
        .ok_or("missing")?;
    assert_eq!(old.consumed_at, Some(5_000));
    assert_same_token(
        &store
            .refresh_token(&a, &second.token_hash)
            .await?
            .ok_or("missing")?,
        &second,
    );
    let third = refresh("rt-3", "g1");
    for presented in [first.token_hash, SecretHash::of("unknown")] {
        let reused = store
            .rotate_refresh_token(&a, &presented, &third, 6_000)
            .await?;
        assert_eq!(reused, Rotation::Reused);
        assert!(store.refresh_token(&a, &third.token_hash).await?.is_none());
    }
    let old = store
        .refresh_token(&a, &first.token_hash)
        .await?
        .ok_or("missing")?;
    assert_eq!(old.consumed_at, Some(5_000));
    Ok(())
}

/// Of many rotations of one token at once, exactly one is `Rotated` and
/// only its new token is stored; the others are `Reused`.
pub async fn refresh_token_is_rotated_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let mut current = refresh("rt-0", "g1");
    store.create_refresh_token(&a, &current).await?;
    for round in 0..ROUNDS {
        let old = current.token_hash;
        let results = race(&store, |store, i| {
            let a = a.clone();
            let new = refresh(&format!("rt-{round}-{i}"), "g1");
            async move { store.rotate_refresh_token(&a, &old, &new, 50).await }
        })
        .await?;
        let winners: Vec<usize> = (0..RACERS)
            .filter(|&i| results[i] == Rotation::Rotated)
            .collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        for i in 0..RACERS {
            let hash = SecretHash::of(&format!("rt-{round}-{i}"));
            let stored = store.refresh_token(&a, &hash).await?;
            assert_eq!(stored.is_some(), i == winners[0], "rt-{round}-{i}");
        }
        current = refresh(&format!("rt-{round}-{}", winners[0]), "g1");
    }
    Ok(())
}

/// Through another tenant a code is `Unknown` and stays unredeemed, a
/// refresh token is not found and does not rotate; the same hashes may
/// exist there.
pub async fn grants_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let c = code("code-1", "g1");
    store.create_code(&a, &c, 1_000).await?;
    assert!(matches!(
        store.take_code(&b, &c.code_hash, 1_001).await?,
        TakenCode::Unknown
    ));
    store.create_code(&b, &c, 1_000).await?;
    assert!(matches!(
        store.take_code(&b, &c.code_hash, 1_001).await?,
        TakenCode::Fresh(_)
    ));
    assert!(matches!(
        store.take_code(&a, &c.code_hash, 1_001).await?,
        TakenCode::Fresh(_)
    ));

    let t = refresh("rt-1", "g1");
    store.create_refresh_token(&a, &t).await?;
    assert!(store.refresh_token(&b, &t.token_hash).await?.is_none());
    let next = refresh("rt-2", "g1");
    assert_eq!(
        store
            .rotate_refresh_token(&b, &t.token_hash, &next, 10)
            .await?,
        Rotation::Reused
    );
    assert!(store.refresh_token(&b, &next.token_hash).await?.is_none());
    assert!(store.refresh_token(&a, &next.token_hash).await?.is_none());
    let got = store
        .refresh_token(&a, &t.token_hash)
        .await?
        .ok_or("missing")?;
    assert_eq!(got.consumed_at, None, "consumed through b");
    store.create_refresh_token(&b, &t).await?;
    Ok(())
}

/// A rotation whose new token cannot be stored (its hash is taken) fails
/// whole: the old token stays live and can still be rotated.
pub async fn failed_rotation_changes_nothing<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let (old, taken) = (refresh("rt-1", "g1"), refresh("rt-2", "g1"));
    store.create_refresh_token(&a, &old).await?;
    store.create_refresh_token(&a, &taken).await?;
    let result = store
        .rotate_refresh_token(&a, &old.token_hash, &taken, 50)
        .await;
    assert!(result.is_err(), "{result:?}");
    let got = store
        .refresh_token(&a, &old.token_hash)
        .await?
        .ok_or("missing")?;
    assert_eq!(got.consumed_at, None, "consumed by a failed rotation");
    let next = refresh("rt-3", "g1");
    let rotated = store
        .rotate_refresh_token(&a, &old.token_hash, &next, 60)
        .await?;
    assert_eq!(rotated, Rotation::Rotated);
    Ok(())
}
