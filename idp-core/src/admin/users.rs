//! Users: create, read, find by email, list, change, disable and enable,
//! set the password, delete.
//!
//! Disabling a user revokes every session and grant they have (refresh
//! tokens, `offline_access` ones included, and the access tokens issued
//! from them), and the password check refuses them until enabled again.

use super::Admin;
use super::error::{AdminError, ObjectKind};
use super::page::{List, Page, PageRequest};
use crate::crypto::password;
use crate::email::EmailAddress;
use crate::ids::{TenantId, UserId};
use crate::store::{Store, UserRecord};
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
    async fn hash_password(&self, pw: String) -> Result<String, AdminError> {
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
    pub async fn create_user(&self, slug: &str, new: NewUser) -> Result<UserRecord, AdminError> {
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
        self.store
            .create_user(&tenant.record.id, &user)
            .await
            .map_err(AdminError::conflict_as(format!("user '{email}'")))?;
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
        slug: &str,
        id: &str,
        update: UserUpdate,
    ) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
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
        self.save_user(&tenant.record.id, &mut user).await?;
        Ok(user)
    }

    /// Disables the user `id`: they cannot sign in, and every session and
    /// grant they have is revoked at once (their relying parties are told
    /// through the back channel). Disabling a disabled user changes nothing.
    pub async fn disable_user(&self, slug: &str, id: &str) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        if !user.disabled {
            user.disabled = true;
            self.save_user(&tenant.record.id, &mut user).await?;
        }
        // Also when already disabled: a session started by a racing login
        // between the flag and this call ends too.
        self.revoke_all_of(&tenant, &user.id).await?;
        Ok(user)
    }

    /// Enables the user `id` again; their old sessions stay revoked.
    pub async fn enable_user(&self, slug: &str, id: &str) -> Result<UserRecord, AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        if user.disabled {
            user.disabled = false;
            self.save_user(&tenant.record.id, &mut user).await?;
        }
        Ok(user)
    }

    /// Sets the user `id`'s password (argon2id, through the offload hook).
    /// Sessions are left as they are: revoke them with
    /// [`Admin::revoke_user_sessions`] if the old password leaked.
    pub async fn set_password(
        &self,
        slug: &str,
        id: &str,
        password: String,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let mut user = self.user_in(&tenant.record.id, id).await?;
        user.password_hash = Some(self.hash_password(password).await?);
        self.save_user(&tenant.record.id, &mut user).await
    }

    /// Deletes the user `id` and ends what depended on them: their sessions
    /// (the cookie stops working at once), refresh tokens, pending codes
    /// and consents; their access tokens introspect as inactive.
    pub async fn delete_user(&self, slug: &str, id: &str) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        let user = self.user_in(&tenant.record.id, id).await?;
        let now = self.clock.now();
        let sessions = self
            .store
            .user_sessions(&tenant.record.id, &user.id, now)
            .await?;
        if !self
            .store
            .delete_user(&tenant.record.id, &user.id, now, self.keep_until(now))
            .await?
        {
            return Err(AdminError::not_found(ObjectKind::User, id));
        }
        self.notify_ended(&tenant, &sessions).await;
        Ok(())
    }

    /// Stores a changed user, stamping `updated_at`.
    async fn save_user(&self, tenant: &TenantId, user: &mut UserRecord) -> Result<(), AdminError> {
        user.updated_at = self.clock.now();
        let stored = self
            .store
            .update_user(tenant, user)
            .await
            .map_err(AdminError::conflict_as(format!("user '{}'", user.email)))?;
        if !stored {
            return Err(AdminError::not_found(ObjectKind::User, user.id.as_str()));
        }
        Ok(())
    }
}
