//! Graceful shutdown of the real process: on SIGTERM or SIGINT it stops
//! accepting, lets the request in flight finish with its normal answer,
//! checkpoints the WAL and exits 0; a request that never finishes holds it
//! no longer than the grace period.

use super::load::*;
use crate::support::*;
use std::path::Path;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long in-flight requests get (server.rs `SHUTDOWN_GRACE`), plus the
/// slack a loaded test machine needs.
const GRACE: Duration = Duration::from_secs(10);
const SLACK: Duration = Duration::from_secs(3);

/// A server with a client-credentials client, and a token request to it
/// whose headers are sent and whose body is not.
async fn half_sent_token_request(dir: &Path) -> (ServerProcess, TcpStream, Vec<u8>) {
    let server = ServerProcess::spawn(dir, &[]);
    server.cli_json(&["tenant", "create", "acme", "--json"], None);
    let client = cli_client(&server, "acme");
    let endpoints = discover(&server.issuer("acme")).await;
    let path = url::Url::parse(&endpoints.token)
        .expect("token endpoint URL")
        .path()
        .to_owned();
    let body = format!(
        "grant_type=client_credentials&client_id={}&client_secret={}",
        form_encode(&client.client_id),
        form_encode(client.client_secret.as_deref().unwrap_or_default())
    )
    .into_bytes();
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .expect("connect");
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: localhost:{}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n\r\n",
        server.port,
        body.len()
    );
    stream.write_all(head.as_bytes()).await.expect("send head");
    let half = body.len() / 2;
    stream.write_all(&body[..half]).await.expect("send body");
    // Let the server read the head and start waiting for the body.
    tokio::time::sleep(Duration::from_millis(300)).await;
    (server, stream, body[half..].to_vec())
}

/// Waits until connecting to `port` is refused: the listener is closed.
async fn wait_until_refused(port: u16, limit: Duration) -> bool {
    let started = Instant::now();
    while started.elapsed() < limit {
        if TcpStream::connect(("127.0.0.1", port)).await.is_err() {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    false
}

async fn slow_request_survives(signal: &str) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut server, mut stream, rest) = half_sent_token_request(dir.path()).await;
    let wal = db_path(&server.database_url).with_extension("db-wal");
    let wal_before = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert!(wal_before > 0, "nothing in the WAL to checkpoint");
    let signalled = Instant::now();
    server.signal(signal);
    assert!(
        wait_until_refused(server.port, Duration::from_secs(5)).await,
        "SIG{signal}: new connections were still accepted"
    );
    assert!(
        server.wait_exit(Duration::ZERO).await.is_none(),
        "SIG{signal}: the process exited with a request in flight"
    );

    // The request in flight completes with its normal answer.
    stream.write_all(&rest).await.expect("send the rest");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut answer))
        .await
        .expect("the answer within the grace period")
        .expect("read the answer");
    let answer = String::from_utf8_lossy(&answer);
    assert!(
        answer.starts_with("HTTP/1.1 200"),
        "SIG{signal}: in-flight request: {answer}"
    );
    assert!(answer.contains("\"access_token\""), "{answer}");
    let finished = Instant::now();

    let status = server.wait_exit(GRACE + SLACK).await.unwrap_or_else(|| {
        panic!(
            "SIG{signal}: still running {:?} after the signal",
            GRACE + SLACK
        )
    });
    assert!(status.success(), "SIG{signal}: exit status {status}");
    eprintln!(
        "SIG{signal}: exited {:?} after the signal, {:?} after the last request finished",
        signalled.elapsed(),
        finished.elapsed()
    );
    assert!(
        finished.elapsed() < SLACK,
        "SIG{signal}: took {:?} to exit after the last request finished",
        finished.elapsed()
    );
    let logs = server.logs();
    assert!(logs.contains("shutting down"), "{logs}");
    // The final checkpoint emptied the WAL (or the last connection removed it).
    let wal_len = std::fs::metadata(&wal).map(|m| m.len()).unwrap_or(0);
    assert_eq!(
        wal_len,
        0,
        "SIG{signal}: {} not checkpointed",
        wal.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_a_slow_request_finish_then_exits_0_with_the_wal_checkpointed() {
    slow_request_survives("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigint_lets_a_slow_request_finish_then_exits_0_with_the_wal_checkpointed() {
    slow_request_survives("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_that_never_finishes_holds_shutdown_no_longer_than_the_grace_period() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let (mut server, _stream, _never_sent) = half_sent_token_request(dir.path()).await;
    let signalled = Instant::now();
    server.signal("TERM");
    let status = server
        .wait_exit(GRACE + SLACK)
        .await
        .expect("exited within the grace period");
    assert!(status.success(), "exit status {status}");
    assert!(
        signalled.elapsed() >= GRACE - Duration::from_secs(1),
        "exited after {:?}: the stuck request was not given its grace",
        signalled.elapsed()
    );
}
