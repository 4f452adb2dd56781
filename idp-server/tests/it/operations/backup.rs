//! `idp-server backup PATH` taken while writers hammer the server restores
//! to a working server: restoring is starting a server on the copy (with
//! the same master key).

use super::load::*;
use crate::support::*;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_taken_during_writes_restores_to_a_working_server() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let server = ServerProcess::spawn(dir.path(), &[]);
    server.cli_json(
        &[
            "tenant",
            "create",
            "acme",
            "--dynamic-registration",
            "--json",
        ],
        None,
    );
    let client = cli_client(&server, "acme");
    let user = cli_user(&server, "acme", "ada@acme.example");
    let endpoints = discover(&server.issuer("acme")).await;
    let registration = endpoints.doc["registration_endpoint"]
        .as_str()
        .expect("registration_endpoint");

    let http_load = RegistrationLoad::start(registration, &server.base_url, 4);
    let cli_load = CliUserLoad::start(&server, "acme", 1, 0);
    tokio::time::sleep(Duration::from_millis(400)).await;
    let copy_dir = tempfile::tempdir().expect("temporary directory");
    let copy = copy_dir.path().join("backups/idp-copy.db");
    let backup_started = Instant::now();
    let out = {
        let (dir, db, base, dest) = (
            server.dir.clone(),
            server.database_url.clone(),
            server.base_url.clone(),
            copy.display().to_string(),
        );
        tokio::task::spawn_blocking(move || run_cli(&dir, &db, &base, &["backup", &dest], None))
            .await
            .expect("backup CLI")
    };
    let backup_took = backup_started.elapsed();
    // Writers keep going a little after the backup, then stop.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let tally = http_load.finish().await;
    let (cli_users, cli_failed) = tokio::task::spawn_blocking(move || cli_load.finish())
        .await
        .expect("CLI writers");
    assert!(out.success, "backup failed: {}{}", out.stderr, out.stdout);
    assert!(
        tally.refused.is_empty() && cli_failed.is_empty(),
        "writes failed during the backup: {:?} {:?}",
        tally.refused.first(),
        cli_failed.first()
    );
    let before: Vec<Acked> = tally
        .acked
        .iter()
        .filter(|a| a.at < backup_started)
        .cloned()
        .collect();
    let during = tally.acked.len() - before.len();
    eprintln!(
        "backup took {backup_took:?}; {} registrations acknowledged before it began, {during} during or after; {} CLI users",
        before.len(),
        cli_users.len()
    );
    assert!(
        !before.is_empty() && during > 0,
        "the backup did not overlap the writes; the test proves nothing"
    );

    // The copy is intact, and the live server still answers.
    let (check, orphans) = integrity(&copy);
    assert_eq!(check, "ok", "PRAGMA integrity_check of the copy");
    assert_eq!(orphans, 0, "PRAGMA foreign_key_check of the copy");
    assert_eq!(
        get(&format!("{}/health/ready", server.base_url))
            .await
            .status,
        reqwest::StatusCode::OK
    );

    // A second server on the copy serves the tenant, and what existed
    // before the backup began works there.
    let restored_dir = tempfile::tempdir().expect("temporary directory");
    let copy_url = format!("sqlite:{}", copy.display());
    let restored = ServerProcess::spawn(restored_dir.path(), &[("DATABASE_URL", &copy_url)]);
    let restored_endpoints = discover(&restored.issuer("acme")).await;
    assert_eq!(restored_endpoints.issuer, restored.issuer("acme"));
    client_credentials_token(&restored_endpoints.token, &client).await;
    let rp = Rp::discover(&restored_endpoints.issuer, &client).await;
    rp.assert_signs_in(&user).await;
    assert_clients_exist(&restored.base_url, &before).await;
}
