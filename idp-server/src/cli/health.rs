//! `idp-server health [--url URL]`: asks a running server whether it is
//! ready (`GET /health/ready`) and exits 0 if it answers 200, 1 otherwise.
//!
//! It exists for container `HEALTHCHECK`s: the runtime image has no curl,
//! and the binary that serves is the one that probes. It never opens the
//! database; it only speaks HTTP to the server.

use super::CliError;
use crate::config::{Config, Flags};
use std::time::Duration;

/// How long the probe waits for an answer (Docker's own timeout is longer).
const PROBE_TIMEOUT: Duration = Duration::from_secs(5);

/// `health`'s options. Without `--url` it probes the address `serve` binds
/// with the same settings (`SERVER_HOST`, `SERVER_PORT`, and https when
/// `TLS_CERT_FILE` is set).
#[derive(clap::Args, Debug)]
pub struct HealthArgs {
    /// URL to probe (default: /health/ready on SERVER_HOST:SERVER_PORT, loopback for a wildcard host)
    #[arg(long)]
    pub url: Option<String>,
    /// The server's address, when not SERVER_HOST [default: 127.0.0.1]
    #[arg(long, conflicts_with = "url")]
    pub host: Option<String>,
    /// The server's port, when not SERVER_PORT [default: 3000]
    #[arg(long, conflicts_with = "url")]
    pub port: Option<String>,
}

/// Probes; every failure, a bad setting included, is exit status 1 (Docker
/// reserves 2).
pub(super) async fn run(args: &HealthArgs) -> Result<(), CliError> {
    probe(args)
        .await
        .map_err(|e| CliError::Failed(e.to_string()))
}

async fn probe(args: &HealthArgs) -> Result<(), CliError> {
    let config = Config::resolve(&Flags {
        host: args.host.clone(),
        port: args.port.clone(),
        ..Flags::default()
    })?;
    let derived = args.url.is_none();
    let url = args.url.clone().unwrap_or_else(|| local_ready_url(&config));
    let client = reqwest::Client::builder()
        .timeout(PROBE_TIMEOUT)
        // The derived URL is the server's own loopback address, which its
        // certificate does not name. The probe sends no credential and reads
        // only a status, so a certificate mismatch there proves nothing.
        .danger_accept_invalid_certs(derived && config.tls.is_some())
        .build()
        .map_err(|e| CliError::Failed(format!("cannot build the HTTP client: {e}")))?;
    let res = client
        .get(&url)
        .send()
        .await
        .map_err(|e| CliError::Failed(format!("{url}: no answer: {e}")))?;
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    if status.is_success() {
        println!("{body}");
        Ok(())
    } else {
        Err(CliError::Failed(format!(
            "{url}: not ready ({status}): {}",
            body.trim()
        )))
    }
}

/// `/health/ready` on the address `serve` binds with this configuration; a
/// wildcard host (`0.0.0.0`, `::`) is probed on loopback.
fn local_ready_url(config: &Config) -> String {
    let scheme = if config.tls.is_some() {
        "https"
    } else {
        "http"
    };
    let host = match config.host.trim() {
        "" | "0.0.0.0" => "127.0.0.1".to_owned(),
        "::" | "[::]" => "[::1]".to_owned(),
        h if h.contains(':') && !h.starts_with('[') => format!("[{h}]"),
        h => h.to_owned(),
    };
    format!("{scheme}://{host}:{}/health/ready", config.port)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_hosts_are_probed_on_loopback() {
        let mut config = Config::for_tests("sqlite:x.db".into(), "00".repeat(32));
        config.port = 3000;
        for (host, want) in [
            ("0.0.0.0", "http://127.0.0.1:3000/health/ready"),
            ("::", "http://[::1]:3000/health/ready"),
            ("127.0.0.1", "http://127.0.0.1:3000/health/ready"),
            ("::1", "http://[::1]:3000/health/ready"),
            ("idp.internal", "http://idp.internal:3000/health/ready"),
        ] {
            config.host = host.to_owned();
            assert_eq!(local_ready_url(&config), want, "{host}");
        }
    }
}
