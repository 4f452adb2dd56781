//! Users: create, read, find by email, list, change, disable and enable,
//! set the password, delete.
//!
//! Disabling a user revokes every session and grant they have (refresh
//! tokens, `offline_access` ones included, and the access tokens issued
//! from them), and the password check refuses them until enabled again.

use super::Admin;
use super::error::{AdminError, ObjectKind};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::crypto::password;
use crate::email::EmailAddress;
use crate::ids::{TenantId, UserId};
use crate::store::{AdminChange, Applied, Store, UserRecord};
use crate::tenant::TenantContext;
use crate::user::NewUser;

/// A change to a user: each `Some` field replaces the stored value.
#[derive(Clone, Debug, Default)]
pub struct UserUpdate {
    /// Full name; `Some(None)` (or an empty name) removes it.
    pub name: Option<Option<String>>,
    /// Email, the login name; stored in its canonical form.
    pub email: Option<String>,
    /// Whether the email is known to be verified.
    pub email_verified: Option<bool>,
}

fn parse_email(email: &str) -> Result<EmailAddress, AdminError> {
    EmailAddress::parse(email).map_err(|e| AdminError::invalid("email", e.to_string()))
}

fn clean_name(name: Option<String>) -> Option<String> {
    name.filter(|n| !n.trim().is_empty())
}

impl<S: Store> Admin<S> {
    /// Hashes a password with argon2id, off the executor.
    pub(super) async fn hash_password(&self, pw: String) -> Result<String, AdminError> {
        if pw.is_empty() {
            return Err(AdminError::invalid(
                "password",
                "password must not be empty",
            ));
        }
        self.offload(move || password::hash(&pw))
            .await?
            .map_err(|e| AdminError::Internal(e.to_string()))
    }

    /// Creates a user in the tenant `slug`; the password is hashed with argon2id.
    pub async fn create_user(
        &self,
        ctx: &AuditContext,
        slug: &str,
        new: NewUser,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let email = parse_email(&new.email)?;
        let password_hash = match new.password {
            Some(pw) => Some(self.hash_password(pw).await?),
            None => None,
        };
        let now = self.clock.now();
        let user = UserRecord {
            id: UserId::generate(),
            email: email.as_str().to_owned(),
            email_verified: new.email_verified,
            name: clean_name(new.name),
            password_hash,
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let changes = Changes::none()
            .set("email", &user.email)
            .set("email_verified", user.email_verified)
            .set_some("name", user.name.as_ref());
        let changes = match user.password_hash {
            Some(_) => changes.secret("password"),
            None => changes,
        };
        let event = ctx.event(
            AuditAction::UserCreate,
            Some(&tenant),
            Target::new("user", user.id.as_str()),
            changes,
            now,
        );
        let change = AdminChange::CreateUser {
            tenant: &tenant.record.id,
            user: &user,
        };
        crate::tier::apply_within_limit(
            &*self.store,
            (&tenant.record.id, &tenant.record.slug),
            crate::tier::Limit::Users,
            change,
            &event,
            now,
            format!("user '{email}'"),
        )
        .await?;
        Ok(user)
    }

    /// The user `id` of the tenant `slug`.
    pub async fn get_user(&self, slug: &str, id: &str) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        self.user_in(&tenant.record.id, id).await
    }

    async fn user_in(&self, tenant: &TenantId, id: &str) -> Result<UserRecord, AdminError> {
        self.store
            .user(tenant, &UserId::new(id))
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::User, id))
    }

    /// The user whose email is `email` in its canonical form
    /// ([`EmailAddress`]), so look-alike spellings find the one account.
    pub async fn find_user_by_email(
        &self,
        slug: &str,
        email: &str,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let canonical = parse_email(email)?;
        self.store
            .user_by_email(&tenant.record.id, &canonical)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::User, email))
    }

    /// A page of the tenant's users, by id.
    pub async fn list_users(
        &self,
        slug: &str,
        page: &PageRequest,
    ) -> Result<Page<UserRecord>, AdminError> {
        let (limit, after) = page.resolve(List::Users)?;
        let tenant = self.tenant(slug).await?;
        let after = after.map(UserId::new);
        let rows = self
            .store
            .users_page(&tenant.record.id, after.as_ref(), limit + 1)
            .await?;
        Ok(Page::from_rows(List::Users, rows, limit, |u| u.id.as_str()))
    }

    /// Changes the user `id`'s name, email or its verification.
    pub async fn update_user(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
        update: UserUpdate,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        let changes = Changes::none()
            .set_some("name", update.name.as_ref())
            .set_some("email", update.email.as_ref())
            .set_some("email_verified", update.email_verified);
        if let Some(email) = update.email {
            let canonical = parse_email(&email)?;
            if canonical.as_str() != user.email {
                user.email = canonical.as_str().to_owned();
                // A new address is not known to be verified unless said so.
                user.email_verified = false;
            }
        }
        if let Some(verified) = update.email_verified {
            user.email_verified = verified;
        }
        if let Some(name) = update.name {
            user.name = clean_name(name);
        }
        self.save_user(ctx, &tenant, &mut user, AuditAction::UserUpdate, changes)
            .await?;
        Ok(user)
    }

    /// Disables the user `id`: they cannot sign in, and every session and
    /// grant they have is revoked at once (their relying parties are told
    /// through the back channel). Disabling a disabled user changes nothing.
    pub async fn disable_user(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        if !user.disabled {
            self.keep_an_owner(&tenant.record.id, slug, &user.id)
                .await?;
            user.disabled = true;
            let changes = Changes::none().set("disabled", true);
            self.save_user(ctx, &tenant, &mut user, AuditAction::UserDisable, changes)
                .await?;
        }
        // Also when already disabled: a session started by a racing login
        // between the flag and this call ends too.
        self.revoke_all_of(ctx, &tenant, &user.id).await?;
        Ok(user)
    }

    /// Enables the user `id` again; their old sessions stay revoked.
    pub async fn enable_user(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        if user.disabled {
            user.disabled = false;
            let changes = Changes::none().set("disabled", false);
            self.save_user(ctx, &tenant, &mut user, AuditAction::UserEnable, changes)
                .await?;
        }
        Ok(user)
    }

    /// Sets the user `id`'s password (argon2id, through the offload hook).
    /// Sessions are left as they are: revoke them with
    /// [`Admin::revoke_user_sessions`] if the old password leaked.
    pub async fn set_password(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
        password: String,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        user.password_hash = Some(self.hash_password(password).await?);
        let changes = Changes::none().secret("password");
        self.save_user(
            ctx,
            &tenant,
            &mut user,
            AuditAction::UserPasswordSet,
            changes,
        )
        .await
    }

    /// Deletes the user `id` and ends what depended on them: their sessions
    /// (the cookie stops working at once), refresh tokens, pending codes
    /// and consents; their access tokens introspect as inactive.
    pub async fn delete_user(
        &self,
        ctx: &AuditContext,
        slug: &str,
        id: &str,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.user_in(&tenant.record.id, id).await?;
        self.keep_an_owner(&tenant.record.id, slug, &user.id)
            .await?;
        let now = self.clock.now();
        let sessions = self
            .store
            .user_sessions(&tenant.record.id, &user.id, now)
            .await?;
        let event = ctx.event(
            AuditAction::UserDelete,
            Some(&tenant),
            Target::new("user", user.id.as_str()),
            Changes::none(),
            now,
        );
        let change = AdminChange::DeleteUser {
            tenant: &tenant.record.id,
            user: &user.id,
            now,
            keep_until: self.keep_until(now),
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::User, id));
        }
        self.notify_ended(&tenant, &sessions).await;
        Ok(())
    }

    /// Stores a changed user, stamping `updated_at`, with the event of `action`.
    async fn save_user(
        &self,
        ctx: &AuditContext,
        tenant: &TenantContext,
        user: &mut UserRecord,
        action: AuditAction,
        changes: Changes,
    ) -> Result<(), AdminError> {
        user.updated_at = self.clock.now();
        let event = ctx.event(
            action,
            Some(tenant),
            Target::new("user", user.id.as_str()),
            changes,
            user.updated_at,
        );
        let change = AdminChange::UpdateUser {
            tenant: &tenant.record.id,
            user,
        };
        let applied = self
            .store
            .apply_audited(change, &event)
            .await
            .map_err(AdminError::conflict_as(format!("user '{}'", user.email)))?;
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::User, user.id.as_str()));
        }
        Ok(())
    }
}
