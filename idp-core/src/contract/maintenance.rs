//! [`Maintenance`](crate::store::Maintenance): bounded deletes of expired
//! rows, each seen through the reads that would otherwise find them.

use super::samples::{access_token, client, code, device, refresh, session, two_tenants};
use super::{Failure, Outcome};
use crate::crypto::secret::SecretHash;
use crate::ids::{ClientId, GrantId, SessionId, TenantId};
use crate::store::{
    CodeRecord, DeviceCodeRecord, Expiring, InteractionRecord, RefreshTokenRecord, Store, TakenCode,
};
use std::sync::Arc;

/// The kinds whose rows [`expiring_rows`] writes, all expiring at 1 000.
const SIMPLE: [Expiring; 7] = [
    Expiring::AuthorizationCodes,
    Expiring::Interactions,
    Expiring::DeviceCodes,
    Expiring::RefreshTokens,
    Expiring::RevokedAccessTokens,
    Expiring::RevokedGrants,
    Expiring::ClientAssertions,
];

/// One row of each kind in [`SIMPLE`], in `tenant`, whose time is 1 000.
async fn expiring_rows<S: Store>(store: &S, tenant: &TenantId) -> Outcome {
    let c = CodeRecord {
        expires_at: 1_000,
        ..code("code-1", "g1")
    };
    store.create_code(tenant, &c, 0).await?;
    let i = InteractionRecord {
        id_hash: SecretHash::of("i1"),
        request_json: "{}".to_owned(),
        session_id: None,
        created_at: 0,
        expires_at: 1_000,
    };
    store.create_interaction(tenant, &i).await?;
    let d = DeviceCodeRecord {
        created_at: 0,
        expires_at: 1_000,
        ..device("dc", "BCDFGHJK")
    };
    store.create_device_code(tenant, &d).await?;
    let t = RefreshTokenRecord {
        expires_at: 1_000,
        ..refresh("rt-1", "g1")
    };
    store.create_refresh_token(tenant, &t).await?;
    store.revoke_access_token(tenant, "jti-1", 1_000).await?;
    store
        .revoke_grant(tenant, &GrantId::new("g7"), 1_000)
        .await?;
    store
        .use_client_assertion(tenant, &ClientId::new("c1"), "a-1", 1_000)
        .await?;
    Ok(())
}

/// Whether the row of `kind` that [`expiring_rows`] wrote is still there,
/// as the port's reads see it.
async fn still_there<S: Store>(
    store: &S,
    tenant: &TenantId,
    kind: Expiring,
) -> Result<bool, Failure> {
    Ok(match kind {
        Expiring::AuthorizationCodes => !matches!(
            store
                .take_code(tenant, &SecretHash::of("code-1"), 0)
                .await?,
            TakenCode::Unknown
        ),
        Expiring::Interactions => store
            .interaction(tenant, &SecretHash::of("i1"), 0)
            .await?
            .is_some(),
        Expiring::DeviceCodes => store
            .poll_device_code(tenant, &ClientId::new("tv"), &SecretHash::of("dc"), 0)
            .await?
            .is_some(),
        Expiring::RefreshTokens => store
            .refresh_token(tenant, &SecretHash::of("rt-1"))
            .await?
            .is_some(),
        Expiring::RevokedAccessTokens => {
            store
                .access_token_revoked(tenant, access_token("jti-1", None, None))
                .await?
        }
        Expiring::RevokedGrants => {
            let g7 = GrantId::new("g7");
            store
                .access_token_revoked(tenant, access_token("j", Some(&g7), None))
                .await?
        }
        Expiring::ClientAssertions => {
            // Probing records the jti when it was gone; that is fine: the
            // probe's own row expires at 1 000 too.
            !store
                .use_client_assertion(tenant, &ClientId::new("c1"), "a-1", 1_000)
                .await?
        }
        other => return Err(format!("{other:?} is not probed").into()),
    })
}

/// Each kind deletes only rows whose time is strictly before the cutoff;
/// a second run finds nothing.
pub async fn purge_goes_strictly_before_the_cutoff<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    expiring_rows(&*store, &a).await?;
    for kind in SIMPLE {
        assert_eq!(
            store.purge_expired(&a, kind, 1_000, 10).await?,
            0,
            "{kind:?}"
        );
        assert!(
            still_there(&*store, &a, kind).await?,
            "{kind:?} went at its time"
        );
    }
    for kind in SIMPLE {
        assert_eq!(
            store.purge_expired(&a, kind, 1_001, 10).await?,
            1,
            "{kind:?}"
        );
        assert_eq!(
            store.purge_expired(&a, kind, 1_001, 10).await?,
            0,
            "{kind:?}"
        );
        assert!(!still_there(&*store, &a, kind).await?, "{kind:?} stayed");
    }
    Ok(())
}

/// A purge deletes at most `limit` rows per call and says how many.
pub async fn purge_batches_are_bounded<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for i in 0..25 {
        store
            .revoke_access_token(&a, &format!("jti-{i}"), 10)
            .await?;
    }
    let mut batches = Vec::new();
    loop {
        let n = store
            .purge_expired(&a, Expiring::RevokedAccessTokens, 11, 10)
            .await?;
        batches.push(n);
        if n < 10 {
            break;
        }
    }
    assert_eq!(batches, [10, 10, 5]);
    Ok(())
}

/// Sessions never revoked go by expiry (ended ones too); revoked ones stay,
/// still revoking their tokens, until their revocation's cutoff; a
/// session's recorded clients go by when they were recorded.
pub async fn purge_of_sessions_and_their_records<S: Store>(store: Arc<S>) -> Outcome {
    let (a, _b) = two_tenants(&*store).await?;
    for (id, expires) in [
        ("old", 2_000),
        ("ended", 2_000),
        ("live", 9_000),
        ("revoked", 2_000),
    ] {
        store.create_session(&a, &session(id, id, expires)).await?;
    }
    store
        .end_session(&a, &SessionId::new("ended"), 1_000)
        .await?;
    let revoked = SessionId::new("revoked");
    assert!(store.revoke_session(&a, &revoked, 1_500).await?);
    assert_eq!(
        store
            .purge_expired(&a, Expiring::Sessions, 2_000, 10)
            .await?,
        0
    );
    assert!(
        store
            .session(&a, &SessionId::new("old"), 0)
            .await?
            .is_some()
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::Sessions, 3_000, 10)
            .await?,
        2
    );
    assert!(
        store
            .session(&a, &SessionId::new("old"), 0)
            .await?
            .is_none()
    );
    assert!(
        store
            .session(&a, &SessionId::new("live"), 3_000)
            .await?
            .is_some()
    );
    let via = access_token("j", None, Some(&revoked));
    assert!(store.access_token_revoked(&a, via).await?);
    assert_eq!(
        store
            .purge_expired(&a, Expiring::RevokedSessions, 1_500, 10)
            .await?,
        0
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::RevokedSessions, 1_501, 10)
            .await?,
        1
    );
    assert!(!store.access_token_revoked(&a, via).await?);

    store.create_client(&a, &client("c1")).await?;
    let (s1, s2) = (SessionId::new("s1"), SessionId::new("s2"));
    store
        .add_session_client(&a, &s1, &ClientId::new("c1"), 1_000)
        .await?;
    store
        .add_session_client(&a, &s2, &ClientId::new("c1"), 2_000)
        .await?;
    assert_eq!(
        store
            .purge_expired(&a, Expiring::SessionClients, 1_000, 10)
            .await?,
        0
    );
    assert_eq!(
        store
            .purge_expired(&a, Expiring::SessionClients, 1_001, 10)
            .await?,
        1
    );
    assert!(store.take_session_clients(&a, &s1).await?.is_empty());
    assert_eq!(store.take_session_clients(&a, &s2).await?.len(), 1);
    Ok(())
}

/// Purging every kind in one tenant leaves the other's rows alone.
pub async fn purge_is_scoped_by_tenant<S: Store>(store: Arc<S>) -> Outcome {
    let (a, b) = two_tenants(&*store).await?;
    for t in [&a, &b] {
        expiring_rows(&*store, t).await?;
        store
            .create_session(t, &session("s1", "cookie", 2_000))
            .await?;
        store
            .create_session(t, &session("s2", "cookie-2", 2_000))
            .await?;
        assert!(
            store
                .revoke_session(t, &SessionId::new("s2"), 1_500)
                .await?
        );
        store.create_client(t, &client("c1")).await?;
        store
            .add_session_client(t, &SessionId::new("s1"), &ClientId::new("c1"), 1_000)
            .await?;
    }
    for kind in Expiring::ALL {
        store.purge_expired(&a, kind, i64::MAX, 100).await?;
    }
    for kind in SIMPLE {
        assert!(
            !still_there(&*store, &a, kind).await?,
            "{kind:?} stayed in a"
        );
        assert!(still_there(&*store, &b, kind).await?, "{kind:?} went in b");
    }
    assert!(store.session(&b, &SessionId::new("s1"), 0).await?.is_some());
    let via = access_token("j", None, None);
    let s2 = SessionId::new("s2");
    assert!(
        store
            .access_token_revoked(
                &b,
                crate::store::AccessTokenRef {
                    session_id: Some(&s2),
                    ..via
                }
            )
            .await?
    );
    assert_eq!(
        store
            .take_session_clients(&b, &SessionId::new("s1"))
            .await?
            .len(),
        1
    );
    Ok(())
}
