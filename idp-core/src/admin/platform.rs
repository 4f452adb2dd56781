//! The platform tenant and its roles, created idempotently: at every
//! server start and by CLI commands that need them (`owner create`),
//! audited as `system` (see [`crate::platform`]).

use super::Admin;
use super::error::AdminError;
use super::roles::NewRole;
use super::tenants::NewTenant;
use crate::audit::AuditContext;
use crate::ids::{TenantId, UserId};
use crate::platform::{PLATFORM_SLUG, PlatformRole};
use crate::store::{Store, TenantRecord};

impl<S: Store> Admin<S> {
    /// Makes sure the platform tenant and its roles `owner`, `admin` and
    /// `auditor` exist, creating what is missing (as the actor `system`);
    /// returns the tenant. Two processes racing here both succeed: a
    /// creation that collides with the other's is not an error.
    pub async fn ensure_platform(&self) -> Result<TenantRecord, AdminError> {
        let ctx = AuditContext::system("platform");
        let tenant = match self.store.tenant_by_slug(PLATFORM_SLUG).await? {
            Some(tenant) => tenant,
            None => {
                let new = NewTenant::new(PLATFORM_SLUG, "Platform");
                match self.insert_tenant(&ctx, new).await {
                    Ok(tenant) => tenant,
                    Err(AdminError::Conflict { .. }) => self.get_tenant(PLATFORM_SLUG).await?,
                    Err(e) => return Err(e),
                }
            }
        };
        for role in PlatformRole::ALL {
            if self.store.role(&tenant.id, role.as_str()).await?.is_some() {
                continue;
            }
            let new = NewRole {
                name: role.as_str().to_owned(),
                description: role.description().to_owned(),
            };
            match self.create_role(&ctx, PLATFORM_SLUG, new).await {
                Ok(_) | Err(AdminError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        // The console signs operators in as a client of the platform.
        self.ensure_first_party_client(PLATFORM_SLUG, crate::first_party::FirstParty::Console)
            .await?;
        Ok(tenant)
    }
}

impl<S: Store> Admin<S> {
    /// Refuses (409) what would leave the platform without an owner:
    /// taking the `owner` role from, disabling or deleting the user `user`
    /// of the tenant `slug` while they are the only owner. Other tenants'
    /// users and other roles pass.
    pub(super) async fn keep_an_owner(
        &self,
        tenant: &TenantId,
        slug: &str,
        user: &UserId,
    ) -> Result<(), AdminError> {
        if !crate::platform::is_platform(slug) {
            return Ok(());
        }
        let owner = PlatformRole::Owner.as_str();
        let holders = self.store.role_holders(tenant, owner, 2).await?;
        if holders.len() == 1 && holders.iter().any(|h| h == user) {
            return Err(AdminError::WrongState {
                what: format!(
                    "user '{user}' is the platform's only owner: make another user owner first"
                ),
            });
        }
        Ok(())
    }

    /// Whether a change in the tenant `slug` acts on an owner (what only
    /// an owner may do, [`crate::admin::policy::ActionKind::OnOwner`]):
    /// assigning or taking the role `owner` (`role`), or changing,
    /// disabling, deleting or signing out (`changes_user`) a user of the
    /// platform who holds it. A user or tenant that does not exist is no owner (the
    /// operation then answers 404 itself).
    pub async fn touches_owner(
        &self,
        slug: &str,
        user: Option<&str>,
        role: Option<&str>,
        changes_user: bool,
    ) -> Result<bool, AdminError> {
        if !crate::platform::is_platform(slug) {
            return Ok(false);
        }
        let owner = PlatformRole::Owner.as_str();
        if role == Some(owner) {
            return Ok(true);
        }
        let (Some(user), true) = (user, changes_user) else {
            return Ok(false);
        };
        let Some(tenant) = self.store.tenant_by_slug(slug).await? else {
            return Ok(false);
        };
        let roles = self
            .store
            .user_roles(&tenant.id, &UserId::new(user))
            .await?;
        Ok(roles.iter().any(|r| r == owner))
    }

    /// Whether the platform has an owner yet (the console's first-run
    /// page explains how to make one while it has not).
    pub async fn platform_has_owner(&self) -> Result<bool, AdminError> {
        let Some(tenant) = self.store.tenant_by_slug(PLATFORM_SLUG).await? else {
            return Ok(false);
        };
        let owner = PlatformRole::Owner.as_str();
        Ok(!self
            .store
            .role_holders(&tenant.id, owner, 1)
            .await?
            .is_empty())
    }
}
