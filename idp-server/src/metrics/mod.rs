//! Prometheus metrics: the process-wide recorder, the names this server and
//! `idp-core` emit, and `GET /metrics` in the text exposition format 0.0.4.
//!
//! `idp-core` and the background jobs emit through the `metrics` facade;
//! this module installs the one recorder for the process (once, so several
//! servers in one process, as in tests, share it), describes every metric
//! and registers each closed label set at zero, so that a dashboard sees
//! every series from the first scrape. Figures that are cheap to read and
//! only matter when someone looks (pool state, active users, the process's
//! memory and CPU) are read at scrape time rather than kept up to date.
//!
//! No label ever carries a tenant slug, a client id, a path or anything else
//! a client sent: see [`route`]. Who may read them: [`access`]
//! (`METRICS_ADDR`, served by [`listener`], and `METRICS_TOKEN`).

pub mod access;
pub(crate) mod listener;
pub mod process;
pub mod route;

use crate::app::App;
use crate::backend::Backend;
use bytes::Bytes;
use http::{HeaderMap, HeaderValue, Method, Response, StatusCode};
use idp_core::telemetry::{self, LoginFailure};
use metrics::{Unit, describe_counter, describe_gauge, describe_histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use std::sync::OnceLock;
use std::time::Duration;

/// Histogram: request latency by `route`, `method`, `status` (class).
pub const HTTP_REQUEST_DURATION: &str = "sso_http_request_duration_seconds";
/// Gauge: connections the store's pool holds open.
pub const DB_POOL_TOTAL: &str = "sso_db_pool_connections_total";
/// Gauge: open connections not in use.
pub const DB_POOL_IDLE: &str = "sso_db_pool_connections_idle";
/// Gauge: the pool's maximum size.
pub const DB_POOL_MAX: &str = "sso_db_pool_connections_max";
/// Gauge: background jobs due but not started (set by the job scheduler).
pub const JOB_QUEUE_DEPTH: &str = "sso_job_queue_depth";
/// Histogram: how long a background job run took, label `job`.
pub const JOB_DURATION: &str = "sso_job_processing_duration_seconds";
/// Gauge: distinct users with a live session, all tenants together.
pub const ACTIVE_USERS: &str = "sso_active_users_total";

/// The `job` label values of the background jobs.
pub const JOBS: [&str; 4] = ["purge", "checkpoint", "key_rotation", "logout_retry"];

/// Request latencies: 1 ms (discovery from memory) to 10 s (a slow client).
const REQUEST_BUCKETS: [f64; 13] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];
/// Job runs: a checkpoint takes milliseconds, a large purge may take a minute.
const JOB_BUCKETS: [f64; 11] = [
    0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 10.0, 30.0, 60.0,
];
/// How often histogram samples are folded into their buckets when nobody
/// scrapes, so that memory stays bounded between scrapes.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the Prometheus recorder for the whole process, the first time
/// only, and describes and registers every metric. Returns `None` if another
/// recorder was installed first (an embedding application's own), in which
/// case `/metrics` shows only the process figures.
pub fn install() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(HTTP_REQUEST_DURATION.into()),
                    &REQUEST_BUCKETS,
                )
                .and_then(|b| {
                    b.set_buckets_for_metric(Matcher::Full(JOB_DURATION.into()), &JOB_BUCKETS)
                });
            let handle = match builder.map(PrometheusBuilder::install_recorder) {
                Ok(Ok(handle)) => handle,
                Ok(Err(e)) | Err(e) => {
                    tracing::warn!(error = %e, "metrics recorder not installed; /metrics shows process figures only");
                    return None;
                }
            };
            describe_and_register();
            // A thread, not a task: the recorder outlives any one runtime.
            let upkeep = handle.clone();
            let spawned = std::thread::Builder::new()
                .name("metrics-upkeep".into())
                .spawn(move || {
                    loop {
                        std::thread::sleep(UPKEEP_EVERY);
                        upkeep.run_upkeep();
                    }
                });
            if let Err(e) = spawned {
                tracing::warn!(error = %e, "metrics upkeep thread not started; scrapes still drain histograms");
            }
            Some(handle)
        })
        .as_ref()
}

/// Whether the recorder is installed (requests are not timed before).
pub fn installed() -> bool {
    HANDLE.get().is_some_and(Option::is_some)
}

fn describe_and_register() {
    describe_histogram!(
        HTTP_REQUEST_DURATION,
        Unit::Seconds,
        "HTTP request latency by route template, method and status class."
    );
    describe_gauge!(DB_POOL_TOTAL, "Connections the database pool holds open.");
    describe_gauge!(DB_POOL_IDLE, "Open database connections not in use.");
    describe_gauge!(DB_POOL_MAX, "Maximum size of the database connection pool.");
    describe_gauge!(JOB_QUEUE_DEPTH, "Background jobs due but not yet started.");
    describe_histogram!(
        JOB_DURATION,
        Unit::Seconds,
        "Duration of background job runs by job."
    );
    describe_gauge!(
        ACTIVE_USERS,
        "Distinct users with a live (unexpired, not ended) session, all tenants."
    );
    describe_counter!(telemetry::LOGIN_FAILURES, "Failed sign-ins by reason.");
    describe_counter!(
        telemetry::TOKENS_ISSUED,
        "Token responses issued by grant type."
    );
    describe_counter!(
        telemetry::BACKCHANNEL_LOGOUTS,
        "Back-channel logout delivery attempts by outcome."
    );
    // Registering a series creates it at zero.
    metrics::gauge!(JOB_QUEUE_DEPTH).set(0.0);
    for job in JOBS {
        let _ = metrics::histogram!(JOB_DURATION, "job" => job);
    }
    for outcome in telemetry::LogoutDelivery::ALL {
        let _ = metrics::counter!(telemetry::BACKCHANNEL_LOGOUTS, "outcome" => outcome.as_str());
    }
    for reason in LoginFailure::ALL {
        let _ = metrics::counter!(telemetry::LOGIN_FAILURES, "reason" => reason.as_str());
    }
    for grant in telemetry::GRANT_TYPE_LABELS {
        let _ = metrics::counter!(telemetry::TOKENS_ISSUED, "grant_type" => grant);
    }
}

/// `GET /metrics`: every metric in the Prometheus text format, after
/// reading the scrape-time figures; 401 without the `METRICS_TOKEN`.
pub async fn metrics<S: Backend>(
    app: &App<S>,
    method: &Method,
    headers: &HeaderMap,
) -> Response<Bytes> {
    if let Some(refused) = app.metrics.refusal(headers) {
        return refused;
    }
    if method != Method::GET && method != Method::HEAD {
        let mut res = Response::new(Bytes::from_static(b"method not allowed\n"));
        *res.status_mut() = StatusCode::METHOD_NOT_ALLOWED;
        res.headers_mut()
            .insert(http::header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return res;
    }
    let mut body = match install() {
        Some(handle) => {
            let store = app.provider.store();
            let pool = store.pool_state();
            metrics::gauge!(DB_POOL_TOTAL).set(f64::from(pool.connections));
            metrics::gauge!(DB_POOL_IDLE).set(f64::from(pool.idle));
            metrics::gauge!(DB_POOL_MAX).set(f64::from(pool.max));
            match store.active_users(unix_now()).await {
                Ok(n) => metrics::gauge!(ACTIVE_USERS).set(n as f64),
                Err(e) => tracing::warn!(error = %e, "cannot count active users for /metrics"),
            }
            handle.render()
        }
        None => String::new(),
    };
    process::ProcessFigures::read().write_to(&mut body);
    idp_core::wire::text_no_store(
        StatusCode::OK,
        "text/plain; version=0.0.4; charset=utf-8",
        Bytes::from(body),
    )
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
