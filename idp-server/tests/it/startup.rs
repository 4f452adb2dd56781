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

/// Runs `cmd` to its end, or kills it after ten seconds and fails: a start
/// that should have been refused must not be left serving.
fn bounded(cmd: &mut Command) -> std::process::Output {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("spawn: {e}"));
    let pid = child.id();
    let (done, finished) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = done.send(child.wait_with_output());
    });
    match finished.recv_timeout(Duration::from_secs(10)) {
        Ok(out) => out.unwrap_or_else(|e| panic!("wait: {e}")),
        Err(_) => {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
            panic!("still running after 10 s: the start was not refused");
        }
    }
}

/// Everything in `dir`, for "nothing was created".
fn entries(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[cfg(feature = "postgres")]
#[test]
fn an_unreachable_postgres_url_fails_fast_and_creates_nothing() {
    // Port 1 on loopback refuses at once: no PostgreSQL there.
    for url in [
        "postgres://postgres@127.0.0.1:1/idp",
        "postgresql://idp:secret@127.0.0.1:1/idp",
    ] {
        for args in [
            &[][..],
            &["serve"],
            &["tenant", "create", "acme"],
            &["backup", "copy.db"],
        ] {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let out = bounded(
                idp_command(dir.path())
                    .args(args)
                    .env("DATABASE_URL", url)
                    .env("SERVER_PORT", "0"),
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("");
            assert!(!out.status.success(), "{url} {args:?} was accepted");
            assert!(
                last.starts_with("error: DATABASE_URL: cannot connect to PostgreSQL at postgres"),
                "{url} {args:?}: {stderr}"
            );
            assert!(
                !last.contains("secret"),
                "the password is never shown: {last}"
            );
            assert_eq!(stderr.lines().count(), 1, "{stderr}");
            // serve: could not start (1); a command: database unavailable (5).
            let expected = if args.is_empty() || args == ["serve"] {
                1
            } else {
                5
            };
            assert_eq!(out.status.code(), Some(expected), "{url} {args:?}");
            assert!(
                entries(dir.path()).is_empty(),
                "{url} {args:?} created {:?}",
                entries(dir.path())
            );
        }
    }
}

#[test]
fn an_unknown_scheme_is_named_with_the_accepted_ones() {
    for url in ["mysql://root@127.0.0.1/idp", "file:idp.db", "redis://cache"] {
        for args in [&[][..], &["tenant", "list"]] {
            let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
            let out = bounded(
                idp_command(dir.path())
                    .args(args)
                    .env("DATABASE_URL", url)
                    .env("SERVER_PORT", "0"),
            );
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("");
            assert!(!out.status.success(), "{url} {args:?} was accepted");
            assert!(
                last.starts_with("error: DATABASE_URL: unknown scheme"),
                "{last}"
            );
            for accepted in ["sqlite:PATH", "postgres://", "postgresql://"] {
                assert!(last.contains(accepted), "{last}");
            }
            assert!(entries(dir.path()).is_empty(), "{url} {args:?}");
        }
    }
}

#[test]
fn every_sqlite_form_of_today_still_opens() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let abs = dir.path().join("abs.db");
    for (url, file) in [
        ("sqlite:./a/idp.db".to_owned(), dir.path().join("a/idp.db")),
        (
            "sqlite://./b/idp.db".to_owned(),
            dir.path().join("b/idp.db"),
        ),
        (format!("sqlite://{}", abs.display()), abs.clone()),
        ("./c/idp.db".to_owned(), dir.path().join("c/idp.db")),
        ("d.db".to_owned(), dir.path().join("d.db")),
    ] {
        let out = bounded(
            idp_command(dir.path())
                .args(["tenant", "list"])
                .env("DATABASE_URL", &url)
                .env("ENCRYPTION_KEY", "ab".repeat(32)),
        );
        assert!(
            out.status.success(),
            "{url}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(file.exists(), "{url} did not create {}", file.display());
    }
}

#[tokio::test]
async fn a_store_opened_by_the_caller_serves() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
    let store = idp_store_sqlite::SqliteStore::open(&dir.path().join("idp.db").to_string_lossy())
        .unwrap_or_else(|e| panic!("{e}"));
    // The configured URL is not read: the caller's store serves.
    let config = idp_server::config::Config::for_tests(
        "postgres://nowhere/idp".into(),
        crate::support::KEY_HEX.into(),
    );
    let server = idp_server::server::start_with(config, store)
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    let ready = reqwest::get(format!("http://{}/health/ready", server.addr))
        .await
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ready.status(), 200);
    server.shutdown().await;
}
