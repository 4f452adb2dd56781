//! Faults (issue 15), with real processes:
//!
//! - PostgreSQL stopped under load, then started again: while it is away
//!   every request answers `503` `temporarily_unavailable` (JSON) within
//!   the pool's wait and a margin, `/health/ready` says not ready, and the
//!   server recovers by itself within five seconds of the database's
//!   return; nothing acknowledged before (registered clients, refresh
//!   tokens) is lost. This runs on a private cluster of its own
//!   ([`PrivateCluster`]): the shared server serves other tests meanwhile.
//! - `kill -9` of one of two instances under load: everything it
//!   acknowledged is there on the other.
//! - An exhausted pool (one connection, held by a lock the test takes)
//!   answers `503` quickly instead of queueing, and serves again once the
//!   connection is free.
//!
//! The writes under load are dynamic client registrations (RFC 7591): each
//! acknowledgement (`201`) carries the client's id and the RFC 7592 URI
//! and token to read it back with.

mod cluster;

use super::*;
use cluster::PrivateCluster;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// One request's outcome: its answer, or why there was none, and when.
#[derive(Clone, Debug)]
struct Answer {
    started: Instant,
    took: Duration,
    status: Option<StatusCode>,
    body: String,
    /// Why there was no answer (connection refused or reset, time-out).
    failed: Option<String>,
}

impl Answer {
    async fn of(started: Instant, sent: Result<reqwest::Response, reqwest::Error>) -> Self {
        let read = match sent {
            Ok(res) => {
                let status = res.status();
                res.text().await.map(|body| (status, body))
            }
            Err(e) => Err(e),
        };
        let took = started.elapsed();
        match read {
            Ok((status, body)) => Self {
                started,
                took,
                status: Some(status),
                body,
                failed: None,
            },
            Err(e) => Self {
                started,
                took,
                status: None,
                body: String::new(),
                failed: Some(e.to_string()),
            },
        }
    }

    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or(Value::Null)
    }

    /// A `503` whose JSON body says `temporarily_unavailable`.
    fn is_temporarily_unavailable(&self) -> bool {
        self.status == Some(StatusCode::SERVICE_UNAVAILABLE)
            && self.json()["error"] == "temporarily_unavailable"
    }

    /// The registration this `201` acknowledged.
    fn registration(&self) -> Option<Registration> {
        if self.status != Some(StatusCode::CREATED) {
            return None;
        }
        let doc = self.json();
        let field = |name: &str| {
            doc[name]
                .as_str()
                .unwrap_or_else(|| panic!("{name} missing in an acknowledged registration: {doc}"))
                .to_owned()
        };
        Some(Registration {
            client_id: field("client_id"),
            uri: field("registration_client_uri"),
            token: field("registration_access_token"),
        })
    }
}

/// A client registration acknowledged with `201`.
#[derive(Clone, Debug)]
struct Registration {
    client_id: String,
    uri: String,
    token: String,
}

/// An HTTP client that gives up after `limit` (a hang shows as a failure
/// after that long, not as a stuck test).
fn http(limit: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(limit)
        .build()
        .expect("HTTP client")
}

async fn register_once(http: &reqwest::Client, url: &str, name: &str) -> Answer {
    let started = Instant::now();
    let body = json!({"redirect_uris": [REDIRECT_URI], "client_name": name});
    Answer::of(started, http.post(url).json(&body).send().await).await
}

async fn get_once(http: &reqwest::Client, url: &str) -> Answer {
    let started = Instant::now();
    Answer::of(started, http.get(url).send().await).await
}

/// `workers` tasks registering clients at `url` until `stop` is set (or,
/// with `until_unanswered`, until a request gets no answer at all); every
/// answer, in order per worker.
fn registration_load(
    http: &reqwest::Client,
    url: &str,
    workers: usize,
    pause: Duration,
    stop: &Arc<AtomicBool>,
    until_unanswered: bool,
) -> Vec<tokio::task::JoinHandle<Vec<Answer>>> {
    (0..workers)
        .map(|w| {
            let (http, url, stop) = (http.clone(), url.to_owned(), Arc::clone(stop));
            tokio::spawn(async move {
                let mut answers = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let answer =
                        register_once(&http, &url, &format!("load {w}.{}", answers.len())).await;
                    let unanswered = answer.failed.is_some();
                    answers.push(answer);
                    if unanswered && until_unanswered {
                        break;
                    }
                    tokio::time::sleep(pause).await;
                }
                answers
            })
        })
        .collect()
}

async fn collect(workers: Vec<tokio::task::JoinHandle<Vec<Answer>>>) -> Vec<Answer> {
    let mut all = Vec::new();
    for w in workers {
        all.extend(w.await.expect("a load worker"));
    }
    all
}

/// Asserts that `registration` reads back (RFC 7592) at `base`, which
/// replaces `from_base` in its URI.
async fn assert_registered(http: &reqwest::Client, r: &Registration, from_base: &str, base: &str) {
    let uri = r.uri.replacen(from_base, base, 1);
    let res = http
        .get(&uri)
        .bearer_auth(&r.token)
        .send()
        .await
        .unwrap_or_else(|e| panic!("read {uri}: {e}"));
    let status = res.status();
    let body = res.text().await.unwrap_or_default();
    assert_eq!(
        status,
        StatusCode::OK,
        "acknowledged client {} lost: {body}",
        r.client_id
    );
    let doc: Value = serde_json::from_str(&body).unwrap_or(Value::Null);
    assert_eq!(doc["client_id"], r.client_id.as_str(), "{body}");
}

/// The registration endpoint of tenant `slug` at `base`.
fn register_url(base: &str, slug: &str) -> String {
    format!("{base}/t/{slug}/register")
}

/// How long the pool waits for a connection in the outage test.
const OUTAGE_POOL_WAIT: Duration = Duration::from_millis(500);

/// What a request may take while the database is away: the pool's wait
/// and 1.5 s for a loaded 2-core machine.
const OUTAGE_BOUND: Duration = OUTAGE_POOL_WAIT.saturating_add(Duration::from_millis(1500));

/// How soon after the database is back the server must serve again.
const RECOVERY: Duration = Duration::from_secs(5);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_stopped_under_load_answers_503_and_recovers_by_itself() {
    let Some(mut cluster) = PrivateCluster::create() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let url = cluster.url();
    let wait_ms = OUTAGE_POOL_WAIT.as_millis().to_string();
    let server = ServerProcess::spawn(
        dir.path(),
        &[
            ("DATABASE_URL", &url),
            ("DATABASE_POOL_TIMEOUT_MS", &wait_ms),
        ],
    );
    let base = server.base_url.clone();
    let out = server.cli(
        &["tenant", "create", "open", "--dynamic-registration"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let tenant = server.create_tenant("acme");
    let client = server.create_client("acme", &ClientSpec::confidential("App"));
    let user = server.create_user("acme", "ada@example.com", "Ada", PASSWORD);
    let rp = Rp::discover(&tenant.issuer, &client).await;
    // Two refresh tokens acknowledged before the outage: one left alone,
    // one tried while the database is away (which must not spend it).
    let (_, kept) = rp.offline_flow(&Browser::new(), &user).await;
    let (_, tried) = rp.offline_flow(&Browser::new(), &user).await;
    let endpoints = discover(&tenant.issuer).await;
    let kids_before = kids(&jwks(&endpoints).await);
    let token_endpoint = endpoints.token.clone();
    let refresh = |rt: String| {
        let (endpoint, client) = (token_endpoint.clone(), client.clone());
        async move {
            let started = Instant::now();
            let sent = http(Duration::from_secs(15))
                .post(&endpoint)
                .basic_auth(&client.client_id, client.client_secret.as_deref())
                .form(&[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", rt.as_str()),
                ])
                .send()
                .await;
            Answer::of(started, sent).await
        }
    };

    let http = http(Duration::from_secs(15));
    let ready = format!("{base}/health/ready");
    assert_eq!(get_once(&http, &ready).await.status, Some(StatusCode::OK));
    let stop_load = Arc::new(AtomicBool::new(false));
    let load = registration_load(
        &http,
        &register_url(&base, "open"),
        3,
        Duration::from_millis(20),
        &stop_load,
        false,
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    // The outage: stopped, three seconds of requests, started again.
    cluster.stop();
    let down = Instant::now();
    let mut readiness = Vec::new();
    let mut spent = Vec::new();
    while down.elapsed() < Duration::from_secs(3) {
        readiness.push(get_once(&http, &ready).await);
        spent.push(refresh(tried.clone()).await);
        let live = get_once(&http, &format!("{base}/health/live")).await;
        assert_eq!(live.status, Some(StatusCode::OK), "liveness: {live:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let restarting = Instant::now();
    cluster.start();
    let back = Instant::now();

    // Recovery: ready again and a registration acknowledged.
    let recovered = loop {
        let r = get_once(&http, &ready).await;
        let w = register_once(&http, &register_url(&base, "open"), "probe").await;
        if r.status == Some(StatusCode::OK) && w.status == Some(StatusCode::CREATED) {
            break back.elapsed();
        }
        assert!(
            back.elapsed() < RECOVERY,
            "not recovered {RECOVERY:?} after the database returned: ready {r:?}, register {w:?}\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    // The change feed is back too: keys rotated through the CLI are
    // published at once (the tenant cache alone would hold the old ones
    // for 60 s).
    server.cli_json(
        &["tenant", "rotate-keys", "acme", "--immediately", "--json"],
        None,
    );
    let deadline = (back + RECOVERY).max(Instant::now() + Duration::from_secs(1));
    while kids(&jwks(&endpoints).await) == kids_before {
        assert!(
            Instant::now() < deadline,
            "keys rotated after the outage not published: the change feed is not back\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let published = back.elapsed();
    stop_load.store(true, Ordering::SeqCst);
    let answers = collect(load).await;

    // Every request answered, in time, with 201 or 503 (never a 500).
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();
    for a in &answers {
        assert!(a.failed.is_none(), "a request got no answer: {a:?}");
        assert!(
            a.status == Some(StatusCode::CREATED) || a.is_temporarily_unavailable(),
            "neither acknowledged nor temporarily_unavailable: {a:?}"
        );
        assert!(a.took < OUTAGE_BOUND, "a request took {:?}: {a:?}", a.took);
    }
    // Within the outage: every request 503 temporarily_unavailable.
    let during: Vec<&Answer> = answers
        .iter()
        .chain(&readiness)
        .chain(&spent)
        .filter(|a| a.started >= down && a.started + a.took <= restarting)
        .collect();
    let outage_registrations = answers
        .iter()
        .filter(|a| a.started >= down && a.started + a.took <= restarting)
        .count();
    assert!(
        outage_registrations >= 10,
        "only {outage_registrations} registrations during the outage"
    );
    let slowest_during = during.iter().map(|a| a.took).max().unwrap_or_default();
    for a in &readiness {
        assert_eq!(
            a.status,
            Some(StatusCode::SERVICE_UNAVAILABLE),
            "readiness during the outage: {a:?}"
        );
        assert!(a.took < OUTAGE_BOUND, "readiness took {:?}", a.took);
    }
    for a in answers
        .iter()
        .chain(&spent)
        .filter(|a| a.started >= down && a.started + a.took <= restarting)
    {
        assert!(a.is_temporarily_unavailable(), "during the outage: {a:?}");
        assert!(
            a.took < OUTAGE_BOUND,
            "took {:?} during the outage: {a:?}",
            a.took
        );
    }

    // Nothing acknowledged is lost: every registration, both refresh tokens.
    let acknowledged: Vec<Registration> = answers.iter().filter_map(Answer::registration).collect();
    let before = answers
        .iter()
        .filter(|a| a.started + a.took <= down && a.status == Some(StatusCode::CREATED))
        .count();
    assert!(
        before >= 5,
        "only {before} registrations acknowledged before the outage"
    );
    for r in &acknowledged {
        assert_registered(&http, r, &base, &base).await;
    }
    for rt in [kept, tried] {
        let refreshed = refresh(rt).await;
        assert_eq!(
            refreshed.status,
            Some(StatusCode::OK),
            "refresh after the outage: {refreshed:?}"
        );
    }
    assert!(!server.logs().contains("panicked"), "{}", server.logs());
    eprintln!(
        "outage: {} requests answered 503 in at most {slowest_during:?} (slowest overall {slowest:?}); \
         recovered {recovered:?} after the database returned (keys rotated then published at {published:?}); {} registrations acknowledged, {before} before the outage, all there",
        during.len(),
        acknowledged.len()
    );
    drop(server);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_under_load_loses_nothing_the_instance_acknowledged() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let mut a = instance(dir.path(), &db, &[]);
    let b = instance(dir.path(), &db, &[("BASE_URL", &a.base_url)]);
    let out = a.cli(
        &["tenant", "create", "open", "--dynamic-registration"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let a_base = a.base_url.clone();
    let b_base = format!("http://localhost:{}", b.port);

    // Four writers on A with no pause between requests, so that some are
    // in flight when it dies; each stops at its first unanswered request.
    let http = http(Duration::from_secs(15));
    let never = Arc::new(AtomicBool::new(false));
    let load = registration_load(
        &http,
        &register_url(&a_base, "open"),
        4,
        Duration::ZERO,
        &never,
        true,
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;
    a.kill9();
    let answers = collect(load).await;

    let acknowledged: Vec<Registration> = answers.iter().filter_map(Answer::registration).collect();
    let unanswered = answers.iter().filter(|a| a.failed.is_some()).count();
    for a in answers.iter().filter(|a| a.failed.is_none()) {
        assert_eq!(
            a.status,
            Some(StatusCode::CREATED),
            "before the kill: {a:?}"
        );
    }
    assert!(
        acknowledged.len() >= 5,
        "only {} acknowledged before the kill",
        acknowledged.len()
    );
    assert!(
        unanswered >= 1,
        "no request was in flight when A was killed"
    );
    for r in &acknowledged {
        assert_registered(&http, r, &a_base, &b_base).await;
    }
    let ready = get_once(&http, &format!("{b_base}/health/ready")).await;
    assert_eq!(
        ready.status,
        Some(StatusCode::OK),
        "B after A's death: {ready:?}"
    );
    eprintln!(
        "kill -9 of A: {} registrations acknowledged, all read back on B; {unanswered} in flight unanswered",
        acknowledged.len()
    );
    drop(b);
}

/// The pool's wait in the exhaustion test.
const EXHAUSTED_POOL_WAIT: Duration = Duration::from_millis(200);

/// What a request may take while the only connection is held.
const EXHAUSTED_BOUND: Duration = Duration::from_secs(1);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_exhausted_pool_answers_503_quickly_and_serves_again_once_free() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let wait_ms = EXHAUSTED_POOL_WAIT.as_millis().to_string();
    // One connection, a 200 ms wait for it; statements may run 30 s, so
    // that the blocked one holds the connection for the whole test.
    let server = instance(
        dir.path(),
        &db,
        &[
            ("DATABASE_POOL_SIZE", "1"),
            ("DATABASE_POOL_TIMEOUT_MS", &wait_ms),
            ("DATABASE_STATEMENT_TIMEOUT_MS", "30000"),
        ],
    );
    let base = server.base_url.clone();
    let out = server.cli(
        &["tenant", "create", "open", "--dynamic-registration"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let url = register_url(&base, "open");
    let ready = format!("{base}/health/ready");
    let http = http(Duration::from_secs(40));
    let first = register_once(&http, &url, "first").await;
    let first = first.registration().unwrap_or_else(|| panic!("{first:?}"));

    // The test's own session locks the clients table; a registration then
    // blocks inside the server on its only connection.
    let (holder, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("the test's connection");
    tokio::spawn(connection);
    let (watcher, connection) = tokio_postgres::connect(db.url(), tokio_postgres::NoTls)
        .await
        .expect("the test's second connection");
    tokio::spawn(connection);
    holder
        .batch_execute("BEGIN; LOCK TABLE clients IN ACCESS EXCLUSIVE MODE")
        .await
        .expect("lock the clients table");
    let blocked = {
        let (http, url) = (http.clone(), url.clone());
        tokio::spawn(async move { register_once(&http, &url, "blocked").await })
    };
    let waiting = Instant::now();
    loop {
        let row = watcher
            .query_one(
                "SELECT count(*) FROM pg_stat_activity \
                 WHERE datname = $1 AND application_name = 'idp' AND wait_event_type = 'Lock'",
                &[&db.name()],
            )
            .await
            .expect("pg_stat_activity");
        if row.get::<_, i64>(0) >= 1 {
            break;
        }
        assert!(
            waiting.elapsed() < Duration::from_secs(10),
            "the server's connection never waited for the lock\n{}",
            server.logs()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    // The pool is exhausted: writes, reads and readiness answer 503 fast,
    // one at a time and several at once.
    let mut answers = Vec::new();
    for i in 0..3 {
        answers.push(register_once(&http, &url, &format!("refused {i}")).await);
        let read = http.get(&first.uri).bearer_auth(&first.token);
        let started = Instant::now();
        answers.push(Answer::of(started, read.send().await).await);
    }
    let at_once: Vec<_> = (0..4)
        .map(|i| {
            let (http, url) = (http.clone(), url.clone());
            tokio::spawn(async move { register_once(&http, &url, &format!("at once {i}")).await })
        })
        .collect();
    answers.extend(collect_answers(at_once).await);
    for a in &answers {
        assert!(
            a.is_temporarily_unavailable(),
            "with the pool exhausted: {a:?}"
        );
        assert!(
            a.took < EXHAUSTED_BOUND,
            "took {:?} with the pool exhausted: {a:?}",
            a.took
        );
    }
    let not_ready = get_once(&http, &ready).await;
    assert_eq!(
        not_ready.status,
        Some(StatusCode::SERVICE_UNAVAILABLE),
        "{not_ready:?}"
    );
    assert!(
        not_ready.took < EXHAUSTED_BOUND,
        "readiness took {:?}",
        not_ready.took
    );
    let slowest = answers.iter().map(|a| a.took).max().unwrap_or_default();

    // Released: the blocked registration completes, and all serve again.
    holder
        .batch_execute("ROLLBACK")
        .await
        .expect("release the lock");
    let blocked = blocked.await.expect("the blocked request");
    assert_eq!(
        blocked.status,
        Some(StatusCode::CREATED),
        "the blocked registration: {blocked:?}"
    );
    let again = register_once(&http, &url, "again").await;
    assert_eq!(
        again.status,
        Some(StatusCode::CREATED),
        "after the release: {again:?}"
    );
    assert!(
        again.took < EXHAUSTED_BOUND,
        "after the release it took {:?}",
        again.took
    );
    assert_eq!(get_once(&http, &ready).await.status, Some(StatusCode::OK));
    let refused = answers.len();
    eprintln!(
        "exhausted pool ({EXHAUSTED_POOL_WAIT:?} wait): {refused} requests answered 503 in at most {slowest:?}; \
         the blocked one completed after {:?}",
        blocked.took
    );
}

async fn collect_answers(tasks: Vec<tokio::task::JoinHandle<Answer>>) -> Vec<Answer> {
    let mut all = Vec::new();
    for t in tasks {
        all.push(t.await.expect("a request task"));
    }
    all
}
