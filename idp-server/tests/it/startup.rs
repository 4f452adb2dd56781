//! Start-up of the real binary: zero configuration works, SIGTERM stops it
//! cleanly, and a bad setting stops it with one line naming the setting.

use crate::support::idp_command;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

/// Runs a start that must fail; returns its last stderr line.
fn failed_start(cmd: &mut Command) -> String {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    assert!(!out.status.success(), "start-up should fail");
    let stderr = String::from_utf8_lossy(&out.stderr);
    stderr.lines().last().unwrap_or("").to_owned()
}

#[tokio::test]
async fn zero_configuration_start_creates_database_and_private_dev_key() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    // Port 0 instead of the default 3000 so parallel test runs cannot collide;
    // nothing else is configured.
    let mut child = idp_command(dir.path())
        .env("SERVER_PORT", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let stdout = child.stdout.take().unwrap_or_else(|| panic!("no stdout"));
    let mut line = String::new();
    BufReader::new(stdout)
        .read_line(&mut line)
        .unwrap_or_else(|e| panic!("{e}"));
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|s| s.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_owned();
    let health: serde_json::Value = reqwest::get(format!("http://{addr}/health"))
        .await
        .and_then(|r| r.error_for_status())
        .unwrap_or_else(|e| panic!("{e}"))
        .json()
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(health["status"], "ok");
    assert!(dir.path().join("data/idp.db").exists());
    let key = dir.path().join("data/encryption.key");
    let mode = std::fs::metadata(&key)
        .unwrap_or_else(|e| panic!("{e}"))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&key).unwrap_or_default().len(), 64);

    let term = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status();
    assert!(term.is_ok_and(|s| s.success()));
    let mut status = None;
    for _ in 0..100 {
        if let Ok(Some(s)) = child.try_wait() {
            status = Some(s);
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let status = status.unwrap_or_else(|| {
        let _ = child.kill();
        panic!("server did not stop on SIGTERM")
    });
    assert!(status.success(), "SIGTERM should exit 0, got {status}");
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        use std::io::Read;
        let _ = e.read_to_string(&mut stderr);
    }
    assert!(
        stderr.contains("DEVELOPMENT MODE"),
        "no loud warning: {stderr}"
    );
}

#[test]
fn malformed_encryption_key_is_named_and_nothing_is_created() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let last = failed_start(idp_command(dir.path()).env("ENCRYPTION_KEY", "not-hex"));
    assert!(last.starts_with("error: ENCRYPTION_KEY:"), "{last}");
    assert!(
        !dir.path().join("data").exists(),
        "a database was created despite the bad key"
    );
}

#[test]
fn unusable_database_url_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join("file"), "x").unwrap_or_else(|e| panic!("{e}"));
    // The parent "directory" is a regular file.
    let last = failed_start(
        idp_command(dir.path())
            .env("DATABASE_URL", "sqlite:./file/idp.db")
            .env("SERVER_PORT", "0"),
    );
    assert!(last.starts_with("error: DATABASE_URL:"), "{last}");
}

#[test]
fn port_taken_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let port = taken.local_addr().map(|a| a.port()).unwrap_or_default();
    let last = failed_start(
        idp_command(dir.path())
            .env("SERVER_PORT", port.to_string())
            .env("ENCRYPTION_KEY", "ab".repeat(32)),
    );
    assert!(last.starts_with("error: SERVER_PORT:"), "{last}");
    assert!(last.contains("in use"), "{last}");
}

#[test]
fn malformed_port_is_named() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let last = failed_start(idp_command(dir.path()).env("SERVER_PORT", "eighty"));
    assert!(last.starts_with("error: SERVER_PORT:"), "{last}");
}

#[test]
fn settings_are_read_from_dot_env() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(dir.path().join(".env"), "ENCRYPTION_KEY=zz\n")
        .unwrap_or_else(|e| panic!("{e}"));
    let last = failed_start(&mut idp_command(dir.path()));
    assert!(last.starts_with("error: ENCRYPTION_KEY:"), "{last}");
}
