//! One instance at a time runs each background job
//! ([`Operations::job_lease`](idp_core::store::Operations::job_lease)): a
//! session-level advisory lock per job name, taken with
//! `pg_try_advisory_lock` on a connection of its own (outside the pool),
//! held while the job runs. Dropping the lease closes that connection,
//! which releases the lock; so does the death of the process holding it.

use crate::{PostgresStore, db_error};
use idp_core::store::{JobLease, StoreResult};

/// The advisory lock key of a job: a stable hash of its name in the
/// upper half, "idp" in the lower, apart from the migrations' key.
fn lock_key(name: &str) -> i64 {
    // FNV-1a: stable across builds and processes.
    let mut hash: u32 = 0x811c_9dc5;
    for b in name.bytes() {
        hash ^= u32::from(b);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    (i64::from(hash) << 32) | 0x0069_6470
}

impl PostgresStore {
    /// See the module documentation.
    pub(crate) async fn lease(&self, name: &'static str) -> StoreResult<Option<JobLease>> {
        let client = self.connector().connect().await.map_err(db_error)?;
        let won: bool = client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&lock_key(name)])
            .await
            .map_err(db_error)?
            .try_get(0)
            .map_err(db_error)?;
        Ok(won.then(|| JobLease::new(client)))
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn job_keys_are_distinct_and_stable() {
        let keys = ["purge", "key_rotation", "logout_retry", "checkpoint"].map(super::lock_key);
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
        assert_eq!(super::lock_key("purge"), super::lock_key("purge"));
    }
}
