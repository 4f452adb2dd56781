//! `idp-server backup PATH`: a consistent online copy of the database, safe
//! while the server is serving ([`Operations::backup_to`]; SQLite's online
//! backup API). A backend without file backups says so, and names no file.

use super::CliError;
use crate::backend::Backend;
use idp_core::store::OperationError;
use std::path::{Path, PathBuf};

/// `backup`'s arguments.
#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    /// The new file to write; it must not exist.
    pub path: PathBuf,
}

/// Refuses an existing destination before anything is opened.
pub(super) fn check_destination(path: &Path) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::Conflict(format!(
            "{} already exists; choose a new file",
            path.display()
        )));
    }
    Ok(())
}

pub(super) async fn run<S: Backend>(store: &S, path: &Path) -> Result<(), CliError> {
    store.backup_to(path).await.map_err(|e| match e {
        OperationError::Unsupported { backend: "PostgreSQL", .. } => CliError::Failed(format!(
            "{e}: back up a PostgreSQL database with pg_dump (a logical copy) or pg_basebackup (a physical one, for point-in-time recovery with WAL archiving); nothing was written"
        )),
        OperationError::Unsupported { .. } => {
            CliError::Failed(format!("{e}: use the database's own backup tools"))
        }
        other => CliError::Failed(other.to_string()),
    })?;
    println!("backup written to {}", path.display());
    Ok(())
}
