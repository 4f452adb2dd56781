//! The schema, embedded in the binary and versioned by `PRAGMA user_version`.
//!
//! Migration `n` (1-based) brings a database from version `n - 1` to `n`.
//! Pending migrations run in one `BEGIN IMMEDIATE` transaction together with
//! the version bump, so a failure leaves the database as it was and two
//! processes opening the same new file cannot both migrate it. A migration
//! is never edited once released; a change is a new file.

use crate::OpenError;
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// Migrations in order: (version, SQL).
const MIGRATIONS: &[(i64, &str)] = &[
    (1, include_str!("../migrations/0001_init.sql")),
    (
        2,
        include_str!("../migrations/0002_device_revocation_sessions.sql"),
    ),
    (3, include_str!("../migrations/0003_claims_request.sql")),
    (
        4,
        include_str!("../migrations/0004_dynamic_registration.sql"),
    ),
    (5, include_str!("../migrations/0005_channel_logout.sql")),
    (6, include_str!("../migrations/0006_purge_indexes.sql")),
    (7, include_str!("../migrations/0007_email_index.sql")),
    (8, include_str!("../migrations/0008_admin.sql")),
    (9, include_str!("../migrations/0009_key_activation.sql")),
    (10, include_str!("../migrations/0010_pushed_requests.sql")),
    (11, include_str!("../migrations/0011_logout_deliveries.sql")),
    (12, include_str!("../migrations/0012_pairwise_subjects.sql")),
    (13, include_str!("../migrations/0013_allowed_origins.sql")),
    (
        14,
        include_str!("../migrations/0014_resource_indicators.sql"),
    ),
    (15, include_str!("../migrations/0015_admin_api.sql")),
    (16, include_str!("../migrations/0016_tenant_state.sql")),
    (17, include_str!("../migrations/0017_setup_links.sql")),
    (18, include_str!("../migrations/0018_tiers.sql")),
    (19, include_str!("../migrations/0019_platform_settings.sql")),
    (20, include_str!("../migrations/0020_analytics.sql")),
    (21, include_str!("../migrations/0021_amr.sql")),
    (22, include_str!("../migrations/0022_upstreams.sql")),
    (23, include_str!("../migrations/0023_password_login.sql")),
];

/// The schema version this binary writes and understands: the number of
/// the last migration (numbers are assigned per branch, so a list may have
/// a gap until the branches holding the numbers between are merged).
pub const SCHEMA_VERSION: i64 = MIGRATIONS[MIGRATIONS.len() - 1].0;

/// Brings the database at `path`, open on `conn`, to [`SCHEMA_VERSION`].
/// Returns how many migrations ran (0 when it was up to date).
pub(crate) fn apply(conn: &mut Connection, path: &Path) -> Result<usize, OpenError> {
    let failed = |e: rusqlite::Error| OpenError::Migrate {
        path: path.to_path_buf(),
        reason: e.to_string(),
    };
    // Fast path without a write lock, so opening an up-to-date database
    // (the CLI next to a running server) never waits for writers.
    let found = user_version(conn).map_err(|e| OpenError::Open {
        path: path.to_path_buf(),
        reason: e.to_string(),
    })?;
    check_version(found, path)?;
    if found == SCHEMA_VERSION {
        return Ok(0);
    }

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(failed)?;
    // Another process may have migrated while we waited for the lock.
    let found = user_version(&tx).map_err(failed)?;
    check_version(found, path)?;
    let mut applied = 0;
    for &(version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.execute_batch(sql).map_err(|e| OpenError::Migrate {
            path: path.to_path_buf(),
            reason: format!("migration {version}: {e}"),
        })?;
        tx.pragma_update(None, "user_version", version)
            .map_err(failed)?;
        applied += 1;
    }
    tx.commit().map_err(failed)?;
    tracing::info!(path = %path.display(), from = found, to = SCHEMA_VERSION, "database migrated");
    Ok(applied)
}

fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.query_row("PRAGMA user_version", [], |r| r.get(0))
}

fn check_version(found: i64, path: &Path) -> Result<(), OpenError> {
    if !(0..=SCHEMA_VERSION).contains(&found) {
        return Err(OpenError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SqliteStore;

    type TestResult = Result<(), Box<dyn std::error::Error>>;

    #[test]
    fn versions_increase_from_one() {
        // Numbers are handed out per branch; once all are merged the list
        // is consecutive again. Strictly increasing is what `apply` needs.
        assert_eq!(MIGRATIONS[0].0, 1);
        for pair in MIGRATIONS.windows(2) {
            assert!(pair[0].0 < pair[1].0, "{} then {}", pair[0].0, pair[1].0);
        }
        for (version, sql) in MIGRATIONS {
            assert!(*version >= 1);
            // The caller owns the transaction (a trigger's body may still
            // say BEGIN at the end of its CREATE TRIGGER line).
            for line in sql.lines().filter(|l| !l.trim_start().starts_with("--")) {
                let upper = line.trim_start().to_ascii_uppercase();
                assert!(
                    !upper.starts_with("BEGIN") && !upper.contains("COMMIT"),
                    "{line}"
                );
            }
        }
    }

    #[test]
    fn opening_twice_is_a_no_op() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("nested/dir/idp.db");
        let location = format!("sqlite:{}", path.display());
        drop(SqliteStore::open(&location)?);
        let mut conn = Connection::open(&path)?;
        assert_eq!(user_version(&conn)?, SCHEMA_VERSION);
        assert_eq!(apply(&mut conn, &path)?, 0);
        drop(conn);
        let store = SqliteStore::open(&location)?;
        assert_eq!(store.path(), path.as_path());
        Ok(())
    }

    #[test]
    fn a_version_1_database_keeps_its_rows_when_upgraded() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("idp.db");
        let conn = Connection::open(&path)?;
        conn.execute_batch(MIGRATIONS[0].1)?;
        conn.pragma_update(None, "user_version", 1)?;
        conn.execute_batch(
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1);
             INSERT INTO clients VALUES ('t', 'c', 'App', NULL, 'none', '[]', '[]', 1, 'RS256', 1);
             INSERT INTO sessions VALUES ('t', 's', zeroblob(32), 'u', 1, 1, 99);",
        )?;
        drop(conn);
        let mut conn = Connection::open(&path)?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 1);
        let (scopes, ended): (String, Option<i64>) = conn.query_row(
            "SELECT c.allowed_scopes, s.ended_at FROM clients c, sessions s",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!((scopes.as_str(), ended), ("[]", None));
        // Version 5: no logout URIs, session not required.
        let (backchannel, required): (Option<String>, i64) = conn.query_row(
            "SELECT backchannel_logout_uri, frontchannel_logout_session_required FROM clients",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!((backchannel, required), (None, 0));
        // Version 13: no allowed origins beyond the redirect URIs'.
        let origins: String =
            conn.query_row("SELECT allowed_origins FROM clients", [], |r| r.get(0))?;
        assert_eq!(origins, "[]");
        Ok(())
    }

    /// A database at schema `version` (every migration up to it applied)
    /// holding `rows`, as an older binary left it; what applying the rest
    /// does to those rows is each test's question.
    fn database_at(
        version: i64,
        rows: &str,
    ) -> Result<(tempfile::TempDir, std::path::PathBuf, Connection), Box<dyn std::error::Error>>
    {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("idp.db");
        let mut conn = Connection::open(&path)?;
        let tx = conn.transaction()?;
        for (_, sql) in MIGRATIONS.iter().filter(|(v, _)| *v <= version) {
            tx.execute_batch(sql)?;
        }
        tx.pragma_update(None, "user_version", version)?;
        tx.execute_batch(rows)?;
        tx.commit()?;
        Ok((dir, path, conn))
    }

    #[test]
    fn keys_written_before_version_9_were_active_from_their_creation() -> TestResult {
        let (_dir, path, mut conn) = database_at(
            8,
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1, 0);
             INSERT INTO signing_keys VALUES ('t', 'old', 'RS256', x'00', 100, 200);
             INSERT INTO signing_keys VALUES ('t', 'new', 'RS256', x'00', 200, NULL);",
        )?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 8);
        let rows: Vec<(String, i64)> = conn
            .prepare("SELECT kid, activates_at FROM signing_keys ORDER BY kid")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?;
        assert_eq!(rows, [("new".to_owned(), 200), ("old".to_owned(), 100)]);
        Ok(())
    }

    #[test]
    fn clients_written_before_version_10_do_not_require_pushed_requests() -> TestResult {
        let (_dir, path, mut conn) = database_at(
            9,
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1, 0);
             INSERT INTO clients (tenant_id, id, name, auth_method, redirect_uris, grant_types,
                                  require_pkce, id_token_alg, created_at)
             VALUES ('t', 'c1', 'C', 'none', '[]', '[]', 1, 'RS256', 5);",
        )?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 9);
        let required: i64 = conn.query_row(
            "SELECT require_pushed_authorization_requests FROM clients WHERE id = 'c1'",
            [],
            |r| r.get(0),
        )?;
        assert_eq!(required, 0);
        let pushed: i64 =
            conn.query_row("SELECT count(*) FROM pushed_requests", [], |r| r.get(0))?;
        assert_eq!(pushed, 0);
        Ok(())
    }

    #[test]
    fn clients_written_before_pairwise_subjects_are_public() -> TestResult {
        let (_dir, path, mut conn) = database_at(
            11,
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1, 0);
             INSERT INTO clients (tenant_id, id, name, auth_method, redirect_uris, grant_types,
                                  require_pkce, id_token_alg, created_at)
             VALUES ('t', 'c', 'App', 'none', '[]', '[]', 1, 'RS256', 1);",
        )?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 11);
        let (subject_type, sector): (String, Option<String>) = conn.query_row(
            "SELECT subject_type, sector_identifier_uri FROM clients",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        assert_eq!((subject_type.as_str(), sector), ("public", None));
        Ok(())
    }

    #[test]
    fn codes_and_refresh_tokens_written_before_version_14_have_no_resource() -> TestResult {
        let (_dir, path, mut conn) = database_at(
            13,
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1, 0);
             INSERT INTO codes (tenant_id, code_hash, grant_id, client_id, user_id, session_id,
                                redirect_uri, scope, auth_time, expires_at)
             VALUES ('t', zeroblob(32), 'g', 'c', 'u', 's', 'https://rp.example/cb', 'openid', 1, 2);",
        )?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 13);
        let resource: Option<String> =
            conn.query_row("SELECT resource FROM codes", [], |r| r.get(0))?;
        assert_eq!(resource, None);
        Ok(())
    }

    #[test]
    fn tenants_written_before_version_16_are_active() -> TestResult {
        let (_dir, path, mut conn) = database_at(
            15,
            "INSERT INTO tenants VALUES ('t', 'acme', 'Acme', x'00', 1, 0);",
        )?;
        assert_eq!(apply(&mut conn, &path)?, MIGRATIONS.len() - 15);
        let tenant = crate::tenants::by_slug(&conn, "acme")?.ok_or("acme missing")?;
        assert_eq!(
            (tenant.state, tenant.state_reason, tenant.state_changed_at),
            (idp_core::tenant::state::TenantState::Active, None, None)
        );
        // Only the four states can be stored.
        let odd = conn.execute("UPDATE tenants SET state = 'frozen'", []);
        assert!(odd.is_err(), "{odd:?}");
        Ok(())
    }

    #[test]
    fn a_newer_schema_is_refused() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("idp.db");
        let conn = Connection::open(&path)?;
        conn.pragma_update(None, "user_version", SCHEMA_VERSION + 1)?;
        drop(conn);
        match SqliteStore::open(&path.to_string_lossy()) {
            Err(e @ OpenError::TooNew { .. }) => {
                assert!(e.to_string().contains("newer than this binary supports"));
            }
            other => return Err(format!("expected TooNew, got {other:?}").into()),
        }
        Ok(())
    }

    #[test]
    fn a_file_that_is_not_a_database_is_a_clear_error() -> TestResult {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("idp.db");
        std::fs::write(&path, b"this is not an SQLite database, just some text....")?;
        let err = SqliteStore::open(&path.to_string_lossy())
            .err()
            .ok_or("opened a text file")?;
        let message = err.to_string();
        assert!(message.starts_with("cannot open database at "), "{message}");
        assert!(!message.contains('\n'));
        Ok(())
    }
}
