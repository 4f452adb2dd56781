//! STUB (issue 16 skeleton): replaced by the real adapters before landing.

use crate::SqliteStore;
use idp_core::clock::UnixTime;
use idp_core::ids::{TenantId, UserId};
use idp_core::store::*;

fn todo<T>() -> StoreResult<T> {
    Err(StoreError::Backend("STUB: not implemented yet".into()))
}

impl AuditStore for SqliteStore {
    async fn apply_audited(&self, _c: AdminChange<'_>, _e: &AuditEvent) -> StoreResult<Applied> {
        todo()
    }
    async fn append_audit_event(&self, _e: &AuditEvent) -> StoreResult<i64> {
        todo()
    }
    async fn audit_events(
        &self,
        _f: &AuditFilter,
        _a: Option<i64>,
        _l: usize,
    ) -> StoreResult<Vec<AuditEvent>> {
        todo()
    }
    async fn purge_audit_events(&self, _b: UnixTime, _l: u32) -> StoreResult<u64> {
        todo()
    }
}

impl RoleStore for SqliteStore {
    async fn roles_page(
        &self,
        _t: &TenantId,
        _a: Option<&str>,
        _l: usize,
    ) -> StoreResult<Vec<RoleRecord>> {
        todo()
    }
    async fn role(&self, _t: &TenantId, _n: &str) -> StoreResult<Option<RoleRecord>> {
        todo()
    }
    async fn user_roles(&self, _t: &TenantId, _u: &UserId) -> StoreResult<Vec<String>> {
        todo()
    }
}

impl ApiKeyStore for SqliteStore {
    async fn api_key_root(&self, _c: &[u8]) -> StoreResult<Vec<u8>> {
        todo()
    }
    async fn api_keys_page(&self, _a: Option<&str>, _l: usize) -> StoreResult<Vec<ApiKeyRecord>> {
        todo()
    }
    async fn api_key(&self, _id: &str) -> StoreResult<Option<ApiKeyRecord>> {
        todo()
    }
    async fn any_revoked(&self, _ids: &[String]) -> StoreResult<bool> {
        todo()
    }
}

impl IdempotencyStore for SqliteStore {
    async fn claim_idempotency_key(
        &self,
        _r: &IdempotencyRecord,
        _now: UnixTime,
    ) -> StoreResult<Option<IdempotencyRecord>> {
        todo()
    }
    async fn complete_idempotency_key(&self, _s: &str, _st: u16, _b: &[u8]) -> StoreResult<bool> {
        todo()
    }
    async fn release_idempotency_key(&self, _s: &str) -> StoreResult<()> {
        todo()
    }
    async fn purge_idempotency_keys(&self, _b: UnixTime, _l: u32) -> StoreResult<u64> {
        todo()
    }
}
