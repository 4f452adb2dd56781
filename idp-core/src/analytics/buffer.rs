//! Write-behind recording of sign-in events: the login path pushes an
//! event into [`SignInBuffer`] (one short mutex hold, no I/O), and
//! [`Provider::flush_sign_ins`] writes what has gathered, one transaction
//! per tenant.
//!
//! Invariants:
//! - the buffer never holds more than [`BUFFER_CAPACITY`] events: past it,
//!   new events are dropped and counted ([`FlushReport::dropped`]), so a
//!   store that is down costs bounded memory (about 200 bytes an event);
//! - a flush that fails because the store is unavailable puts its events
//!   back (within the capacity) for the next flush; one the store refuses
//!   for good (the tenant was deleted meanwhile) is dropped and counted.

use super::{FailureReason, SignInMethod};
use crate::ids::{ClientId, TenantId, UserId};
use crate::provider::Provider;
use crate::store::{SignInEvent, Store, StoreError};
use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

/// Events held at most between two flushes: at one flush every five
/// seconds, 2,000 sign-ins a second before any is dropped.
pub const BUFFER_CAPACITY: usize = 10_000;

/// The events not yet written.
#[derive(Debug, Default)]
pub struct SignInBuffer {
    pending: Mutex<Vec<(TenantId, SignInEvent)>>,
    dropped: AtomicU64,
}

impl SignInBuffer {
    /// Adds one event, or counts it dropped if the buffer is full.
    fn push(&self, tenant: TenantId, event: SignInEvent) {
        let Ok(mut pending) = self.pending.lock() else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        if pending.len() < BUFFER_CAPACITY {
            pending.push((tenant, event));
        } else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Takes every pending event.
    fn take(&self) -> Vec<(TenantId, SignInEvent)> {
        self.pending
            .lock()
            .map(|mut p| std::mem::take(&mut *p))
            .unwrap_or_default()
    }

    /// Puts back events a flush could not write, oldest first, within the
    /// capacity; returns how many did not fit.
    fn put_back(&self, events: Vec<(TenantId, SignInEvent)>) -> u64 {
        let Ok(mut pending) = self.pending.lock() else {
            return events.len() as u64;
        };
        let room = BUFFER_CAPACITY.saturating_sub(pending.len());
        let lost = events.len().saturating_sub(room) as u64;
        let newer = std::mem::take(&mut *pending);
        pending.extend(events.into_iter().take(room));
        pending.extend(newer);
        lost
    }

    /// How many events wait.
    pub fn len(&self) -> usize {
        self.pending.lock().map(|p| p.len()).unwrap_or(0)
    }

    /// Whether none waits.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What one flush did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FlushReport {
    /// Events written.
    pub written: u64,
    /// Events lost since the previous flush (buffer full, or refused by
    /// the store).
    pub dropped: u64,
    /// Events put back for the next flush (the store was unavailable).
    pub retained: u64,
}

/// How a sign-in ended, as the login path tells it.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Outcome<'a> {
    /// Signed in as this user.
    Succeeded(&'a UserId),
    /// Failed, for this reason; the account if one was found.
    Failed(FailureReason, Option<&'a UserId>),
}

impl<S: Store> Provider<S> {
    /// Records one sign-in attempt (write-behind: see the module).
    pub(crate) fn record_sign_in(
        &self,
        tenant: &TenantId,
        client: &ClientId,
        method: SignInMethod,
        outcome: Outcome<'_>,
    ) {
        let (failure, user) = match outcome {
            Outcome::Succeeded(user) => (None, Some(user)),
            Outcome::Failed(reason, user) => (Some(reason.as_str().to_owned()), user),
        };
        self.sign_ins.push(
            tenant.clone(),
            SignInEvent {
                time: self.clock.now(),
                failure,
                client_id: Some(client.clone()),
                method: method.as_str().to_owned(),
                user_id: user.cloned(),
            },
        );
    }

    /// Writes the recorded sign-in events, one transaction per tenant.
    /// Call it every few seconds, and once more at shutdown.
    pub async fn flush_sign_ins(&self) -> FlushReport {
        let mut report = FlushReport {
            dropped: self.sign_ins.dropped.swap(0, Ordering::Relaxed),
            ..FlushReport::default()
        };
        let mut by_tenant: BTreeMap<TenantId, Vec<SignInEvent>> = BTreeMap::new();
        for (tenant, event) in self.sign_ins.take() {
            by_tenant.entry(tenant).or_default().push(event);
        }
        let mut retry = Vec::new();
        for (tenant, events) in by_tenant {
            match self.store.append_sign_ins(&tenant, &events).await {
                Ok(()) => report.written += events.len() as u64,
                Err(StoreError::Unavailable(e)) => {
                    tracing::warn!(error = %e, "sign-in events kept for the next flush");
                    retry.extend(events.into_iter().map(|e| (tenant.clone(), e)));
                }
                Err(e) => {
                    tracing::warn!(tenant = %tenant, error = %e, "sign-in events dropped");
                    report.dropped += events.len() as u64;
                }
            }
        }
        report.retained = retry.len() as u64;
        report.dropped += self.sign_ins.put_back(retry);
        report
    }

    /// The events waiting for the next flush.
    pub fn pending_sign_ins(&self) -> usize {
        self.sign_ins.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(n: i64) -> (TenantId, SignInEvent) {
        (
            TenantId::new("t"),
            SignInEvent {
                time: n,
                failure: None,
                client_id: None,
                method: "password".into(),
                user_id: None,
            },
        )
    }

    #[test]
    fn a_full_buffer_drops_and_counts() {
        let b = SignInBuffer::default();
        for n in 0..(BUFFER_CAPACITY as i64 + 3) {
            let (t, e) = event(n);
            b.push(t, e);
        }
        assert_eq!(b.len(), BUFFER_CAPACITY);
        assert_eq!(b.dropped.load(Ordering::Relaxed), 3);
    }

    /// The figure issue 17 asks for: what recording adds to a sign-in,
    /// beside the password check every sign-in pays, measured in the same
    /// run. Printed (`--nocapture`) and bounded at 1%; in a debug build
    /// both sides are unoptimised.
    #[test]
    fn recording_is_cheap_beside_the_password_check() {
        const EVENTS: u32 = 5_000;
        let b = SignInBuffer::default();
        let (tenant, client, user) = (
            TenantId::new("t_4f9d2c1a7b3e"),
            ClientId::new("c_5mQz2kq8Jr1"),
            UserId::new("u_8c4f2a9b1d3e"),
        );
        let started = std::time::Instant::now();
        for n in 0..EVENTS {
            // What `record_sign_in` does: build the event, push it.
            b.push(
                tenant.clone(),
                SignInEvent {
                    time: i64::from(n),
                    failure: None,
                    client_id: Some(client.clone()),
                    method: SignInMethod::Password.as_str().to_owned(),
                    user_id: Some(user.clone()),
                },
            );
        }
        let record = started.elapsed() / EVENTS;
        let phc = crate::crypto::password::hash("correct horse").unwrap_or_default();
        let started = std::time::Instant::now();
        assert!(crate::crypto::password::verify("correct horse", &phc));
        let verify = started.elapsed();
        let ratio = record.as_secs_f64() / verify.as_secs_f64();
        eprintln!(
            "recording a sign-in: {record:?}; argon2id verify: {verify:?}; ratio {ratio:.1e}"
        );
        assert!(ratio < 0.01, "{record:?} against {verify:?}");
        assert_eq!(b.len(), EVENTS as usize);
    }

    #[test]
    fn put_back_keeps_order_within_capacity() {
        let b = SignInBuffer::default();
        let (t, e) = event(100);
        b.push(t, e);
        let lost = b.put_back(vec![event(1), event(2)]);
        assert_eq!(lost, 0);
        let times: Vec<i64> = b.take().into_iter().map(|(_, e)| e.time).collect();
        assert_eq!(times, [1, 2, 100]);
        for n in 0..BUFFER_CAPACITY as i64 {
            let (t, e) = event(n);
            b.push(t, e);
        }
        assert_eq!(b.put_back(vec![event(1), event(2)]), 2);
    }
}
