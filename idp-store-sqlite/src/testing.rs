//! Fixtures for the SQLite-specific tests (what every store must do is in
//! the store contract, `tests/contract.rs`): a store on a fresh file and
//! sample records.

use crate::SqliteStore;
use idp_core::ids::TenantId;
use idp_core::store::TenantStore;
use tempfile::TempDir;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// A store on a new file in a temporary directory (kept alive by the guard).
pub(crate) fn fresh_store()
-> Result<(TempDir, SqliteStore), Box<dyn std::error::Error + Send + Sync>> {
    let dir = tempfile::tempdir()?;
    let store = SqliteStore::open(&format!("sqlite:{}", dir.path().join("idp.db").display()))?;
    Ok((dir, store))
}

/// A store with tenants `a` and `b`.
pub(crate) async fn two_tenants()
-> Result<(TempDir, SqliteStore, TenantId, TenantId), Box<dyn std::error::Error + Send + Sync>> {
    let (dir, store) = fresh_store()?;
    let a = tenant_record("a");
    let b = tenant_record("b");
    store.create_tenant(&a, &[]).await?;
    store.create_tenant(&b, &[]).await?;
    Ok((dir, store, a.id, b.id))
}

/// The contract suite's sample records (`idp_core::contract::samples`),
/// under the names these tests use.
pub(crate) use idp_core::contract::samples::{
    client as client_record, code as code_record, refresh as refresh_record,
    session as session_record, tenant as tenant_record, user as user_record,
};

/// The canonical form of a test address (which must be one).
pub(crate) fn email(address: &str) -> idp_core::EmailAddress {
    idp_core::EmailAddress::parse(address).unwrap_or_else(|e| panic!("{e}"))
}
