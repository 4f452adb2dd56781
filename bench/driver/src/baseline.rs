//! The bare cost of the cryptography the endpoints are bounded by, measured
//! in the same run and on the same core as the server, so that a figure can
//! be quoted as a fraction of it.

use idp_core::crypto::password;
use idp_core::jwks::{SigningAlg, SigningKey};
use std::time::{Duration, Instant};

/// Signing input of a typical token (header + claims, base64url): ~420 bytes.
const INPUT: [u8; 420] = [b'a'; 420];

/// Prints `{"name":"sign ALG","rps":N}`.
pub fn sign_rate(alg: &str, secs: u64) -> anyhow::Result<()> {
    let alg = SigningAlg::parse(alg).ok_or_else(|| anyhow::anyhow!("unknown alg {alg}"))?;
    let (key, _) = SigningKey::generate(alg).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (n, elapsed) = repeat(Duration::from_secs(secs), || {
        let _ = std::hint::black_box(key.sign(std::hint::black_box(&INPUT)));
    });
    println!(
        "{}",
        serde_json::json!({"name": format!("sign {}", alg.as_str()), "rps": n as f64 / elapsed})
    );
    Ok(())
}

/// Prints `{"name":"argon2id verify","rps":N}` over `threads` threads.
pub fn hash_rate(secs: u64, threads: usize) -> anyhow::Result<()> {
    let phc = password::hash("bench-password").map_err(|e| anyhow::anyhow!("{e}"))?;
    let start = Instant::now();
    let total: u64 = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads.max(1))
            .map(|_| {
                let phc = phc.as_str();
                s.spawn(move || {
                    repeat(Duration::from_secs(secs), || {
                        assert!(password::verify("bench-password", phc));
                    })
                    .0
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap_or(0)).sum()
    });
    let elapsed = start.elapsed().as_secs_f64();
    println!(
        "{}",
        serde_json::json!({"name": "argon2id verify", "rps": total as f64 / elapsed, "threads": threads})
    );
    Ok(())
}

/// Runs `f` for `limit`; returns how many times and the seconds spent.
fn repeat(limit: Duration, mut f: impl FnMut()) -> (u64, f64) {
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < limit {
        for _ in 0..8 {
            f();
        }
        n += 8;
    }
    (n, start.elapsed().as_secs_f64())
}
