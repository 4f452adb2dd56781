//! An [`AdminChange`] made inside `AuditStore::apply_audited`'s
//! transaction: owned (the change moves to a blocking thread), then applied
//! by the same functions the port method of the same name runs, so an
//! audited change is exactly the unaudited one.

use crate::tiers::{self, OwnedCounted};
use crate::{
    admin, api_keys, clients, platform_settings, roles, sessions, tenants, upstreams, users,
};
use idp_core::clock::UnixTime;
use idp_core::ids::{ClientId, SessionId, TenantId, UpstreamId, UserId};
use idp_core::store::{
    AdminChange, ApiKeyRecord, Applied, ClientRecord, LinkedIdentityRecord, PlatformSettings,
    RoleRecord, SigningKeyRecord, TenantRecord, TierRecord, UpstreamRecord, UserRecord,
};
use idp_core::tenant::state::TenantState;
use rusqlite::{Connection, Result};

/// [`AdminChange`] with its borrowed parts copied.
pub(crate) enum OwnedChange {
    CreateTenant(TenantRecord, Vec<SigningKeyRecord>),
    UpdateTenant(TenantRecord),
    /// Tenant, from, to, reason, at.
    ChangeTenantState(TenantId, TenantState, TenantState, Option<String>, UnixTime),
    DeleteTenant(TenantId),
    CreateSetupLink(TenantId, idp_core::store::SetupLinkRecord),
    /// Tenant, token hash, user (with the new password), at.
    RedeemSetupLink(TenantId, String, UserRecord, UnixTime),
    /// Tenant, platform tenant, platform roles.
    DeleteOrganisation(TenantId, TenantId, Vec<String>),
    CreateClient(TenantId, ClientRecord),
    UpdateClient(TenantId, ClientRecord),
    RemoveClient(TenantId, ClientId, UnixTime),
    CreateUser(TenantId, UserRecord),
    UpdateUser(TenantId, UserRecord),
    /// Tenant, user, now, keep_until.
    RevokeUser(TenantId, UserId, UnixTime, UnixTime),
    /// Tenant, user, now, keep_until.
    DeleteUser(TenantId, UserId, UnixTime, UnixTime),
    RevokeSession(TenantId, SessionId, UnixTime),
    /// Tenant, expected current kids, new keys, retire_at.
    ReplaceSigningKeys(TenantId, Vec<String>, Vec<SigningKeyRecord>, UnixTime),
    CreateRole(TenantId, RoleRecord),
    UpdateRole(TenantId, RoleRecord),
    DeleteRole(TenantId, String),
    /// Tenant, user, role, at.
    AssignRole(TenantId, UserId, String, UnixTime),
    UnassignRole(TenantId, UserId, String),
    CreateApiKey(ApiKeyRecord),
    RevokeApiKey(String, UnixTime),
    UpdatePlatformSettings(PlatformSettings),
    /// Tenant, its keys, the platform tenant, the admin, their role.
    SignUp(
        TenantRecord,
        Vec<SigningKeyRecord>,
        TenantId,
        UserRecord,
        RoleRecord,
    ),
    CreateTier(TierRecord),
    UpdateTier(TierRecord),
    DeleteTier(String),
    CreateUpstream(TenantId, UpstreamRecord),
    UpdateUpstream(TenantId, UpstreamRecord),
    DeleteUpstream(TenantId, UpstreamId),
    LinkIdentity(TenantId, LinkedIdentityRecord),
    CreateUserWithIdentity(TenantId, UserRecord, LinkedIdentityRecord),
    /// Tenant, user, upstream, subject.
    UnlinkIdentity(TenantId, UserId, UpstreamId, String),
    /// Tenant, tier.
    AssignTier(TenantId, Option<String>),
    /// What is counted, the limit, the create.
    WithinLimit(OwnedCounted, u64, Box<OwnedChange>),
}

impl From<AdminChange<'_>> for OwnedChange {
    fn from(change: AdminChange<'_>) -> Self {
        use AdminChange as C;
        match change {
            C::CreateTenant { tenant, keys } => Self::CreateTenant(tenant.clone(), keys.to_vec()),
            C::UpdateTenant { tenant } => Self::UpdateTenant(tenant.clone()),
            C::ChangeTenantState {
                tenant,
                from,
                to,
                reason,
                at,
            } => Self::ChangeTenantState(tenant.clone(), from, to, reason.map(str::to_owned), at),
            C::DeleteTenant { tenant } => Self::DeleteTenant(tenant.clone()),
            C::CreateSetupLink { tenant, link } => {
                Self::CreateSetupLink(tenant.clone(), link.clone())
            }
            C::RedeemSetupLink {
                tenant,
                token_hash,
                user,
                at,
            } => Self::RedeemSetupLink(tenant.clone(), token_hash.to_owned(), user.clone(), at),
            C::DeleteOrganisation {
                tenant,
                platform,
                roles,
            } => Self::DeleteOrganisation(tenant.clone(), platform.clone(), roles.to_vec()),
            C::CreateClient { tenant, client } => {
                Self::CreateClient(tenant.clone(), client.clone())
            }
            C::UpdateClient { tenant, client } => {
                Self::UpdateClient(tenant.clone(), client.clone())
            }
            C::RemoveClient {
                tenant,
                client,
                keep_until,
            } => Self::RemoveClient(tenant.clone(), client.clone(), keep_until),
            C::CreateUser { tenant, user } => Self::CreateUser(tenant.clone(), user.clone()),
            C::UpdateUser { tenant, user } => Self::UpdateUser(tenant.clone(), user.clone()),
            C::RevokeUser {
                tenant,
                user,
                now,
                keep_until,
            } => Self::RevokeUser(tenant.clone(), user.clone(), now, keep_until),
            C::DeleteUser {
                tenant,
                user,
                now,
                keep_until,
            } => Self::DeleteUser(tenant.clone(), user.clone(), now, keep_until),
            C::RevokeSession {
                tenant,
                session,
                now,
            } => Self::RevokeSession(tenant.clone(), session.clone(), now),
            C::ReplaceSigningKeys {
                tenant,
                expected_current,
                keys,
                retire_at,
            } => Self::ReplaceSigningKeys(
                tenant.clone(),
                expected_current.to_vec(),
                keys.to_vec(),
                retire_at,
            ),
            C::CreateRole { tenant, role } => Self::CreateRole(tenant.clone(), role.clone()),
            C::UpdateRole { tenant, role } => Self::UpdateRole(tenant.clone(), role.clone()),
            C::DeleteRole { tenant, role } => Self::DeleteRole(tenant.clone(), role.to_owned()),
            C::AssignRole {
                tenant,
                user,
                role,
                at,
            } => Self::AssignRole(tenant.clone(), user.clone(), role.to_owned(), at),
            C::UnassignRole { tenant, user, role } => {
                Self::UnassignRole(tenant.clone(), user.clone(), role.to_owned())
            }
            C::CreateApiKey { key } => Self::CreateApiKey(key.clone()),
            C::RevokeApiKey { id, at } => Self::RevokeApiKey(id.to_owned(), at),
            C::UpdatePlatformSettings { settings } => {
                Self::UpdatePlatformSettings(settings.clone())
            }
            C::SignUp {
                tenant,
                keys,
                platform,
                user,
                role,
            } => Self::SignUp(
                tenant.clone(),
                keys.to_vec(),
                platform.clone(),
                user.clone(),
                role.clone(),
            ),
            C::CreateTier { tier } => Self::CreateTier(tier.clone()),
            C::UpdateTier { tier } => Self::UpdateTier(tier.clone()),
            C::DeleteTier { name } => Self::DeleteTier(name.to_owned()),
            C::AssignTier { tenant, tier } => {
                Self::AssignTier(tenant.clone(), tier.map(str::to_owned))
            }
            C::CreateUpstream { tenant, upstream } => {
                Self::CreateUpstream(tenant.clone(), upstream.clone())
            }
            C::UpdateUpstream { tenant, upstream } => {
                Self::UpdateUpstream(tenant.clone(), upstream.clone())
            }
            C::DeleteUpstream { tenant, upstream } => {
                Self::DeleteUpstream(tenant.clone(), upstream.clone())
            }
            C::LinkIdentity { tenant, identity } => {
                Self::LinkIdentity(tenant.clone(), identity.clone())
            }
            C::CreateUserWithIdentity {
                tenant,
                user,
                identity,
            } => Self::CreateUserWithIdentity(tenant.clone(), user.clone(), identity.clone()),
            C::UnlinkIdentity {
                tenant,
                user,
                upstream,
                subject,
            } => Self::UnlinkIdentity(
                tenant.clone(),
                user.clone(),
                upstream.clone(),
                subject.to_owned(),
            ),
            C::WithinLimit {
                counted,
                limit,
                change,
            } => Self::WithinLimit(counted.into(), limit, Box::new((*change).into())),
        }
    }
}

/// `Done(1)` if the target was there, else `Missing`.
fn found(found: bool) -> Applied {
    if found {
        Applied::Done(1)
    } else {
        Applied::Missing
    }
}

/// `Done(n)`, or `Missing` for `None`.
fn counted(count: Option<u64>) -> Applied {
    count.map_or(Applied::Missing, Applied::Done)
}

impl OwnedChange {
    /// Makes the change on `conn`, inside the caller's transaction. On
    /// `Missing` (or an error) the caller rolls back: some changes write
    /// before they find out (a user's sessions end before the user's row
    /// turns out to be missing).
    pub(crate) fn apply(&self, conn: &Connection) -> Result<Applied> {
        Ok(match self {
            Self::CreateTenant(tenant, keys) => {
                tenants::create_in(conn, tenant, keys)?;
                Applied::Done(1)
            }
            Self::UpdateTenant(tenant) => found(admin::update_tenant(conn, tenant)?),
            Self::ChangeTenantState(tenant, from, to, reason, at) => found(tenants::change_state(
                conn,
                tenant,
                *from,
                *to,
                reason.as_deref(),
                *at,
            )?),
            Self::DeleteTenant(tenant) => found(admin::delete_tenant(conn, tenant)?),
            Self::CreateSetupLink(tenant, link) => {
                crate::setup_links::create(conn, tenant, link)?;
                Applied::Done(1)
            }
            Self::RedeemSetupLink(tenant, hash, user, at) => {
                if !crate::setup_links::use_link(conn, tenant, hash, &user.id, *at)? {
                    return Ok(Applied::Missing);
                }
                found(admin::update_user(conn, tenant, user)?)
            }
            Self::DeleteOrganisation(tenant, platform, names) => {
                if !admin::delete_tenant(conn, tenant)? {
                    return Ok(Applied::Missing);
                }
                for name in names {
                    roles::delete(conn, platform, name)?;
                }
                Applied::Done(1)
            }
            Self::CreateClient(tenant, client) => {
                clients::create(conn, tenant, client)?;
                Applied::Done(1)
            }
            Self::UpdateClient(tenant, client) => {
                found(admin::update_client(conn, tenant, client)?)
            }
            Self::RemoveClient(tenant, client, keep_until) => {
                found(admin::remove_client_in(conn, tenant, client, *keep_until)?)
            }
            Self::CreateUser(tenant, user) => {
                users::create(conn, tenant, user)?;
                Applied::Done(1)
            }
            Self::UpdateUser(tenant, user) => found(admin::update_user(conn, tenant, user)?),
            Self::RevokeUser(tenant, user, now, keep_until) => Applied::Done(
                admin::revoke_user_in(conn, tenant, user, *now, *keep_until)?,
            ),
            Self::DeleteUser(tenant, user, now, keep_until) => found(admin::delete_user_in(
                conn,
                tenant,
                user,
                *now,
                *keep_until,
            )?),
            Self::RevokeSession(tenant, session, now) => {
                found(sessions::revoke_session_in(conn, tenant, session, *now)?)
            }
            Self::ReplaceSigningKeys(tenant, expected, keys, retire_at) => found(
                tenants::replace_signing_keys_in(conn, tenant, expected, keys, *retire_at)?,
            ),
            Self::CreateRole(tenant, role) => {
                roles::create(conn, tenant, role)?;
                Applied::Done(1)
            }
            Self::UpdateRole(tenant, role) => found(roles::update(conn, tenant, role)?),
            Self::DeleteRole(tenant, role) => found(roles::delete(conn, tenant, role)?),
            Self::AssignRole(tenant, user, role, at) => {
                counted(roles::assign(conn, tenant, user, role, *at)?)
            }
            Self::UnassignRole(tenant, user, role) => {
                found(roles::unassign(conn, tenant, user, role)?)
            }
            Self::CreateApiKey(key) => {
                api_keys::create(conn, key)?;
                Applied::Done(1)
            }
            Self::RevokeApiKey(id, at) => counted(api_keys::revoke(conn, id, *at)?),
            Self::UpdatePlatformSettings(settings) => {
                platform_settings::replace(conn, settings)?;
                Applied::Done(1)
            }
            Self::SignUp(tenant, keys, platform, user, role) => {
                platform_settings::sign_up(conn, tenant, keys, platform, user, role)?;
                Applied::Done(1)
            }
            Self::CreateTier(tier) => {
                tiers::create(conn, tier)?;
                Applied::Done(1)
            }
            Self::UpdateTier(tier) => found(tiers::update(conn, tier)?),
            Self::DeleteTier(name) => found(tiers::delete(conn, name)?),
            Self::AssignTier(tenant, tier) => found(tiers::assign(conn, tenant, tier.as_deref())?),
            Self::CreateUpstream(tenant, upstream) => {
                upstreams::create(conn, tenant, upstream)?;
                Applied::Done(1)
            }
            Self::UpdateUpstream(tenant, upstream) => {
                found(upstreams::update(conn, tenant, upstream)?)
            }
            Self::DeleteUpstream(tenant, upstream) => {
                found(upstreams::delete(conn, tenant, upstream)?)
            }
            Self::LinkIdentity(tenant, identity) => found(upstreams::link(conn, tenant, identity)?),
            Self::CreateUserWithIdentity(tenant, user, identity) => found(
                upstreams::create_user_with_identity(conn, tenant, user, identity)?,
            ),
            Self::UnlinkIdentity(tenant, user, upstream, subject) => {
                found(upstreams::unlink(conn, tenant, user, upstream, subject)?)
            }
            // The caller's transaction is IMMEDIATE: no other writer runs
            // between the count and the create.
            Self::WithinLimit(what, limit, change) => match tiers::count(conn, what)? {
                n if n >= *limit => Applied::LimitReached(n),
                _ => change.apply(conn)?,
            },
        })
    }
}
