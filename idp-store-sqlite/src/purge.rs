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
use std::time::{Duration, Instant};

/// Longest pause between two full batches.
const MAX_PAUSE: Duration = Duration::from_millis(200);

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
        Expiring::RefreshTokens => {
            "DELETE FROM refresh_tokens WHERE rowid IN (
               SELECT rowid FROM refresh_tokens WHERE tenant_id = ?1 AND expires_at < ?2 LIMIT ?3)"
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
               SELECT session_id, client_id FROM session_clients
               WHERE tenant_id = ?1 AND created_at < ?2 LIMIT ?3)"
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
        self.run(move |c| {
            let started = Instant::now();
            let n = purge_batch(c, &tenant, kind, before, limit)?;
            if n >= u64::from(limit) {
                // More batches follow at once: leave the write lock free for
                // as long as this one held it, so that writers waiting in
                // SQLite's busy handler get their turn and a backlog purge
                // takes at most about half of the write time.
                std::thread::sleep(started.elapsed().min(MAX_PAUSE));
            }
            Ok(n)
        })
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

/// How long a purge holds the write lock: `cargo test --release -p
/// idp-store-sqlite purge_timing -- --ignored --nocapture`. Not a test of
/// correctness; it prints figures.
#[cfg(test)]
mod timing {
    use crate::testing::{TestResult, two_tenants};
    use idp_core::store::{Expiring, Maintenance};
    use std::time::{Duration, Instant};

    async fn purge_batch_for_timing(
        store: &crate::SqliteStore,
        tenant: &idp_core::ids::TenantId,
        kind: Expiring,
    ) -> Result<u64, idp_core::store::StoreError> {
        store
            .purge_expired(tenant, kind, 5_000, idp_core::purge::PURGE_BATCH)
            .await
    }

    #[tokio::test]
    #[ignore]
    async fn purge_timing() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        const N: i64 = 200_000;
        {
            let mut conn = rusqlite::Connection::open(store.path())?;
            let tx = conn.transaction()?;
            {
                let mut code = tx.prepare(
                    "INSERT INTO codes (tenant_id, code_hash, grant_id, client_id, user_id,
                       session_id, redirect_uri, scope, auth_time, expires_at)
                     VALUES (?1, randomblob(32), 'g', 'c', 'u', 's', 'https://rp/cb', 'openid', 0, ?2)",
                )?;
                let mut rt = tx.prepare(
                    "INSERT INTO refresh_tokens (tenant_id, token_hash, grant_id, client_id,
                       user_id, session_id, scope, auth_time, issued_at, expires_at)
                     VALUES (?1, randomblob(32), ?2, 'c', 'u', 's', 'openid', 0, 0, ?3)",
                )?;
                for i in 0..N {
                    // Half expired (at 1_000), half live (at 10_000), interleaved.
                    let exp = if i % 2 == 0 { 1_000 } else { 10_000 };
                    code.execute(rusqlite::params![a.as_str(), exp])?;
                    // Families of 4 members; every other family wholly expired.
                    let family = i / 4;
                    let exp = if family % 2 == 0 { 1_000 } else { 10_000 };
                    rt.execute(rusqlite::params![a.as_str(), format!("g{family}"), exp])?;
                }
            }
            tx.commit()?;
        }
        for kind in [Expiring::AuthorizationCodes, Expiring::RefreshTokens] {
            // A writer on another connection, as the token endpoint would be.
            let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
            let writer = {
                let (stop, path, tenant) = (stop.clone(), store.path().to_owned(), b.clone());
                std::thread::spawn(move || -> rusqlite::Result<Vec<Duration>> {
                    let conn = rusqlite::Connection::open(path)?;
                    conn.busy_timeout(Duration::from_secs(5))?;
                    let mut waits = Vec::new();
                    let mut i = 0;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        let t = Instant::now();
                        conn.execute(
                            "INSERT INTO revoked_access_tokens (tenant_id, jti, keep_until)
                             VALUES (?1, ?2, 0)",
                            rusqlite::params![tenant.as_str(), format!("{}-{i}", kind.as_str())],
                        )?;
                        waits.push(t.elapsed());
                        i += 1;
                        std::thread::sleep(Duration::from_millis(2));
                    }
                    Ok(waits)
                })
            };
            let (mut total, mut batches, mut longest) = (0, 0, Duration::ZERO);
            let started = Instant::now();
            loop {
                let t = Instant::now();
                let n = purge_batch_for_timing(&store, &a, kind).await?;
                longest = longest.max(t.elapsed());
                total += n;
                batches += 1;
                if n < u64::from(idp_core::purge::PURGE_BATCH) {
                    break;
                }
            }
            let elapsed = started.elapsed();
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
            let mut waits = writer.join().map_err(|_| "writer panicked")??;
            waits.sort();
            let pct = |p: usize| waits[(waits.len() - 1) * p / 100];
            println!(
                "{}: {total} of {N} rows deleted in {batches} batches, {elapsed:?} in all, \
                 longest call {longest:?}; a concurrent writer's {} inserts: median {:?}, p99 {:?}, max {:?}",
                kind.as_str(),
                waits.len(),
                pct(50),
                pct(99),
                pct(100)
            );
            assert_eq!(total as i64, N / 2);
        }
        Ok(())
    }
}
