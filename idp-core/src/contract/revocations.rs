//! [`RevocationStore`](crate::store::RevocationStore): revoked grants and
//! access tokens, used client assertions.

use super::samples::{access_token, refresh, two_tenants};
use super::{Outcome, RACERS, ROUNDS, race};
use crate::crypto::secret::SecretHash;
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
    for round in 0..ROUNDS {
        let jti = format!("jti-{round}");
        let accepted = race(&store, |store, _| {
            let (a, jti) = (a.clone(), jti.clone());
            async move {
                store
                    .use_client_assertion(&a, &ClientId::new("c1"), &jti, 2_000)
                    .await
            }
        })
        .await?;
        assert_eq!(
            accepted.iter().filter(|&&ok| ok).count(),
            1,
            "round {round}: {accepted:?}"
        );
    }
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

/// A refresh token stored after its grant or its session was revoked (the
/// revocation raced the request that issued it) is stored revoked, and a
/// code issued in a revoked session cannot be redeemed: no revocation is
/// undone by a write that was already under way.
pub async fn tokens_issued_after_a_revocation_are_dead<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    store.revoke_grant(&a, &GrantId::new("g1"), 10_000).await?;
    let late = refresh("rt-late", "g1");
    store.create_refresh_token(&a, &late).await?;
    let got = store
        .refresh_token(&a, &late.token_hash)
        .await?
        .ok_or("missing")?;
    assert!(got.revoked, "a token of a revoked grant was stored live");

    let s1 = SessionId::new("s1");
    store
        .create_session(&a, &super::samples::session("s1", "cookie", 5_000))
        .await?;
    assert!(store.revoke_session(&a, &s1, 1_000).await?);
    let late = refresh("rt-late-2", "g2");
    store.create_refresh_token(&a, &late).await?;
    let got = store
        .refresh_token(&a, &late.token_hash)
        .await?
        .ok_or("missing")?;
    assert!(got.revoked, "a token of a revoked session was stored live");
    let next = refresh("rt-next", "g2");
    assert_eq!(
        store
            .rotate_refresh_token(&a, &late.token_hash, &next, 1_100)
            .await?,
        Rotation::Reused
    );

    let late = super::samples::code("code-late", "g3");
    store.create_code(&a, &late, 1_100).await?;
    let taken = store.take_code(&a, &late.code_hash, 1_101).await?;
    assert!(
        !matches!(taken, crate::store::TakenCode::Fresh(_)),
        "{taken:?}"
    );
    // A live session and grant are not affected.
    let live = crate::store::RefreshTokenRecord {
        session_id: SessionId::new("s2"),
        ..refresh("rt-live", "g4")
    };
    store.create_refresh_token(&a, &live).await?;
    assert!(
        !store
            .refresh_token(&a, &live.token_hash)
            .await?
            .ok_or("missing")?
            .revoked
    );
    Ok(())
}

/// Rotations racing a revocation of their grant: once the revocation has
/// returned, no token of the grant is live, whichever rotation won.
pub async fn grant_revocation_wins_over_racing_rotations<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for round in 0..ROUNDS {
        let grant = GrantId::new(format!("g{round}"));
        let first = refresh(&format!("rt-{round}"), grant.as_str());
        store.create_refresh_token(&a, &first).await?;
        let old = first.token_hash;
        race(&store, |store, i| {
            let (a, grant) = (a.clone(), grant.clone());
            let new = refresh(&format!("rt-{round}-{i}"), grant.as_str());
            async move {
                if i == RACERS / 2 {
                    store.revoke_grant(&a, &grant, 10_000).await
                } else {
                    store
                        .rotate_refresh_token(&a, &old, &new, 50)
                        .await
                        .map(drop)
                }
            }
        })
        .await?;
        for i in 0..RACERS {
            let hash = SecretHash::of(&format!("rt-{round}-{i}"));
            if let Some(t) = store.refresh_token(&a, &hash).await? {
                assert!(t.revoked, "round {round}: rt-{round}-{i} is live");
            }
        }
    }
    Ok(())
}
