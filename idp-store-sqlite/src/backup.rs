//! Operations on the database file itself: online backup and WAL
//! checkpoint. Neither stops the server.

use crate::{Pool, SqliteStore};
use idp_core::store::StoreResult;
use rusqlite::Connection;
use rusqlite::backup::{Backup, StepResult};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a backup retries while the database is locked.
const BACKUP_RETRIES: u32 = 200;
const BACKUP_RETRY_PAUSE: Duration = Duration::from_millis(50);

/// Why [`SqliteStore::backup_to`] failed. The message fits on one line.
#[derive(Debug, thiserror::Error)]
#[error("cannot back up the database to {}: {reason}", .dest.display())]
pub struct BackupError {
    /// Where the backup was to be written.
    pub dest: PathBuf,
    /// What went wrong.
    pub reason: String,
}

impl SqliteStore {
    /// Writes a consistent copy of the database to `dest` while the store
    /// stays in use (SQLite's online backup API, in one step, so the copy is
    /// a single snapshot).
    ///
    /// The copy is written to `dest.partial` and renamed over `dest` only
    /// when complete, so an existing backup at `dest` is replaced atomically
    /// and a failure never leaves a truncated file there. The copy uses a
    /// rollback journal, so `dest` is one self-contained file. `dest` must not
    /// be the live database.
    pub async fn backup_to(&self, dest: impl AsRef<Path>) -> Result<(), BackupError> {
        let dest = dest.as_ref().to_path_buf();
        let (pool, live, task_dest) = (self.pool.clone(), self.path.clone(), dest.clone());
        tokio::task::spawn_blocking(move || {
            write_backup(&pool, &live, &task_dest).map_err(|reason| BackupError {
                dest: task_dest,
                reason,
            })
        })
        .await
        .map_err(|e| BackupError {
            dest,
            reason: format!("backup task failed: {e}"),
        })?
    }

    /// Copies the WAL into the database file and truncates it
    /// (`PRAGMA wal_checkpoint(TRUNCATE)`). Returns `false` if readers or a
    /// writer kept it from completing; it can simply be retried later.
    pub async fn checkpoint(&self) -> StoreResult<bool> {
        self.run(|c| {
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                r.get::<_, i64>(0)
            })
            .map(|busy| busy == 0)
        })
        .await
    }

    /// Copies as much of the WAL into the database file as it can without
    /// waiting for readers or writers (`PRAGMA wal_checkpoint(PASSIVE)`), the
    /// kind one for a periodic job. Returns (frames in the WAL, frames
    /// copied); equal numbers mean the WAL can be reused from its start.
    pub async fn checkpoint_passive(&self) -> StoreResult<(i64, i64)> {
        self.run(|c| {
            c.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get::<_, i64>(1)?, r.get::<_, i64>(2)?))
            })
        })
        .await
    }
}

fn write_backup(pool: &Pool, live: &Path, dest: &Path) -> Result<(), String> {
    let same = match (live.canonicalize(), dest.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    };
    if same {
        return Err("that is the live database".to_owned());
    }
    let name = dest
        .file_name()
        .ok_or_else(|| "not a file path".to_owned())?;
    if let Some(dir) = dest.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir)
            .map_err(|e| format!("cannot create directory {}: {e}", dir.display()))?;
    }
    let partial = dest.with_file_name(format!("{}.partial", name.to_string_lossy()));
    remove_if_present(&partial)?;
    let result = copy_into(pool, &partial).and_then(|()| {
        std::fs::rename(&partial, dest)
            .map_err(|e| format!("cannot rename {}: {e}", partial.display()))
    });
    if result.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    result
}

fn copy_into(pool: &Pool, partial: &Path) -> Result<(), String> {
    let src = pool
        .get()
        .map_err(|e| format!("no database connection available: {e}"))?;
    let mut dst = Connection::open(partial).map_err(|e| e.to_string())?;
    {
        let backup = Backup::new(&src, &mut dst).map_err(|e| e.to_string())?;
        let mut retries = 0;
        loop {
            // -1: every page in one step, i.e. one read transaction, one snapshot.
            match backup.step(-1).map_err(|e| e.to_string())? {
                StepResult::Done => break,
                StepResult::More => {}
                _busy_or_locked => {
                    retries += 1;
                    if retries > BACKUP_RETRIES {
                        return Err("the database stayed locked".to_owned());
                    }
                    std::thread::sleep(BACKUP_RETRY_PAUSE);
                }
            }
        }
    }
    // The copy inherits WAL mode from the live file; make it self-contained.
    dst.execute_batch("PRAGMA journal_mode=DELETE;")
        .map_err(|e| e.to_string())?;
    dst.close().map_err(|(_, e)| e.to_string())
}

fn remove_if_present(path: &Path) -> Result<(), String> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(format!("cannot remove {}: {e}", path.display())),
    }
}

#[cfg(test)]
mod tests {
    use crate::SqliteStore;
    use crate::testing::{
        TestResult, client_record, email, fresh_store, tenant_record, user_record,
    };
    use idp_core::store::{ClientStore, TenantStore, UserStore};

    #[tokio::test]
    async fn backup_is_a_complete_openable_copy() -> TestResult {
        let (dir, store) = fresh_store()?;
        let tenant = tenant_record("acme");
        store.create_tenant(&tenant, &[]).await?;
        store
            .create_client(&tenant.id, &client_record("c1"))
            .await?;
        let dest = dir.path().join("backups/nightly.db");
        store.backup_to(&dest).await?;
        // Writes after the backup do not reach it; a second backup replaces it.
        store
            .create_user(&tenant.id, &user_record("u1", "ada@example.com"))
            .await?;
        assert!(!dir.path().join("backups/nightly.db.partial").exists());
        assert!(!dir.path().join("backups/nightly.db-wal").exists());
        let raw = rusqlite::Connection::open(&dest)?;
        let mode: String = raw.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
        assert_eq!(mode, "delete", "the copy should be one self-contained file");
        drop(raw);

        let copy = SqliteStore::open(&dest.to_string_lossy())?;
        assert!(copy.tenant_by_slug("acme").await?.is_some());
        assert!(
            copy.client(&tenant.id, &client_record("c1").id)
                .await?
                .is_some()
        );
        assert!(
            copy.user_by_email(&tenant.id, &email("ada@example.com"))
                .await?
                .is_none()
        );
        drop(copy);

        store.backup_to(&dest).await?;
        let copy = SqliteStore::open(&dest.to_string_lossy())?;
        assert!(
            copy.user_by_email(&tenant.id, &email("ada@example.com"))
                .await?
                .is_some()
        );
        Ok(())
    }

    #[tokio::test]
    async fn backup_refuses_the_live_database() -> TestResult {
        let (_dir, store) = fresh_store()?;
        store.create_tenant(&tenant_record("acme"), &[]).await?;
        let err = store
            .backup_to(store.path())
            .await
            .err()
            .ok_or("overwrote the live database")?;
        assert!(err.to_string().contains("live database"), "{err}");
        assert!(store.tenant_by_slug("acme").await?.is_some());
        Ok(())
    }

    #[tokio::test]
    async fn health_check_and_checkpoint() -> TestResult {
        let (_dir, store) = fresh_store()?;
        assert!(store.health_check().await);
        store.create_tenant(&tenant_record("acme"), &[]).await?;
        assert!(store.checkpoint().await?);
        let wal = store.path().with_extension("db-wal");
        assert_eq!(std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0), 0);
        Ok(())
    }
}
