//! The administration commands against PostgreSQL work as on SQLite;
//! `backup` refuses and names the tools that back PostgreSQL up; start-up
//! errors name the setting at fault and never show the password.

use super::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_command_works_against_postgres() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let server = instance(dir.path(), &db, &[]);
    let tenant = server.create_tenant("acme");
    let listed = server.cli_json(&["tenant", "list", "--json"], None);
    assert!(listed.to_string().contains("\"acme\""), "{listed}");
    let client = server.create_client("acme", &ClientSpec::confidential("App"));
    let got = server.cli_json(
        &[
            "client",
            "get",
            "--tenant",
            "acme",
            &client.client_id,
            "--json",
        ],
        None,
    );
    assert_eq!(got["client_id"], client.client_id.as_str());
    let user = server.create_user("acme", "ada@example.com", "Ada", PASSWORD);
    // The server signs the user in with what the CLI stored.
    let rp = Rp::discover(&tenant.issuer, &client).await;
    rp.assert_signs_in(&user).await;
    let keys = server.cli_json(&["tenant", "keys", "acme", "--json"], None);
    assert!(keys.to_string().contains("kid"), "{keys}");
    let deleted = server.cli_json(
        &[
            "client",
            "delete",
            "--tenant",
            "acme",
            &client.client_id,
            "--json",
        ],
        None,
    );
    assert_eq!(deleted["deleted"], true);
    // The pool's gauges are PostgreSQL's (DATABASE_POOL_SIZE, default 16).
    let metrics = get(&format!("{}/metrics", server.base_url)).await;
    assert!(
        metrics.body.contains("sso_db_pool_connections_max 16"),
        "{}",
        metrics.body
    );
    assert!(metrics.body.contains("sso_db_pool_connections_total"));
    let health = server.cli(
        &[
            "health",
            "--url",
            &format!("{}/health/ready", server.base_url),
        ],
        None,
    );
    assert!(health.success, "{}", health.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_on_postgres_names_pg_dump_and_fails() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let out = run_cli(
        dir.path(),
        db.url(),
        "http://localhost:3000",
        &["backup", &dir.path().join("copy.db").display().to_string()],
        None,
    );
    assert!(!out.success, "backup succeeded: {}", out.stdout);
    assert!(out.stderr.contains("pg_dump"), "{}", out.stderr);
    assert!(out.stderr.contains("pg_basebackup"), "{}", out.stderr);
    assert!(!dir.path().join("copy.db").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_name_the_setting_and_hide_the_password() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    // No ENCRYPTION_KEY: instances sharing a database must share one key.
    let out = idp_command(dir.path())
        .env("DATABASE_URL", db.url())
        .env("SERVER_PORT", "0")
        .output()
        .expect("idp-server runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("ENCRYPTION_KEY"), "{stderr}");
    assert!(
        !dir.path().join("data").exists(),
        "no development key file was written"
    );

    // A server that does not answer: one line naming DATABASE_URL, no password.
    let out = idp_command(dir.path())
        .env("DATABASE_URL", "postgres://idp:s3cret-pw@127.0.0.1:1/idp")
        .env("ENCRYPTION_KEY", KEY_HEX)
        .env("SERVER_PORT", "0")
        .output()
        .expect("idp-server runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
    assert!(
        stderr.contains("postgres://idp:***@127.0.0.1:1/idp"),
        "{stderr}"
    );
    assert!(!stderr.contains("s3cret-pw"), "{stderr}");
}
