//! Which clients took part in a login session (a code was issued to them in
//! it), for front- and back-channel logout.

use crate::clients;
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, SessionId, TenantId};
use idp_core::store::ClientRecord;
use rusqlite::{Connection, Result, TransactionBehavior, params};

/// Records (session, client); recording it again changes nothing.
pub(crate) fn add(
    conn: &Connection,
    tenant: &TenantId,
    session: &SessionId,
    client: &ClientId,
    now: UnixTime,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO session_clients (tenant_id, session_id, client_id, created_at)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, session_id, client_id) DO NOTHING",
    )?
    .execute(params![
        tenant.as_str(),
        session.as_str(),
        client.as_str(),
        now
    ])?;
    Ok(())
}

/// The session's clients that still exist, first recorded first; every row
/// of the session is deleted in the same transaction.
pub(crate) fn take(
    conn: &mut Connection,
    tenant: &TenantId,
    session: &SessionId,
) -> Result<Vec<ClientRecord>> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let taken = tx
        .prepare_cached(&format!(
            "SELECT {} FROM session_clients s
             JOIN clients c ON c.tenant_id = s.tenant_id AND c.id = s.client_id
             WHERE s.tenant_id = ?1 AND s.session_id = ?2
             ORDER BY s.created_at, s.client_id",
            clients::COLUMNS
        ))?
        .query_map(
            params![tenant.as_str(), session.as_str()],
            clients::from_row,
        )?
        .collect::<Result<Vec<_>>>()?;
    tx.execute(
        "DELETE FROM session_clients WHERE tenant_id = ?1 AND session_id = ?2",
        params![tenant.as_str(), session.as_str()],
    )?;
    tx.commit()?;
    Ok(taken)
}

#[cfg(test)]
mod tests {
    use crate::testing::{TestResult, client_record, two_tenants};
    use idp_core::ids::{ClientId, SessionId};
    use idp_core::store::{ClientStore, GrantStore, SessionStore};

    fn ids(clients: &[idp_core::store::ClientRecord]) -> Vec<&str> {
        clients.iter().map(|c| c.id.as_str()).collect()
    }

    #[tokio::test]
    async fn a_sessions_clients_are_taken_once() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        for id in ["c1", "c2", "c3"] {
            store.create_client(&a, &client_record(id)).await?;
        }
        let (s1, s2) = (SessionId::new("s1"), SessionId::new("s2"));
        store
            .add_session_client(&a, &s1, &ClientId::new("c2"), 10)
            .await?;
        store
            .add_session_client(&a, &s1, &ClientId::new("c1"), 20)
            .await?;
        // Again, later: still once, at its first time.
        store
            .add_session_client(&a, &s1, &ClientId::new("c2"), 30)
            .await?;
        store
            .add_session_client(&a, &s2, &ClientId::new("c3"), 10)
            .await?;

        let taken = store.take_session_clients(&a, &s1).await?;
        assert_eq!(ids(&taken), ["c2", "c1"]);
        // Whole records, as `client` reads them.
        let c1 = &taken[1];
        assert_eq!(c1.name, "Client c1");
        assert_eq!(
            c1.backchannel_logout_uri.as_deref(),
            Some("https://rp.example/bc")
        );
        assert_eq!(
            c1.frontchannel_logout_uri.as_deref(),
            Some("https://rp.example/fc?x=1")
        );
        // Taken: a second end of the session finds no one.
        assert!(store.take_session_clients(&a, &s1).await?.is_empty());
        // Other sessions keep theirs.
        assert_eq!(ids(&store.take_session_clients(&a, &s2).await?), ["c3"]);
        Ok(())
    }

    #[tokio::test]
    async fn a_deleted_client_is_not_returned() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        store.create_client(&a, &client_record("c1")).await?;
        store.create_client(&a, &client_record("c2")).await?;
        let s1 = SessionId::new("s1");
        for c in ["c1", "c2"] {
            store
                .add_session_client(&a, &s1, &ClientId::new(c), 10)
                .await?;
        }
        assert!(store.delete_client(&a, &ClientId::new("c1")).await?);
        assert_eq!(ids(&store.take_session_clients(&a, &s1).await?), ["c2"]);
        Ok(())
    }

    #[tokio::test]
    async fn session_clients_are_scoped_by_tenant() -> TestResult {
        let (_dir, store, a, b) = two_tenants().await?;
        // The same client id in both tenants.
        store.create_client(&a, &client_record("c1")).await?;
        let mut theirs = client_record("c1");
        theirs.name = "B's client".to_owned();
        store.create_client(&b, &theirs).await?;
        let s1 = SessionId::new("s1");
        store
            .add_session_client(&a, &s1, &ClientId::new("c1"), 10)
            .await?;
        // Tenant b's session s1 has no clients, and taking it leaves a's alone.
        assert!(store.take_session_clients(&b, &s1).await?.is_empty());
        let taken = store.take_session_clients(&a, &s1).await?;
        assert_eq!(ids(&taken), ["c1"]);
        assert_eq!(
            taken[0].name, "Client c1",
            "never b's client of the same id"
        );
        // Recorded under b, only b sees it, with b's record.
        store
            .add_session_client(&b, &s1, &ClientId::new("c1"), 10)
            .await?;
        assert!(store.take_session_clients(&a, &s1).await?.is_empty());
        let taken = store.take_session_clients(&b, &s1).await?;
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].name, "B's client");
        Ok(())
    }

    #[tokio::test]
    async fn issuing_a_code_records_its_client_in_the_same_write() -> TestResult {
        let (_dir, store, a, _b) = two_tenants().await?;
        store.create_client(&a, &client_record("c1")).await?;
        let code = crate::testing::code_record("code-1", "g1");
        store.create_code(&a, &code, 10).await?;
        assert_eq!(
            ids(&store.take_session_clients(&a, &code.session_id).await?),
            ["c1"]
        );
        // The code is there too.
        let taken = store.take_code(&a, &code.code_hash, 20).await?;
        assert!(
            matches!(taken, idp_core::store::TakenCode::Fresh(_)),
            "{taken:?}"
        );
        // A second code of the same client and session: one record; a
        // duplicate code is refused.
        store
            .create_code(&a, &crate::testing::code_record("code-2", "g2"), 30)
            .await?;
        assert!(store.create_code(&a, &code, 40).await.is_err());
        assert_eq!(
            ids(&store.take_session_clients(&a, &code.session_id).await?),
            ["c1"]
        );
        Ok(())
    }
}
