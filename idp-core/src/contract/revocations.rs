//! [`RevocationStore`](crate::store::RevocationStore): revoked grants and
//! access tokens, used client assertions.

use super::samples::{access_token, refresh, two_tenants};
use super::{Outcome, race};
use crate::ids::{ClientId, GrantId, SessionId};
use crate::store::{Rotation, Store};
use std::sync::Arc;

/// Revoking a grant revokes its refresh tokens (which no longer rotate, and
/// stay unconsumed) and makes its access tokens count as revoked; other
/// grants are untouched. Revoking twice is harmless.
pub async fn grant_revocation_reaches_refresh_and_access_tokens<S: Store>(
    store: Arc<S>,
) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let (g1, g2) = (GrantId::new("g1"), GrantId::new("g2"));
    let (token, sibling, other) = (
        refresh("rt-1", "g1"),
        refresh("rt-s", "g1"),
        refresh("rt-o", "g2"),
    );
    for t in [&token, &sibling, &other] {
        store.create_refresh_token(&a, t).await?;
    }
    assert!(
        !store
            .access_token_revoked(&a, access_token("j1", Some(&g1), None))
            .await?
    );
    store.revoke_grant(&a, &g1, 10_000).await?;
    store.revoke_grant(&a, &g1, 9_000).await?;
    for (t, revoked) in [(&token, true), (&sibling, true), (&other, false)] {
        let got = store
            .refresh_token(&a, &t.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(got.revoked, revoked, "{:?}", t.token_hash);
    }
    let next = refresh("rt-2", "g1");
    assert_eq!(
        store
            .rotate_refresh_token(&a, &token.token_hash, &next, 10)
            .await?,
        Rotation::Reused
    );
    assert!(store.refresh_token(&a, &next.token_hash).await?.is_none());
    let got = store
        .refresh_token(&a, &token.token_hash)
        .await?
        .ok_or("missing")?;
    assert_eq!(got.consumed_at, None);
    assert!(
        store
            .access_token_revoked(&a, access_token("j1", Some(&g1), None))
            .await?
    );
    assert!(
        !store
            .access_token_revoked(&a, access_token("j2", Some(&g2), None))
            .await?
    );
    Ok(())
}

/// One access token is revoked by its `jti`, whatever grant or session it
/// names; a session that was never revoked revokes nothing.
pub async fn access_token_revocation_by_jti<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let (g1, s1) = (GrantId::new("g1"), SessionId::new("s1"));
    assert!(
        !store
            .access_token_revoked(&a, access_token("j1", None, None))
            .await?
    );
    store.revoke_access_token(&a, "j1", 5_000).await?;
    store.revoke_access_token(&a, "j1", 5_000).await?;
    assert!(
        store
            .access_token_revoked(&a, access_token("j1", None, None))
            .await?
    );
    assert!(
        store
            .access_token_revoked(&a, access_token("j1", Some(&g1), Some(&s1)))
            .await?
    );
    assert!(
        !store
            .access_token_revoked(&a, access_token("j2", Some(&g1), Some(&s1)))
            .await?
    );
    Ok(())
}

/// A client assertion's `jti` is accepted once per client.
pub async fn client_assertion_jti_is_used_once<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let (c1, c2) = (ClientId::new("c1"), ClientId::new("c2"));
    assert!(store.use_client_assertion(&a, &c1, "jti-1", 2_000).await?);
    assert!(!store.use_client_assertion(&a, &c1, "jti-1", 3_000).await?);
    assert!(store.use_client_assertion(&a, &c2, "jti-1", 2_000).await?);
    assert!(store.use_client_assertion(&a, &c1, "jti-2", 2_000).await?);
    Ok(())
}

/// Of many uses of one assertion at once, exactly one is accepted.
pub async fn client_assertion_jti_race_has_one_winner<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    let accepted = race(&store, |store, _| {
        let a = a.clone();
        async move {
            store
                .use_client_assertion(&a, &ClientId::new("c1"), "jti", 2_000)
                .await
        }
    })
    .await?;
    assert_eq!(accepted.iter().filter(|&&ok| ok).count(), 1, "{accepted:?}");
    Ok(())
}

/// A revocation or a used assertion in one tenant means nothing in another.
pub async fn revocations_are_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    let g1 = GrantId::new("g1");
    let s1 = SessionId::new("s1");
    let t = refresh("rt-1", "g1");
    store.create_refresh_token(&a, &t).await?;
    store.revoke_grant(&b, &g1, 10_000).await?;
    store.revoke_access_token(&b, "j1", 10_000).await?;
    store
        .create_session(&b, &super::samples::session("s1", "c", 5_000))
        .await?;
    assert!(store.revoke_session(&b, &s1, 1_000).await?);
    assert!(
        !store
            .refresh_token(&a, &t.token_hash)
            .await?
            .ok_or("missing")?
            .revoked
    );
    assert!(
        !store
            .access_token_revoked(&a, access_token("j1", Some(&g1), Some(&s1)))
            .await?
    );
    assert!(
        store
            .access_token_revoked(&b, access_token("j1", None, None))
            .await?
    );
    let c1 = ClientId::new("c1");
    assert!(store.use_client_assertion(&b, &c1, "jti", 2_000).await?);
    assert!(store.use_client_assertion(&a, &c1, "jti", 2_000).await?);
    Ok(())
}
