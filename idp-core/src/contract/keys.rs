//! [`KeyStore`](crate::store::KeyStore): signing keys and the one
//! compare-and-swap rotation.

use super::samples::{signing_key, tenant, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::jwks::SigningAlg;
use crate::store::{SigningKeyRecord, Store};
use std::sync::Arc;

fn kids(keys: &[SigningKeyRecord]) -> Vec<&str> {
    keys.iter().map(|k| k.kid.as_str()).collect()
}

/// Keys read back field for field, newest first (equal times: the one
/// inserted last first).
pub async fn signing_keys_round_trip_newest_first<S: Store>(store: Arc<S>) -> Outcome {
    let t = tenant("acme");
    let mut retired = signing_key("old", SigningAlg::Rs256, 100);
    retired.retired_at = Some(500);
    let keys = [
        retired,
        signing_key("ec", SigningAlg::Es256, 200),
        signing_key("ed", SigningAlg::EdDsa, 200),
    ];
    store.create_tenant(&t, &keys).await?;
    let got = store.signing_keys(&t.id).await?;
    assert_eq!(kids(&got), ["ed", "ec", "old"]);
    for (got, want) in got.iter().zip(keys.iter().rev()) {
        assert_eq!(got.alg, want.alg);
        assert_eq!(got.sealed_private_key, want.sealed_private_key);
        assert_eq!(got.created_at, want.created_at);
        assert_eq!(got.activates_at, want.activates_at);
        assert_eq!(got.retired_at, want.retired_at);
    }
    Ok(())
}

/// The rotation applies only if the active kids are exactly the expected
/// ones (in any order); it retires them at `now` and adds the new keys.
pub async fn key_rotation_is_a_compare_and_swap<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let first = [
        signing_key("k1", SigningAlg::Rs256, 100),
        signing_key("k2", SigningAlg::Es256, 100),
    ];
    // No key yet: the expected set is empty.
    assert!(
        !store
            .replace_signing_keys(&a, &["x".to_owned()], &first, 100)
            .await?
    );
    assert!(store.replace_signing_keys(&a, &[], &first, 100).await?);
    let next = [signing_key("n1", SigningAlg::Rs256, 200)];
    let other = [signing_key("m1", SigningAlg::Rs256, 200)];
    // A subset or a superset of the active kids is not a match.
    assert!(
        !store
            .replace_signing_keys(&a, &["k1".to_owned()], &next, 200)
            .await?
    );
    let superset = ["k1".to_owned(), "k2".to_owned(), "k3".to_owned()];
    assert!(
        !store
            .replace_signing_keys(&a, &superset, &next, 200)
            .await?
    );
    let seen = ["k2".to_owned(), "k1".to_owned()];
    assert!(store.replace_signing_keys(&a, &seen, &next, 200).await?);
    // A second rotation from the same view loses and changes nothing.
    assert!(!store.replace_signing_keys(&a, &seen, &other, 300).await?);
    let keys = store.signing_keys(&a).await?;
    assert_eq!(kids(&keys), ["n1", "k2", "k1"]);
    for k in &keys {
        let want = if k.kid == "n1" { None } else { Some(200) };
        assert_eq!(k.retired_at, want, "{}", k.kid);
    }
    Ok(())
}

/// A key that activates at `activates_at`, as a scheduled rotation stores it.
fn pending(kid: &str, alg: SigningAlg, created_at: i64, activates_at: i64) -> SigningKeyRecord {
    SigningKeyRecord {
        activates_at,
        ..signing_key(kid, alg, created_at)
    }
}

/// A rotation whose keys activate later (ADR 0024) keeps their activation
/// time and retires the old keys at that time, still ahead: the old keys
/// are not purged before it, and the new ones are the current set a
/// further rotation compares with.
pub async fn a_rotation_retires_the_old_keys_when_the_new_ones_activate<S: Store>(
    store: Arc<S>,
) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let old = [
        signing_key("k1", SigningAlg::Rs256, 100),
        signing_key("k2", SigningAlg::Es256, 100),
    ];
    assert!(store.replace_signing_keys(&a, &[], &old, 100).await?);
    // Rotated at 200, activating at 500.
    let next = [
        pending("n1", SigningAlg::Rs256, 200, 500),
        pending("n2", SigningAlg::Es256, 200, 500),
    ];
    let seen = ["k1".to_owned(), "k2".to_owned()];
    assert!(store.replace_signing_keys(&a, &seen, &next, 500).await?);
    let keys = store.signing_keys(&a).await?;
    assert_eq!(kids(&keys), ["n2", "n1", "k2", "k1"]);
    for k in &keys {
        let (activates, retires) = if k.kid.starts_with('n') {
            (500, None)
        } else {
            (100, Some(500))
        };
        assert_eq!(
            (k.activates_at, k.retired_at),
            (activates, retires),
            "{}",
            k.kid
        );
    }
    // A retirement still ahead is not purged before it.
    assert_eq!(store.delete_retired_signing_keys(&a, 500).await?, 0);
    // The pending keys are the current set: a rotation from the old view loses.
    let late = [signing_key("x", SigningAlg::Rs256, 300)];
    assert!(!store.replace_signing_keys(&a, &seen, &late, 300).await?);
    assert_eq!(store.signing_keys(&a).await?.len(), 4);
    Ok(())
}

/// An immediate rotation while keys are still pending retires every key not
/// retired by its time at that time, the pending ones and the old ones
/// alike (none keeps a later retirement), and nothing retired earlier.
pub async fn an_immediate_rotation_cuts_short_every_later_retirement<S: Store>(
    store: Arc<S>,
) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let k = |kid| signing_key(kid, SigningAlg::Rs256, 100);
    assert!(store.replace_signing_keys(&a, &[], &[k("k0")], 100).await?);
    assert!(
        store
            .replace_signing_keys(&a, &["k0".to_owned()], &[k("k1")], 150)
            .await?
    );
    let next = [pending("next", SigningAlg::Rs256, 200, 900)];
    assert!(
        store
            .replace_signing_keys(&a, &["k1".to_owned()], &next, 900)
            .await?
    );
    let now = [signing_key("now", SigningAlg::Rs256, 300)];
    assert!(
        store
            .replace_signing_keys(&a, &["next".to_owned()], &now, 300)
            .await?
    );
    let keys = store.signing_keys(&a).await?;
    let retired: Vec<(&str, Option<i64>)> = keys
        .iter()
        .map(|k| (k.kid.as_str(), k.retired_at))
        .collect();
    assert_eq!(
        retired,
        [
            ("now", None),
            ("next", Some(300)),
            ("k1", Some(300)),
            ("k0", Some(150))
        ]
    );
    Ok(())
}

/// Of many processes rotating from the same view at once, exactly one
/// stores its keys.
pub async fn key_rotation_is_applied_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let mut active = vec!["k0".to_owned()];
    store
        .replace_signing_keys(&a, &[], &[signing_key("k0", SigningAlg::Rs256, 100)], 100)
        .await?;
    for round in 0..ROUNDS {
        let expected = active.clone();
        let won = race(&store, |store, i| {
            let (a, expected) = (a.clone(), expected.clone());
            async move {
                let fresh = [
                    signing_key(&format!("r{round}-{i}"), SigningAlg::Rs256, 200),
                    signing_key(&format!("e{round}-{i}"), SigningAlg::Es256, 200),
                ];
                store.replace_signing_keys(&a, &expected, &fresh, 200).await
            }
        })
        .await?;
        let winners: Vec<usize> = (0..RACERS).filter(|&i| won[i]).collect();
        assert_eq!(winners.len(), 1, "round {round}: {winners:?}");
        let w = winners[0];
        let keys = store.signing_keys(&a).await?;
        active = keys
            .iter()
            .filter(|k| k.retired_at.is_none())
            .map(|k| k.kid.clone())
            .collect();
        active.sort_unstable();
        assert_eq!(active, [format!("e{round}-{w}"), format!("r{round}-{w}")]);
        assert_eq!(keys.len(), 1 + 2 * (round + 1), "{:?}", kids(&keys));
    }
    Ok(())
}

/// Keys retired strictly before the cutoff are deleted; active keys never.
pub async fn retired_keys_are_deleted_after_their_cutoff<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let k = |kid| signing_key(kid, SigningAlg::Rs256, 100);
    store.replace_signing_keys(&a, &[], &[k("k1")], 100).await?;
    store
        .replace_signing_keys(&a, &["k1".to_owned()], &[k("k2")], 200)
        .await?;
    store
        .replace_signing_keys(&a, &["k2".to_owned()], &[k("k3")], 300)
        .await?;
    assert_eq!(store.delete_retired_signing_keys(&a, 200).await?, 0);
    assert_eq!(store.delete_retired_signing_keys(&a, 201).await?, 1);
    assert_eq!(kids(&store.signing_keys(&a).await?), ["k3", "k2"]);
    assert_eq!(store.delete_retired_signing_keys(&a, i64::MAX).await?, 1);
    assert_eq!(store.delete_retired_signing_keys(&a, i64::MAX).await?, 0);
    assert_eq!(kids(&store.signing_keys(&a).await?), ["k3"]);
    Ok(())
}

/// Another tenant's keys are neither seen, matched, rotated nor deleted.
pub async fn keys_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    // The same kid in two tenants is no conflict.
    store
        .replace_signing_keys(&a, &[], &[signing_key("k", SigningAlg::Rs256, 100)], 100)
        .await?;
    store
        .replace_signing_keys(&b, &[], &[signing_key("k", SigningAlg::Es256, 100)], 100)
        .await?;
    let theirs = store.signing_keys(&b).await?;
    assert_eq!(theirs.len(), 1);
    assert_eq!(theirs[0].alg, SigningAlg::Es256);
    // Rotating a leaves b's key active; deleting a's retired keys leaves b's.
    let next = [signing_key("n", SigningAlg::Rs256, 200)];
    assert!(
        store
            .replace_signing_keys(&a, &["k".to_owned()], &next, 200)
            .await?
    );
    assert_eq!(store.signing_keys(&b).await?[0].retired_at, None);
    let next = [signing_key("n", SigningAlg::Es256, 300)];
    assert!(
        store
            .replace_signing_keys(&b, &["k".to_owned()], &next, 300)
            .await?
    );
    assert_eq!(store.delete_retired_signing_keys(&a, i64::MAX).await?, 1);
    assert_eq!(kids(&store.signing_keys(&b).await?), ["n", "k"]);
    assert_eq!(kids(&store.signing_keys(&a).await?), ["n"]);
    Ok(())
}
