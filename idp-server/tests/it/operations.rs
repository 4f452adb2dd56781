//! Operations (issue 6), each through the binary as a child process:
//! readiness that notices a lost database file, the `health` probe for
//! container health checks, graceful shutdown (`shutdown`), `kill -9` under
//! load (`crash`), backup during writes (`backup`), and starting on a
//! database an older version wrote (`upgrade`).

mod backup;
mod crash;
mod load;
mod shutdown;
mod upgrade;

use crate::support::*;
use load::db_path;
use reqwest::StatusCode;
use std::path::{Path, PathBuf};

/// Renames the database and its `-wal` and `-shm` files from `dir/name*`
/// to `dir/away*`.
fn move_database(from: &Path, to: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let (a, b) = (with_suffix(from, suffix), with_suffix(to, suffix));
        if a.exists() {
            std::fs::rename(&a, &b).expect("rename");
        }
    }
}

fn with_suffix(path: &Path, suffix: &str) -> PathBuf {
    PathBuf::from(format!("{}{suffix}", path.display()))
}

/// The status of a dynamic client registration (RFC 7591) at `url`.
async fn registration(url: &str) -> StatusCode {
    plain_client()
        .post(url)
        .json(&serde_json::json!({"redirect_uris": [REDIRECT_URI]}))
        .send()
        .await
        .expect("registration request")
        .status()
}

async fn assert_ready(base: &str, ready: bool, when: &str) {
    let res = get(&format!("{base}/health/ready")).await;
    let doc = res.json();
    if ready {
        assert_eq!(res.status, StatusCode::OK, "{when}: {}", res.body);
        assert_eq!(doc["status"], "ready", "{when}");
        assert_eq!(doc["database"], "connected", "{when}");
    } else {
        assert_eq!(
            res.status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{when}: {}",
            res.body
        );
        assert_eq!(doc["database"], "disconnected", "{when}");
    }
    assert!(doc["version"].is_string(), "{when}: {doc}");
    // Liveness does not depend on the database.
    let live = get(&format!("{base}/health/live")).await;
    assert_eq!(live.status, StatusCode::OK, "{when}: /health/live");
    let health = get(&format!("{base}/health")).await;
    assert_eq!(health.status, StatusCode::OK, "{when}: /health");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn readiness_follows_the_database_file_and_liveness_does_not() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let data = dir.path().join("data");
    let url = format!("sqlite:{}", data.join("idp.db").display());
    let server = ServerProcess::spawn(dir.path(), &[("DATABASE_URL", &url)]);
    let base = server.base_url.clone();
    let db = db_path(&url);
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
    let register = format!("{}/register", server.issuer("acme"));
    assert_eq!(registration(&register).await, StatusCode::CREATED);
    assert_ready(&base, true, "at start").await;

    // The files renamed away: the pool's open descriptors would still answer
    // `SELECT 1`, but nothing is at the configured path.
    let away = data.join("away.db");
    move_database(&db, &away);
    assert_ready(&base, false, "database files renamed away").await;
    assert!(!db.exists(), "something created a new database at the path");
    // Another file at the path is not the database this server opened.
    std::fs::copy(&away, &db).expect("copy");
    assert_ready(&base, false, "a different file at the path").await;
    std::fs::remove_file(&db).expect("remove the copy");
    move_database(&away, &db);
    assert_ready(&base, true, "files renamed back").await;

    // The whole directory (a volume) gone, then back.
    let moved = dir.path().join("data.moved");
    std::fs::rename(&data, &moved).expect("rename the directory");
    assert_ready(&base, false, "directory renamed away").await;
    // Nor does the server acknowledge writes into the file it lost.
    let refused = registration(&register).await;
    assert_eq!(
        refused,
        StatusCode::SERVICE_UNAVAILABLE,
        "a registration while the database is gone (temporarily_unavailable)"
    );
    std::fs::rename(&moved, &data).expect("rename the directory back");
    assert_ready(&base, true, "directory renamed back").await;

    // The server writes to the real file again.
    assert_eq!(registration(&register).await, StatusCode::CREATED);
    server.cli_json(&["tenant", "create", "after", "--json"], None);
    discover(&server.issuer("after")).await;
    let logs = server.logs();
    assert!(logs.contains("database health check failed"), "{logs}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_health_command_exits_0_when_ready_and_1_when_not() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let mut server = ServerProcess::spawn(dir.path(), &[]);
    let port = server.port.to_string();
    let probe = |server: &ServerProcess| server.cli(&["health", "--port", &port], None);

    let out = probe(&server);
    assert!(out.success, "ready server: {}{}", out.stderr, out.stdout);
    assert!(out.stdout.contains("\"connected\""), "{}", out.stdout);

    let db = db_path(&server.database_url);
    let away = dir.path().join("away.db");
    move_database(&db, &away);
    let out = probe(&server);
    assert!(
        !out.success,
        "unready server reported ready: {}",
        out.stdout
    );
    assert_eq!(out.status, "exit status: 1");
    assert!(out.stderr.contains("503"), "{}", out.stderr);
    move_database(&away, &db);
    assert!(probe(&server).success, "ready again");

    // An explicit URL, and no server at all.
    let url = format!("{}/health/ready", server.base_url);
    assert!(server.cli(&["health", "--url", &url], None).success);
    server.kill9();
    let out = probe(&server);
    assert!(!out.success, "nothing listens, yet: {}", out.stdout);
    assert_eq!(out.status, "exit status: 1");
    assert!(out.stderr.contains("no answer"), "{}", out.stderr);
}
