//! An organisation's sign-up ([`crate::signup`]): the new tenant, its first
//! admin (a user of the `platform` tenant holding `org-admin:{slug}`) and
//! that role, in one audited transaction ([`AdminChange::SignUp`]). The
//! tenant starts `pending` when the platform's sign-up mode is
//! [`SignupMode::Approval`], `active` when it is [`SignupMode::Open`]; a
//! closed platform takes no sign-up.
//!
//! An email that is already a platform user's is refused without saying
//! so ([`SignUpError::Refused`]), so the form cannot be used to find out
//! who operates the platform. A taken slug is said to be taken: issuers
//! are public anyway.

use super::Admin;
use super::error::{AdminError, Problems};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::email::EmailAddress;
use crate::ids::UserId;
use crate::platform::{OrgRole, PLATFORM_SLUG};
use crate::signup::SignupMode;
use crate::store::{AdminChange, RoleRecord, Store, StoreError, TenantRecord, UserRecord};
use crate::tenant::state::TenantState;

/// What someone signing up gives.
#[derive(Clone, Default)]
pub struct SignUpRequest {
    /// The organisation's slug ([`crate::signup::slug::check`]).
    pub slug: String,
    /// The organisation's display name; empty means the slug.
    pub name: String,
    /// The admin's email, their login name.
    pub email: String,
    /// The admin's name, if given.
    pub admin_name: Option<String>,
    /// The admin's password.
    pub password: String,
}

impl std::fmt::Debug for SignUpRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignUpRequest")
            .field("slug", &self.slug)
            .field("name", &self.name)
            .field("email", &self.email)
            .finish_non_exhaustive()
    }
}

/// A completed sign-up.
#[derive(Clone, Debug)]
pub struct SignedUp {
    /// The new tenant (`pending` or `active`).
    pub tenant: TenantRecord,
    /// Its first admin, a user of the platform tenant.
    pub admin: UserId,
}

/// Why a sign-up was not taken.
#[derive(Debug, thiserror::Error)]
pub enum SignUpError {
    /// The platform takes no sign-up.
    #[error("sign-up is closed")]
    Closed,
    /// The slug is another organisation's.
    #[error("the slug '{0}' is taken")]
    SlugTaken(String),
    /// Refused without a reason given (the email is a platform user's).
    #[error("the sign-up could not be completed")]
    Refused,
    /// Invalid fields, or a failure of the platform ([`AdminError`]).
    #[error(transparent)]
    Admin(#[from] AdminError),
}

impl From<StoreError> for SignUpError {
    fn from(e: StoreError) -> Self {
        Self::Admin(e.into())
    }
}

impl<S: Store> Admin<S> {
    /// Signs an organisation up; see the module documentation.
    pub async fn sign_up(
        &self,
        ctx: &AuditContext,
        req: SignUpRequest,
    ) -> Result<SignedUp, SignUpError> {
        let state = match self.platform_settings().await?.signup {
            SignupMode::Closed => return Err(SignUpError::Closed),
            SignupMode::Approval => TenantState::Pending,
            SignupMode::Open => TenantState::Active,
        };
        let mut problems = Problems::default();
        problems.absorb(crate::signup::slug::check(&req.slug))?;
        problems.check(
            "name",
            crate::client::display_name::check("organisation name", &req.name),
        );
        let email = EmailAddress::parse(&req.email);
        if let Err(e) = &email {
            problems.add("email", e.to_string());
        }
        let admin_name = req.admin_name.filter(|n| !n.trim().is_empty());
        if let Some(name) = &admin_name {
            problems.check(
                "admin_name",
                crate::client::display_name::check("name", name),
            );
        }
        problems.check(
            "password",
            crate::crypto::password::check_new("password", &req.password),
        );
        problems.finish()?;
        let email = email.map_err(|e| AdminError::invalid("email", e.to_string()))?;
        let platform = self
            .store
            .tenant_by_slug(PLATFORM_SLUG)
            .await?
            .ok_or_else(|| AdminError::Unavailable("the platform tenant is not set up".into()))?;
        if self.store.tenant_by_slug(&req.slug).await?.is_some() {
            return Err(SignUpError::SlugTaken(req.slug));
        }
        if self
            .store
            .user_by_email(&platform.id, &email)
            .await?
            .is_some()
        {
            return Err(SignUpError::Refused);
        }
        let password = req.password;
        let password_hash = self
            .offload(move || crate::crypto::password::hash(&password))
            .await?
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let now = self.clock.now();
        let (tenant, keys) = self
            .new_tenant_record(req.slug, req.name, state, now)
            .await?;
        let user = UserRecord {
            id: UserId::generate(),
            email: email.as_str().to_owned(),
            email_verified: false,
            name: admin_name,
            password_hash: Some(password_hash),
            disabled: false,
            created_at: now,
            updated_at: now,
        };
        let role = RoleRecord {
            name: OrgRole::Admin.name_for(&tenant.slug),
            description: format!("Administers the organisation '{}'", tenant.slug),
            created_at: now,
        };
        let event = ctx.event_in(
            AuditAction::TenantSignup,
            Some((&tenant.slug, &tenant.id)),
            Target::new("tenant", &tenant.slug),
            Changes::none()
                .set("slug", &tenant.slug)
                .set("name", &tenant.name)
                .set("state", tenant.state.as_str())
                .set("admin", user.id.as_str())
                .set("admin_email", &user.email)
                .set("role", &role.name)
                .secret("password"),
            now,
        );
        let change = AdminChange::SignUp {
            tenant: &tenant,
            keys: &keys,
            platform: &platform.id,
            user: &user,
            role: &role,
        };
        match self.store.apply_audited(change, &event).await {
            Ok(_) => {}
            Err(StoreError::Conflict(what)) if what.contains("email") => {
                return Err(SignUpError::Refused);
            }
            Err(StoreError::Conflict(_)) => return Err(SignUpError::SlugTaken(tenant.slug)),
            Err(e) => return Err(e.into()),
        }
        Ok(SignedUp {
            tenant,
            admin: user.id,
        })
    }
}
