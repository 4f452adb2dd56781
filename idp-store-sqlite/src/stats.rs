//! Figures for an operator's dashboard, read when metrics are scraped: the
//! connection pool's state and how many people are signed in. Platform-wide
//! on purpose (they describe the deployment, not a tenant), and never on a
//! request's path.

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::store::{PoolState, StoreResult};

impl SqliteStore {
    /// The pool's state (r2d2's counters; no database access, no lock held
    /// beyond r2d2's own).
    pub fn pool_state(&self) -> PoolState {
        let state = self.pool.state();
        PoolState {
            connections: state.connections,
            idle: state.idle_connections,
            max: self.pool.max_size(),
        }
    }

    /// Distinct users, across all tenants, with a live session at `now`: not
    /// expired and not ended (logout and revocation both end a session).
    pub async fn active_users(&self, now: UnixTime) -> StoreResult<u64> {
        self.run(move |c| {
            c.query_row(
                "SELECT COUNT(*) FROM (SELECT DISTINCT tenant_id, user_id FROM sessions
                  WHERE expires_at > ?1 AND ended_at IS NULL)",
                [now],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| u64::try_from(n).unwrap_or(0))
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;

    #[tokio::test]
    async fn counts_each_user_with_a_live_session_once() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let store = SqliteStore::open(&dir.path().join("idp.db").display().to_string())?;
        store
            .run(|c| {
                c.execute_batch(
                    "INSERT INTO tenants (id, slug, name, wrapped_data_key, created_at) VALUES ('t', 't', 'T', x'00', 1);
                     INSERT INTO sessions (tenant_id, id, secret_hash, user_id, auth_time, created_at, expires_at)
                       VALUES ('t', 's1', randomblob(32), 'alice', 1, 1, 100),
                              ('t', 's2', randomblob(32), 'alice', 1, 1, 100),
                              ('t', 's3', randomblob(32), 'bob',   1, 1, 100),
                              ('t', 's4', randomblob(32), 'carol', 1, 1, 10);",
                )
            })
            .await?;
        assert_eq!(store.active_users(50).await?, 2, "carol's session expired");
        store
            .run(|c| c.execute("UPDATE sessions SET ended_at = 20 WHERE id = 's3'", []))
            .await?;
        assert_eq!(store.active_users(50).await?, 1, "bob logged out");
        assert_eq!(store.active_users(100).await?, 0);
        let pool = store.pool_state();
        assert!(pool.max >= 1 && pool.idle <= pool.connections && pool.connections <= pool.max);
        Ok(())
    }
}
