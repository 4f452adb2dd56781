//! [`AuditStore::apply_audited`](idp_core::store::AuditStore::apply_audited):
//! an administrative change and its event in one transaction.
//!
//! The change is made by the same function its own port method calls,
//! under the scope that method uses (the tenant's `idp.tenant`; the
//! registry for tenants themselves and for API keys). Only a change that
//! was made (`Applied::Done`) appends its event, under `idp.registry`
//! (`audit::append_in`); a `Missing` target or an error drops the
//! transaction, which rolls back: nothing is written.

use crate::{PostgresStore, admin, api_keys, audit, roles, sessions, tenants};
use crate::{clients, platform_settings, tiers, upstreams, users};
use crate::{db_error, registry_transaction, tenant_transaction};
use deadpool_postgres::Transaction;
use idp_core::ids::TenantId;
use idp_core::store::{AdminChange, Applied, AuditEvent, StoreResult};

/// What a change's transaction may see, as its port method's.
enum Scope<'a> {
    /// The tenants table (and the tenant's rows).
    Registry(&'a TenantId),
    /// One tenant's rows.
    Tenant(&'a TenantId),
    /// The platform's tables.
    Platform,
}

fn scope<'a>(change: &AdminChange<'a>) -> Scope<'a> {
    use AdminChange as C;
    match *change {
        C::CreateTenant { tenant, .. } | C::UpdateTenant { tenant } | C::SignUp { tenant, .. } => {
            Scope::Registry(&tenant.id)
        }
        C::DeleteTenant { tenant }
        | C::DeleteOrganisation { tenant, .. }
        | C::ChangeTenantState { tenant, .. } => Scope::Registry(tenant),
        C::CreateClient { tenant, .. }
        | C::UpdateClient { tenant, .. }
        | C::RemoveClient { tenant, .. }
        | C::CreateUser { tenant, .. }
        | C::UpdateUser { tenant, .. }
        | C::RevokeUser { tenant, .. }
        | C::DeleteUser { tenant, .. }
        | C::RevokeSession { tenant, .. }
        | C::ReplaceSigningKeys { tenant, .. }
        | C::CreateRole { tenant, .. }
        | C::UpdateRole { tenant, .. }
        | C::DeleteRole { tenant, .. }
        | C::AssignRole { tenant, .. }
        | C::UnassignRole { tenant, .. }
        | C::CreateSetupLink { tenant, .. }
        | C::RedeemSetupLink { tenant, .. }
        | C::CreateUpstream { tenant, .. }
        | C::UpdateUpstream { tenant, .. }
        | C::DeleteUpstream { tenant, .. }
        | C::LinkIdentity { tenant, .. }
        | C::CreateUserWithIdentity { tenant, .. }
        | C::UnlinkIdentity { tenant, .. } => Scope::Tenant(tenant),
        C::CreateApiKey { .. } | C::RevokeApiKey { .. } | C::UpdatePlatformSettings { .. } => {
            Scope::Platform
        }
        C::CreateTier { .. } | C::UpdateTier { .. } | C::DeleteTier { .. } => Scope::Platform,
        C::AssignTier { tenant, .. } => Scope::Registry(tenant),
        // The count runs where the create does.
        C::WithinLimit { change, .. } => scope(change),
    }
}

/// Makes `change` and appends `event`, both or neither.
pub(crate) async fn apply(
    store: &PostgresStore,
    change: AdminChange<'_>,
    event: &AuditEvent,
) -> StoreResult<Applied> {
    let mut conn = store.client().await?;
    let tx = match scope(&change) {
        Scope::Registry(tenant) => registry_transaction(&mut conn, Some(tenant)).await?,
        Scope::Tenant(tenant) => tenant_transaction(&mut conn, tenant).await?,
        Scope::Platform => registry_transaction(&mut conn, None).await?,
    };
    let applied = make(&tx, change).await?;
    if let Applied::Done(_) = applied {
        audit::append_in(&tx, event).await?;
        tx.commit().await.map_err(db_error)?;
    }
    Ok(applied)
}

/// Makes `change` in `tx`, scoped by [`scope`].
async fn make(tx: &Transaction<'_>, change: AdminChange<'_>) -> StoreResult<Applied> {
    use AdminChange as C;
    Ok(match change {
        C::CreateTenant { tenant, keys } => {
            tenants::create_tenant_in(tx, tenant, keys).await?;
            Applied::Done(1)
        }
        C::UpdateTenant { tenant } => done_if(tenants::update_tenant_in(tx, tenant).await?),
        C::ChangeTenantState {
            tenant,
            from,
            to,
            reason,
            at,
        } => done_if(tenants::change_state_in(tx, tenant, from, to, reason, at).await?),
        C::DeleteTenant { tenant } => done_if(tenants::delete_tenant_in(tx, tenant).await?),
        C::CreateSetupLink { tenant, link } => {
            crate::setup_links::create_in(tx, tenant, link).await?;
            Applied::Done(1)
        }
        C::RedeemSetupLink {
            tenant,
            token_hash,
            user,
            at,
        } => {
            if !crate::setup_links::use_in(tx, tenant, token_hash, &user.id, at).await? {
                return Ok(Applied::Missing);
            }
            done_if(admin::update_user_in(tx, tenant, user).await?)
        }
        C::DeleteOrganisation {
            tenant,
            platform,
            roles: names,
        } => {
            if !tenants::delete_tenant_in(tx, tenant).await? {
                return Ok(Applied::Missing);
            }
            // The platform's roles are the platform tenant's rows: the
            // rest of this transaction sees that tenant instead.
            crate::scoped::enter_tenant(tx, platform).await?;
            for name in names {
                roles::delete_role_in(tx, platform, name).await?;
            }
            Applied::Done(1)
        }
        C::CreateClient { tenant, client } => {
            Applied::Done(clients::create_client_in(tx, tenant, client).await?)
        }
        C::UpdateClient { tenant, client } => {
            done_if(admin::update_client_in(tx, tenant, client).await?)
        }
        C::RemoveClient {
            tenant,
            client,
            keep_until,
        } => done_if(admin::remove_client_in(tx, tenant, client, keep_until).await?),
        C::CreateUser { tenant, user } => {
            Applied::Done(users::create_user_in(tx, tenant, user).await?)
        }
        C::UpdateUser { tenant, user } => done_if(admin::update_user_in(tx, tenant, user).await?),
        C::RevokeUser {
            tenant,
            user,
            now,
            keep_until,
        } => Applied::Done(admin::revoke_user_in(tx, tenant, user, now, keep_until).await?),
        C::DeleteUser {
            tenant,
            user,
            now,
            keep_until,
        } => done_if(admin::delete_user_in(tx, tenant, user, now, keep_until).await?),
        C::RevokeSession {
            tenant,
            session,
            now,
        } => done_if(sessions::revoke_session_in(tx, tenant, session, now).await?),
        C::ReplaceSigningKeys {
            tenant,
            expected_current,
            keys,
            retire_at,
        } => done_if(
            tenants::replace_signing_keys_in(tx, tenant, expected_current, keys, retire_at).await?,
        ),
        C::CreateRole { tenant, role } => roles::create_role_in(tx, tenant, role).await?,
        C::UpdateRole { tenant, role } => roles::update_role_in(tx, tenant, role).await?,
        C::DeleteRole { tenant, role } => roles::delete_role_in(tx, tenant, role).await?,
        C::AssignRole {
            tenant,
            user,
            role,
            at,
        } => roles::assign_role_in(tx, tenant, user, role, at).await?,
        C::UnassignRole { tenant, user, role } => {
            roles::unassign_role_in(tx, tenant, user, role).await?
        }
        C::CreateApiKey { key } => api_keys::create_api_key_in(tx, key).await?,
        C::RevokeApiKey { id, at } => api_keys::revoke_api_key_in(tx, id, at).await?,
        C::UpdatePlatformSettings { settings } => {
            platform_settings::replace_in(tx, settings).await?
        }
        C::SignUp {
            tenant,
            keys,
            platform,
            user,
            role,
        } => platform_settings::sign_up_in(tx, tenant, keys, platform, user, role).await?,
        C::CreateTier { tier } => tiers::create_tier_in(tx, tier).await?,
        C::UpdateTier { tier } => tiers::update_tier_in(tx, tier).await?,
        C::DeleteTier { name } => tiers::delete_tier_in(tx, name).await?,
        C::AssignTier { tenant, tier } => tiers::assign_tier_in(tx, tenant, tier).await?,
        C::CreateUpstream { tenant, upstream } => {
            upstreams::create_upstream_in(tx, tenant, upstream).await?
        }
        C::UpdateUpstream { tenant, upstream } => {
            upstreams::update_upstream_in(tx, tenant, upstream).await?
        }
        C::DeleteUpstream { tenant, upstream } => {
            upstreams::delete_upstream_in(tx, tenant, upstream).await?
        }
        C::LinkIdentity { tenant, identity } => {
            upstreams::link_identity_in(tx, tenant, identity).await?
        }
        C::CreateUserWithIdentity {
            tenant,
            user,
            identity,
        } => upstreams::create_user_with_identity_in(tx, tenant, user, identity).await?,
        C::UnlinkIdentity {
            tenant,
            user,
            upstream,
            subject,
        } => upstreams::unlink_identity_in(tx, tenant, user, upstream, subject).await?,
        C::WithinLimit {
            counted,
            limit,
            change,
        } => match tiers::lock_and_count_in(tx, counted).await? {
            n if n >= limit => Applied::LimitReached(n),
            _ => Box::pin(make(tx, *change)).await?,
        },
    })
}

/// `Done(1)` if the port method's answer was `true`, else `Missing`.
fn done_if(made: bool) -> Applied {
    if made {
        Applied::Done(1)
    } else {
        Applied::Missing
    }
}

/// `Done(n)` if a statement changed `n > 0` rows, else `Missing`.
pub(crate) fn done_or_missing(n: u64) -> Applied {
    if n == 0 {
        Applied::Missing
    } else {
        Applied::Done(n)
    }
}
