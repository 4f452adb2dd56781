//! The platform's settings row (migration 19), and
//! [`PlatformSettingsStore`] for [`SqliteStore`]; the write runs inside
//! `AuditStore::apply_audited`'s transaction (`admin_change`), as does a
//! sign-up's ([`sign_up`]).

use crate::{SqliteStore, roles, tenants, users};
use idp_core::ids::TenantId;
use idp_core::signup::SignupMode;
use idp_core::store::{
    PlatformSettings, PlatformSettingsStore, RoleRecord, SigningKeyRecord, StoreResult,
    TenantRecord, UserRecord,
};
use rusqlite::{Connection, OptionalExtension, Result, params};

/// Creates or replaces the settings row.
pub(crate) fn replace(conn: &Connection, settings: &PlatformSettings) -> Result<()> {
    conn.execute(
        "INSERT INTO platform_settings (id, signup, updated_at) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET signup = excluded.signup, updated_at = excluded.updated_at",
        params![settings.signup.as_str(), settings.updated_at],
    )?;
    Ok(())
}

/// A sign-up's writes: the tenant and its keys, then in the platform
/// tenant the role (unless it exists), the user and the assignment. The
/// caller's transaction makes them one.
pub(crate) fn sign_up(
    conn: &Connection,
    tenant: &TenantRecord,
    keys: &[SigningKeyRecord],
    platform: &TenantId,
    user: &UserRecord,
    role: &RoleRecord,
) -> Result<()> {
    tenants::create_in(conn, tenant, keys)?;
    conn.execute(
        "INSERT INTO roles (tenant_id, name, description, created_at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (tenant_id, name) DO NOTHING",
        params![
            platform.as_str(),
            role.name,
            role.description,
            role.created_at
        ],
    )?;
    users::create(conn, platform, user)?;
    roles::assign(conn, platform, &user.id, &role.name, user.created_at)?;
    Ok(())
}

impl PlatformSettingsStore for SqliteStore {
    async fn platform_settings(&self) -> StoreResult<Option<PlatformSettings>> {
        self.run(|c| {
            c.prepare_cached("SELECT signup, updated_at FROM platform_settings WHERE id = 1")?
                .query_row([], |r| {
                    let signup: String = r.get(0)?;
                    let signup = SignupMode::parse(&signup).ok_or_else(|| {
                        rusqlite::Error::FromSqlConversionFailure(
                            0,
                            rusqlite::types::Type::Text,
                            SignupMode::invalid(&signup).into(),
                        )
                    })?;
                    Ok(PlatformSettings {
                        signup,
                        updated_at: r.get(1)?,
                    })
                })
                .optional()
        })
        .await
    }
}
