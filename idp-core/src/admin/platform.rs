//! The platform tenant and its roles, created idempotently: at every
//! server start and by CLI commands that need them (`owner create`),
//! audited as `system` (see [`crate::platform`]).

use super::Admin;
use super::error::AdminError;
use super::roles::NewRole;
use super::tenants::NewTenant;
use crate::audit::AuditContext;
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
        Ok(tenant)
    }
}
