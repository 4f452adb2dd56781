//! Tenants: create, read, list, change (name, dynamic registration, password
//! login), delete.

use super::Admin;
use super::error::{AdminError, ObjectKind, Problems};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::crypto::envelope::DataKey;
use crate::ids::TenantId;
use crate::store::{AdminChange, Applied, SigningKeyRecord, Store, TenantRecord};
use crate::tenant::state::TenantState;
use crate::tenant::{new_signing_keys, validate_slug};

/// A tenant to create.
#[derive(Clone, Debug, Default)]
pub struct NewTenant {
    /// URL name ([`validate_slug`]).
    pub slug: String,
    /// Display name; empty means the slug.
    pub name: String,
    /// Whether anyone may register clients at `{issuer}/register` (RFC 7591).
    pub dynamic_registration: bool,
    /// Created `pending` (waiting for an operator's approval, as a sign-up
    /// is) rather than `active` ([`crate::tenant::state`]).
    pub pending: bool,
    /// Asked to be created without password login: refused, since a new
    /// tenant has no upstream to sign in with yet
    /// ([`crate::upstream::password_login`]).
    pub upstream_only: bool,
}

impl NewTenant {
    /// A tenant `slug` named `name`, closed to dynamic registration.
    pub fn new(slug: &str, name: &str) -> Self {
        Self {
            slug: slug.to_owned(),
            name: name.to_owned(),
            dynamic_registration: false,
            pending: false,
            upstream_only: false,
        }
    }
}

/// A change to a tenant: each `Some` field replaces the stored value.
#[derive(Clone, Debug, Default)]
pub struct TenantUpdate {
    /// New display name.
    pub name: Option<String>,
    /// Open or close `{issuer}/register`.
    pub dynamic_registration: Option<bool>,
    /// Allow or refuse password login; off needs an upstream
    /// ([`crate::upstream::password_login`]).
    pub password_login: Option<bool>,
}

/// The tenant-name rule: the client-name rule, since it is shown on every page.
fn check_name(name: &str) -> Result<(), String> {
    crate::client::display_name::check("tenant name", name)
}

impl<S: Store> Admin<S> {
    /// Creates a tenant with a fresh data key and one signing key per algorithm.
    pub async fn create_tenant(
        &self,
        ctx: &AuditContext,
        new: NewTenant,
    ) -> Result<TenantRecord, AdminError> {
        let mut problems = Problems::default();
        problems.absorb(validate_slug(&new.slug))?;
        if crate::platform::is_platform(&new.slug) {
            problems.check(
                "slug",
                Err(format!(
                    "'{}' is reserved for the platform's own tenant",
                    new.slug
                )),
            );
        }
        problems.check("name", check_name(&new.name));
        problems.check(
            "password_login",
            crate::upstream::password_login::check(!new.upstream_only, 0),
        );
        problems.finish()?;
        self.insert_tenant(ctx, new).await
    }

    /// A new tenant's record (its data key generated and sealed under the
    /// master key, dynamic registration off) and its first signing keys,
    /// which sign at once: nobody can have cached its JWKS yet. Nothing is
    /// stored. An empty `name` is the slug.
    pub(super) async fn new_tenant_record(
        &self,
        slug: String,
        name: String,
        state: TenantState,
        now: crate::clock::UnixTime,
    ) -> Result<(TenantRecord, Vec<SigningKeyRecord>), AdminError> {
        let id = TenantId::generate();
        let data_key = DataKey::generate();
        let wrapped = self
            .config
            .master_key
            .wrap(&data_key, id.as_str())
            .map_err(|e| AdminError::Internal(e.to_string()))?;
        let key_tenant = id.clone();
        let keys = self
            .offload(move || new_signing_keys(&data_key, &key_tenant, now, now))
            .await??;
        let record = TenantRecord {
            id,
            name: if name.trim().is_empty() {
                slug.clone()
            } else {
                name
            },
            slug,
            wrapped_data_key: wrapped,
            dynamic_registration: false,
            created_at: now,
            state,
            state_reason: None,
            state_changed_at: None,
            password_login: true,
        };
        Ok((record, keys))
    }

    /// Creates a tenant whose slug and name were checked (the platform
    /// tenant comes here directly).
    pub(super) async fn insert_tenant(
        &self,
        ctx: &AuditContext,
        new: NewTenant,
    ) -> Result<TenantRecord, AdminError> {
        let now = self.clock.now();
        let state = if new.pending {
            TenantState::Pending
        } else {
            TenantState::Active
        };
        let (mut record, keys) = self
            .new_tenant_record(new.slug, new.name, state, now)
            .await?;
        record.dynamic_registration = new.dynamic_registration;
        let event = ctx.event_in(
            AuditAction::TenantCreate,
            Some((&record.slug, &record.id)),
            Target::new("tenant", &record.slug),
            Changes::none()
                .set("slug", &record.slug)
                .set("name", &record.name)
                .set("dynamic_registration", record.dynamic_registration)
                .set("state", record.state.as_str()),
            now,
        );
        let change = AdminChange::CreateTenant {
            tenant: &record,
            keys: &keys,
        };
        self.store
            .apply_audited(change, &event)
            .await
            .map_err(AdminError::conflict_as(format!("tenant '{}'", record.slug)))?;
        Ok(record)
    }

    /// The tenant `slug`.
    pub async fn get_tenant(&self, slug: &str) -> Result<TenantRecord, AdminError> {
        self.store
            .tenant_by_slug(slug)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Tenant, slug))
    }

    /// A page of tenants, by slug.
    pub async fn list_tenants(&self, page: &PageRequest) -> Result<Page<TenantRecord>, AdminError> {
        let (limit, after) = page.resolve(List::Tenants)?;
        let rows = self.store.tenants_page(after.as_deref(), limit + 1).await?;
        Ok(Page::from_rows(List::Tenants, rows, limit, |t| {
            t.slug.as_str()
        }))
    }

    /// Changes the tenant `slug`; served at once by this process.
    pub async fn update_tenant(
        &self,
        ctx: &AuditContext,
        slug: &str,
        update: TenantUpdate,
    ) -> Result<TenantRecord, AdminError> {
        let mut record = self.get_tenant(slug).await?;
        let changes = Changes::none()
            .set_some("name", update.name.as_ref())
            .set_some("dynamic_registration", update.dynamic_registration)
            .set_some("password_login", update.password_login);
        if let Some(name) = update.name {
            check_name(&name).map_err(|reason| AdminError::invalid("name", reason))?;
            record.name = if name.is_empty() {
                slug.to_owned()
            } else {
                name
            };
        }
        if let Some(open) = update.dynamic_registration {
            record.dynamic_registration = open;
        }
        if let Some(on) = update.password_login {
            if !on && record.password_login {
                let upstreams = self.store.upstreams_page(&record.id, None, 1).await?;
                crate::upstream::password_login::check(on, upstreams.len())
                    .map_err(|reason| AdminError::invalid("password_login", reason))?;
            }
            record.password_login = on;
        }
        let event = ctx.event_in(
            AuditAction::TenantUpdate,
            Some((&record.slug, &record.id)),
            Target::new("tenant", slug),
            changes,
            self.clock.now(),
        );
        let change = AdminChange::UpdateTenant { tenant: &record };
        let applied = self.store.apply_audited(change, &event).await?;
        self.tenants.forget(slug);
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Tenant, slug));
        }
        Ok(record)
    }

    /// Deletes the tenant `slug` and everything in it: its keys, clients,
    /// users, sessions, codes, tokens and consents. Its issuer answers 404
    /// at once in this process. This cannot be undone.
    /// The platform tenant cannot be deleted; the platform roles of the
    /// organisation (`org-admin:{slug}`, `org-viewer:{slug}`) go with it,
    /// in the same transaction, so a reused slug inherits nothing.
    pub async fn delete_tenant(&self, ctx: &AuditContext, slug: &str) -> Result<(), AdminError> {
        crate::platform::refuse_platform(slug, "deleted")?;
        let record = self.get_tenant(slug).await?;
        let event = ctx.event_in(
            AuditAction::TenantDelete,
            Some((&record.slug, &record.id)),
            Target::new("tenant", slug),
            Changes::none(),
            self.clock.now(),
        );
        let platform = self
            .store
            .tenant_by_slug(crate::platform::PLATFORM_SLUG)
            .await?;
        let roles = crate::platform::org_role_names(slug);
        let change = match &platform {
            Some(platform) => AdminChange::DeleteOrganisation {
                tenant: &record.id,
                platform: &platform.id,
                roles: &roles,
            },
            None => AdminChange::DeleteTenant { tenant: &record.id },
        };
        let applied = self.store.apply_audited(change, &event).await?;
        self.tenants.forget(slug);
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Tenant, slug));
        }
        Ok(())
    }
}
