//! Application roles: defined per tenant, assigned to users. Writes go
//! through [`AuditStore::apply_audited`](super::AuditStore::apply_audited)
//! ([`AdminChange::CreateRole`](super::AdminChange::CreateRole) and the
//! rest); this port reads.

use super::StoreResult;
use crate::clock::UnixTime;
use crate::ids::{TenantId, UserId};
use std::future::Future;

/// An application role of one tenant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RoleRecord {
    /// Its name, unique in the tenant (the core's rule: `crate::admin`).
    pub name: String,
    /// What it is for; may be empty.
    pub description: String,
    /// Creation time.
    pub created_at: UnixTime,
}

/// Reading roles: part of [`Store`](super::Store).
pub trait RoleStore: Send + Sync {
    /// The tenant's roles with a name after `after`, by name, at most `limit`.
    fn roles_page(
        &self,
        tenant: &TenantId,
        after: Option<&str>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<RoleRecord>>> + Send;
    /// The role `name`.
    fn role(
        &self,
        tenant: &TenantId,
        name: &str,
    ) -> impl Future<Output = StoreResult<Option<RoleRecord>>> + Send;
    /// The names of the user's roles, sorted.
    fn user_roles(
        &self,
        tenant: &TenantId,
        user: &UserId,
    ) -> impl Future<Output = StoreResult<Vec<String>>> + Send;
    /// The users holding the role `name`, by id, at most `limit` (the
    /// rule that keeps at least one platform owner asks for two).
    fn role_holders(
        &self,
        tenant: &TenantId,
        name: &str,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<UserId>>> + Send;
}
