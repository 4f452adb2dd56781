//! The store contract (`idp_core::contract`) on a real PostgreSQL server:
//! one fresh database per test (`idp_store_postgres::scratch`), dropped
//! afterwards. Without a server every test prints why and passes, unless
//! `IDP_REQUIRE_POSTGRES=1`.

use idp_core::contract::{Failure, Fresh};
use idp_store_postgres::scratch::ScratchDatabase;
use idp_store_postgres::{PoolSettings, PostgresStore};

/// A store on a fresh database, or `None` when the tests are skipped.
async fn fresh() -> Result<Option<Fresh<PostgresStore>>, Failure> {
    let Some(db) = ScratchDatabase::create().await? else {
        return Ok(None);
    };
    let store = PostgresStore::connect(db.url(), PoolSettings::default()).await?;
    Ok(Some(Fresh::keeping(store, db)))
}

idp_core::store_contract_or_skip!(fresh());
