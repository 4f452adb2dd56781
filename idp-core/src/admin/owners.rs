//! The platform owner (issue 17): created from `PLATFORM_OWNER_EMAIL` at
//! start or with `idp-server owner create`, holding the platform role
//! `owner`. Without a password, the owner gets a one-time set-up link,
//! `{BASE_URL}/t/platform/setup?token=…`, valid [`SETUP_LINK_LIFETIME`]
//! and once, where they choose one. Only the token's hash is stored; the
//! link itself is shown once (logged by the server, printed by the CLI)
//! and recorded nowhere, not even in the audit log.

use super::Admin;
use super::error::{AdminError, ObjectKind};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::clock::UnixTime;
use crate::crypto::secret::SecretHash;
use crate::platform::{PLATFORM_SLUG, PlatformRole};
use crate::store::{AdminChange, Applied, SetupLinkRecord, Store, TenantRecord, UserRecord};
use crate::user::NewUser;

/// How long a set-up link works: one hour.
pub const SETUP_LINK_LIFETIME: i64 = 3600;

/// A set-up link, to show once.
#[derive(Clone, PartialEq, Eq)]
pub struct SetupLink {
    /// `{BASE_URL}/t/platform/setup?token=…`.
    pub url: String,
    /// When it stops working.
    pub expires_at: UnixTime,
}

impl std::fmt::Debug for SetupLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SetupLink")
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

/// What [`Admin::create_owner`] did.
#[derive(Clone, Debug)]
pub struct CreatedOwner {
    /// The owner.
    pub user: UserRecord,
    /// A set-up link, if the owner has no password.
    pub setup_link: Option<SetupLink>,
}

/// The hash a set-up token is stored under.
fn token_hash(token: &str) -> String {
    crate::api_key::hex(SecretHash::of(token).as_bytes())
}

impl<S: Store> Admin<S> {
    /// Makes the user `email` of the platform an owner, creating them (with
    /// `password` if given) if there is none; an existing user given a
    /// password gets it. An owner without a password gets a set-up link.
    pub async fn create_owner(
        &self,
        ctx: &AuditContext,
        email: &str,
        password: Option<String>,
    ) -> Result<CreatedOwner, AdminError> {
        let platform = self.ensure_platform().await?;
        let mut user = match self.find_user_by_email(PLATFORM_SLUG, email).await {
            Ok(user) => {
                if let Some(pw) = password {
                    self.set_password(ctx, PLATFORM_SLUG, user.id.as_str(), pw)
                        .await?;
                }
                self.get_user(PLATFORM_SLUG, user.id.as_str()).await?
            }
            Err(AdminError::NotFound { .. }) => {
                let new = NewUser {
                    email: email.to_owned(),
                    name: None,
                    password,
                    email_verified: false,
                };
                self.create_user(ctx, PLATFORM_SLUG, new).await?
            }
            Err(e) => return Err(e),
        };
        let owner = PlatformRole::Owner.as_str();
        self.assign_role(ctx, PLATFORM_SLUG, user.id.as_str(), owner)
            .await?;
        let setup_link = if user.password_hash.is_none() {
            Some(self.issue_setup_link(ctx, &platform, &user).await?)
        } else {
            None
        };
        user.password_hash = None;
        Ok(CreatedOwner { user, setup_link })
    }

    /// At each start with `PLATFORM_OWNER_EMAIL`: creates the owner on
    /// first start, and while they have never set a password and no link
    /// works, issues a new link (as `system`); `None` when there is
    /// nothing to show.
    pub async fn ensure_owner(&self, email: &str) -> Result<Option<SetupLink>, AdminError> {
        let ctx = AuditContext::system("owner");
        let platform = self.ensure_platform().await?;
        let user = match self.find_user_by_email(PLATFORM_SLUG, email).await {
            Ok(user) => user,
            Err(AdminError::NotFound { .. }) => {
                return Ok(self.create_owner(&ctx, email, None).await?.setup_link);
            }
            Err(e) => return Err(e),
        };
        let now = self.clock.now();
        if user.password_hash.is_some()
            || self
                .store
                .has_live_setup_link(&platform.id, &user.id, now)
                .await?
        {
            return Ok(None);
        }
        Ok(Some(self.issue_setup_link(&ctx, &platform, &user).await?))
    }

    async fn issue_setup_link(
        &self,
        ctx: &AuditContext,
        platform: &TenantRecord,
        user: &UserRecord,
    ) -> Result<SetupLink, AdminError> {
        let token = crate::crypto::random::token(32);
        let now = self.clock.now();
        let link = SetupLinkRecord {
            token_hash: token_hash(&token),
            user_id: user.id.clone(),
            created_at: now,
            expires_at: now + SETUP_LINK_LIFETIME,
            used_at: None,
        };
        let event = ctx.event_in(
            AuditAction::UserSetupLink,
            Some((&platform.slug, &platform.id)),
            Target::new("user", user.id.as_str()),
            Changes::none().set("expires_at", link.expires_at),
            now,
        );
        let change = AdminChange::CreateSetupLink {
            tenant: &platform.id,
            link: &link,
        };
        self.store.apply_audited(change, &event).await?;
        Ok(SetupLink {
            url: format!(
                "{}/t/{PLATFORM_SLUG}/setup?token={token}",
                self.config.base_url
            ),
            expires_at: link.expires_at,
        })
    }

    /// The user a set-up link is for, if it works now (unused, unexpired);
    /// otherwise [`AdminError::NotFound`] (a link that never was, was used
    /// or expired: one answer).
    pub async fn setup_link_user(&self, token: &str) -> Result<UserRecord, AdminError> {
        let gone = || AdminError::not_found(ObjectKind::User, "set-up link");
        let platform = self.get_tenant(PLATFORM_SLUG).await?;
        let link = self
            .store
            .setup_link(&platform.id, &token_hash(token))
            .await?
            .filter(|l| l.used_at.is_none() && l.expires_at > self.clock.now())
            .ok_or_else(gone)?;
        self.store
            .user(&platform.id, &link.user_id)
            .await?
            .ok_or_else(gone)
    }

    /// Uses a set-up link: sets the user's password (argon2id), once, in
    /// the same transaction as the link's use, audited as the user.
    pub async fn redeem_setup_link(
        &self,
        address: Option<String>,
        token: &str,
        password: String,
    ) -> Result<UserRecord, AdminError> {
        let mut user = self.setup_link_user(token).await?;
        let platform = self.get_tenant(PLATFORM_SLUG).await?;
        user.password_hash = Some(self.hash_password(password).await?);
        let now = self.clock.now();
        user.updated_at = now;
        let ctx = AuditContext::operator(user.id.as_str(), &user.email, address, None);
        let event = ctx.event_in(
            AuditAction::UserPasswordSet,
            Some((&platform.slug, &platform.id)),
            Target::new("user", user.id.as_str()),
            Changes::none().secret("password"),
            now,
        );
        let hash = token_hash(token);
        let change = AdminChange::RedeemSetupLink {
            tenant: &platform.id,
            token_hash: &hash,
            user: &user,
            at: now,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::User, "set-up link"));
        }
        user.password_hash = None;
        Ok(user)
    }
}
