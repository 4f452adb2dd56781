//! Background jobs inside the server process: purge of expired rows, the
//! store's checkpoint (SQLite: of its WAL), scheduled signing-key rotation (with removal of retired keys
//! once their tokens have expired), and retries of back-channel logout
//! deliveries that failed, and analytics: the flush of sign-in events
//! recorded behind the login path, and their daily roll-ups.
//!
//! One task runs them one at a time, each on its own interval counted from
//! the end of its previous run, the first run one interval after start. What
//! each job decides lives in `idp-core` (`purge`, `key_rotation`,
//! `logout_retry`); every job is idempotent, and on a database shared by
//! several instances (PostgreSQL) each run first takes the job's lease
//! ([`Operations::job_lease`](idp_core::store::Operations::job_lease)), so
//! one instance at a time runs it and the others skip that round.
//! On shutdown the task stops waiting; a job already running gets
//! [`STOP_GRACE`] to finish and is otherwise dropped, which is safe: each of
//! its store calls is one transaction that either happened or did not.

use crate::app::App;
use crate::backend::Backend;
use crate::config::ConfigError;
use idp_core::store::CheckpointMode;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a running job may take to finish once shutdown begins.
pub const STOP_GRACE: Duration = Duration::from_secs(5);

/// Longest interval accepted for the purge and checkpoint jobs (a week).
const MAX_INTERVAL_SECONDS: u64 = 7 * 24 * 3600;
/// Longest key rotation age accepted (ten years).
const MAX_ROTATION_DAYS: u64 = 3650;
/// How long audit events are kept by default: a year.
const DEFAULT_AUDIT_RETENTION_DAYS: u64 = 365;
/// Longest audit retention accepted, short of forever (0): a hundred years.
const MAX_AUDIT_RETENTION_DAYS: u64 = 36_500;
/// How long raw sign-in events are kept by default (their roll-ups stay).
const DEFAULT_ANALYTICS_RETENTION_DAYS: u64 = 90;

/// When the jobs run.
#[derive(Clone, Debug)]
pub struct JobsConfig {
    /// `PURGE_INTERVAL_SECONDS` (default 300); `None` (0) disables the purge.
    pub purge_interval: Option<Duration>,
    /// `CHECKPOINT_INTERVAL_SECONDS` (default 60); `None` (0) disables the
    /// periodic checkpoint (SQLite still checkpoints on its own every 1000
    /// pages, and the server once more at shutdown).
    pub checkpoint_interval: Option<Duration>,
    /// `KEY_ROTATION_DAYS` as seconds (default 90 days); `None` (0) disables
    /// rotation. Retired keys are removed on schedule either way.
    pub key_rotation_after: Option<i64>,
    /// How often tenants are checked for due rotations and expired retired
    /// keys (one hour; tests shorten it).
    pub key_check_interval: Duration,
    /// `LOGOUT_RETRY_INTERVAL_SECONDS` (default 30): how often queued
    /// back-channel logout deliveries are checked for a due retry; `None`
    /// (0) disables retries, and failed deliveries are then not queued.
    pub logout_retry_interval: Option<Duration>,
    /// Margin, in seconds, added to every retention for clocks that
    /// disagree (`idp_core::purge::DEFAULT_CLOCK_SKEW`; tests use 0).
    pub clock_skew: i64,
    /// `AUDIT_RETENTION_DAYS` as seconds (default 365 days): the purge
    /// deletes audit events older than this; `None` (0) keeps them forever.
    pub audit_retention: Option<i64>,
    /// How often this instance writes the sign-in events it recorded
    /// (five seconds; tests shorten it); `None` records nothing durable
    /// until shutdown. Every instance flushes its own: no lease.
    pub analytics_flush_interval: Option<Duration>,
    /// `ANALYTICS_ROLLUP_INTERVAL_SECONDS` (default 300): how often the
    /// daily roll-ups are rebuilt; `None` (0) disables them (the API then
    /// serves the last roll-up's figures).
    pub analytics_rollup_interval: Option<Duration>,
    /// `ANALYTICS_RETENTION_DAYS` as seconds (default 90 days): the purge
    /// deletes raw sign-in events older than this, once rolled up; `None`
    /// (0) keeps them forever. Roll-ups are kept as long as the tenant.
    pub analytics_retention: Option<i64>,
}

impl Default for JobsConfig {
    fn default() -> Self {
        Self {
            purge_interval: Some(Duration::from_secs(300)),
            checkpoint_interval: Some(Duration::from_secs(60)),
            key_rotation_after: Some(90 * 24 * 3600),
            key_check_interval: Duration::from_secs(3600),
            logout_retry_interval: Some(Duration::from_secs(30)),
            clock_skew: idp_core::purge::DEFAULT_CLOCK_SKEW,
            audit_retention: Some(DEFAULT_AUDIT_RETENTION_DAYS as i64 * 24 * 3600),
            analytics_flush_interval: Some(Duration::from_secs(5)),
            analytics_rollup_interval: Some(Duration::from_secs(300)),
            analytics_retention: Some(DEFAULT_ANALYTICS_RETENTION_DAYS as i64 * 24 * 3600),
        }
    }
}

impl JobsConfig {
    /// The settings as given (`None`: unset, the default applies). Errors
    /// name the setting.
    pub fn from_settings(
        purge_interval: Option<String>,
        checkpoint_interval: Option<String>,
        key_rotation_days: Option<String>,
        logout_retry_interval: Option<String>,
    ) -> Result<Self, ConfigError> {
        let defaults = Self::default();
        let seconds =
            |value: Option<String>, name: &'static str, default: Option<Duration>| match value {
                None => Ok(default),
                Some(v) => parse_bounded(&v, name, MAX_INTERVAL_SECONDS, "seconds")
                    .map(|n| (n > 0).then(|| Duration::from_secs(n))),
            };
        let key_rotation_after = match key_rotation_days {
            None => defaults.key_rotation_after,
            Some(v) => {
                let days = parse_bounded(&v, "KEY_ROTATION_DAYS", MAX_ROTATION_DAYS, "days")?;
                (days > 0).then(|| days as i64 * 24 * 3600)
            }
        };
        Ok(Self {
            purge_interval: seconds(
                purge_interval,
                "PURGE_INTERVAL_SECONDS",
                defaults.purge_interval,
            )?,
            checkpoint_interval: seconds(
                checkpoint_interval,
                "CHECKPOINT_INTERVAL_SECONDS",
                defaults.checkpoint_interval,
            )?,
            key_rotation_after,
            logout_retry_interval: seconds(
                logout_retry_interval,
                "LOGOUT_RETRY_INTERVAL_SECONDS",
                defaults.logout_retry_interval,
            )?,
            ..defaults
        })
    }
}

impl JobsConfig {
    /// Sets `AUDIT_RETENTION_DAYS` (`None`: unset, a year; `0`: forever).
    pub fn with_audit_retention(mut self, days: Option<String>) -> Result<Self, ConfigError> {
        if let Some(v) = days {
            let days = parse_bounded(&v, "AUDIT_RETENTION_DAYS", MAX_AUDIT_RETENTION_DAYS, "days")?;
            self.audit_retention = (days > 0).then(|| days as i64 * 24 * 3600);
        }
        Ok(self)
    }

    /// Sets `ANALYTICS_RETENTION_DAYS` (`None`: unset, 90 days; `0`:
    /// forever) and `ANALYTICS_ROLLUP_INTERVAL_SECONDS` (`None`: 300; `0`: off).
    pub fn with_analytics(
        mut self,
        retention_days: Option<String>,
        rollup_interval: Option<String>,
    ) -> Result<Self, ConfigError> {
        if let Some(v) = retention_days {
            let days = parse_bounded(
                &v,
                "ANALYTICS_RETENTION_DAYS",
                MAX_AUDIT_RETENTION_DAYS,
                "days",
            )?;
            self.analytics_retention = (days > 0).then(|| days as i64 * 24 * 3600);
        }
        if let Some(v) = rollup_interval {
            let n = parse_bounded(
                &v,
                "ANALYTICS_ROLLUP_INTERVAL_SECONDS",
                MAX_INTERVAL_SECONDS,
                "seconds",
            )?;
            self.analytics_rollup_interval = (n > 0).then(|| Duration::from_secs(n));
        }
        Ok(self)
    }
}

/// A whole number from 0 to `max`.
fn parse_bounded(
    value: &str,
    setting: &'static str,
    max: u64,
    unit: &str,
) -> Result<u64, ConfigError> {
    value
        .trim()
        .parse::<u64>()
        .ok()
        .filter(|n| *n <= max)
        .ok_or_else(|| {
            ConfigError::new(
                setting,
                format!("'{value}' is not a whole number of {unit} from 0 (off) to {max}"),
            )
        })
}

/// The jobs, as named in the `job` label of the metrics and in logs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Job {
    Purge,
    Checkpoint,
    KeyRotation,
    LogoutRetry,
    AnalyticsFlush,
    AnalyticsRollup,
}

impl Job {
    const fn as_str(self) -> &'static str {
        match self {
            Self::Purge => "purge",
            Self::Checkpoint => "checkpoint",
            Self::KeyRotation => "key_rotation",
            Self::LogoutRetry => "logout_retry",
            Self::AnalyticsFlush => "analytics_flush",
            Self::AnalyticsRollup => "analytics_rollup",
        }
    }

    /// Whether one instance at a time runs it: all but the flush, whose
    /// events are each instance's own.
    const fn leased(self) -> bool {
        !matches!(self, Self::AnalyticsFlush)
    }
}

/// The running scheduler.
pub struct Jobs {
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl Jobs {
    /// Starts the scheduler for the enabled jobs.
    pub fn spawn<S: Backend>(app: Arc<App<S>>, config: JobsConfig) -> Self {
        let (stop, stopped) = watch::channel(false);
        let task = tokio::spawn(schedule(app, config, stopped));
        Self { stop, task }
    }

    /// Stops the scheduler: no new job starts, a running one gets
    /// [`STOP_GRACE`]. Returns when the task has ended.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        let mut task = self.task;
        if tokio::time::timeout(STOP_GRACE + Duration::from_secs(1), &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// The scheduler's loop.
async fn schedule<S: Backend>(
    app: Arc<App<S>>,
    config: JobsConfig,
    mut stop: watch::Receiver<bool>,
) {
    let started = Instant::now();
    let mut plan: Vec<(Job, Duration, Instant)> = [
        (Job::Purge, config.purge_interval),
        (Job::Checkpoint, config.checkpoint_interval),
        (Job::KeyRotation, Some(config.key_check_interval)),
        (Job::LogoutRetry, config.logout_retry_interval),
        (Job::AnalyticsFlush, config.analytics_flush_interval),
        (Job::AnalyticsRollup, config.analytics_rollup_interval),
    ]
    .into_iter()
    .filter_map(|(job, every)| every.map(|every| (job, every, started + every)))
    .collect();
    let depth = metrics::gauge!(crate::metrics::JOB_QUEUE_DEPTH);
    depth.set(0.0);
    loop {
        let Some(wake) = plan.iter().map(|(_, _, at)| *at).min() else {
            return;
        };
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = stop.wait_for(|s| *s) => return,
        }
        let now = Instant::now();
        let mut due: Vec<usize> = (0..plan.len()).filter(|&i| plan[i].2 <= now).collect();
        due.sort_by_key(|&i| plan[i].2);
        for &i in &due {
            // Due and not started: the others whose time has come, including
            // any that fell due while earlier ones ran.
            let now = Instant::now();
            let waiting = plan.iter().filter(|(_, _, at)| *at <= now).count();
            depth.set(waiting.saturating_sub(1) as f64);
            let job = plan[i].0;
            let run = run_job(&app, &config, job);
            tokio::pin!(run);
            let stopping = tokio::select! {
                _ = &mut run => false,
                _ = stop.wait_for(|s| *s) => true,
            };
            if stopping {
                if tokio::time::timeout(STOP_GRACE, &mut run).await.is_err() {
                    tracing::warn!(job = job.as_str(), "job abandoned at shutdown");
                }
                depth.set(0.0);
                return;
            }
            plan[i].2 = Instant::now() + plan[i].1;
        }
        depth.set(0.0);
    }
}

/// Runs one job, records its duration and logs its outcome.
async fn run_job<S: Backend>(app: &App<S>, config: &JobsConfig, job: Job) {
    let started = Instant::now();
    // One instance at a time across the cluster (a no-op on SQLite).
    let _lease = match job.leased() {
        false => None,
        true => match app.provider.store().job_lease(job.as_str()).await {
            Ok(Some(lease)) => Some(lease),
            Ok(None) => {
                tracing::debug!(job = job.as_str(), "another instance runs this job now");
                return;
            }
            Err(e) => {
                tracing::warn!(job = job.as_str(), error = %e, "cannot take the job's lease; skipped");
                return;
            }
        },
    };
    match job {
        Job::Purge => purge(app, config).await,
        Job::Checkpoint => checkpoint(app).await,
        Job::KeyRotation => rotate_keys(app, config).await,
        Job::LogoutRetry => retry_logouts(app).await,
        Job::AnalyticsFlush => flush_sign_ins(app).await,
        Job::AnalyticsRollup => roll_up_analytics(app).await,
    }
    metrics::histogram!(crate::metrics::JOB_DURATION, "job" => job.as_str())
        .record(started.elapsed().as_secs_f64());
}

async fn purge<S: Backend>(app: &App<S>, config: &JobsConfig) {
    let started = Instant::now();
    match app.provider.purge_expired(config.clock_skew).await {
        Ok(report) => {
            let counts = report
                .nonzero()
                .map(|(kind, n)| format!("{}={n}", kind.as_str()))
                .collect::<Vec<_>>()
                .join(" ");
            let ms = started.elapsed().as_millis() as u64;
            if report.total() > 0 {
                tracing::info!(job = "purge", tenants = report.tenants, deleted = report.total(),
                    %counts, duration_ms = ms, "expired rows purged");
            } else {
                tracing::debug!(
                    job = "purge",
                    tenants = report.tenants,
                    deleted = 0,
                    duration_ms = ms,
                    "nothing to purge"
                );
            }
        }
        Err(e) => tracing::warn!(job = "purge", error = %e, "purge failed; next run retries"),
    }
    // The admin API's platform rows: idempotency records past their day,
    // and audit events past the retention period.
    let admin = app.provider.admin();
    match admin.purge_idempotency_keys().await {
        Ok(0) => {}
        Ok(n) => tracing::info!(
            job = "purge",
            idempotency_keys = n,
            "expired idempotency keys purged"
        ),
        Err(e) => {
            tracing::warn!(job = "purge", error = %e, "idempotency key purge failed; next run retries")
        }
    }
    if let Some(retention) = config.audit_retention {
        match admin.purge_audit_events(retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                job = "purge",
                audit_events = n,
                "audit events past retention purged"
            ),
            Err(e) => {
                tracing::warn!(job = "purge", error = %e, "audit purge failed; next run retries")
            }
        }
    }
    if let Some(retention) = config.analytics_retention {
        match admin.purge_analytics(retention).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(
                job = "purge",
                sign_in_events = n,
                "sign-in events past retention purged"
            ),
            Err(e) => {
                tracing::warn!(job = "purge", error = %e, "analytics purge failed; next run retries")
            }
        }
    }
}

/// Writes the sign-in events this instance recorded (also called once at
/// shutdown).
pub(crate) async fn flush_sign_ins<S: Backend>(app: &App<S>) {
    let report = app.provider.flush_sign_ins().await;
    if report.dropped > 0 {
        tracing::warn!(
            job = "analytics_flush",
            dropped = report.dropped,
            "sign-in events dropped (buffer full or refused by the store)"
        );
    }
    if report.written > 0 || report.retained > 0 {
        tracing::debug!(
            job = "analytics_flush",
            written = report.written,
            retained = report.retained,
            "sign-in events flushed"
        );
    }
}

async fn roll_up_analytics<S: Backend>(app: &App<S>) {
    match app.provider.admin().roll_up_analytics().await {
        Ok(report) => {
            for (tenant, error) in &report.failed {
                tracing::warn!(job = "analytics_rollup", %tenant, %error, "analytics roll-up failed for a tenant");
            }
            tracing::debug!(
                job = "analytics_rollup",
                tenants = report.tenants,
                days = report.days,
                "analytics rolled up"
            );
        }
        Err(e) => {
            tracing::warn!(job = "analytics_rollup", error = %e, "analytics roll-up failed; next run retries")
        }
    }
}

async fn checkpoint<S: Backend>(app: &App<S>) {
    let store = app.provider.store();
    match store.checkpoint(CheckpointMode::Periodic).await {
        Ok(report) => tracing::debug!(
            job = "checkpoint",
            backend = S::BACKEND,
            pending = report.pending,
            written = report.written,
            complete = report.complete,
            "checkpoint"
        ),
        Err(e) => tracing::warn!(job = "checkpoint", error = %e, "checkpoint failed"),
    }
}

async fn rotate_keys<S: Backend>(app: &App<S>, config: &JobsConfig) {
    match app
        .provider
        .rotate_due_keys(config.key_rotation_after, config.clock_skew)
        .await
    {
        Ok(report) => {
            for (tenant, error) in &report.failed {
                tracing::warn!(job = "key_rotation", %tenant, %error, "key rotation failed for a tenant");
            }
            if report.rotated.is_empty() && report.removed == 0 {
                tracing::debug!(
                    job = "key_rotation",
                    tenants = report.tenants,
                    lost_race = report.lost_race,
                    "no key due"
                );
            } else {
                for (tenant, keys) in &report.rotated {
                    tracing::info!(job = "key_rotation", %tenant, kids = %keys.kids.join(","),
                        activates_at = keys.activates_at,
                        "new signing keys published (pending); they and the retirement of the previous ones take effect at activates_at");
                }
                tracing::info!(
                    job = "key_rotation",
                    tenants = report.tenants,
                    rotated = report.rotated.len(),
                    lost_race = report.lost_race,
                    retired_keys_removed = report.removed,
                    "signing keys rotated or removed"
                );
            }
        }
        Err(e) => tracing::warn!(job = "key_rotation", error = %e, "key rotation failed"),
    }
}

async fn retry_logouts<S: Backend>(app: &App<S>) {
    match app.provider.retry_logout_deliveries().await {
        Ok(report) => {
            for (tenant, error) in &report.failed {
                tracing::warn!(job = "logout_retry", %tenant, %error,
                    "back-channel logout retries failed for a tenant");
            }
            if report.attempted > 0 {
                tracing::info!(
                    job = "logout_retry",
                    attempted = report.attempted,
                    delivered = report.delivered,
                    rescheduled = report.rescheduled,
                    given_up = report.given_up,
                    "back-channel logout deliveries retried"
                );
            }
        }
        Err(e) => {
            tracing::warn!(job = "logout_retry", error = %e, "logout retry failed; next run retries")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_parse_and_errors_name_them() {
        let c = JobsConfig::from_settings(None, None, None, None).ok();
        let c = c.as_ref();
        assert_eq!(
            c.and_then(|c| c.purge_interval),
            Some(Duration::from_secs(300))
        );
        assert_eq!(
            c.and_then(|c| c.checkpoint_interval),
            Some(Duration::from_secs(60))
        );
        assert_eq!(c.and_then(|c| c.key_rotation_after), Some(90 * 86400));
        assert_eq!(
            c.and_then(|c| c.logout_retry_interval),
            Some(Duration::from_secs(30))
        );
        let c = JobsConfig::from_settings(
            Some("0".into()),
            Some(" 5 ".into()),
            Some("0".into()),
            Some("0".into()),
        )
        .ok();
        let c = c.as_ref();
        assert_eq!(c.map(|c| c.purge_interval), Some(None));
        assert_eq!(
            c.and_then(|c| c.checkpoint_interval),
            Some(Duration::from_secs(5))
        );
        assert_eq!(c.map(|c| c.key_rotation_after), Some(None));
        assert_eq!(c.map(|c| c.logout_retry_interval), Some(None));
        let retention = |v: &str| {
            JobsConfig::default()
                .with_audit_retention(Some(v.into()))
                .map(|c| c.audit_retention)
                .map_err(|e| e.setting)
        };
        assert_eq!(retention("0"), Ok(None));
        assert_eq!(retention("30"), Ok(Some(30 * 86400)));
        assert_eq!(retention("forever"), Err("AUDIT_RETENTION_DAYS"));
        assert_eq!(JobsConfig::default().audit_retention, Some(365 * 86400));
        let analytics = |days: &str, every: &str| {
            JobsConfig::default()
                .with_analytics(Some(days.into()), Some(every.into()))
                .map(|c| (c.analytics_retention, c.analytics_rollup_interval))
                .map_err(|e| e.setting)
        };
        assert_eq!(analytics("0", "0"), Ok((None, None)));
        assert_eq!(
            analytics("30", "60"),
            Ok((Some(30 * 86400), Some(Duration::from_secs(60))))
        );
        assert_eq!(analytics("x", "60"), Err("ANALYTICS_RETENTION_DAYS"));
        assert_eq!(
            analytics("1", "604801"),
            Err("ANALYTICS_ROLLUP_INTERVAL_SECONDS")
        );
        let d = JobsConfig::default();
        assert_eq!(d.analytics_retention, Some(90 * 86400));
        assert_eq!(d.analytics_rollup_interval, Some(Duration::from_secs(300)));
        for (p, ck, k, l, setting) in [
            ("x", "1", "1", "1", "PURGE_INTERVAL_SECONDS"),
            ("-1", "1", "1", "1", "PURGE_INTERVAL_SECONDS"),
            ("1", "604801", "1", "1", "CHECKPOINT_INTERVAL_SECONDS"),
            ("1", "1", "1.5", "1", "KEY_ROTATION_DAYS"),
            ("1", "1", "3651", "1", "KEY_ROTATION_DAYS"),
            ("1", "1", "1", "soon", "LOGOUT_RETRY_INTERVAL_SECONDS"),
        ] {
            let err = JobsConfig::from_settings(
                Some(p.into()),
                Some(ck.into()),
                Some(k.into()),
                Some(l.into()),
            )
            .err()
            .map(|e| e.setting);
            assert_eq!(err, Some(setting));
        }
    }
}
