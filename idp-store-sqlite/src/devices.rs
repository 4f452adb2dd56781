//! Device authorizations (RFC 8628). A poll reads and updates its row in one
//! `BEGIN IMMEDIATE` transaction, so that of two concurrent polls of an
//! approved code exactly one redeems it.

use crate::codec::Hash;
use idp_core::clock::UnixTime;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, GrantId, SessionId, TenantId, UserId};
use idp_core::store::{DeviceCodeRecord, DeviceDecision, DeviceStatus};
use rusqlite::types::FromSqlError;
use rusqlite::{Connection, OptionalExtension, Result, Row, TransactionBehavior, params};

const COLUMNS: &str = "device_code_hash, user_code, grant_id, client_id, scope, status, user_id,
     session_id, auth_time, interval_secs, last_poll_at, consumed_at, created_at, expires_at";

/// Stores a new device authorization.
pub(crate) fn create(conn: &Connection, tenant: &TenantId, d: &DeviceCodeRecord) -> Result<()> {
    conn.execute(
        &format!(
            "INSERT INTO device_codes (tenant_id, {COLUMNS})
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)"
        ),
        params![
            tenant.as_str(),
            d.device_code_hash.as_bytes(),
            d.user_code,
            d.grant_id.as_str(),
            d.client_id.as_str(),
            d.scope,
            d.status.as_str(),
            d.user_id.as_ref().map(UserId::as_str),
            d.session_id.as_ref().map(SessionId::as_str),
            d.auth_time,
            d.interval,
            d.last_poll_at,
            d.consumed_at,
            d.created_at,
            d.expires_at,
        ],
    )?;
    Ok(())
}

/// A pending, unexpired authorization by user code.
pub(crate) fn by_user_code(
    conn: &Connection,
    tenant: &TenantId,
    user_code: &str,
    now: UnixTime,
) -> Result<Option<DeviceCodeRecord>> {
    conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM device_codes
         WHERE tenant_id = ?1 AND user_code = ?2 AND status = 'pending' AND expires_at > ?3"
    ))?
    .query_row(params![tenant.as_str(), user_code, now], from_row)
    .optional()
}

/// Records a decision on a pending, unexpired authorization.
pub(crate) fn decide(
    conn: &Connection,
    tenant: &TenantId,
    user_code: &str,
    decision: &DeviceDecision,
    now: UnixTime,
) -> Result<bool> {
    let (status, user, session, auth_time) = match decision {
        DeviceDecision::Approve {
            user_id,
            session_id,
            auth_time,
        } => (
            DeviceStatus::Approved,
            Some(user_id.as_str()),
            Some(session_id.as_str()),
            Some(*auth_time),
        ),
        DeviceDecision::Deny => (DeviceStatus::Denied, None, None, None),
    };
    let changed = conn.execute(
        "UPDATE device_codes SET status = ?3, user_id = ?4, session_id = ?5, auth_time = ?6
         WHERE tenant_id = ?1 AND user_code = ?2 AND status = 'pending' AND expires_at > ?7",
        params![
            tenant.as_str(),
            user_code,
            status.as_str(),
            user,
            session,
            auth_time,
            now
        ],
    )?;
    Ok(changed == 1)
}

/// Returns the record as it was and updates `last_poll_at` (and
/// `consumed_at` when it is redeemed by this poll).
pub(crate) fn poll(
    conn: &mut Connection,
    tenant: &TenantId,
    client: &ClientId,
    hash: &SecretHash,
    now: UnixTime,
) -> Result<Option<DeviceCodeRecord>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let found = tx
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM device_codes
             WHERE tenant_id = ?1 AND device_code_hash = ?2 AND client_id = ?3"
        ))?
        .query_row(
            params![tenant.as_str(), hash.as_bytes(), client.as_str()],
            from_row,
        )
        .optional()?;
    if let Some(d) = &found {
        let redeem =
            d.status == DeviceStatus::Approved && d.consumed_at.is_none() && d.expires_at > now;
        tx.prepare_cached(
            "UPDATE device_codes
             SET last_poll_at = ?3, consumed_at = CASE WHEN ?4 THEN ?3 ELSE consumed_at END
             WHERE tenant_id = ?1 AND device_code_hash = ?2",
        )?
        .execute(params![tenant.as_str(), hash.as_bytes(), now, redeem])?;
    }
    tx.commit()?;
    Ok(found)
}

/// Sets the polling interval.
pub(crate) fn set_interval(
    conn: &Connection,
    tenant: &TenantId,
    hash: &SecretHash,
    interval: i64,
) -> Result<()> {
    conn.execute(
        "UPDATE device_codes SET interval_secs = ?3
         WHERE tenant_id = ?1 AND device_code_hash = ?2",
        params![tenant.as_str(), hash.as_bytes(), interval],
    )?;
    Ok(())
}

fn from_row(r: &Row<'_>) -> Result<DeviceCodeRecord> {
    let status: String = r.get(5)?;
    let status = DeviceStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            5,
            rusqlite::types::Type::Text,
            Box::new(FromSqlError::Other(
                format!("unknown device status '{status}'").into(),
            )),
        )
    })?;
    Ok(DeviceCodeRecord {
        device_code_hash: r.get::<_, Hash>(0)?.0,
        user_code: r.get(1)?,
        grant_id: GrantId::new(r.get::<_, String>(2)?),
        client_id: ClientId::new(r.get::<_, String>(3)?),
        scope: r.get(4)?,
        status,
        user_id: r.get::<_, Option<String>>(6)?.map(UserId::new),
        session_id: r.get::<_, Option<String>>(7)?.map(SessionId::new),
        auth_time: r.get(8)?,
        interval: r.get(9)?,
        last_poll_at: r.get(10)?,
        consumed_at: r.get(11)?,
        created_at: r.get(12)?,
        expires_at: r.get(13)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, two_tenants};
    use idp_core::crypto::secret::SecretHash;
    use idp_core::ids::{ClientId, GrantId, SessionId, UserId};
    use idp_core::store::{
        DeviceCodeRecord, DeviceDecision, DeviceStatus, DeviceStore, StoreError,
    };

    fn device(code: &str, user_code: &str) -> DeviceCodeRecord {
        DeviceCodeRecord {
            device_code_hash: SecretHash::of(code),
            user_code: user_code.to_owned(),
            grant_id: GrantId::new("g1"),
            client_id: ClientId::new("tv"),
            scope: "openid".to_owned(),
            status: DeviceStatus::Pending,
            user_id: None,
            session_id: None,
            auth_time: None,
            interval: 5,
            last_poll_at: None,
            consumed_at: None,
            created_at: 1_000,
            expires_at: 1_600,
        }
    }

    fn approve() -> DeviceDecision {
        DeviceDecision::Approve {
            user_id: UserId::new("u1"),
            session_id: SessionId::new("s1"),
            auth_time: 1_010,
        }
    }

    #[tokio::test]
    async fn an_approved_code_is_redeemed_by_exactly_one_poll() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        store
            .create_device_code(&a, &device("dc", "BCDFGHJK"))
            .await?;
        let found = store
            .device_code_by_user_code(&a, "BCDFGHJK", 1_001)
            .await?;
        assert!(found.is_some_and(|d| d.status == DeviceStatus::Pending));
        assert!(
            store
                .decide_device_code(&a, "BCDFGHJK", &approve(), 1_002)
                .await?
        );
        // Decided once: the code no longer matches a pending request.
        assert!(
            !store
                .decide_device_code(&a, "BCDFGHJK", &DeviceDecision::Deny, 1_003)
                .await?
        );
        assert!(
            store
                .device_code_by_user_code(&a, "BCDFGHJK", 1_003)
                .await?
                .is_none()
        );

        let hash = SecretHash::of("dc");
        let (s1, s2) = (store.clone(), store.clone());
        let (t1, t2) = (a.clone(), a.clone());
        let tv = ClientId::new("tv");
        let (tv1, tv2) = (tv.clone(), tv.clone());
        let p1 = tokio::spawn(async move { s1.poll_device_code(&t1, &tv1, &hash, 1_020).await });
        let p2 = tokio::spawn(async move { s2.poll_device_code(&t2, &tv2, &hash, 1_020).await });
        let polls = [p1.await??, p2.await??];
        let winners = polls
            .iter()
            .flatten()
            .filter(|d| d.consumed_at.is_none() && d.status == DeviceStatus::Approved)
            .count();
        assert_eq!(winners, 1, "exactly one poll saw it unconsumed");
        // Another client's poll neither sees nor touches it.
        let tv2 = ClientId::new("tv2");
        assert!(
            store
                .poll_device_code(&a, &tv2, &hash, 1_025)
                .await?
                .is_none()
        );
        let after = store
            .poll_device_code(&a, &tv, &hash, 1_030)
            .await?
            .ok_or("gone")?;
        assert_eq!(after.consumed_at, Some(1_020));
        assert_eq!(after.user_id, Some(UserId::new("u1")));
        assert_eq!(after.auth_time, Some(1_010));
        assert_eq!(after.last_poll_at, Some(1_020));
        Ok(())
    }

    #[tokio::test]
    async fn codes_stay_in_their_tenant_and_expire() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        store
            .create_device_code(&a, &device("dc", "BCDFGHJK"))
            .await?;
        assert!(
            store
                .device_code_by_user_code(&b, "BCDFGHJK", 1_001)
                .await?
                .is_none()
        );
        assert!(
            store
                .poll_device_code(&b, &ClientId::new("tv"), &SecretHash::of("dc"), 1_001)
                .await?
                .is_none()
        );
        assert!(
            !store
                .decide_device_code(&b, "BCDFGHJK", &approve(), 1_001)
                .await?
        );
        assert!(
            store
                .device_code_by_user_code(&a, "BCDFGHJK", 1_600)
                .await?
                .is_none()
        );
        assert!(
            !store
                .decide_device_code(&a, "BCDFGHJK", &approve(), 1_600)
                .await?
        );
        // A live user code cannot be handed out twice in a tenant.
        let dup = store
            .create_device_code(&a, &device("dc2", "BCDFGHJK"))
            .await;
        assert!(matches!(dup, Err(StoreError::Conflict(_))));
        store
            .create_device_code(&b, &device("dc2", "BCDFGHJK"))
            .await?;
        store
            .set_device_interval(&a, &SecretHash::of("dc"), 10)
            .await?;
        let d = store
            .poll_device_code(&a, &ClientId::new("tv"), &SecretHash::of("dc"), 1_100)
            .await?
            .ok_or("gone")?;
        assert_eq!(d.interval, 10);
        Ok(())
    }
}
