//! [`ApiKeyStore`](crate::store::ApiKeyStore) and the API key changes of
//! [`AdminChange`]: the root key's first writer wins; records page, and
//! revocation is recorded once.

use super::audit::audited;
use super::{Outcome, race};
use crate::store::{AdminChange, ApiKeyRecord, Applied, Store, StoreError};
use std::sync::Arc;

/// A key record `id` with every optional field set when `full`; its
/// revocation id is `id` in hex, padded to 64 digits.
pub fn api_key(id: &str, full: bool) -> ApiKeyRecord {
    ApiKeyRecord {
        id: id.to_owned(),
        name: if full {
            format!("Key {id} ✓")
        } else {
            String::new()
        },
        tenant: full.then(|| "a".to_owned()),
        read_only: full,
        expires_at: full.then_some(1_800_000_000),
        revocation_id: format!("{:0>64}", hex(id)),
        created_at: 1_700_000_000,
        revoked_at: None,
    }
}

/// `text`'s bytes in hex.
fn hex(text: &str) -> String {
    text.bytes().map(|b| format!("{b:02x}")).collect()
}

/// Records `key`, audited; what the store said.
async fn create<S: Store>(store: &S, key: &ApiKeyRecord) -> Result<Applied, super::Failure> {
    let change = AdminChange::CreateApiKey { key };
    Ok(audited(store, change, "api_key.create", None).await??)
}

/// Processes starting at once each offer a root key: every one gets the
/// same stored key back, one of those offered, and it stays.
pub async fn api_key_root_first_wins<S: Store>(store: Arc<S>) -> Outcome {
    let got = race(&store, |store, i| async move {
        let candidate = [b"root-".as_slice(), &[i as u8, 0, 255]].concat();
        store.api_key_root(&candidate).await
    })
    .await?;
    let first = got.first().ok_or("no result")?.clone();
    assert!(got.iter().all(|root| *root == first), "{got:?}");
    assert!(first.starts_with(b"root-") && first.len() == 8, "{first:?}");
    assert_eq!(store.api_key_root(b"later").await?, first);
    Ok(())
}

/// Records round-trip with and without their optional fields, page by id
/// strictly after the one given; an unknown id is `None`; an id or a
/// revocation id is taken once.
pub async fn api_keys_round_trip_and_page<S: Store>(store: Arc<S>) -> Outcome {
    for (id, full) in [("k3", true), ("k1", false), ("k2", true)] {
        assert_eq!(create(&*store, &api_key(id, full)).await?, Applied::Done(1));
    }
    assert_eq!(store.api_key("k1").await?, Some(api_key("k1", false)));
    assert_eq!(store.api_key("k2").await?, Some(api_key("k2", true)));
    assert_eq!(store.api_key("nope").await?, None);
    let ids = |keys: Vec<ApiKeyRecord>| -> Vec<String> { keys.into_iter().map(|k| k.id).collect() };
    assert_eq!(ids(store.api_keys_page(None, 2).await?), ["k1", "k2"]);
    assert_eq!(ids(store.api_keys_page(Some("k2"), 2).await?), ["k3"]);
    assert!(store.api_keys_page(Some("k3"), 2).await?.is_empty());
    let mut same_id = api_key("k1", true);
    same_id.revocation_id = "ab".repeat(32);
    let mut same_revocation = api_key("k9", true);
    same_revocation.revocation_id = api_key("k1", false).revocation_id;
    for key in [&same_id, &same_revocation] {
        let change = AdminChange::CreateApiKey { key };
        let result = audited(&*store, change, "api_key.create", None).await?;
        assert!(matches!(result, Err(StoreError::Conflict(_))), "{result:?}");
    }
    assert_eq!(store.api_key("k9").await?, None);
    Ok(())
}

/// Revoking counts 1, then 0 (the first time stays); an unknown key is
/// `Missing`; `any_revoked` sees a revoked key's revocation id among
/// others, and nothing else.
pub async fn api_key_revocation_is_recorded_once<S: Store>(store: Arc<S>) -> Outcome {
    let (k1, k2) = (api_key("k1", true), api_key("k2", false));
    create(&*store, &k1).await?;
    create(&*store, &k2).await?;
    let both = [k1.revocation_id.clone(), k2.revocation_id.clone()];
    assert!(!store.any_revoked(&both).await?);
    let revoke = |id, at| AdminChange::RevokeApiKey { id, at };
    let done = audited(&*store, revoke("k1", 5_000), "api_key.revoke", None).await??;
    assert_eq!(done, Applied::Done(1));
    let again = audited(&*store, revoke("k1", 6_000), "api_key.revoke", None).await??;
    assert_eq!(again, Applied::Done(0));
    let missing = audited(&*store, revoke("nope", 6_000), "api_key.revoke", None).await??;
    assert_eq!(missing, Applied::Missing);
    let got = store.api_key("k1").await?.ok_or("missing")?;
    assert_eq!(got.revoked_at, Some(5_000));
    assert_eq!(store.api_key("k2").await?, Some(k2.clone()));
    assert!(store.any_revoked(&both).await?);
    let unrelated = ["00".repeat(32), k1.revocation_id.clone()];
    assert!(store.any_revoked(&unrelated).await?);
    assert!(
        !store
            .any_revoked(std::slice::from_ref(&k2.revocation_id))
            .await?
    );
    assert!(!store.any_revoked(&["ff".repeat(32)]).await?);
    assert!(!store.any_revoked(&[]).await?);
    Ok(())
}
