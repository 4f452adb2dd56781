//! The SQL of each kind, batching, tenant scoping and the key compare-and-swap.

use crate::testing::{
    TestResult, code_record, refresh_record, session_record, signing_key, two_tenants,
};
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId};
use idp_core::jwks::SigningAlg;
use idp_core::store::{
    AccessTokenRef, DeviceCodeRecord, DeviceStatus, DeviceStore, Expiring, GrantStore,
    InteractionRecord, KeyStore, Maintenance, RevocationStore, SessionStore,
};

fn count(store: &crate::SqliteStore, table: &str) -> rusqlite::Result<i64> {
    let conn = rusqlite::Connection::open(store.path())?;
    conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))
}

#[tokio::test]
async fn each_kind_goes_after_its_cutoff_and_only_in_its_tenant() -> TestResult {
    let (_dir, store, a, b) = two_tenants().await?;
    for t in [&a, &b] {
        // Codes expire at 1_060.
        store
            .create_code(t, &code_record("code-1", "g1"), 0)
            .await?;
        store
            .create_interaction(
                t,
                &InteractionRecord {
                    id_hash: SecretHash::of("i1"),
                    request_json: "{}".into(),
                    session_id: None,
                    created_at: 0,
                    expires_at: 1_000,
                },
            )
            .await?;
        store
            .create_device_code(
                t,
                &DeviceCodeRecord {
                    device_code_hash: SecretHash::of("dc"),
                    user_code: "ABCDEFGH".into(),
                    grant_id: GrantId::new("g9"),
                    client_id: ClientId::new("c1"),
                    scope: "openid".into(),
                    status: DeviceStatus::Pending,
                    user_id: None,
                    session_id: None,
                    auth_time: None,
                    interval: 5,
                    last_poll_at: None,
                    consumed_at: None,
                    created_at: 0,
                    expires_at: 1_000,
                },
            )
            .await?;
        store.revoke_access_token(t, "jti-1", 1_000).await?;
        store.revoke_grant(t, &GrantId::new("g7"), 1_000).await?;
        store
            .use_client_assertion(t, &ClientId::new("c1"), "a-1", 1_000)
            .await?;
    }
    let kinds = [
        Expiring::AuthorizationCodes,
        Expiring::Interactions,
        Expiring::DeviceCodes,
        Expiring::RevokedAccessTokens,
        Expiring::RevokedGrants,
        Expiring::ClientAssertions,
    ];
    // At the boundary nothing goes (strictly before).
    for kind in kinds {
        assert_eq!(
            store.purge_expired(&a, kind, 1_000, 10).await?,
            0,
            "{kind:?}"
        );
    }
    assert_eq!(
        store
            .purge_expired(&a, Expiring::AuthorizationCodes, 1_060, 10)
            .await?,
        0
    );
    for kind in kinds {
        assert_eq!(
            store.purge_expired(&a, kind, 1_061, 10).await?,
            1,
            "{kind:?}"
        );
        // Idempotent: a second run (or another process) finds nothing.
        assert_eq!(
            store.purge_expired(&a, kind, 1_061, 10).await?,
            0,
            "{kind:?}"
        );
    }
    for table in [
        "codes",
        "interactions",
        "device_codes",
        "revoked_access_tokens",
        "revoked_grants",
        "client_assertions",
    ] {
        assert_eq!(count(&store, table)?, 1, "{table}: tenant b's row stays");
    }
    // The assertion's jti may be used again once forgotten.
    assert!(
        store
            .use_client_assertion(&a, &ClientId::new("c1"), "a-1", 5_000)
            .await?
    );
    Ok(())
}

#[tokio::test]
async fn sessions_revoked_sessions_and_their_clients() -> TestResult {
    let (_dir, store, a, _b) = two_tenants().await?;
    for (id, expires) in [("old", 2_000), ("live", 9_000), ("revoked", 9_000)] {
        store
            .create_session(&a, &session_record(id, id, expires))
            .await?;
        store
            .add_session_client(&a, &SessionId::new(id), &ClientId::new("c1"), 1_000)
            .await?;
    }
    store
        .add_session_client(&a, &SessionId::new("live"), &ClientId::new("c2"), 2_000)
        .await?;
    store
        .revoke_session(&a, &SessionId::new("revoked"), 1_500)
        .await?;
    assert_eq!(
        store
            .purge_expired(&a, Expiring::Sessions, 3_000, 10)
            .await?,
        1
    );
    assert!(
        store
            .session(&a, &SessionId::new("live"), 3_000)
            .await?
            .is_some()
    );
    // The revoked session still revokes its tokens until its cutoff.
    let via = |sid| AccessTokenRef {
        jti: "j",
        grant_id: None,
        session_id: Some(sid),
    };
    let revoked = SessionId::new("revoked");
    assert_eq!(
        store
            .purge_expired(&a, Expiring::RevokedSessions, 1_500, 10)
            .await?,
        0
    );
    assert!(store.access_token_revoked(&a, via(&revoked)).await?);
    assert_eq!(
        store
            .purge_expired(&a, Expiring::RevokedSessions, 1_501, 10)
            .await?,
        1
    );
    // Rows recorded before the cutoff go (the core passes one a session
    // lifetime back, so their sessions have expired).
    assert_eq!(
        store
            .purge_expired(&a, Expiring::SessionClients, 1_001, 10)
            .await?,
        3
    );
    assert_eq!(count(&store, "session_clients")?, 1);
    assert_eq!(count(&store, "sessions")?, 1);
    Ok(())
}

#[tokio::test]
async fn refresh_tokens_go_once_expired_consumed_or_not() -> TestResult {
    let (_dir, store, a, _b) = two_tenants().await?;
    let token = |t: &str, exp: i64, consumed: Option<i64>| {
        let mut r = refresh_record(t, "g1");
        r.expires_at = exp;
        r.consumed_at = consumed;
        r
    };
    for r in [
        token("old-consumed", 1_000, Some(900)),
        token("old", 1_000, None),
        token("live", 5_000, None),
    ] {
        store.create_refresh_token(&a, &r).await?;
    }
    assert_eq!(
        store
            .purge_expired(&a, Expiring::RefreshTokens, 3_000, 10)
            .await?,
        2
    );
    assert!(
        store
            .refresh_token(&a, &SecretHash::of("live"))
            .await?
            .is_some()
    );
    Ok(())
}

#[tokio::test]
async fn batches_are_bounded() -> TestResult {
    let (_dir, store, a, _b) = two_tenants().await?;
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

#[tokio::test]
async fn key_replacement_is_a_compare_and_swap() -> TestResult {
    let (_dir, store, a, b) = two_tenants().await?;
    let old = [
        signing_key("k1", SigningAlg::Rs256, 100),
        signing_key("k2", SigningAlg::Es256, 100),
    ];
    assert!(store.replace_signing_keys(&a, &[], &old, 100).await?);
    assert!(store.replace_signing_keys(&b, &[], &old, 100).await?);
    let seen = vec!["k2".to_owned(), "k1".to_owned()];
    let first = [signing_key("n1", SigningAlg::Rs256, 200)];
    let second = [signing_key("m1", SigningAlg::Rs256, 200)];
    assert!(store.replace_signing_keys(&a, &seen, &first, 200).await?);
    // A second rotation based on the same view loses.
    assert!(!store.replace_signing_keys(&a, &seen, &second, 200).await?);
    let keys = store.signing_keys(&a).await?;
    let kids: Vec<_> = keys.iter().map(|k| k.kid.as_str()).collect();
    assert_eq!(kids.len(), 3, "{kids:?}");
    assert!(!kids.contains(&"m1"));
    assert!(
        keys.iter()
            .all(|k| (k.kid == "n1") == k.retired_at.is_none())
    );

    // Retired keys go after their cutoff, active ones never.
    assert_eq!(store.delete_retired_signing_keys(&a, 200).await?, 0);
    assert_eq!(store.delete_retired_signing_keys(&a, 201).await?, 2);
    assert_eq!(store.delete_retired_signing_keys(&a, i64::MAX).await?, 0);
    assert_eq!(store.signing_keys(&a).await?.len(), 1);
    // Tenant b was not touched.
    assert_eq!(store.signing_keys(&b).await?.len(), 2);
    Ok(())
}
