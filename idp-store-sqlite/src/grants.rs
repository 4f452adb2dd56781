//! Authorization codes and refresh tokens, the race-sensitive part of the
//! store: consuming a code and rotating a refresh token each run in one
//! `BEGIN IMMEDIATE` transaction, so that of two concurrent uses exactly one
//! wins.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{CodeRecord, RefreshTokenRecord, Rotation, TakenCode};
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

/// Stores an authorization code, not yet consumed.
pub(crate) fn create_code(conn: &Connection, tenant: &TenantId, c: &CodeRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO codes
           (tenant_id, code_hash, grant_id, client_id, user_id, session_id, redirect_uri,
            scope, nonce, code_challenge, auth_time, expires_at, claims)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        tenant.as_str(),
        c.code_hash.as_bytes(),
        c.grant_id.as_str(),
        c.client_id.as_str(),
        c.user_id.as_str(),
        c.session_id.as_str(),
        c.redirect_uri,
        c.scope,
        c.nonce,
        c.code_challenge,
        c.auth_time,
        c.expires_at,
        c.claims,
    ])?;
    Ok(())
}

/// Marks a code consumed and returns it (`Fresh`), or returns it as
/// `AlreadyUsed`, or `Unknown`. Expiry is the core's check, not this one's.
pub(crate) fn take_code(
    conn: &mut Connection,
    tenant: &TenantId,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<TakenCode> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = tx
        .prepare_cached(
            "SELECT code_hash, grant_id, client_id, user_id, session_id, redirect_uri, scope,
                    nonce, code_challenge, auth_time, expires_at, consumed_at, claims
             FROM codes WHERE tenant_id = ?1 AND code_hash = ?2",
        )?
        .query_row(params![tenant.as_str(), hash.as_bytes()], |r| {
            Ok((code_from_row(r)?, r.get::<_, Option<UnixTime>>(11)?))
        })
        .optional()?;
    let taken = match found {
        None => TakenCode::Unknown,
        Some((code, Some(_consumed_at))) => TakenCode::AlreadyUsed(code),
        Some((code, None)) => {
            tx.prepare_cached(
                "UPDATE codes SET consumed_at = ?3
                 WHERE tenant_id = ?1 AND code_hash = ?2",
            )?
            .execute(params![tenant.as_str(), hash.as_bytes(), now])?;
            TakenCode::Fresh(code)
        }
    };
    tx.commit()?;
    Ok(taken)
}

fn code_from_row(r: &Row<'_>) -> Result<CodeRecord> {
    Ok(CodeRecord {
        code_hash: r.get::<_, Hash>(0)?.0,
        grant_id: GrantId::new(r.get::<_, String>(1)?),
        client_id: ClientId::new(r.get::<_, String>(2)?),
        user_id: UserId::new(r.get::<_, String>(3)?),
        session_id: SessionId::new(r.get::<_, String>(4)?),
        redirect_uri: r.get(5)?,
        scope: r.get(6)?,
        nonce: r.get(7)?,
        code_challenge: r.get(8)?,
        auth_time: r.get(9)?,
        expires_at: r.get(10)?,
        claims: r.get(12)?,
    })
}

/// Stores a refresh token as given (normally live: not consumed, not revoked).
pub(crate) fn create_refresh_token(
    conn: &Connection,
    tenant: &TenantId,
    t: &RefreshTokenRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO refresh_tokens
           (tenant_id, token_hash, grant_id, client_id, user_id, session_id, scope,
            auth_time, issued_at, expires_at, consumed_at, revoked, claims)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
    )?
    .execute(params![
        tenant.as_str(),
        t.token_hash.as_bytes(),
        t.grant_id.as_str(),
        t.client_id.as_str(),
        t.user_id.as_str(),
        t.session_id.as_str(),
        t.scope,
        t.auth_time,
        t.issued_at,
        t.expires_at,
        t.consumed_at,
        t.revoked,
        t.claims,
    ])?;
    Ok(())
}

/// A refresh token by hash, consumed or not.
pub(crate) fn refresh_token(
    conn: &Connection,
    tenant: &TenantId,
    hash: &SecretHash,
) -> Result<Option<RefreshTokenRecord>> {
    conn.prepare_cached(
        "SELECT token_hash, grant_id, client_id, user_id, session_id, scope,
                auth_time, issued_at, expires_at, consumed_at, revoked, claims
         FROM refresh_tokens WHERE tenant_id = ?1 AND token_hash = ?2",
    )?
    .query_row(params![tenant.as_str(), hash.as_bytes()], |r| {
        Ok(RefreshTokenRecord {
            token_hash: r.get::<_, Hash>(0)?.0,
            grant_id: GrantId::new(r.get::<_, String>(1)?),
            client_id: ClientId::new(r.get::<_, String>(2)?),
            user_id: UserId::new(r.get::<_, String>(3)?),
            session_id: SessionId::new(r.get::<_, String>(4)?),
            scope: r.get(5)?,
            auth_time: r.get(6)?,
            issued_at: r.get(7)?,
            expires_at: r.get(8)?,
            consumed_at: r.get(9)?,
            revoked: r.get(10)?,
            claims: r.get(11)?,
        })
    })
    .optional()
}

/// If `old` is live (neither consumed nor revoked), consumes it at `now` and
/// stores `new`; otherwise (also when `old` does not exist) changes nothing.
pub(crate) fn rotate_refresh_token(
    conn: &mut Connection,
    tenant: &TenantId,
    old: &SecretHash,
    new: &RefreshTokenRecord,
    now: UnixTime,
) -> Result<Rotation> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let consumed = tx
        .prepare_cached(
            "UPDATE refresh_tokens SET consumed_at = ?3
             WHERE tenant_id = ?1 AND token_hash = ?2 AND consumed_at IS NULL AND revoked = 0",
        )?
        .execute(params![tenant.as_str(), old.as_bytes(), now])?;
    if consumed != 1 {
        // Dropping the transaction rolls it back; nothing was changed anyway.
        return Ok(Rotation::Reused);
    }
    create_refresh_token(&tx, tenant, new)?;
    tx.commit()?;
    Ok(Rotation::Rotated)
}

/// Revokes every refresh token of the grant, and records the grant as
/// revoked until `keep_until` for its access tokens.
pub(crate) fn revoke_grant(
    conn: &mut Connection,
    tenant: &TenantId,
    grant: &GrantId,
    keep_until: UnixTime,
) -> Result<()> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    tx.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE tenant_id = ?1 AND grant_id = ?2",
        params![tenant.as_str(), grant.as_str()],
    )?;
    tx.execute(
        "INSERT INTO revoked_grants (tenant_id, grant_id, keep_until) VALUES (?1, ?2, ?3)
         ON CONFLICT (tenant_id, grant_id) DO UPDATE
         SET keep_until = max(keep_until, excluded.keep_until)",
        params![tenant.as_str(), grant.as_str(), keep_until],
    )?;
    tx.commit()
}

/// Records an access token's revocation.
pub(crate) fn revoke_access_token(
    conn: &Connection,
    tenant: &TenantId,
    jti: &str,
    keep_until: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT OR IGNORE INTO revoked_access_tokens (tenant_id, jti, keep_until)
         VALUES (?1, ?2, ?3)",
    )?
    .execute(params![tenant.as_str(), jti, keep_until])?;
    Ok(())
}

/// Whether the token, its grant or its session was revoked: one query.
pub(crate) fn access_token_revoked(
    conn: &Connection,
    tenant: &TenantId,
    jti: &str,
    grant: Option<&str>,
    session: Option<&str>,
) -> Result<bool> {
    conn.prepare_cached(
        "SELECT EXISTS (SELECT 1 FROM revoked_access_tokens WHERE tenant_id = ?1 AND jti = ?2)
             OR EXISTS (SELECT 1 FROM revoked_grants WHERE tenant_id = ?1 AND grant_id = ?3)
             OR EXISTS (SELECT 1 FROM sessions
                        WHERE tenant_id = ?1 AND id = ?4 AND revoked_at IS NOT NULL)",
    )?
    .query_row(params![tenant.as_str(), jti, grant, session], |r| r.get(0))
}

/// Records a client assertion's `jti`; `false` if it was there already.
pub(crate) fn use_client_assertion(
    conn: &Connection,
    tenant: &TenantId,
    client: &ClientId,
    jti: &str,
    expires_at: UnixTime,
) -> Result<bool> {
    let inserted = conn
        .prepare_cached(
            "INSERT OR IGNORE INTO client_assertions (tenant_id, client_id, jti, expires_at)
             VALUES (?1, ?2, ?3, ?4)",
        )?
        .execute(params![tenant.as_str(), client.as_str(), jti, expires_at])?;
    Ok(inserted == 1)
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, code_record, refresh_record, two_tenants};
    use idp_core::crypto::secret::SecretHash;
    use idp_core::ids::GrantId;
    use idp_core::store::{GrantStore, RevocationStore, Rotation, StoreError, TakenCode};

    #[tokio::test]
    async fn code_is_taken_once() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let code = code_record("code-1", "g1");
        store.create_code(&a, &code, 0).await?;
        let hash = SecretHash::of("code-1");
        let TakenCode::Fresh(got) = store.take_code(&a, &hash, 1_000).await? else {
            return Err("first take was not Fresh".into());
        };
        assert_eq!(got.code_hash, hash);
        assert_eq!(got.grant_id, code.grant_id);
        assert_eq!(got.client_id, code.client_id);
        assert_eq!(got.user_id, code.user_id);
        assert_eq!(got.session_id, code.session_id);
        assert_eq!(got.redirect_uri, code.redirect_uri);
        assert_eq!(got.scope, code.scope);
        assert_eq!(got.nonce, code.nonce);
        assert_eq!(got.code_challenge, code.code_challenge);
        assert_eq!(got.claims, code.claims);
        assert_eq!(got.auth_time, code.auth_time);
        assert_eq!(got.expires_at, code.expires_at);

        let TakenCode::AlreadyUsed(again) = store.take_code(&a, &hash, 1_000).await? else {
            return Err("second take was not AlreadyUsed".into());
        };
        assert_eq!(again.grant_id, code.grant_id);
        assert!(matches!(
            store.take_code(&a, &SecretHash::of("nope"), 1_000).await?,
            TakenCode::Unknown
        ));

        let mut bare = code_record("code-2", "g2");
        bare.nonce = None;
        bare.code_challenge = None;
        store.create_code(&a, &bare, 0).await?;
        let TakenCode::Fresh(got) = store.take_code(&a, &bare.code_hash, 1_000).await? else {
            return Err("not Fresh".into());
        };
        assert_eq!((got.nonce, got.code_challenge), (None, None));
        Ok(())
    }

    #[tokio::test]
    async fn codes_are_scoped_by_tenant() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        let code = code_record("code-1", "g1");
        store.create_code(&a, &code, 0).await?;
        assert!(matches!(
            store.take_code(&b, &code.code_hash, 1_000).await?,
            TakenCode::Unknown
        ));
        // b's attempt did not consume a's code.
        assert!(matches!(
            store.take_code(&a, &code.code_hash, 1_000).await?,
            TakenCode::Fresh(_)
        ));
        // The same hash under b is a separate code.
        store.create_code(&b, &code, 0).await?;
        assert!(matches!(
            store.take_code(&b, &code.code_hash, 1_000).await?,
            TakenCode::Fresh(_)
        ));
        let dup = store.create_code(&a, &code, 0).await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))), "{dup:?}");
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_takes_yield_exactly_one_fresh() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let code = code_record("code-race", "g1");
        store.create_code(&a, &code, 0).await?;
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let (store, a, hash) = (store.clone(), a.clone(), code.code_hash);
                tokio::spawn(async move { store.take_code(&a, &hash, 1_000).await })
            })
            .collect();
        let (mut fresh, mut used) = (0, 0);
        for task in tasks {
            match task.await?? {
                TakenCode::Fresh(_) => fresh += 1,
                TakenCode::AlreadyUsed(_) => used += 1,
                TakenCode::Unknown => return Err("code vanished".into()),
            }
        }
        assert_eq!((fresh, used), (1, 15));
        Ok(())
    }

    #[tokio::test]
    async fn refresh_token_round_trips() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let token = refresh_record("rt-1", "g1");
        store.create_refresh_token(&a, &token).await?;
        let got = store
            .refresh_token(&a, &token.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(got.token_hash, token.token_hash);
        assert_eq!(got.grant_id, token.grant_id);
        assert_eq!(got.client_id, token.client_id);
        assert_eq!(got.user_id, token.user_id);
        assert_eq!(got.session_id, token.session_id);
        assert_eq!(got.scope, token.scope);
        assert_eq!(got.auth_time, token.auth_time);
        assert_eq!(got.issued_at, token.issued_at);
        assert_eq!(got.expires_at, token.expires_at);
        assert_eq!(got.consumed_at, None);
        assert!(!got.revoked);
        assert!(
            store
                .refresh_token(&a, &SecretHash::of("nope"))
                .await?
                .is_none()
        );
        Ok(())
    }

    #[tokio::test]
    async fn rotation_then_reuse() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let first = refresh_record("rt-1", "g1");
        store.create_refresh_token(&a, &first).await?;
        let second = refresh_record("rt-2", "g1");
        let rotated = store
            .rotate_refresh_token(&a, &first.token_hash, &second, 5_000)
            .await?;
        assert_eq!(rotated, Rotation::Rotated);
        let old = store
            .refresh_token(&a, &first.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(old.consumed_at, Some(5_000));
        let new = store
            .refresh_token(&a, &second.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(new.consumed_at, None);

        // Presenting the consumed token again stores nothing.
        let third = refresh_record("rt-3", "g1");
        let reused = store
            .rotate_refresh_token(&a, &first.token_hash, &third, 6_000)
            .await?;
        assert_eq!(reused, Rotation::Reused);
        assert!(store.refresh_token(&a, &third.token_hash).await?.is_none());
        let old = store
            .refresh_token(&a, &first.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(old.consumed_at, Some(5_000));
        // An unknown token is reported as reuse too.
        let unknown = store
            .rotate_refresh_token(&a, &SecretHash::of("x"), &third, 6_000)
            .await?;
        assert_eq!(unknown, Rotation::Reused);
        assert!(store.refresh_token(&a, &third.token_hash).await?.is_none());
        Ok(())
    }

    #[tokio::test]
    async fn revoked_grant_cannot_rotate() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let token = refresh_record("rt-1", "g1");
        let sibling = refresh_record("rt-s", "g1");
        let other_grant = refresh_record("rt-o", "g2");
        for t in [&token, &sibling, &other_grant] {
            store.create_refresh_token(&a, t).await?;
        }
        store.revoke_grant(&a, &GrantId::new("g1"), 10_000).await?;
        for (t, revoked) in [(&token, true), (&sibling, true), (&other_grant, false)] {
            let got = store
                .refresh_token(&a, &t.token_hash)
                .await?
                .ok_or("missing")?;
            assert_eq!(got.revoked, revoked);
        }
        let next = refresh_record("rt-2", "g1");
        let result = store
            .rotate_refresh_token(&a, &token.token_hash, &next, 10)
            .await?;
        assert_eq!(result, Rotation::Reused);
        assert!(store.refresh_token(&a, &next.token_hash).await?.is_none());
        let got = store
            .refresh_token(&a, &token.token_hash)
            .await?
            .ok_or("missing")?;
        assert_eq!(got.consumed_at, None);
        Ok(())
    }

    #[tokio::test]
    async fn refresh_tokens_are_scoped_by_tenant() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        let token = refresh_record("rt-1", "g1");
        store.create_refresh_token(&a, &token).await?;
        assert!(store.refresh_token(&b, &token.token_hash).await?.is_none());
        let next = refresh_record("rt-2", "g1");
        let result = store
            .rotate_refresh_token(&b, &token.token_hash, &next, 10)
            .await?;
        assert_eq!(result, Rotation::Reused);
        assert!(store.refresh_token(&b, &next.token_hash).await?.is_none());
        store.revoke_grant(&b, &token.grant_id, 10_000).await?;
        let got = store
            .refresh_token(&a, &token.token_hash)
            .await?
            .ok_or("missing")?;
        assert!(!got.revoked, "tenant b revoked a's grant");
        assert_eq!(got.consumed_at, None, "tenant b consumed a's token");
        Ok(())
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn concurrent_rotations_yield_exactly_one_winner() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let token = refresh_record("rt-race", "g1");
        store.create_refresh_token(&a, &token).await?;
        let tasks: Vec<_> = (0..8)
            .map(|i| {
                let (store, a, old) = (store.clone(), a.clone(), token.token_hash);
                let new = refresh_record(&format!("rt-next-{i}"), "g1");
                tokio::spawn(async move { store.rotate_refresh_token(&a, &old, &new, 50).await })
            })
            .collect();
        let mut rotated = 0;
        for task in tasks {
            if task.await?? == Rotation::Rotated {
                rotated += 1;
            }
        }
        assert_eq!(rotated, 1);
        Ok(())
    }

    #[tokio::test]
    async fn revocations_reach_access_tokens_by_jti_grant_or_session() -> TestResult {
        use idp_core::ids::SessionId;
        use idp_core::store::AccessTokenRef;
        let (_dir, store, a, b) = two_tenants().await?;
        let (g1, g2) = (GrantId::new("g1"), GrantId::new("g2"));
        let token = |jti, grant| AccessTokenRef {
            jti,
            grant_id: Some(grant),
            session_id: None,
        };
        assert!(!store.access_token_revoked(&a, token("j1", &g1)).await?);
        store.revoke_access_token(&a, "j1", 5_000).await?;
        store.revoke_access_token(&a, "j1", 5_000).await?;
        assert!(store.access_token_revoked(&a, token("j1", &g2)).await?);
        assert!(!store.access_token_revoked(&b, token("j1", &g2)).await?);
        store.revoke_grant(&a, &g1, 5_000).await?;
        assert!(store.access_token_revoked(&a, token("j2", &g1)).await?);
        assert!(!store.access_token_revoked(&a, token("j2", &g2)).await?);
        let s1 = SessionId::new("s1");
        let by_session = AccessTokenRef {
            jti: "j3",
            grant_id: None,
            session_id: Some(&s1),
        };
        assert!(!store.access_token_revoked(&a, by_session).await?);
        Ok(())
    }

    #[tokio::test]
    async fn a_client_assertion_jti_is_accepted_once_per_client() -> TestResult {
        use idp_core::ids::ClientId;
        let (_dir, store, a, b) = two_tenants().await?;
        let c1 = ClientId::new("c1");
        assert!(store.use_client_assertion(&a, &c1, "jti-1", 2_000).await?);
        assert!(!store.use_client_assertion(&a, &c1, "jti-1", 2_000).await?);
        assert!(
            store
                .use_client_assertion(&a, &ClientId::new("c2"), "jti-1", 2_000)
                .await?
        );
        assert!(store.use_client_assertion(&b, &c1, "jti-1", 2_000).await?);
        Ok(())
    }
}
