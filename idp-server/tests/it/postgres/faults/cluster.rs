//! A private PostgreSQL cluster for the outage test: initdb and pg_ctl of
//! the installed PostgreSQL 15, run as `postgres`, on a free port of
//! 127.0.0.1, in a temporary directory.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;

/// Where Debian puts PostgreSQL 15's server programs.
const PG_BIN: &str = "/usr/lib/postgresql/15/bin";

/// A PostgreSQL cluster of this test's own, in a temporary directory owned
/// by `postgres` (the tests run as root; PostgreSQL refuses to), on a free
/// port of 127.0.0.1, so that it can be stopped without disturbing the
/// shared server. Dropping it stops it and removes its files.
pub struct PrivateCluster {
    dir: TempDir,
    port: u16,
    running: bool,
}

impl PrivateCluster {
    /// A new cluster, started; `None` (one line printed) when it cannot be
    /// had here, unless `IDP_REQUIRE_POSTGRES=1`.
    pub fn create() -> Option<Self> {
        match Self::try_create() {
            Ok(cluster) => Some(cluster),
            Err(why) if std::env::var("IDP_REQUIRE_POSTGRES").as_deref() == Ok("1") => {
                panic!("a private PostgreSQL cluster is required (IDP_REQUIRE_POSTGRES=1): {why}")
            }
            Err(why) => {
                eprintln!("skipped: no private PostgreSQL cluster ({why})");
                None
            }
        }
    }

    fn try_create() -> Result<Self, String> {
        for program in ["initdb", "pg_ctl"] {
            let path = Path::new(PG_BIN).join(program);
            if !path.exists() {
                return Err(format!("{} is missing", path.display()));
            }
        }
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let owner = dir.path().metadata().map_err(|e| e.to_string())?.uid();
        if owner != 0 {
            return Err("not running as root (initdb must run as postgres)".into());
        }
        run(Command::new("chown").arg("postgres:").arg(dir.path()))?;
        let data = dir.path().join("data");
        run(as_postgres("initdb")
            .args(["-A", "trust", "-U", "postgres", "-D"])
            .arg(&data))?;
        let mut cluster = Self {
            dir,
            port: 0,
            running: false,
        };
        // A port found free may be taken before the server binds it: retry.
        let mut last = String::new();
        for _ in 0..3 {
            cluster.port = free_port();
            match cluster.try_start() {
                Ok(()) => return Ok(cluster),
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    /// `postgres://postgres@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    fn data(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    fn try_start(&mut self) -> Result<(), String> {
        let options = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port,
            self.dir.path().display()
        );
        run(as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-o", &options, "-l"])
            .arg(self.dir.path().join("log"))
            .args(["-w", "start"]))
        .map_err(|e| format!("{e}\n{}", self.log()))?;
        self.running = true;
        Ok(())
    }

    /// Starts the cluster again; returns once it accepts connections.
    pub fn start(&mut self) {
        self.try_start()
            .unwrap_or_else(|e| panic!("pg_ctl start: {e}"));
    }

    /// Stops the cluster (`-m fast`: sessions are ended, as in a restart).
    pub fn stop(&mut self) {
        run(as_postgres("pg_ctl")
            .arg("-D")
            .arg(self.data())
            .args(["-m", "fast", "-w", "stop"]))
        .unwrap_or_else(|e| panic!("pg_ctl stop: {e}\n{}", self.log()));
        self.running = false;
    }

    /// The server's log so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("log")).unwrap_or_default()
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        if self.running {
            let _ = as_postgres("pg_ctl")
                .arg("-D")
                .arg(self.data())
                .args(["-m", "immediate", "-w", "stop"])
                .output();
        }
    }
}

/// `runuser -u postgres -- {PG_BIN}/{program}`.
fn as_postgres(program: &str) -> Command {
    let mut cmd = Command::new("runuser");
    cmd.args(["-u", "postgres", "--"])
        .arg(Path::new(PG_BIN).join(program));
    cmd
}

/// Runs `cmd`; its output when it fails.
fn run(cmd: &mut Command) -> Result<(), String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{cmd:?}: {}: {}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// A port nobody listens on right now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}
