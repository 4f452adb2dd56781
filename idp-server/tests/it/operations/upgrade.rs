//! A database an older version wrote, with look-alike users in it (issue 12,
//! defect 8): the new binary starts on it, indexes the users' emails under
//! their canonical form, reports each collision by user id, and merges
//! nothing: the account already spelled canonically keeps its address.

use super::load::*;
use crate::support::*;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_with_look_alike_users_starts_and_reports_them() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = ServerProcess::spawn(dir.path(), &[]);
    server.cli_json(&["tenant", "create", "acme", "--json"], None);
    let client = cli_client(&server, "acme");
    let alice = cli_user(&server, "acme", "alice@acme.example");
    server.signal("TERM");
    assert!(server.wait_exit(Duration::from_secs(20)).await.is_some());

    // Back to schema version 6 (undoing migrations 7 and later), and rows as version 6 wrote them (trimmed
    // and lowercased only), with alice's password. The fullwidth look-alike
    // is older than alice, so creation order alone would give it her address.
    let conn = rusqlite::Connection::open(db_path(&server.database_url)).expect("open");
    conn.execute_batch(
        "ALTER TABLE tenants DROP COLUMN password_login;
         DROP TABLE upstream_flights;
         DROP TABLE linked_identities;
         DROP TABLE upstreams;
         ALTER TABLE sessions DROP COLUMN amr;
         ALTER TABLE codes DROP COLUMN amr;
         ALTER TABLE refresh_tokens DROP COLUMN amr;
         DROP TABLE platform_settings;
         DROP TABLE analytics_events;
         DROP TABLE analytics_days;
         DROP TABLE analytics_day_counts;
         DROP TABLE analytics_month_users;
         DROP TABLE analytics_months;
         DROP TABLE analytics_rollups;
         DROP INDEX users_by_created_at;
         DROP TABLE setup_links;
         DROP INDEX tenants_by_tier;
         ALTER TABLE tenants DROP COLUMN tier;
         DROP TABLE tiers;
         ALTER TABLE tenants DROP COLUMN state;
         ALTER TABLE tenants DROP COLUMN state_reason;
         ALTER TABLE tenants DROP COLUMN state_changed_at;
         DROP TABLE audit_events;
         DROP TABLE user_roles;
         DROP TABLE roles;
         DROP TABLE api_keys;
         DROP TABLE api_key_root;
         DROP TABLE idempotency_keys;
         DROP TABLE pushed_requests;
         ALTER TABLE clients DROP COLUMN require_pushed_authorization_requests;
         DROP TABLE logout_deliveries;
         DROP INDEX refresh_tokens_by_user;
         DROP INDEX refresh_tokens_by_client;
         ALTER TABLE users DROP COLUMN disabled;
         ALTER TABLE clients DROP COLUMN previous_secret_hash;
         ALTER TABLE clients DROP COLUMN previous_secret_expires_at;
         DROP INDEX users_by_email_key;
         DROP INDEX users_without_email_key;
         ALTER TABLE users DROP COLUMN email_key;
         ALTER TABLE signing_keys DROP COLUMN activates_at;
         ALTER TABLE clients DROP COLUMN subject_type;
         ALTER TABLE clients DROP COLUMN sector_identifier_uri;
         ALTER TABLE clients DROP COLUMN allowed_origins;
         ALTER TABLE codes DROP COLUMN resource;
         ALTER TABLE refresh_tokens DROP COLUMN resource;
         PRAGMA user_version = 6;",
    )
    .expect("a version 6 schema");
    for (id, email) in [
        ("legacy-fullwidth", "\u{ff41}lice@acme.example"),
        ("legacy-invisible", "alice@acme.example\u{200b}"),
        ("legacy-carol", "\u{ff43}arol@acme.example"),
    ] {
        conn.execute(
            "INSERT INTO users (tenant_id, id, email, email_verified, name, password_hash,
                                created_at, updated_at)
             SELECT tenant_id, ?1, ?2, 0, NULL, password_hash, created_at - 10, created_at - 10
             FROM users WHERE id = ?3",
            [id, email, alice.id.as_str()],
        )
        .expect("insert a version 6 row");
    }
    drop(conn);

    let server = ServerProcess::spawn(dir.path(), &[]);
    // The last of the warnings.
    let logs = server
        .logs_with("legacy-invisible", Duration::from_secs(10))
        .await;
    let warnings: Vec<&str> = logs.lines().filter(|l| l.contains("WARN")).collect();
    let collision = warnings
        .iter()
        .find(|l| l.contains("look-alike"))
        .unwrap_or_else(|| panic!("no collision reported: {logs}"));
    assert!(
        collision.contains("legacy-fullwidth") && collision.contains(&alice.id),
        "{collision}"
    );
    assert!(
        warnings
            .iter()
            .any(|l| l.contains("legacy-invisible") && l.contains("U+200B")),
        "{logs}"
    );
    assert!(
        !warnings.iter().any(|l| l.contains("legacy-carol")),
        "{logs}"
    );

    // Alice keeps her account; the look-alike without a twin is indexed and
    // signs in under its canonical spelling.
    let rp = Rp::discover(&server.issuer("acme"), &client).await;
    rp.assert_signs_in(&alice).await;
    let carol = User {
        id: "legacy-carol".into(),
        email: "carol@acme.example".into(),
        ..alice.clone()
    };
    rp.assert_signs_in(&carol).await;
}
