//! End users and the canonical-email index.

use crate::email::EmailAddress;
use crate::ids::{TenantId, UserId};
use crate::store::{StoreResult, UnindexedEmail, UserRecord};
use std::future::Future;

/// Users: part of [`Store`](super::Store).
pub trait UserStore: Send + Sync {
    /// Creates a user; `Conflict` if the email exists in the tenant.
    /// `user.email` is canonical ([`EmailAddress`]) and is indexed as such.
    fn create_user(
        &self,
        tenant: &TenantId,
        user: &UserRecord,
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// Creates many users at once (bulk import, e.g. migrating from another
    /// provider with their argon2id PHC hashes), atomically: `Conflict` and
    /// nothing written if any id or email exists. One transaction, which is
    /// what makes a million rows cheap.
    fn create_users(
        &self,
        tenant: &TenantId,
        users: &[UserRecord],
    ) -> impl Future<Output = StoreResult<()>> + Send;
    /// A user by id.
    fn user(
        &self,
        tenant: &TenantId,
        id: &UserId,
    ) -> impl Future<Output = StoreResult<Option<UserRecord>>> + Send;
    /// A user by the canonical form of their email: the one whose stored
    /// canonical email ([`UserStore::create_user`] stores `user.email`, which the
    /// core has made canonical; [`UserStore::index_email`] for older rows) is
    /// `email`. A row left unindexed (a collision) is never found.
    fn user_by_email(
        &self,
        tenant: &TenantId,
        email: &EmailAddress,
    ) -> impl Future<Output = StoreResult<Option<UserRecord>>> + Send;
    /// Users, in every tenant, whose email has no canonical index entry
    /// yet: rows written before emails were normalized, and rows left out
    /// because their canonical form collided with another user's. Oldest
    /// first. Empty once every row is indexed, and cheap to ask then.
    fn unindexed_emails(&self) -> impl Future<Output = StoreResult<Vec<UnindexedEmail>>> + Send;
    /// Indexes one such user under `email` (its canonical form);
    /// `Conflict` if another user of the tenant already holds it, in which
    /// case nothing changes.
    fn index_email(
        &self,
        tenant: &TenantId,
        user: &UserId,
        email: &EmailAddress,
    ) -> impl Future<Output = StoreResult<()>> + Send;
}
