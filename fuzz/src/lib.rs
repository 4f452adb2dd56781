//! The provider the endpoint targets share: one per process, over a SQLite
//! database in a temporary directory.

use idp_core::fuzzing::endpoints::Endpoints;
use idp_store_sqlite::SqliteStore;
use std::sync::OnceLock;

/// A runtime and the provider's endpoints.
pub struct Fixture {
    /// Runs the provider's futures.
    pub runtime: tokio::runtime::Runtime,
    /// Tenant, client and the checks.
    pub endpoints: Endpoints<SqliteStore>,
    _dir: tempfile::TempDir,
}

/// The process's fixture, made on first use. Failing to make it is a setup
/// error, not a finding, so it aborts with a message.
pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let setup = || -> Result<Fixture, Box<dyn std::error::Error>> {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let dir = tempfile::tempdir()?;
            let store = SqliteStore::open(&dir.path().join("fuzz.db").to_string_lossy())?;
            let endpoints = runtime.block_on(Endpoints::new(store))?;
            Ok(Fixture {
                runtime,
                endpoints,
                _dir: dir,
            })
        };
        setup().unwrap_or_else(|e| {
            eprintln!("fuzz fixture: {e}");
            std::process::exit(2)
        })
    })
}
