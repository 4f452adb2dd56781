//! The headline: an attacker at full speed against the defaults.

use super::*;
use std::time::{Duration, Instant};

/// What one address can add to the database (file and WAL) in a minute
/// with the default limits: `RATE_LIMIT_PENDING_INTERACTIONS_IP` (50)
/// interactions of at most 16 KiB, each costing at most 64 KiB on disk
/// (written to the WAL, then to the file, with its b-tree and index pages).
/// The cap holds at any moment, so the same bound holds for any minute.
const BOUND_PER_MINUTE: u64 = 50 * 64 * 1024;

/// How long the attack runs: long enough for today's code to store tens
/// of megabytes (the report measured about 40 MB/s).
const ATTACK: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_attacker_at_full_speed_grows_the_database_by_less_than_the_bound() {
    let env = Env::with_server(TestServer::start_config(exposed).await).await;
    let before = env.server.db_bytes();
    // Two kinds of request, two senders each: the largest the bounds
    // allow, and the 62 KB one of the report.
    let largest = auth_url(
        &env,
        &"s".repeat(4096),
        &[
            ("nonce", &"n".repeat(512)),
            ("login_hint", &"h".repeat(512)),
        ],
    );
    let huge = "x".repeat(31_000);
    let form = auth_request(&env, &huge, &[("nonce", &huge)])
        .params()
        .to_vec();
    let deadline = Instant::now() + ATTACK;
    let mut senders = Vec::new();
    for n in 0..4 {
        let (largest, form) = (largest.clone(), form.clone());
        let endpoint = env.endpoints.authorization.clone();
        senders.push(tokio::spawn(async move {
            let http = plain_client();
            let mut statuses = Vec::new();
            // Bounded either way: by the deadline, and by a count.
            while Instant::now() < deadline && statuses.len() < 100_000 {
                let req = if n % 2 == 0 {
                    http.get(largest.as_str())
                } else {
                    http.post(endpoint.as_str()).form(&form)
                };
                let status = req.send().await.expect("the server answers").status();
                statuses.push(status);
            }
            statuses
        }));
    }
    let mut statuses = Vec::new();
    for s in senders {
        statuses.extend(s.await.expect("sender"));
    }
    let grown = env.server.db_bytes().saturating_sub(before);
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(
        grown < BOUND_PER_MINUTE,
        "{} requests ({refused} refused) grew the database by {grown} bytes",
        statuses.len()
    );
    eprintln!(
        "MEASURE {} requests ({refused} refused) grew {grown} bytes, {} interactions",
        statuses.len(),
        interactions(&env.server)
    );
    assert!(interactions(&env.server) <= 50);
    assert!(refused > 0, "{statuses:?}");
}
