//! `idp-server backup PATH`: a consistent online copy (SQLite backup API),
//! safe while the server is serving.

use super::CliError;
use crate::app::open_store;
use crate::config::Config;
use std::path::Path;

pub(super) async fn run(config: &Config, path: &Path) -> Result<(), CliError> {
    if path.exists() {
        return Err(CliError::Failed(format!(
            "{} already exists; choose a new file",
            path.display()
        )));
    }
    let store = open_store(config)?;
    store
        .backup_to(path)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))?;
    println!("backup written to {}", path.display());
    Ok(())
}
