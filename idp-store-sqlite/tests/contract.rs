//! The store contract (`idp_core::contract`) on real SQLite files: one
//! fresh database in a temporary directory per test.

use idp_core::contract::{Failure, Fresh};
use idp_store_sqlite::SqliteStore;

idp_core::store_contract!(async {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&format!("sqlite:{}", dir.path().join("idp.db").display()))?;
    Ok::<_, Failure>(Fresh::keeping(store, dir))
});
