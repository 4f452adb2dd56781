//! A closed-loop load: `concurrency` tasks each send one request at a time,
//! taking the next single-use input, until the time is up or the inputs run
//! out. Latency is measured per request, send to full body.

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// What a load measured.
pub struct Outcome {
    pub ok: usize,
    pub errors: usize,
    pub secs: f64,
    /// Microseconds per successful request, sorted.
    pub latencies: Vec<u32>,
    /// The first error seen, to print.
    pub first_error: Option<String>,
}

impl Outcome {
    fn percentile_ms(&self, p: f64) -> f64 {
        if self.latencies.is_empty() {
            return 0.0;
        }
        let i = ((self.latencies.len() as f64 - 1.0) * p).round() as usize;
        f64::from(self.latencies[i]) / 1000.0
    }

    /// Prints the JSON line run.sh reads.
    pub fn print(&self, name: &str) {
        println!(
            "{}",
            serde_json::json!({
                "name": name,
                "ok": self.ok,
                "errors": self.errors,
                "secs": self.secs,
                "rps": self.ok as f64 / self.secs.max(1e-9),
                "p50_ms": self.percentile_ms(0.50),
                "p99_ms": self.percentile_ms(0.99),
                "first_error": self.first_error,
            })
        );
    }
}

/// Runs `request(i)` for inputs `0..inputs` with `concurrency` in flight
/// for at most `secs`. `request` answers `Err(description)` on failure.
pub async fn run<F, Fut>(inputs: usize, concurrency: usize, secs: u64, request: F) -> Outcome
where
    F: Fn(usize) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), String>> + Send + 'static,
{
    let next = Arc::new(AtomicUsize::new(0));
    let request = Arc::new(request);
    let start = Instant::now();
    let deadline = start + Duration::from_secs(secs);
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let (next, request) = (Arc::clone(&next), Arc::clone(&request));
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                let mut errors = 0usize;
                let mut first_error = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= inputs || Instant::now() >= deadline {
                        break;
                    }
                    let t0 = Instant::now();
                    match request(i).await {
                        Ok(()) => latencies
                            .push(u32::try_from(t0.elapsed().as_micros()).unwrap_or(u32::MAX)),
                        Err(e) => {
                            errors += 1;
                            first_error.get_or_insert(e);
                        }
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut out = Outcome {
        ok: 0,
        errors: 0,
        secs: 0.0,
        latencies: Vec::new(),
        first_error: None,
    };
    for t in tasks {
        if let Ok((lat, errors, first)) = t.await {
            out.latencies.extend(lat);
            out.errors += errors;
            if out.first_error.is_none() {
                out.first_error = first;
            }
        }
    }
    out.secs = start.elapsed().as_secs_f64();
    out.ok = out.latencies.len();
    out.latencies.sort_unstable();
    if inputs <= next.load(Ordering::Relaxed) {
        eprintln!("note: the {inputs} minted inputs ran out before the time limit");
    }
    out
}
