//! The audit log, and the one way an administrative change reaches storage:
//! [`AuditStore::apply_audited`] makes the change and appends its
//! [`AuditEvent`] in one transaction, so there is never a change without its
//! event, nor an event for a change that did not happen.
//!
//! Events are append-only: the port has no method that changes or deletes
//! one, except [`AuditStore::purge_audit_events`] for the retention period.
//! They outlive their tenant (a deleted tenant's events stay, naming its
//! slug), so they hold the tenant's slug and id as plain values, not as a
//! reference a deletion would cascade through.

use super::tiers::{Counted, TierRecord};
use super::upstreams::{LinkedIdentityRecord, UpstreamRecord};
use super::{ClientRecord, SigningKeyRecord, StoreResult, TenantRecord, UserRecord};
use super::{
    api_keys::ApiKeyRecord, platform_settings::PlatformSettings, roles::RoleRecord,
    setup_links::SetupLinkRecord,
};
use crate::clock::UnixTime;
use crate::ids::{ClientId, SessionId, TenantId, UpstreamId, UserId};
use crate::tenant::state::TenantState;
use std::future::Future;

/// One recorded change, as stored and as listed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AuditEvent {
    /// Assigned by the store on append (0 before): increasing, the
    /// pagination key.
    pub id: i64,
    /// When the change was made.
    pub time: UnixTime,
    /// Who made it: `api_key`, `operator`, `cli`, `system` or `signup`.
    pub actor_kind: String,
    /// The API key's id, the operator's user id, the OS user for `cli`.
    pub actor_id: String,
    /// The API key's name or the operator's email; may be empty.
    pub actor_name: String,
    /// `object.verb`, e.g. `client.create` (`crate::audit::AuditAction`).
    pub action: String,
    /// The tenant's slug, if the change was inside one.
    pub tenant: Option<String>,
    /// The tenant's internal id, if the change was inside one (the store's
    /// scoping key; never shown).
    pub tenant_id: Option<TenantId>,
    /// What kind of object changed: `tenant`, `client`, `user`, …
    pub target_kind: String,
    /// Its id (slug, client_id, user id, role name, key id, …).
    pub target_id: String,
    /// The source address of the request, if it came over the network.
    pub address: Option<String>,
    /// The request id (`X-Request-Id`), if any.
    pub request_id: Option<String>,
    /// The changed fields as a JSON object, secret values left out.
    pub changes: String,
}

/// Which events to list; every `Some` must match.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Events of the tenant with this slug.
    pub tenant: Option<String>,
    /// Events by this actor id.
    pub actor: Option<String>,
    /// Events with this action (`client.create`), or whose action starts
    /// with this prefix followed by a dot (`client` matches
    /// `client.secret.rotate`).
    pub action: Option<String>,
    /// Events at or after this time.
    pub since: Option<UnixTime>,
    /// Events before this time (with `since`, the half-open range
    /// `[since, until)`).
    pub until: Option<UnixTime>,
}

/// An administrative change, made by [`AuditStore::apply_audited`] exactly
/// as the port method of the same name would make it.
#[derive(Clone, Copy, Debug)]
pub enum AdminChange<'a> {
    /// [`TenantStore::create_tenant`](super::TenantStore::create_tenant).
    CreateTenant {
        /// The new tenant.
        tenant: &'a TenantRecord,
        /// Its first signing keys.
        keys: &'a [SigningKeyRecord],
    },
    /// [`AdminStore::update_tenant`](super::AdminStore::update_tenant).
    UpdateTenant {
        /// The changed tenant.
        tenant: &'a TenantRecord,
    },
    /// A tenant's lifecycle state, compare-and-swap: sets `to`, `reason`
    /// and `at` if the tenant is in `from`; `Missing` (nothing written) if
    /// there is no such tenant or it is in another state (a racing
    /// transition won).
    ChangeTenantState {
        /// The tenant.
        tenant: &'a TenantId,
        /// The state the caller read.
        from: TenantState,
        /// The new state.
        to: TenantState,
        /// The operator's reason (reject, suspend), else `None`.
        reason: Option<&'a str>,
        /// When.
        at: UnixTime,
    },
    /// [`AdminStore::delete_tenant`](super::AdminStore::delete_tenant);
    /// also deletes the tenant's roles and role assignments.
    DeleteTenant {
        /// The tenant.
        tenant: &'a TenantId,
    },
    /// [`AdminChange::DeleteTenant`] of an organisation, and in the same
    /// transaction the platform tenant's roles named `roles` (the
    /// organisation's `org-admin:{slug}` and `org-viewer:{slug}`) with their
    /// assignments; `Missing` (nothing written) if there is no such tenant.
    /// Roles already gone are not an error.
    DeleteOrganisation {
        /// The tenant.
        tenant: &'a TenantId,
        /// The platform tenant.
        platform: &'a TenantId,
        /// The platform roles to delete with it.
        roles: &'a [String],
    },
    /// Stores a new set-up link: `Done(1)`.
    CreateSetupLink {
        /// The tenant (the platform).
        tenant: &'a TenantId,
        /// The link.
        link: &'a SetupLinkRecord,
    },
    /// Uses a set-up link and stores the user's new password, both or
    /// neither: marks the link used at `at` if it is unused and unexpired
    /// then (compare-and-swap: of two racing uses one wins), then stores
    /// `user` as [`AdminStore::update_user`](super::AdminStore::update_user)
    /// does; `Missing` (nothing written) if the link is used, expired or
    /// not the user's, or the user is gone.
    RedeemSetupLink {
        /// The tenant (the platform).
        tenant: &'a TenantId,
        /// The link's token hash.
        token_hash: &'a str,
        /// The user, with the new password hash.
        user: &'a UserRecord,
        /// Now.
        at: UnixTime,
    },
    /// [`ClientStore::create_client`](super::ClientStore::create_client).
    CreateClient {
        /// The tenant.
        tenant: &'a TenantId,
        /// The new client.
        client: &'a ClientRecord,
    },
    /// [`AdminStore::update_client`](super::AdminStore::update_client).
    UpdateClient {
        /// The tenant.
        tenant: &'a TenantId,
        /// The changed client.
        client: &'a ClientRecord,
    },
    /// [`AdminStore::remove_client`](super::AdminStore::remove_client).
    RemoveClient {
        /// The tenant.
        tenant: &'a TenantId,
        /// The client.
        client: &'a ClientId,
        /// Until when its grants are remembered as revoked.
        keep_until: UnixTime,
    },
    /// [`UserStore::create_user`](super::UserStore::create_user).
    CreateUser {
        /// The tenant.
        tenant: &'a TenantId,
        /// The new user.
        user: &'a UserRecord,
    },
    /// [`AdminStore::update_user`](super::AdminStore::update_user).
    UpdateUser {
        /// The tenant.
        tenant: &'a TenantId,
        /// The changed user.
        user: &'a UserRecord,
    },
    /// [`AdminStore::revoke_user`](super::AdminStore::revoke_user); always
    /// applies (with the number of sessions revoked, maybe 0).
    RevokeUser {
        /// The tenant.
        tenant: &'a TenantId,
        /// The user.
        user: &'a UserId,
        /// Now.
        now: UnixTime,
        /// Until when the user's grants are remembered as revoked.
        keep_until: UnixTime,
    },
    /// [`AdminStore::delete_user`](super::AdminStore::delete_user); also
    /// deletes the user's role assignments.
    DeleteUser {
        /// The tenant.
        tenant: &'a TenantId,
        /// The user.
        user: &'a UserId,
        /// Now.
        now: UnixTime,
        /// Until when the user's grants are remembered as revoked.
        keep_until: UnixTime,
    },
    /// [`SessionStore::revoke_session`](super::SessionStore::revoke_session).
    RevokeSession {
        /// The tenant.
        tenant: &'a TenantId,
        /// The session.
        session: &'a SessionId,
        /// Now.
        now: UnixTime,
    },
    /// [`KeyStore::replace_signing_keys`](super::KeyStore::replace_signing_keys);
    /// `Missing` when the compare-and-swap lost.
    ReplaceSigningKeys {
        /// The tenant.
        tenant: &'a TenantId,
        /// The kids of the current keys the caller read.
        expected_current: &'a [String],
        /// The new keys.
        keys: &'a [SigningKeyRecord],
        /// When the keys they supersede retire.
        retire_at: UnixTime,
    },
    /// A new application role; `Conflict` on a duplicate name.
    CreateRole {
        /// The tenant.
        tenant: &'a TenantId,
        /// The role.
        role: &'a RoleRecord,
    },
    /// Replaces the role's description; `Missing` if there is no such role.
    UpdateRole {
        /// The tenant.
        tenant: &'a TenantId,
        /// The role with its new description.
        role: &'a RoleRecord,
    },
    /// Deletes a role and every assignment of it; `Missing` if none.
    DeleteRole {
        /// The tenant.
        tenant: &'a TenantId,
        /// The role's name.
        role: &'a str,
    },
    /// Assigns a role to a user: `Done(1)` if newly assigned, `Done(0)` if
    /// it already was, `Missing` if the user or the role does not exist.
    AssignRole {
        /// The tenant.
        tenant: &'a TenantId,
        /// The user.
        user: &'a UserId,
        /// The role's name.
        role: &'a str,
        /// When.
        at: UnixTime,
    },
    /// Takes a role from a user: `Done(1)`, or `Missing` if it was not assigned.
    UnassignRole {
        /// The tenant.
        tenant: &'a TenantId,
        /// The user.
        user: &'a UserId,
        /// The role's name.
        role: &'a str,
    },
    /// Records a new API key (not the key itself: it is never stored).
    CreateApiKey {
        /// The key's record.
        key: &'a ApiKeyRecord,
    },
    /// Marks an API key revoked at `at`: `Done(1)`, `Done(0)` if it already
    /// was, `Missing` if there is no such key.
    RevokeApiKey {
        /// The key's id.
        id: &'a str,
        /// When.
        at: UnixTime,
    },
    /// Replaces the platform's settings (creating their row the first time).
    UpdatePlatformSettings {
        /// The new settings.
        settings: &'a PlatformSettings,
    },
    /// An organisation's sign-up (`crate::signup`): creates `tenant` with
    /// its `keys`, and in the `platform` tenant creates `role` unless a
    /// role of that name exists, creates `user` and assigns `role` to
    /// them, all at once. A taken slug or a taken email is
    /// `Err(Conflict)` and nothing is written.
    SignUp {
        /// The new tenant.
        tenant: &'a TenantRecord,
        /// Its first signing keys.
        keys: &'a [SigningKeyRecord],
        /// The platform tenant, where its admin account lives.
        platform: &'a TenantId,
        /// The organisation's first admin, a user of the platform tenant.
        user: &'a UserRecord,
        /// The role that makes them the organisation's admin.
        role: &'a RoleRecord,
    },
    /// A new tier; `Conflict` on a duplicate name.
    CreateTier {
        /// The tier.
        tier: &'a TierRecord,
    },
    /// Replaces the tier's limits and `updated_at`; `Missing` if none.
    UpdateTier {
        /// The tier with its new limits.
        tier: &'a TierRecord,
    },
    /// Deletes a tier: `Missing` if there is none, `Err(Conflict)` (and
    /// nothing deleted) while a tenant is assigned to it.
    DeleteTier {
        /// The tier's name.
        name: &'a str,
    },
    /// Assigns the tier `tier` to the tenant (`None`: no tier, unlimited);
    /// `Missing` if there is no such tenant or no such tier.
    AssignTier {
        /// The tenant.
        tenant: &'a TenantId,
        /// The tier's name, or none.
        tier: Option<&'a str>,
    },
    /// Stores a new upstream; `Conflict` if its id exists.
    CreateUpstream {
        /// The tenant.
        tenant: &'a TenantId,
        /// The new upstream.
        upstream: &'a UpstreamRecord,
    },
    /// Replaces the stored upstream `upstream.id` (every field but `id`,
    /// `kind` and `created_at`); `Missing` if there is none.
    UpdateUpstream {
        /// The tenant.
        tenant: &'a TenantId,
        /// The changed upstream.
        upstream: &'a UpstreamRecord,
    },
    /// Deletes the upstream, its linked identities and its flights;
    /// `Missing` if there is none.
    DeleteUpstream {
        /// The tenant.
        tenant: &'a TenantId,
        /// The upstream.
        upstream: &'a UpstreamId,
    },
    /// Links an identity to an existing user; `Conflict` if the
    /// (upstream, subject) is linked already, `Missing` if the user or the
    /// upstream does not exist.
    LinkIdentity {
        /// The tenant.
        tenant: &'a TenantId,
        /// The identity.
        identity: &'a LinkedIdentityRecord,
    },
    /// Creates a user and links the identity to it in one transaction (a
    /// first sign-in through an upstream); `Conflict` if the email or the
    /// (upstream, subject) exists, `Missing` if the upstream does not.
    CreateUserWithIdentity {
        /// The tenant.
        tenant: &'a TenantId,
        /// The new user.
        user: &'a UserRecord,
        /// The identity (its `user_id` is the new user's).
        identity: &'a LinkedIdentityRecord,
    },
    /// Unlinks the identity (upstream, subject) from `user`; `Missing` if
    /// it is not linked to that user.
    UnlinkIdentity {
        /// The tenant.
        tenant: &'a TenantId,
        /// The user.
        user: &'a UserId,
        /// The upstream.
        upstream: &'a UpstreamId,
        /// The upstream's key for the person.
        subject: &'a str,
    },
    /// Makes `change` (a create) only if fewer than `limit` of `counted`
    /// exist: the count and the change are one transaction, serialized
    /// with every other `WithinLimit` on the same tenant (`counted`'s), so
    /// concurrent creates cannot together pass the limit. At the limit or
    /// past it: `LimitReached(count)` and nothing written. The change must
    /// not itself be a `WithinLimit`.
    WithinLimit {
        /// What the limit counts.
        counted: Counted<'a>,
        /// The most there may be after the change.
        limit: u64,
        /// The create to make.
        change: &'a AdminChange<'a>,
    },
}

/// What [`AuditStore::apply_audited`] did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    /// The change was made and its event appended; the number is what the
    /// change counts (sessions revoked, rows changed; 1 for a create).
    Done(u64),
    /// The change's target does not exist (or the compare-and-swap lost):
    /// nothing was changed and no event appended.
    Missing,
    /// [`AdminChange::WithinLimit`]: the limit was reached, with this many
    /// counted; nothing was changed and no event appended.
    LimitReached(u64),
}

/// The audit log and audited changes: part of [`Store`](super::Store).
pub trait AuditStore: Send + Sync {
    /// Makes `change` and appends `event` (its `id` is ignored and
    /// assigned) in one transaction: both or neither. A uniqueness conflict
    /// is `Err(Conflict)`, a missing target `Ok(Applied::Missing)`; either
    /// way nothing is written.
    fn apply_audited(
        &self,
        change: AdminChange<'_>,
        event: &AuditEvent,
    ) -> impl Future<Output = StoreResult<Applied>> + Send;

    /// Appends an event that goes with no stored change (a command that
    /// reads a secret out, say); returns its id.
    fn append_audit_event(
        &self,
        event: &AuditEvent,
    ) -> impl Future<Output = StoreResult<i64>> + Send;

    /// Events matching `filter` with an id greater than `after`, by id, at
    /// most `limit`.
    fn audit_events(
        &self,
        filter: &AuditFilter,
        after: Option<i64>,
        limit: usize,
    ) -> impl Future<Output = StoreResult<Vec<AuditEvent>>> + Send;

    /// Deletes at most `limit` events older than `before` (the retention
    /// period) and returns how many; the caller repeats until fewer come back.
    fn purge_audit_events(
        &self,
        before: UnixTime,
        limit: u32,
    ) -> impl Future<Output = StoreResult<u64>> + Send;
}
