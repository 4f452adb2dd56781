//! Tiers (`crate::tier`): create, list, read, change limits, delete, assign
//! to a tenant, and a tenant's usage against its tier. Every one is a
//! platform operation: the admin API refuses them to keys limited to
//! tenants; the service itself only records who made the change.

use super::Admin;
use super::error::{AdminError, ObjectKind, Problems};
use super::page::{List, Page, PageRequest};
use crate::audit::{AuditAction, AuditContext, Changes, Target};
use crate::store::{AdminChange, Applied, Counted, Store, StoreError, TierRecord};
use crate::tier::{Limit, Limits, Usage, check_name};

/// A tier to create.
#[derive(Clone, Debug, Default)]
pub struct NewTier {
    /// Its name ([`check_name`]).
    pub name: String,
    /// Its limits; `None` is unlimited.
    pub limits: Limits,
}

/// A change to a tier's limits: each listed limit is set (`None`: unlimited).
#[derive(Clone, Debug, Default)]
pub struct TierUpdate {
    /// The limits to set.
    pub set: Vec<(Limit, Option<u64>)>,
}

/// A tenant's tier, limits and usage.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantUsage {
    /// Its tier, if it has one (none: unlimited).
    pub tier: Option<TierRecord>,
    /// What it uses now.
    pub usage: Usage,
}

impl TenantUsage {
    /// The limits that apply: the tier's, or none.
    pub fn limits(&self) -> Limits {
        self.tier.as_ref().map(|t| t.limits).unwrap_or_default()
    }
}

/// Every limit must fit the stores' signed 64-bit integers.
fn check_limits(problems: &mut Problems, limits: &Limits) {
    for limit in Limit::ALL {
        if limits.get(limit).is_some_and(|v| i64::try_from(v).is_err()) {
            problems.add(limit.as_str(), "must be at most 9223372036854775807");
        }
    }
}

/// The audit record of a tier's limits.
fn limit_changes(mut changes: Changes, limits: &Limits) -> Changes {
    for limit in Limit::ALL {
        changes = changes.set(limit.as_str(), limits.get(limit));
    }
    changes
}

impl<S: Store> Admin<S> {
    /// Creates a tier.
    pub async fn create_tier(
        &self,
        ctx: &AuditContext,
        new: NewTier,
    ) -> Result<TierRecord, AdminError> {
        let mut problems = Problems::default();
        problems.check("name", check_name(&new.name));
        check_limits(&mut problems, &new.limits);
        problems.finish()?;
        let now = self.clock.now();
        let tier = TierRecord {
            name: new.name,
            limits: new.limits,
            created_at: now,
            updated_at: now,
        };
        let event = ctx.event(
            AuditAction::TierCreate,
            None,
            Target::new("tier", &tier.name),
            limit_changes(Changes::none(), &tier.limits),
            now,
        );
        self.store
            .apply_audited(AdminChange::CreateTier { tier: &tier }, &event)
            .await
            .map_err(AdminError::conflict_as(format!("tier '{}'", tier.name)))?;
        Ok(tier)
    }

    /// A page of tiers, by name.
    pub async fn list_tiers(&self, page: &PageRequest) -> Result<Page<TierRecord>, AdminError> {
        let (limit, after) = page.resolve(List::Tiers)?;
        let rows = self.store.tiers_page(after.as_deref(), limit + 1).await?;
        Ok(Page::from_rows(List::Tiers, rows, limit, |t| {
            t.name.as_str()
        }))
    }

    /// The tier `name`.
    pub async fn get_tier(&self, name: &str) -> Result<TierRecord, AdminError> {
        self.store
            .tier(name)
            .await?
            .ok_or_else(|| AdminError::not_found(ObjectKind::Tier, name))
    }

    /// Changes the tier's limits; tenants assigned to it are held to the
    /// new limits at once. Lowering a limit below a tenant's usage deletes
    /// nothing: that tenant creates no more until it is under the limit.
    pub async fn update_tier(
        &self,
        ctx: &AuditContext,
        name: &str,
        update: TierUpdate,
    ) -> Result<TierRecord, AdminError> {
        let mut tier = self.get_tier(name).await?;
        let mut changes = Changes::none();
        for (limit, value) in &update.set {
            tier.limits.set(*limit, *value);
            changes = changes.set(limit.as_str(), value);
        }
        let mut problems = Problems::default();
        check_limits(&mut problems, &tier.limits);
        problems.finish()?;
        tier.updated_at = self.clock.now();
        let event = ctx.event(
            AuditAction::TierUpdate,
            None,
            Target::new("tier", &tier.name),
            changes,
            tier.updated_at,
        );
        let applied = self
            .store
            .apply_audited(AdminChange::UpdateTier { tier: &tier }, &event)
            .await?;
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Tier, name));
        }
        Ok(tier)
    }

    /// Deletes the tier `name`; refused (a conflict) while a tenant is
    /// assigned to it.
    pub async fn delete_tier(&self, ctx: &AuditContext, name: &str) -> Result<(), AdminError> {
        let event = ctx.event(
            AuditAction::TierDelete,
            None,
            Target::new("tier", name),
            Changes::none(),
            self.clock.now(),
        );
        let applied = self
            .store
            .apply_audited(AdminChange::DeleteTier { name }, &event)
            .await
            .map_err(|e| match e {
                StoreError::Conflict(_) => AdminError::WrongState {
                    what: format!(
                        "tier '{name}' is assigned to tenants: assign them another tier first"
                    ),
                },
                other => other.into(),
            })?;
        if applied == Applied::Missing {
            return Err(AdminError::not_found(ObjectKind::Tier, name));
        }
        Ok(())
    }

    /// Assigns the tier `tier` to the tenant `slug` (`None`: no tier,
    /// unlimited), effective at once for every later create.
    pub async fn set_tenant_tier(
        &self,
        ctx: &AuditContext,
        slug: &str,
        tier: Option<&str>,
    ) -> Result<(), AdminError> {
        let tenant = self.tenant(slug).await?;
        if let Some(name) = tier {
            self.get_tier(name).await?;
        }
        let event = ctx.event(
            AuditAction::TenantUpdate,
            Some(&tenant),
            Target::new("tenant", slug),
            Changes::none().set("tier", tier),
            self.clock.now(),
        );
        let change = AdminChange::AssignTier {
            tenant: &tenant.record.id,
            tier,
        };
        if self.store.apply_audited(change, &event).await? == Applied::Missing {
            // The tier or the tenant went between the reads and the write.
            return Err(match tier {
                Some(name) => AdminError::not_found(ObjectKind::Tier, name),
                None => AdminError::not_found(ObjectKind::Tenant, slug),
            });
        }
        Ok(())
    }

    /// The tenant's tier and what it uses now.
    pub async fn tenant_usage(&self, slug: &str) -> Result<TenantUsage, AdminError> {
        let tenant = self.tenant(slug).await?;
        let id = &tenant.record.id;
        let now = self.clock.now();
        let usage = Usage {
            users: self.store.count(Counted::Users(id)).await?,
            clients: self.store.count(Counted::Clients(id)).await?,
            upstreams: self.store.count(Counted::Upstreams(id)).await?,
            api_keys: self
                .store
                .count(Counted::ApiKeys { tenant: slug, now })
                .await?,
        };
        Ok(TenantUsage {
            tier: self.store.tenant_tier(id).await?,
            usage,
        })
    }
}
