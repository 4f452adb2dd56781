//! The platform's settings row (migration 6; under the registry scope, as
//! the platform's other tables), [`PlatformSettingsStore`] for
//! [`PostgresStore`], and the writes `apply_audited` makes for it and for
//! a sign-up ([`sign_up_in`]).

use crate::{PostgresStore, db_error, roles, tenants, users};
use deadpool_postgres::Transaction;
use idp_core::ids::TenantId;
use idp_core::signup::SignupMode;
use idp_core::store::{
    Applied, PlatformSettings, PlatformSettingsStore, RoleRecord, SigningKeyRecord, StoreError,
    StoreResult, TenantRecord, UserRecord,
};

impl PlatformSettingsStore for PostgresStore {
    async fn platform_settings(&self) -> StoreResult<Option<PlatformSettings>> {
        let rows = self
            .registry_query(
                "SELECT signup, updated_at FROM platform_settings WHERE id = 1",
                &[],
            )
            .await?;
        let Some(row) = rows.first() else {
            return Ok(None);
        };
        let signup: String = row.try_get(0).map_err(db_error)?;
        let signup = SignupMode::parse(&signup)
            .ok_or_else(|| StoreError::Backend(SignupMode::invalid(&signup)))?;
        Ok(Some(PlatformSettings {
            signup,
            updated_at: row.try_get(1).map_err(db_error)?,
        }))
    }
}

/// Creates or replaces the settings row (the transaction is the registry's).
pub(crate) async fn replace_in(
    tx: &Transaction<'_>,
    settings: &PlatformSettings,
) -> StoreResult<Applied> {
    tx.execute(
        "INSERT INTO platform_settings (id, signup, updated_at) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET signup = excluded.signup, updated_at = excluded.updated_at",
        &[&settings.signup.as_str(), &settings.updated_at],
    )
    .await
    .map_err(db_error)?;
    Ok(Applied::Done(1))
}

/// A sign-up's writes, in a registry transaction scoped to the new tenant:
/// the tenant and its keys; then, scoped to the platform tenant, the role
/// (unless it exists), the user and the assignment.
pub(crate) async fn sign_up_in(
    tx: &Transaction<'_>,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
    platform: &TenantId,
    user: &UserRecord,
    role: &RoleRecord,
) -> StoreResult<Applied> {
    tenants::create_tenant_in(tx, tenant, keys).await?;
    tx.execute(
        "SELECT set_config('idp.tenant', $1, true)",
        &[&platform.as_str()],
    )
    .await
    .map_err(db_error)?;
    tx.execute(
        "INSERT INTO roles (tenant_id, name, description, created_at) VALUES ($1, $2, $3, $4)
         ON CONFLICT (tenant_id, name) DO NOTHING",
        &[
            &platform.as_str(),
            &role.name,
            &role.description,
            &role.created_at,
        ],
    )
    .await
    .map_err(db_error)?;
    users::create_user_in(tx, platform, user).await?;
    match roles::assign_role_in(tx, platform, &user.id, &role.name, user.created_at).await? {
        Applied::Done(_) => Ok(Applied::Done(1)),
        other => Ok(other),
    }
}
