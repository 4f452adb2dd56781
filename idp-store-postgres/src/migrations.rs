//! The embedded schema and its versioning.
//!
//! Migrations are `migrations/NNNN_name.sql`, applied in order, each in
//! its own transaction with its row in `idp_schema_migrations`. The whole
//! run holds an advisory lock, so that instances starting at once apply
//! each migration once: the second waits, then finds nothing to do. A
//! database migrated by a newer binary is refused, not served.
//!
//! Every start also makes sure of the role the pool serves as
//! ([`APP_ROLE`]): it exists, owns nothing, may use the tables but not
//! the version table, and the URL's user may switch to it. That is what
//! makes the row-level security policies bind (a table's owner and
//! superusers are exempt from them).

use crate::{APP_ROLE, OpenError, describe};
use tokio_postgres::Client;

/// The migrations, in order: (version, SQL). `@SCHEMA@` stands for the
/// schema the tables are created in (for SECURITY DEFINER functions,
/// which must name it).
const MIGRATIONS: &[(i32, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (2, include_str!("../migrations/0002_admin_api.sql")),
    (3, include_str!("../migrations/0003_tenant_state.sql")),
    (4, include_str!("../migrations/0004_setup_links.sql")),
    (5, include_str!("../migrations/0005_tiers.sql")),
    (6, include_str!("../migrations/0006_platform_settings.sql")),
    (7, include_str!("../migrations/0007_analytics.sql")),
    (8, include_str!("../migrations/0008_amr.sql")),
    (9, include_str!("../migrations/0009_upstreams.sql")),
    (10, include_str!("../migrations/0010_password_login.sql")),
];

/// The schema version this binary writes: the number of its last migration.
pub const SCHEMA_VERSION: i32 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// The advisory lock key migrations hold ("idp-migr" in ASCII).
const MIGRATION_LOCK: i64 = 0x6964_702d_6d69_6772;

/// Tables the application role may read and write (all but the version
/// table and [`APPEND_ONLY_TABLES`]).
const APP_TABLES: &[&str] = &[
    "tenants",
    "signing_keys",
    "clients",
    "users",
    "sessions",
    "interactions",
    "consents",
    "codes",
    "refresh_tokens",
    "revoked_access_tokens",
    "revoked_grants",
    "client_assertions",
    "device_codes",
    "session_clients",
    "pushed_requests",
    "logout_deliveries",
    "login_failures",
    "roles",
    "user_roles",
    "api_keys",
    "api_key_root",
    "idempotency_keys",
    "setup_links",
    "tiers",
    "platform_settings",
    "analytics_events",
    "analytics_days",
    "analytics_day_counts",
    "analytics_month_users",
    "analytics_months",
    "analytics_rollups",
    "upstreams",
    "linked_identities",
    "upstream_flights",
];

/// Tables the application role may read, append to and delete from (the
/// retention purge) but never update: the audit log.
const APPEND_ONLY_TABLES: &[&str] = &["audit_events"];

/// Applies pending migrations and the role's grants, as the URL's user.
pub(crate) async fn apply(client: &mut Client, url: &str) -> Result<(), OpenError> {
    let fail = |e: tokio_postgres::Error| OpenError::Migrate {
        url: url.to_owned(),
        reason: describe(&e),
    };
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .await
        .map_err(fail)?;
    let outcome = apply_locked(client, url).await;
    // Unlocked on every path; a failed unlock ends with the connection.
    let _ = client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .await;
    outcome
}

async fn apply_locked(client: &mut Client, url: &str) -> Result<(), OpenError> {
    let fail = |e: tokio_postgres::Error| OpenError::Migrate {
        url: url.to_owned(),
        reason: describe(&e),
    };
    client
        .batch_execute(
            "CREATE TABLE IF NOT EXISTS idp_schema_migrations (
                 version    integer PRIMARY KEY,
                 applied_at timestamptz NOT NULL DEFAULT now()
             )",
        )
        .await
        .map_err(fail)?;
    let found: i32 = client
        .query_one(
            "SELECT coalesce(max(version), 0) FROM idp_schema_migrations",
            &[],
        )
        .await
        .map_err(fail)?
        .get(0);
    if found > SCHEMA_VERSION {
        return Err(OpenError::TooNew {
            url: url.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    let schema: String = client
        .query_one("SELECT quote_ident(current_schema())", &[])
        .await
        .map_err(fail)?
        .get(0);
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        let tx = client.transaction().await.map_err(fail)?;
        tx.batch_execute(&sql.replace("@SCHEMA@", &schema))
            .await
            .map_err(|e| OpenError::Migrate {
                url: url.to_owned(),
                reason: format!("migration {version}: {}", describe(&e)),
            })?;
        tx.execute(
            "INSERT INTO idp_schema_migrations (version) VALUES ($1)",
            &[version],
        )
        .await
        .map_err(fail)?;
        tx.commit().await.map_err(fail)?;
        tracing::info!(version, "applied PostgreSQL migration");
    }
    grant_app_role(client, &schema).await.map_err(fail)
}

/// Creates [`APP_ROLE`] if missing (racing creators in other databases of
/// the cluster are fine), lets the URL's user switch to it, and grants it
/// the tables, nothing more (no UPDATE of the append-only ones, revoked
/// should an operator have granted it).
async fn grant_app_role(client: &Client, schema: &str) -> Result<(), tokio_postgres::Error> {
    client
        .batch_execute(&format!(
            "DO $$
             BEGIN
                 IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{APP_ROLE}') THEN
                     BEGIN
                         CREATE ROLE {APP_ROLE} NOLOGIN NOINHERIT NOBYPASSRLS;
                     EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
                     END;
                 END IF;
                 IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
                    AND NOT pg_has_role(current_user, '{APP_ROLE}', 'MEMBER') THEN
                     BEGIN
                         EXECUTE format('GRANT {APP_ROLE} TO %I', current_user);
                     EXCEPTION WHEN unique_violation THEN NULL;
                     END;
                 END IF;
             END $$;
             GRANT USAGE ON SCHEMA {schema} TO {APP_ROLE};
             GRANT SELECT, INSERT, UPDATE, DELETE ON {tables} TO {APP_ROLE};
             GRANT SELECT, INSERT, DELETE ON {append_only} TO {APP_ROLE};
             REVOKE UPDATE, TRUNCATE ON {append_only} FROM {APP_ROLE};
             REVOKE ALL ON idp_schema_migrations FROM {APP_ROLE};
             GRANT EXECUTE ON FUNCTION idp_active_users(bigint), idp_unindexed_emails() TO {APP_ROLE};",
            tables = APP_TABLES.join(", "),
            append_only = APPEND_ONLY_TABLES.join(", "),
        ))
        .await
}
