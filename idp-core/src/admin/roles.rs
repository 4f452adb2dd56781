//! Application roles: defined per tenant, assigned to users. The platform
//! governance issue gives them meaning in tokens (the `roles` claim); here
//! they are objects an operator manages.

use super::Admin;
use super::error::{AdminError, ObjectKind, Problems};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::store::{AdminChange, Applied, RoleRecord, Store};

/// The longest role name and description.
const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 256;

/// A role to create.
#[derive(Clone, Debug, Default)]
pub struct NewRole {
    /// Its name: 1 to 64 of ASCII letters, digits, `_ . : -`, as it will
    /// appear in tokens.
    pub name: String,
    /// What it is for; may be empty.
    pub description: String,
}

/// The role-name rule.
fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() || name.len() > MAX_NAME {
        return Err(format!("role name must be 1 to {MAX_NAME} characters"));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | ':' | '-');
    if !name.chars().all(allowed) {
        return Err("role name may hold only ASCII letters, digits and _ . : -".into());
    }
    Ok(())
}

fn check_description(description: &str) -> Result<(), String> {
    if description.chars().count() > MAX_DESCRIPTION {
        return Err(format!(
            "description must be at most {MAX_DESCRIPTION} characters"
        ));
    }
    if description.chars().any(char::is_control) {
        return Err("description must not contain control characters".into());
    }
    Ok(())
}

impl<S: Store> Admin<S> {
    /// Creates the role `new.name` in the tenant `slug`.
    pub async fn create_role(
        &self,
        ctx: &AuditContext,
        slug: &str,
        new: NewRole,
    ) -> Result<RoleRecord, AdminError> {
        let mut problems = Problems::default();
        problems.check("name", check_name(&new.name));
        problems.check("description", check_description(&new.description));
        problems.finish()?;
        let tenant = self.tenant(slug).await?;
        let now = self.clock.now();
        let role = RoleRecord {
            name: new.name,
            description: new.description,
            created_at: now,
        };
        let event = ctx.event(
            AuditAction::RoleCreate,
            Some(&tenant),
            Target::new("role", &role.name),
            Changes::none().set("description", &role.description),
            now,
        );
        let change = AdminChange::CreateRole {
            tenant: &tenant.record.id,
            role: &role,
        };
        self.store
            .apply_audited(change, &event)
            .await
            .map_err(AdminError::conflict_as(format!("role '{}'", role.name)))?;
        Ok(role)
    }

    /// The role `name` of the tenant `slug`.
    pub async fn get_role(&self, slug: &str, name: &str) -> Result<RoleRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        self.store
            .role(&tenant.record.id, name)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Role, name))
    }

    /// A page of the tenant's roles, by name.
    pub async fn list_roles(
        &self,
        slug: &str,
        page: &PageRequest,
    ) -> Result<Page<RoleRecord>, AdminError> {
        let (limit, after) = page.resolve(List::Roles)?;
        let tenant = self.tenant(slug).await?;
        let rows = self
            .store
            .roles_page(&tenant.record.id, after.as_deref(), limit + 1)
            .await?;
        Ok(Page::from_rows(List::Roles, rows, limit, |r| {
            r.name.as_str()
        }))
    }

    /// Changes the role's description.
    pub async fn update_role(
        &self,
        ctx: &AuditContext,
        slug: &str,
        name: &str,
        description: String,
    ) -> Result<RoleRecord, AdminError> {
        check_description(&description).map_err(|r| AdminError::invalid("description", r))?;
        let tenant = self.tenant(slug).await?;
        let mut role = self.get_role(slug, name).await?;
        role.description = description;
        let event = ctx.event(
            AuditAction::RoleUpdate,
            Some(&tenant),
            Target::new("role", name),
            Changes::none().set("description", &role.description),
            self.clock.now(),
        );
        let change = AdminChange::UpdateRole {
            tenant: &tenant.record.id,
            role: &role,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Role, name));
        }
        Ok(role)
    }

    /// Deletes the role `name` and every assignment of it.
    pub async fn delete_role(
        &self,
        ctx: &AuditContext,
        slug: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let event = ctx.event(
            AuditAction::RoleDelete,
            Some(&tenant),
            Target::new("role", name),
            Changes::none(),
            self.clock.now(),
        );
        let change = AdminChange::DeleteRole {
            tenant: &tenant.record.id,
            role: name,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Role, name));
        }
        Ok(())
    }

    /// The names of the user `user_id`'s roles, sorted.
    pub async fn user_roles(&self, slug: &str, user_id: &str) -> Result<Vec<String>, AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        Ok(self.store.user_roles(&tenant.record.id, &user.id).await?)
    }

    /// Assigns the role `name` to the user `user_id`; `true` if it was not
    /// assigned before. Both must exist.
    pub async fn assign_role(
        &self,
        ctx: &AuditContext,
        slug: &str,
        user_id: &str,
        name: &str,
    ) -> Result<bool, AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        self.get_role(slug, name).await?;
        let now = self.clock.now();
        let event = ctx.event(
            AuditAction::RoleAssign,
            Some(&tenant),
            Target::new("user", user.id.as_str()),
            Changes::none().set("role", name),
            now,
        );
        let change = AdminChange::AssignRole {
            tenant: &tenant.record.id,
            user: &user.id,
            role: name,
            at: now,
        };
        match self.store.apply_audited(change, &event).await? {
            Applied::Done(n) => Ok(n > 0),
            // Deleted between the reads and the write.
            // (`LimitReached` answers only `WithinLimit`, not asked here.)
            Applied::Missing | Applied::LimitReached(_) => {
                Err(AdminError::not_found(ObjectKind::Role, name))
            }
        }
    }

    /// Takes the role `name` from the user `user_id`; `NotFound` if the
    /// user did not have it.
    pub async fn unassign_role(
        &self,
        ctx: &AuditContext,
        slug: &str,
        user_id: &str,
        name: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.get_user(slug, user_id).await?;
        if name == crate::platform::PlatformRole::Owner.as_str() {
            self.keep_an_owner(&tenant.record.id, slug, &user.id)
                .await?;
        }
        let event = ctx.event(
            AuditAction::RoleUnassign,
            Some(&tenant),
            Target::new("user", user.id.as_str()),
            Changes::none().set("role", name),
            self.clock.now(),
        );
        let change = AdminChange::UnassignRole {
            tenant: &tenant.record.id,
            user: &user.id,
            role: name,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Role, name));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn role_names_are_token_safe() {
        for good in ["admin", "billing.read", "app:editor", "a-b_c", "X1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        let long = "a".repeat(MAX_NAME + 1);
        for bad in ["", "has space", "é", "a/b", "a\"b", long.as_str()] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        assert!(check_description("line\nbreak").is_err());
        assert!(check_description(&"d".repeat(MAX_DESCRIPTION + 1)).is_err());
        assert!(check_description("").is_ok());
    }
}
