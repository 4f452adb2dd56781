//! Admin API keys (Biscuit tokens, `crate::api_key`): the platform's root
//! key pair, sealed, and one record per key issued. The keys themselves are
//! never stored: a record holds what lists and revocation need. Writes go
//! through [`AuditStore::apply_audited`](super::AuditStore::apply_audited).

use super::StoreResult;
use crate::clock::UnixTime;
use std::future::Future;

/// One issued API key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyRecord {
    /// Public id, also a fact in the key's first block.
    pub id: String,
    /// A name for people; may be empty.
    pub name: String,
    /// The tenant slug it was limited to at creation, if any.
    pub tenant: Option<String>,
    /// Whether it was made read-only at creation.
    pub read_only: bool,
    /// Its expiry at creation, if any.
    pub expires_at: Option<UnixTime>,
    /// The revocation id of its first block (hex): every attenuation of
    /// the key carries it, so revoking it ends them all.
    pub revocation_id: String,
    /// Creation time.
    pub created_at: UnixTime,
    /// When it was revoked, if it was.
    pub revoked_at: Option<UnixTime>,
}

/// API keys: part of [`Store`](super::Store).
pub trait ApiKeyStore: Send + Sync {
    /// The sealed root private key; stores `candidate` first if there is
    /// none, so that processes starting at once agree on one (the first
    /// stored wins, and every caller gets that one back).
    fn api_key_root(&self, candidate: &[u8]) -> impl Future<Output = StoreResult<Vec<u8>>> + Send;
    /// Keys with an id after `after`, by id, at most `limit`.
    fn api_keys_page(
        &self,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<ApiKeyRecord>>> + Send;
    /// The key `id`.
    fn api_key(&self, id: &str) -> impl Future<Output = StoreResult<Option<ApiKeyRecord>>> + Send;
    /// Whether any of `revocation_ids` (hex) belongs to a revoked key.
    fn any_revoked(
        &self,
        revocation_ids: &[String],
    ) -> impl Future<Output = StoreResult<bool>> + Send;
}
