//! Keeping the roll-ups: which days a run rebuilds, and which raw events
//! the retention lets go. The store counts ([`AnalyticsStore::roll_up_day`]);
//! the decisions are here.
//!
//! A run rebuilds, per tenant, every day from [`LATE_EVENTS_GRACE`] before
//! its previous run up to today: normally today alone (two days just after
//! midnight). Events reach the store up to a flush interval after they
//! happen, on any instance, so the grace covers them; a rebuild replaces
//! the day's rows, so running twice counts nothing twice. A tenant never
//! rolled up starts from its oldest raw event or its creation, whichever
//! is earlier, at most [`MAX_BACKFILL_DAYS`] back.
//!
//! Raw events older than the retention period are deleted, but never one
//! of a day not yet rebuilt for the last time (before the roll-up's
//! grace), nor any of a tenant never rolled up: a roll-up job that is off
//! keeps the events it has yet to count. The monthly user sets go with the raw events of their month;
//! the counts stay.

use super::calendar::{Day, Month};
use crate::admin::{Admin, AdminError};
use crate::clock::UnixTime;
use crate::store::Store;

/// How far before the previous run a run starts rebuilding, in seconds:
/// well above the flush interval and a clock skew between instances.
pub const LATE_EVENTS_GRACE: i64 = 600;

/// How many days a first roll-up goes back at most.
pub const MAX_BACKFILL_DAYS: i64 = 400;

/// Raw events deleted per statement.
const PURGE_BATCH: u32 = 500;

/// What one roll-up run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RollupReport {
    /// Tenants visited.
    pub tenants: usize,
    /// Day roll-ups rebuilt.
    pub days: usize,
    /// Tenants whose roll-up failed, with the reason; the others are done.
    pub failed: Vec<(String, String)>,
}

/// The days a run at `now` rebuilds for a tenant last rolled up until
/// `previous` (`None`: never; then from `first`, the oldest thing to count).
pub fn days_to_rebuild(
    previous: Option<UnixTime>,
    first: UnixTime,
    now: UnixTime,
) -> impl Iterator<Item = Day> {
    let today = Day::of(now);
    let from = match previous {
        Some(until) => Day::of(until - LATE_EVENTS_GRACE),
        None => Day::of(first),
    }
    .max(today.plus(-MAX_BACKFILL_DAYS))
    .min(today);
    (from.number()..=today.number()).map(Day::from_number)
}

/// The cut-off before which raw events may go at `now`: the retention
/// period, but never past the first day a roll-up will rebuild again;
/// `None` (keep them all) for a tenant never rolled up.
pub fn purge_cutoff(
    retention: i64,
    rolled_until: Option<UnixTime>,
    now: UnixTime,
) -> Option<UnixTime> {
    let until = rolled_until?;
    Some((now - retention.max(0)).min(Day::of(until - LATE_EVENTS_GRACE).start()))
}

impl<S: Store> Admin<S> {
    /// Rebuilds every tenant's recent day roll-ups (see the module).
    /// Idempotent; one tenant's failure does not stop the others.
    pub async fn roll_up_analytics(&self) -> Result<RollupReport, AdminError> {
        let now = self.now();
        let tenants = self.store().list_tenants().await?;
        let mut report = RollupReport {
            tenants: tenants.len(),
            ..RollupReport::default()
        };
        for tenant in &tenants {
            let run = async {
                let previous = self.store().rolled_up_until(&tenant.id).await?;
                let first = match previous {
                    Some(_) => now,
                    None => match self.store().oldest_sign_in(&tenant.id).await? {
                        Some(t) => t.min(tenant.created_at),
                        None => tenant.created_at,
                    },
                };
                let mut days = 0;
                for day in days_to_rebuild(previous, first, now) {
                    self.store().roll_up_day(&tenant.id, day, now).await?;
                    days += 1;
                }
                Ok::<usize, crate::store::StoreError>(days)
            };
            match run.await {
                Ok(days) => report.days += days,
                Err(e) => report.failed.push((tenant.slug.clone(), e.to_string())),
            }
        }
        Ok(report)
    }

    /// Deletes every tenant's raw sign-in events older than `retention`
    /// seconds (never one not yet rolled up) and the monthly user sets of
    /// the months before; returns how many events went.
    pub async fn purge_analytics(&self, retention: i64) -> Result<u64, AdminError> {
        let now = self.now();
        let mut total = 0;
        for tenant in self.store().list_tenants().await? {
            let until = self.store().rolled_up_until(&tenant.id).await?;
            let Some(before) = purge_cutoff(retention, until, now) else {
                continue;
            };
            loop {
                let n = self
                    .store()
                    .purge_sign_ins(&tenant.id, before, PURGE_BATCH)
                    .await?;
                total += n;
                if n < u64::from(PURGE_BATCH) {
                    break;
                }
            }
            self.store()
                .purge_monthly_user_sets(&tenant.id, Month::of(before))
                .await?;
        }
        Ok(total)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: i64 = 86_400;

    fn days(previous: Option<i64>, first: i64, now: i64) -> Vec<i64> {
        days_to_rebuild(previous, first, now)
            .map(Day::number)
            .collect()
    }

    #[test]
    fn a_run_rebuilds_from_a_grace_before_the_previous_one() {
        let now = 100 * DAY + 5_000;
        assert_eq!(days(Some(now - 60), 0, now), [100]);
        // Just after midnight, yesterday is rebuilt once more.
        let now = 100 * DAY + 100;
        assert_eq!(days(Some(now - 60), 0, now), [99, 100]);
        // The server was down for two days (its last run just after
        // midnight: the grace reaches back into the day before).
        assert_eq!(days(Some(now - 2 * DAY), 0, now), [97, 98, 99, 100]);
        assert_eq!(days(Some(now - 2 * DAY + 600), 0, now), [98, 99, 100]);
        // A first run starts from the oldest thing to count, at most
        // MAX_BACKFILL_DAYS back.
        assert_eq!(days(None, 97 * DAY + 7, now), [97, 98, 99, 100]);
        let far = days(None, 0, 1_000 * DAY);
        assert_eq!(far.len() as i64, MAX_BACKFILL_DAYS + 1);
        // A clock gone backwards rebuilds today alone.
        assert_eq!(days(Some(now + 5 * DAY), 0, now), [100]);
    }

    #[test]
    fn the_purge_never_passes_what_is_not_rolled_up() {
        let now = 100 * DAY + 5_000;
        assert_eq!(purge_cutoff(90 * DAY, Some(now), now), Some(now - 90 * DAY));
        // Rolled up last 95 days ago: keep the events of that day onwards.
        assert_eq!(
            purge_cutoff(90 * DAY, Some(5 * DAY + 700), now),
            Some(5 * DAY)
        );
        // Never rolled up (the job is off, or has yet to run): keep all.
        assert_eq!(purge_cutoff(90 * DAY, None, now), None);
    }
}
