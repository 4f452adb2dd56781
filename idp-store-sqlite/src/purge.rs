//! [`Maintenance`] for [`SqliteStore`]: bounded deletes of expired rows and
//! the compare-and-swap key rotation. The cutoffs come from the core.
//!
//! SQLite (as bundled) has no `DELETE … LIMIT`, so each batch deletes the
//! keys a `LIMIT`ed subquery picks. Each batch is one autocommit statement:
//! it holds the write lock only while it runs, and a batch another process
//! already deleted simply finds fewer rows.

use crate::{SqliteStore, tenants};
use idp_core::clock::UnixTime;
use idp_core::ids::TenantId;
use idp_core::store::{Expiring, Maintenance, SigningKeyRecord, StoreResult};
use rusqlite::{Connection, Result, TransactionBehavior, params};

/// The statement deleting one batch of `kind`: `?1` tenant, `?2` cutoff,
/// `?3` limit.
fn delete_sql(kind: Expiring) -> &'static str {
    match kind {
        Expiring::AuthorizationCodes => {
            "DELETE FROM codes WHERE rowid IN (
               SELECT rowid FROM codes WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::Interactions => {
            "DELETE FROM interactions WHERE rowid IN (
               SELECT rowid FROM interactions WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::DeviceCodes => {
            "DELETE FROM device_codes WHERE rowid IN (
               SELECT rowid FROM device_codes WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::Sessions => {
            "DELETE FROM sessions WHERE rowid IN (
               SELECT rowid FROM sessions
               WHERE tenant_id = ?1 AND revoked_at IS NULL AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::RevokedSessions => {
            "DELETE FROM sessions WHERE rowid IN (
               SELECT rowid FROM sessions WHERE tenant_id = ?1 AND revoked_at < ?2 LIMIT ?3)"
        }
        Expiring::RefreshTokenFamilies => {
            // The NOT EXISTS probe uses refresh_tokens_by_grant.
            "DELETE FROM refresh_tokens WHERE rowid IN (
               SELECT r.rowid FROM refresh_tokens r
               WHERE r.tenant_id = ?1 AND r.expires_at < ?2
                 AND NOT EXISTS (SELECT 1 FROM refresh_tokens l
                                 WHERE l.tenant_id = ?1 AND l.grant_id = r.grant_id
                                   AND l.expires_at >= ?2)
               LIMIT ?3)"
        }
        Expiring::RevokedAccessTokens => {
            "DELETE FROM revoked_access_tokens WHERE tenant_id = ?1 AND jti IN (
               SELECT jti FROM revoked_access_tokens
               WHERE tenant_id = ?1 AND keep_until < ?2 LIMIT ?3)"
        }
        Expiring::RevokedGrants => {
            "DELETE FROM revoked_grants WHERE tenant_id = ?1 AND grant_id IN (
               SELECT grant_id FROM revoked_grants
               WHERE tenant_id = ?1 AND keep_until < ?2 LIMIT ?3)"
        }
        Expiring::ClientAssertions => {
            "DELETE FROM client_assertions WHERE tenant_id = ?1 AND (client_id, jti) IN (
               SELECT client_id, jti FROM client_assertions
               WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
        }
        Expiring::SessionClients => {
            "DELETE FROM session_clients WHERE tenant_id = ?1 AND (session_id, client_id) IN (
               SELECT c.session_id, c.client_id FROM session_clients c
               WHERE c.tenant_id = ?1
                 AND NOT EXISTS (SELECT 1 FROM sessions s
                                 WHERE s.tenant_id = ?1 AND s.id = c.session_id
                                   AND s.expires_at >= ?2)
               LIMIT ?3)"
        }
    }
}

/// Deletes one batch; returns how many rows went.
pub(crate) fn purge_batch(
    conn: &Connection,
    tenant: &TenantId,
    kind: Expiring,
    before: UnixTime,
    limit: u32,
) -> Result<u64> {
    let n =
        conn.prepare_cached(delete_sql(kind))?
            .execute(params![tenant.as_str(), before, limit])?;
    Ok(n as u64)
}

/// Retires the active keys and inserts `keys` if the active kids are exactly
/// `expected`; one `BEGIN IMMEDIATE` transaction, so two racing callers
/// serialise and the second sees the first's keys.
pub(crate) fn replace_signing_keys(
    conn: &mut Connection,
    tenant: &TenantId,
    expected: &[String],
    keys: &[SigningKeyRecord],
    now: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut active: Vec<String> = tx
        .prepare_cached("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")?
        .query_map([tenant.as_str()], |r| r.get(0))?
        .collect::<Result<_>>()?;
    let mut expected = expected.to_vec();
    active.sort_unstable();
    expected.sort_unstable();
    if active != expected {
        return Ok(false);
    }
    tenants::add_signing_keys_in(&tx, tenant, keys, now)?;
    tx.commit()?;
    Ok(true)
}

/// Deletes keys retired before `before`.
pub(crate) fn delete_retired_keys(
    conn: &Connection,
    tenant: &TenantId,
    before: UnixTime,
) -> Result<u64> {
    let n = conn.execute(
        "DELETE FROM signing_keys
         WHERE tenant_id = ?1 AND retired_at IS NOT NULL AND retired_at < ?2",
        params![tenant.as_str(), before],
    )?;
    Ok(n as u64)
}

impl Maintenance for SqliteStore {
    async fn purge_expired(
        &self,
        tenant: &TenantId,
        kind: Expiring,
        before: UnixTime,
        limit: u32,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| purge_batch(c, &tenant, kind, before, limit))
            .await
    }

    async fn replace_signing_keys(
        &self,
        tenant: &TenantId,
        expected_active: &[String],
        keys: &[SigningKeyRecord],
        now: UnixTime,
    ) -> StoreResult<bool> {
        let (tenant, expected, keys) = (tenant.clone(), expected_active.to_vec(), keys.to_vec());
        self.run(move |c| replace_signing_keys(c, &tenant, &expected, &keys, now))
            .await
    }

    async fn delete_retired_signing_keys(
        &self,
        tenant: &TenantId,
        retired_before: UnixTime,
    ) -> StoreResult<u64> {
        let tenant = tenant.clone();
        self.run(move |c| delete_retired_keys(c, &tenant, retired_before))
            .await
    }
}

#[cfg(test)]
mod tests {
    use crate::testing::{
        TestResult, code_record, refresh_record, session_record, signing_key, two_tenants,
    };
    use idp_core::crypto::secret::SecretHash;
    use idp_core::ids::{ClientId, GrantId, SessionId};
    use idp_core::jwks::SigningAlg;
    use idp_core::store::{
        AccessTokenRef, DeviceCodeRecord, DeviceStatus, Expiring, InteractionRecord, Maintenance,
        Store,
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
            store.create_code(t, &code_record("code-1", "g1")).await?;
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
        // Rows of the sessions that are gone go; the live session's stay.
        assert_eq!(
            store
                .purge_expired(&a, Expiring::SessionClients, 3_000, 10)
                .await?,
            2
        );
        assert_eq!(count(&store, "session_clients")?, 1);
        assert_eq!(count(&store, "sessions")?, 1);
        Ok(())
    }

    #[tokio::test]
    async fn refresh_families_go_whole_once_every_member_expired() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let token = |t: &str, g: &str, exp: i64| {
            let mut r = refresh_record(t, g);
            r.expires_at = exp;
            r
        };
        // g1: a consumed old member and a live one; g2: all expired.
        store
            .create_refresh_token(&a, &token("g1-a", "g1", 1_000))
            .await?;
        store
            .create_refresh_token(&a, &token("g1-b", "g1", 5_000))
            .await?;
        store
            .create_refresh_token(&a, &token("g2-a", "g2", 1_000))
            .await?;
        store
            .create_refresh_token(&a, &token("g2-b", "g2", 2_000))
            .await?;
        assert_eq!(
            store
                .purge_expired(&a, Expiring::RefreshTokenFamilies, 3_000, 10)
                .await?,
            2
        );
        // The expired member of g1 stays: presenting it again must still be
        // detected as reuse.
        assert!(
            store
                .refresh_token(&a, &SecretHash::of("g1-a"))
                .await?
                .is_some()
        );
        assert!(
            store
                .refresh_token(&a, &SecretHash::of("g2-b"))
                .await?
                .is_none()
        );
        assert_eq!(
            store
                .purge_expired(&a, Expiring::RefreshTokenFamilies, 5_001, 10)
                .await?,
            2
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
        store.add_signing_keys(&a, &old, 100).await?;
        store.add_signing_keys(&b, &old, 100).await?;
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
}
