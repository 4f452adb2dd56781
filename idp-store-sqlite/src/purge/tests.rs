//! The SQL of each kind, counted in the tables themselves (the store
//! contract, `tests/contract.rs`, sees the same through the port's reads).

use crate::testing::{TestResult, code_record, refresh_record, session_record, two_tenants};
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId};
use idp_core::store::{
    AccessTokenRef, DeviceCodeRecord, DeviceStatus, DeviceStore, Expiring, GrantStore,
    InteractionRecord, Maintenance, RevocationStore, SessionStore,
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
