//! Password hashing (argon2id, 19 MiB per hash) on a few dedicated threads,
//! one per core, instead of tokio's blocking pool.
//!
//! Why (issue 5, BENCHMARKS.md): on the blocking pool every hash could land
//! on another of its many threads, and glibc keeps a freed 19 MiB block in
//! the arena of the thread that used it, so a burst of logins grew the
//! process to ~800 MiB although at most two hashes ran at a time. With a
//! fixed set of threads the memory is bounded by their number, and more
//! threads than cores would add memory, not throughput: argon2id is pure CPU.

use idp_core::Offload;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc::{Receiver, channel};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

type Job = (Box<dyn FnOnce() + Send>, oneshot::Sender<()>);

/// An [`Offload`] running jobs in order on `available_parallelism` threads.
/// If no thread can be started, jobs run inline (slow, but correct).
pub fn offload() -> Offload {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let (tx, rx) = channel::<Job>();
    let rx = Arc::new(Mutex::new(rx));
    let mut started = 0;
    for i in 0..threads {
        let rx = Arc::clone(&rx);
        let spawned = std::thread::Builder::new()
            .name(format!("password-{i}"))
            .spawn(move || work(&rx));
        if spawned.is_ok() {
            started += 1;
        }
    }
    if started == 0 {
        tracing::warn!("no password-hashing thread could be started; hashing inline");
        return Arc::new(|job| {
            job();
            Box::pin(async {})
        });
    }
    let tx = Mutex::new(tx);
    Arc::new(move |job| {
        let (done, finished) = oneshot::channel();
        let sent = tx
            .lock()
            .map(|tx| tx.send((job, done)).is_ok())
            .unwrap_or(false);
        Box::pin(async move {
            // A job that was not queued, or that panicked, ends here
            // without a result; the provider then answers a server error.
            if sent {
                let _ = finished.await;
            }
        })
    })
}

/// A worker: takes jobs until every sender is gone.
fn work(rx: &Mutex<Receiver<Job>>) {
    loop {
        let next = match rx.lock() {
            Ok(rx) => rx.recv(),
            Err(_) => return,
        };
        let Ok((job, done)) = next else { return };
        // A panicking job must not take the thread (and the pool) with it.
        if catch_unwind(AssertUnwindSafe(job)).is_ok() {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn jobs_run_off_the_caller_and_complete() {
        let pool = offload();
        let caller = std::thread::current().id();
        let ran_on = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&ran_on);
        pool(Box::new(move || {
            if let Ok(mut s) = slot.lock() {
                *s = Some(std::thread::current().id());
            }
        }))
        .await;
        let ran_on = ran_on.lock().ok().and_then(|s| *s);
        assert!(ran_on.is_some_and(|t| t != caller), "{ran_on:?}");
        // A panicking job does not stop later ones.
        pool(Box::new(|| panic!("boom"))).await;
        let after = Arc::new(Mutex::new(false));
        let flag = Arc::clone(&after);
        pool(Box::new(move || {
            if let Ok(mut f) = flag.lock() {
                *f = true;
            }
        }))
        .await;
        assert!(after.lock().is_ok_and(|f| *f));
    }
}
