//! Login sessions, pending interactions and consent.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, SessionId, TenantId, UserId};
use idp_core::store::{ConsentRecord, InteractionRecord, SessionRecord};
use rusqlite::{Connection, OptionalExtension, Result, Row, params};

const SESSION_COLUMNS: &str = "id, secret_hash, user_id, auth_time, created_at, expires_at";

/// Stores a new session.
pub(crate) fn create_session(
    conn: &Connection,
    tenant: &TenantId,
    s: &SessionRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO sessions
           (tenant_id, id, secret_hash, user_id, auth_time, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        tenant.as_str(),
        s.id.as_str(),
        s.secret_hash.as_bytes(),
        s.user_id.as_str(),
        s.auth_time,
        s.created_at,
        s.expires_at,
    ])?;
    Ok(())
}

/// A session by the hash of its cookie, if it expires after `now`.
pub(crate) fn session_by_secret(
    conn: &Connection,
    tenant: &TenantId,
    secret: &SecretHash,
    now: UnixTime,
) -> Result<Option<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND secret_hash = ?2 AND expires_at > ?3 AND ended_at IS NULL"
    ))?
    .query_row(
        params![tenant.as_str(), secret.as_bytes(), now],
        session_from_row,
    )
    .optional()
}

/// A session by its public id, if it expires after `now`.
pub(crate) fn session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<Option<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND id = ?2 AND expires_at > ?3 AND ended_at IS NULL"
    ))?
    .query_row(params![tenant.as_str(), id.as_str(), now], session_from_row)
    .optional()
}

/// Sets a session's `auth_time`; a missing session is left alone.
pub(crate) fn touch_auth(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    auth_time: UnixTime,
) -> Result<()> {
    conn.prepare_cached("UPDATE sessions SET auth_time = ?3 WHERE tenant_id = ?1 AND id = ?2")?
        .execute(params![tenant.as_str(), id.as_str(), auth_time])?;
    Ok(())
}

/// A user's live sessions, newest first.
pub(crate) fn user_sessions(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    now: UnixTime,
) -> Result<Vec<SessionRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {SESSION_COLUMNS} FROM sessions
         WHERE tenant_id = ?1 AND user_id = ?2 AND expires_at > ?3 AND ended_at IS NULL
         ORDER BY created_at DESC, id"
    ))?
    .query_map(
        params![tenant.as_str(), user.as_str(), now],
        session_from_row,
    )?
    .collect()
}

/// Ends a session (logout); an ended session is left as it was.
pub(crate) fn end_session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE sessions SET ended_at = ?3
         WHERE tenant_id = ?1 AND id = ?2 AND ended_at IS NULL",
    )?
    .execute(params![tenant.as_str(), id.as_str(), now])?;
    Ok(())
}

/// Revokes a live session, its refresh tokens, its unredeemed codes and its
/// approved, unredeemed device codes in one transaction.
pub(crate) fn revoke_session(
    conn: &mut Connection,
    tenant: &TenantId,
    id: &SessionId,
    now: UnixTime,
) -> Result<bool> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let changed = tx.execute(
        "UPDATE sessions SET revoked_at = ?3, ended_at = coalesce(ended_at, ?3)
         WHERE tenant_id = ?1 AND id = ?2 AND revoked_at IS NULL AND expires_at > ?3",
        params![tenant.as_str(), id.as_str(), now],
    )?;
    tx.execute(
        "UPDATE refresh_tokens SET revoked = 1 WHERE tenant_id = ?1 AND session_id = ?2",
        params![tenant.as_str(), id.as_str()],
    )?;
    // What the session authorized but no client has redeemed yet goes too:
    // a code redeemed later would mint tokens outside the revocation record
    // once the purge drops it, and an approved device would get tokens.
    tx.execute(
        "DELETE FROM codes WHERE tenant_id = ?1 AND session_id = ?2 AND consumed_at IS NULL",
        params![tenant.as_str(), id.as_str()],
    )?;
    tx.execute(
        "UPDATE device_codes SET status = 'denied'
         WHERE tenant_id = ?1 AND session_id = ?2 AND status = 'approved' AND consumed_at IS NULL",
        params![tenant.as_str(), id.as_str()],
    )?;
    tx.commit()?;
    Ok(changed == 1)
}

fn session_from_row(r: &Row<'_>) -> Result<SessionRecord> {
    Ok(SessionRecord {
        id: SessionId::new(r.get::<_, String>(0)?),
        secret_hash: r.get::<_, Hash>(1)?.0,
        user_id: UserId::new(r.get::<_, String>(2)?),
        auth_time: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
    })
}

/// Stores a pending interaction.
pub(crate) fn create_interaction(
    conn: &Connection,
    tenant: &TenantId,
    i: &InteractionRecord,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO interactions
           (tenant_id, id_hash, request_json, session_id, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    )?
    .execute(params![
        tenant.as_str(),
        i.id_hash.as_bytes(),
        i.request_json,
        i.session_id.as_ref().map(SessionId::as_str),
        i.created_at,
        i.expires_at,
    ])?;
    Ok(())
}

/// An interaction by the hash of its id, if it expires after `now`.
pub(crate) fn interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    now: UnixTime,
) -> Result<Option<InteractionRecord>> {
    conn.prepare_cached(
        "SELECT id_hash, request_json, session_id, created_at, expires_at
         FROM interactions
         WHERE tenant_id = ?1 AND id_hash = ?2 AND expires_at > ?3",
    )?
    .query_row(params![tenant.as_str(), id.as_bytes(), now], |r| {
        Ok(InteractionRecord {
            id_hash: r.get::<_, Hash>(0)?.0,
            request_json: r.get(1)?,
            session_id: r.get::<_, Option<String>>(2)?.map(SessionId::new),
            created_at: r.get(3)?,
            expires_at: r.get(4)?,
        })
    })
    .optional()
}

/// Binds a session to an interaction; a missing interaction is left alone.
pub(crate) fn set_interaction_session(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    session: &SessionId,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE interactions SET session_id = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
    )?
    .execute(params![tenant.as_str(), id.as_bytes(), session.as_str()])?;
    Ok(())
}

/// Moves an interaction's expiry; a missing interaction is left alone.
pub(crate) fn extend_interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
    expires_at: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "UPDATE interactions SET expires_at = ?3 WHERE tenant_id = ?1 AND id_hash = ?2",
    )?
    .execute(params![tenant.as_str(), id.as_bytes(), expires_at])?;
    Ok(())
}

/// Deletes an interaction (idempotent).
pub(crate) fn delete_interaction(
    conn: &Connection,
    tenant: &TenantId,
    id: &SecretHash,
) -> Result<()> {
    conn.prepare_cached("DELETE FROM interactions WHERE tenant_id = ?1 AND id_hash = ?2")?
        .execute(params![tenant.as_str(), id.as_bytes()])?;
    Ok(())
}

/// The consent a user gave a client.
pub(crate) fn consent(
    conn: &Connection,
    tenant: &TenantId,
    user: &UserId,
    client: &ClientId,
) -> Result<Option<ConsentRecord>> {
    conn.prepare_cached(
        "SELECT user_id, client_id, scope, updated_at FROM consents
         WHERE tenant_id = ?1 AND user_id = ?2 AND client_id = ?3",
    )?
    .query_row([tenant.as_str(), user.as_str(), client.as_str()], |r| {
        Ok(ConsentRecord {
            user_id: UserId::new(r.get::<_, String>(0)?),
            client_id: ClientId::new(r.get::<_, String>(1)?),
            scope: r.get(2)?,
            updated_at: r.get(3)?,
        })
    })
    .optional()
}

/// Creates or replaces the consent of (tenant, user, client).
pub(crate) fn save_consent(conn: &Connection, tenant: &TenantId, c: &ConsentRecord) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO consents (tenant_id, user_id, client_id, scope, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (tenant_id, user_id, client_id)
         DO UPDATE SET scope = excluded.scope, updated_at = excluded.updated_at",
    )?
    .execute(params![
        tenant.as_str(),
        c.user_id.as_str(),
        c.client_id.as_str(),
        c.scope,
        c.updated_at,
    ])?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, session_record, two_tenants};
    use idp_core::crypto::secret::SecretHash;
    use idp_core::ids::{ClientId, SessionId, UserId};
    use idp_core::store::{
        ConsentRecord, GrantStore, InteractionRecord, RevocationStore, SessionStore, StoreError,
    };

    #[tokio::test]
    async fn session_round_trips_until_it_expires() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        let session = session_record("s1", "cookie-1", 2_000);
        store.create_session(&a, &session).await?;
        let cookie = SecretHash::of("cookie-1");
        for got in [
            store.session_by_secret(&a, &cookie, 1_999).await?,
            store.session(&a, &session.id, 1_999).await?,
        ] {
            let got = got.ok_or("session missing")?;
            assert_eq!(got.id, session.id);
            assert_eq!(got.secret_hash, cookie);
            assert_eq!(got.user_id, session.user_id);
            assert_eq!(got.auth_time, 1_000);
            assert_eq!(got.created_at, 900);
            assert_eq!(got.expires_at, 2_000);
        }
        // Expired at exactly expires_at.
        assert!(store.session_by_secret(&a, &cookie, 2_000).await?.is_none());
        assert!(store.session(&a, &session.id, 2_000).await?.is_none());
        assert!(
            store
                .session_by_secret(&a, &SecretHash::of("other"), 0)
                .await?
                .is_none()
        );

        store.touch_session_auth(&a, &session.id, 1_500).await?;
        let got = store.session(&a, &session.id, 0).await?.ok_or("missing")?;
        assert_eq!(got.auth_time, 1_500);
        // Touching an unknown session is harmless.
        store
            .touch_session_auth(&a, &SessionId::new("nope"), 1)
            .await?;
        Ok(())
    }

    #[tokio::test]
    async fn sessions_are_scoped_by_tenant() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        let session = session_record("s1", "cookie-1", 2_000);
        store.create_session(&a, &session).await?;
        let cookie = SecretHash::of("cookie-1");
        assert!(store.session_by_secret(&b, &cookie, 0).await?.is_none());
        assert!(store.session(&b, &session.id, 0).await?.is_none());
        // Touching under b must not change a's session.
        store.touch_session_auth(&b, &session.id, 5).await?;
        let got = store.session(&a, &session.id, 0).await?.ok_or("missing")?;
        assert_eq!(got.auth_time, 1_000);
        // The same id and cookie hash can exist under b.
        store.create_session(&b, &session).await?;
        let dup = store
            .create_session(&a, &session_record("s1", "cookie-2", 2_000))
            .await;
        assert!(
            matches!(dup, Err(StoreError::Conflict(ref f)) if f == "session id"),
            "{dup:?}"
        );
        Ok(())
    }

    #[tokio::test]
    async fn interaction_lifecycle() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        let id_hash = SecretHash::of("interaction-1");
        let interaction = InteractionRecord {
            id_hash,
            request_json: r#"{"client_id":"c1","scope":"openid"}"#.to_owned(),
            session_id: None,
            created_at: 100,
            expires_at: 700,
        };
        store.create_interaction(&a, &interaction).await?;
        let got = store
            .interaction(&a, &id_hash, 699)
            .await?
            .ok_or("missing")?;
        assert_eq!(got.id_hash, id_hash);
        assert_eq!(got.request_json, interaction.request_json);
        assert_eq!(got.session_id, None);
        assert_eq!(got.created_at, 100);
        assert_eq!(got.expires_at, 700);
        assert!(store.interaction(&a, &id_hash, 700).await?.is_none());
        assert!(store.interaction(&b, &id_hash, 0).await?.is_none());

        let sid = SessionId::new("s1");
        store.set_interaction_session(&b, &id_hash, &sid).await?;
        let got = store.interaction(&a, &id_hash, 0).await?.ok_or("missing")?;
        assert_eq!(got.session_id, None, "tenant b changed a's interaction");
        store.set_interaction_session(&a, &id_hash, &sid).await?;
        let got = store.interaction(&a, &id_hash, 0).await?.ok_or("missing")?;
        assert_eq!(got.session_id, Some(sid));

        store.extend_interaction(&b, &id_hash, 5_000).await?;
        assert!(
            store.interaction(&a, &id_hash, 700).await?.is_none(),
            "tenant b extended a's interaction"
        );
        store.extend_interaction(&a, &id_hash, 5_000).await?;
        let got = store
            .interaction(&a, &id_hash, 700)
            .await?
            .ok_or("missing")?;
        assert_eq!(got.expires_at, 5_000);

        store.delete_interaction(&b, &id_hash).await?;
        assert!(store.interaction(&a, &id_hash, 0).await?.is_some());
        store.delete_interaction(&a, &id_hash).await?;
        assert!(store.interaction(&a, &id_hash, 0).await?.is_none());
        store.delete_interaction(&a, &id_hash).await?;
        Ok(())
    }

    #[tokio::test]
    async fn consent_is_upserted_per_user_and_client() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        let (user, client) = (UserId::new("u1"), ClientId::new("c1"));
        assert!(store.consent(&a, &user, &client).await?.is_none());
        let mut consent = ConsentRecord {
            user_id: user.clone(),
            client_id: client.clone(),
            scope: "openid".to_owned(),
            updated_at: 10,
        };
        store.save_consent(&a, &consent).await?;
        consent.scope = "openid email profile".to_owned();
        consent.updated_at = 20;
        store.save_consent(&a, &consent).await?;
        let got = store.consent(&a, &user, &client).await?.ok_or("missing")?;
        assert_eq!(got.user_id, user);
        assert_eq!(got.client_id, client);
        assert_eq!(got.scope, "openid email profile");
        assert_eq!(got.updated_at, 20);
        assert!(store.consent(&b, &user, &client).await?.is_none());
        assert!(
            store
                .consent(&a, &user, &ClientId::new("c2"))
                .await?
                .is_none()
        );
        Ok(())
    }

    #[tokio::test]
    async fn ended_and_revoked_sessions() -> TestResult {
        use idp_core::ids::{GrantId, SessionId};
        use idp_core::store::AccessTokenRef;
        let (_dir, store, a, b) = two_tenants().await?;
        store
            .create_session(&a, &session_record("s1", "cookie-1", 5_000))
            .await?;
        store
            .create_session(&a, &session_record("s2", "cookie-2", 5_000))
            .await?;
        store
            .create_refresh_token(&a, &crate::testing::refresh_record("rt-1", "g1"))
            .await?;
        let listed = store.user_sessions(&a, &UserId::new("u1"), 1_000).await?;
        assert_eq!(listed.len(), 2);
        assert!(
            store
                .user_sessions(&b, &UserId::new("u1"), 1_000)
                .await?
                .is_empty()
        );

        // Logout: the cookie stops working, the tokens do not change.
        store.end_session(&a, &SessionId::new("s2"), 1_100).await?;
        assert!(
            store
                .session_by_secret(&a, &SecretHash::of("cookie-2"), 1_200)
                .await?
                .is_none()
        );
        let s2 = SessionId::new("s2");
        let via = |sid| AccessTokenRef {
            jti: "j",
            grant_id: None,
            session_id: Some(sid),
        };
        assert!(!store.access_token_revoked(&a, via(&s2)).await?);

        // Revocation: another tenant cannot; the owner can, once.
        let s1 = SessionId::new("s1");
        assert!(!store.revoke_session(&b, &s1, 1_200).await?);
        assert!(store.revoke_session(&a, &s1, 1_200).await?);
        assert!(!store.revoke_session(&a, &s1, 1_300).await?);
        assert!(store.session(&a, &s1, 1_300).await?.is_none());
        assert!(store.access_token_revoked(&a, via(&s1)).await?);
        let rt = store
            .refresh_token(&a, &SecretHash::of("rt-1"))
            .await?
            .ok_or("missing")?;
        assert!(rt.revoked, "the session's refresh tokens are revoked");
        assert_eq!(rt.grant_id, GrantId::new("g1"));
        assert!(
            store
                .user_sessions(&a, &UserId::new("u1"), 1_300)
                .await?
                .is_empty()
        );
        Ok(())
    }
}
