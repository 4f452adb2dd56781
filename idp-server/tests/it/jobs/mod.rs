//! Background jobs: the purge of expired rows, scheduled signing-key
//! rotation (one winner among instances sharing a database) and the removal
//! of retired keys from the JWKS. Real servers, real SQLite files; rows are
//! counted by opening the file beside the server.

mod keys;
mod purge;

use crate::support::*;
use idp_server::config::Config;
use idp_server::jobs::JobsConfig;
use reqwest::StatusCode;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

/// Jobs off, except what a test turns on; no clock-skew margin, so rows go
/// as soon as the core's rule allows.
fn quiet_jobs() -> JobsConfig {
    JobsConfig {
        purge_interval: None,
        checkpoint_interval: None,
        key_rotation_after: None,
        key_check_interval: Duration::from_secs(3600),
        logout_retry_interval: None,
        clock_skew: 0,
        audit_retention: None,
        analytics_flush_interval: None,
        analytics_rollup_interval: None,
        analytics_retention: None,
    }
}

/// Opens the server's SQLite file (a second connection, as another process would).
fn db(server: &TestServer) -> rusqlite::Connection {
    server.db()
}

/// The current kids of the tenant, as stored: those no rotation superseded
/// (`retired_at` unset), active or still pending.
fn active_kids(server: &TestServer, tenant_id: &str) -> BTreeSet<String> {
    let conn = db(server);
    let mut stmt = conn
        .prepare("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")
        .expect("prepare");
    stmt.query_map([tenant_id], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// `sso_job_processing_duration_seconds_count{job="…"}` as scraped.
async fn job_runs(base_url: &str, job: &str) -> f64 {
    let body = get(&format!("{base_url}/metrics")).await.body;
    let label = format!("job=\"{job}\"");
    body.lines()
        .find(|l| l.starts_with("sso_job_processing_duration_seconds_count{") && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_measured_and_stop_with_the_server() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_path = dir.path().join("idp.db");
    let database_url = format!("sqlite:{}", db_path.display());
    let mut config = Config::for_tests(database_url.clone(), KEY_HEX.to_owned());
    config.lifetimes = test_lifetimes();
    config.jobs = JobsConfig {
        purge_interval: Some(Duration::from_millis(50)),
        checkpoint_interval: Some(Duration::from_millis(50)),
        key_rotation_after: Some(1),
        key_check_interval: Duration::from_millis(50),
        logout_retry_interval: Some(Duration::from_millis(50)),
        clock_skew: 0,
        audit_retention: None,
        analytics_flush_interval: None,
        analytics_rollup_interval: None,
        analytics_retention: None,
    };
    let running = idp_server::server::start(config)
        .await
        .expect("the server starts");
    let base_url = running.base_url.clone();
    let out = run_cli(
        dir.path(),
        &database_url,
        &base_url,
        &["tenant", "create", "acme"],
        None,
    );
    assert!(out.success, "{}", out.stderr);

    let jobs = ["purge", "checkpoint", "key_rotation", "logout_retry"];
    let mut before = Vec::new();
    for job in jobs {
        before.push(job_runs(&base_url, job).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (job, before) in jobs.iter().zip(before) {
        let after = job_runs(&base_url, job).await;
        assert!(after > before, "{job}: {before} runs, then {after}");
    }
    let scraped = get(&format!("{base_url}/metrics")).await.body;
    assert!(
        scraped
            .lines()
            .any(|l| l.starts_with("sso_job_queue_depth ")),
        "{scraped}"
    );

    // Keys rotate every second while the server runs, and never after it stopped.
    let conn = rusqlite::Connection::open(&db_path).expect("open the db");
    let keys = || -> i64 {
        conn.query_row("SELECT count(*) FROM signing_keys", [], |r| r.get(0))
            .expect("count")
    };
    assert!(keys() > 3, "no rotation while the server ran");
    let stopping = Instant::now();
    running.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        stopping.elapsed()
    );
    let after_stop = keys();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(keys(), after_stop, "a job ran after shutdown");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(ok, "ok");
}

#[test]
fn bad_job_settings_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (var, value, flag) in [
        ("PURGE_INTERVAL_SECONDS", "soon", None),
        ("CHECKPOINT_INTERVAL_SECONDS", "-1", None),
        ("KEY_ROTATION_DAYS", "99999", None),
        ("KEY_ROTATION_DAYS", "1", Some("--key-rotation-days=x")),
        ("LOGOUT_RETRY_INTERVAL_SECONDS", "often", None),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_idp-server"));
        cmd.current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite:{}/idp.db", dir.path().display()),
            )
            .env("ENCRYPTION_KEY", KEY_HEX)
            .env("SERVER_PORT", "0")
            .env(var, value);
        cmd.arg("serve");
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        let out = cmd.output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} {flag:?} was accepted");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("error: {var}: "))),
            "{var}={value} {flag:?}: {stderr}"
        );
    }
}
