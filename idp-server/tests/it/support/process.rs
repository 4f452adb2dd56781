//! The release-style binary as a child process: `idp-server` started with
//! environment settings only, its standard error captured, stopped by a
//! signal. For what only a real process shows: signals, `kill -9`, the log
//! lines it writes, start-up figures.

use super::*;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Settings a test's own environment must never leak into a child server.
const INHERITED_SETTINGS: [&str; 9] = [
    "DATABASE_URL",
    "SERVER_HOST",
    "SERVER_PORT",
    "BASE_URL",
    "ENCRYPTION_KEY",
    "TLS_CERT_FILE",
    "TLS_KEY_FILE",
    "LOG_FORMAT",
    "LOG_LEVEL",
];

/// The `idp-server` binary in `dir`, with none of the settings of the
/// test's own environment: every test says what it sets.
pub fn idp_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_idp-server"));
    cmd.current_dir(dir);
    for s in INHERITED_SETTINGS {
        cmd.env_remove(s);
    }
    cmd
}

/// A running `idp-server` process over a database in `dir`.
pub struct ServerProcess {
    /// The working directory (holds the database unless told otherwise).
    pub dir: PathBuf,
    /// `DATABASE_URL` it was started with.
    pub database_url: String,
    /// BASE_URL it printed (`http://localhost:{port}` unless set).
    pub base_url: String,
    /// The bound port.
    pub port: u16,
    child: Child,
    stderr: Arc<Mutex<String>>,
}

impl ServerProcess {
    /// Starts `idp-server` in `dir` on `{dir}/idp.db`, port 0, the test master
    /// key, and `env` on top (which may override any of those). Waits for the
    /// line announcing the address.
    pub fn spawn(dir: &Path, env: &[(&str, &str)]) -> Self {
        let database_url = env
            .iter()
            .find(|(k, _)| *k == "DATABASE_URL")
            .map(|(_, v)| (*v).to_owned())
            .unwrap_or_else(|| format!("sqlite:{}", dir.join("idp.db").display()));
        let mut cmd = idp_command(dir);
        cmd.env("DATABASE_URL", &database_url)
            .env("ENCRYPTION_KEY", KEY_HEX)
            .env("SERVER_PORT", "0");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the idp-server binary runs");
        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = Arc::clone(&stderr);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    if let Ok(mut s) = sink.lock() {
                        s.push_str(&String::from_utf8_lossy(&buf[..n]));
                    }
                }
            });
        }
        let stdout = child.stdout.take().expect("stdout is piped");
        let mut lines = BufReader::new(stdout).lines();
        let line = match lines.next() {
            Some(Ok(line)) => line,
            _ => {
                let status = child.wait().map(|s| s.to_string()).unwrap_or_default();
                let logs = stderr.lock().map(|s| s.clone()).unwrap_or_default();
                panic!("idp-server exited before listening ({status}): {logs}");
            }
        };
        // Keep draining stdout so the child never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines {});
        // "idp-server listening on http://127.0.0.1:PORT (BASE_URL http://...)"
        let port = line
            .split("://")
            .nth(1)
            .and_then(|s| s.split_whitespace().next())
            .and_then(|addr| addr.rsplit(':').next())
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("no address in {line:?}"));
        let base_url = line
            .split("(BASE_URL ")
            .nth(1)
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no BASE_URL in {line:?}"))
            .to_owned();
        Self {
            dir: dir.to_owned(),
            database_url,
            base_url,
            port,
            child,
            stderr,
        }
    }

    /// Everything the process wrote to standard error so far.
    pub fn logs(&self) -> String {
        self.stderr.lock().map(|s| s.clone()).unwrap_or_default()
    }

    /// Everything written to standard error once it contains `needle`
    /// (the pipe is read by another thread, so a line written before the
    /// address was announced may arrive after it); what there is after
    /// `limit` otherwise.
    pub async fn logs_with(&self, needle: &str, limit: Duration) -> String {
        let started = Instant::now();
        loop {
            let logs = self.logs();
            if logs.contains(needle) || started.elapsed() >= limit {
                return logs;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends `signal` (`TERM`, `INT`, `KILL`) with kill(1).
    pub fn signal(&self, signal: &str) {
        let sent = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
        assert!(
            sent.is_ok_and(|s| s.success()),
            "kill -{signal} {}",
            self.child.id()
        );
    }

    /// Waits up to `limit` for the process to exit.
    pub async fn wait_exit(&mut self, limit: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < limit {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        None
    }

    /// `kill -9`, and reaps the process.
    pub fn kill9(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Cli for ServerProcess {
    fn issuer(&self, slug: &str) -> String {
        format!("{}/t/{slug}", self.base_url)
    }

    /// Runs `idp-server ARGS` on this server's database (a separate process).
    fn cli(&self, args: &[&str], stdin: Option<&str>) -> CliOutput {
        run_cli(&self.dir, &self.database_url, &self.base_url, args, stdin)
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
