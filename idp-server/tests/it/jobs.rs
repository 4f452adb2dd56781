//! Background jobs: the purge of expired rows, scheduled signing-key
//! rotation (one winner among instances sharing a database) and the removal
//! of retired keys from the JWKS. Real servers, real SQLite files; rows are
//! counted by opening the file beside the server.

use crate::support::*;
use idp_server::config::Config;
use idp_server::jobs::JobsConfig;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;
use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

/// Jobs off, except what a test turns on; no clock-skew margin, so rows go
/// as soon as the core's rule allows.
fn quiet_jobs() -> JobsConfig {
    JobsConfig {
        purge_interval: None,
        checkpoint_interval: None,
        key_rotation_after: None,
        key_check_interval: Duration::from_secs(3600),
        clock_skew: 0,
    }
}

/// Opens the server's SQLite file (a second connection, as another process would).
fn db(server: &TestServer) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(server.dir.path().join("idp.db")).expect("open the db");
    conn.busy_timeout(Duration::from_secs(5))
        .expect("busy timeout");
    conn
}

/// The key of every row, per table that the purge cleans.
fn snapshot(server: &TestServer) -> BTreeMap<&'static str, BTreeSet<String>> {
    let conn = db(server);
    [
        ("codes", "hex(code_hash)"),
        ("interactions", "hex(id_hash)"),
        ("device_codes", "hex(device_code_hash)"),
        ("sessions", "id"),
        ("session_clients", "session_id || '/' || client_id"),
        ("refresh_tokens", "hex(token_hash)"),
        ("revoked_access_tokens", "jti"),
        ("revoked_grants", "grant_id"),
        ("client_assertions", "jti"),
    ]
    .into_iter()
    .map(|(table, key)| {
        let mut stmt = conn
            .prepare(&format!("SELECT {key} FROM {table}"))
            .expect("prepare");
        let keys = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<Result<BTreeSet<_>, _>>()
            .expect("rows");
        (table, keys)
    })
    .collect()
}

fn claim(token: &str, name: &str) -> String {
    jwt_parts(token).1[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {token}"))
        .to_owned()
}

fn kid(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_every_kind_of_expired_row_and_keeps_live_ones() {
    let server = TestServer::start_config(|c: &mut Config| {
        c.lifetimes = idp_core::Lifetimes {
            code: 4,
            interaction: 5,
            device_code: 2,
            access_token: 3,
            id_token: 3,
            session: 10,
            refresh_token: 10,
            ..test_lifetimes()
        };
        c.jobs = JobsConfig {
            purge_interval: Some(Duration::from_millis(300)),
            ..quiet_jobs()
        };
    })
    .await;
    let env = Env::with_server(server).await;
    let offline = AuthOptions::scopes(&["offline_access"]);

    // Rows that will expire. A code flow: a consumed code, a session, the
    // session's client, a refresh token, rotated once.
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &offline).await;
    let at1 = access_token_of(&first.tokens);
    let rt1 = refresh_token_of(&first.tokens).expect("refresh token");
    let rotated = rp.refresh(&rt1).await.expect("refresh");
    let at2 = access_token_of(&rotated);
    let rt2 = refresh_token_of(&rotated).expect("rotated refresh token");
    // Revocations: one access token, one grant.
    let revoke = |token: String, hint: &'static str| {
        let env = &env;
        async move {
            let res = client_post(
                &env.endpoints.revocation,
                ClientAuth::of(&env.client),
                &[("token", &token), ("token_type_hint", hint)],
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        }
    };
    revoke(at2.clone(), "access_token").await;
    revoke(rt2, "refresh_token").await;
    // A code issued and never redeemed.
    let req = rp.auth_request(&offline);
    let (unredeemed, pages) = browser
        .authorize(req.url.as_str(), &env.client.redirect_uri, &env.user)
        .await;
    assert!(
        pages.is_empty(),
        "the session signed in silently: {pages:?}"
    );
    assert!(!unredeemed.code().is_empty());
    // An interaction abandoned on the login page.
    let stranger = Browser::new();
    let mut abandoned = stranger.get(rp.auth_request(&offline).url.as_str()).await;
    if abandoned.status.is_redirection() {
        abandoned = stranger.get(abandoned.redirect().as_str()).await;
    }
    assert!(abandoned.is_login_page(), "{}", abandoned.body);
    // A device authorization never approved.
    let tv = env.client(&ClientSpec {
        grant_types: vec!["urn:ietf:params:oauth:grant-type:device_code".into()],
        ..ClientSpec::public("TV")
    });
    let res = client_post(
        &env.endpoints.device_authorization,
        ClientAuth::of(&tv),
        &[("scope", "openid")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A private_key_jwt assertion's jti, remembered against replay.
    let key = ClientKey::generate("k1");
    let signer = env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks: Some(key.jwks()),
        ..ClientSpec::service("Signer", &["jobs"], &[])
    });
    let assertion = key.assertion(&signer.client_id, &env.endpoints.token, 2);
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A session revoked by the administrator.
    let victim = env
        .rp(&env.client)
        .await
        .flow(&Browser::new(), &env.user, &offline)
        .await;
    let victim_at = access_token_of(&victim.tokens);
    let sid = claim(&id_token_of(&victim.tokens), "sid");
    let out = env
        .server
        .cli(&["session", "revoke", "--tenant", "acme", &sid], None);
    assert!(out.success, "{}", out.stderr);

    let before = snapshot(&env.server);
    for (table, keys) in &before {
        assert!(!keys.is_empty(), "the flows left no row in {table}");
    }
    let revoked_sessions: i64 = db(&env.server)
        .query_row(
            "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(revoked_sessions, 1);

    // Purges run meanwhile, but revocation records outlive the tokens they
    // revoke: these stay inactive while they could still be presented.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for token in [&at2, &victim_at] {
        assert_eq!(
            introspect(&env.endpoints, &env.client, token).await["active"],
            false
        );
    }
    let _ = at1;

    // Everything above expires within 10 s (sessions, refresh tokens) and
    // goes at the next purge.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = snapshot(&env.server);
        let left: Vec<(&str, usize)> = before
            .iter()
            .map(|(table, keys)| (*table, keys.intersection(&now[table]).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "expired rows were not purged: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Live rows survive the purges that keep running.
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let live = rp.flow(&browser, &env.user, &offline).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at = access_token_of(&live.tokens);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    rp.refresh(&refresh_token_of(&live.tokens).expect("refresh token"))
        .await
        .expect("the live refresh token still rotates");
    let (_, pages) = browser
        .authorize(
            rp.auth_request(&AuthOptions::default()).url.as_str(),
            &env.client.redirect_uri,
            &env.user,
        )
        .await;
    assert!(pages.is_empty(), "the live session was lost: {pages:?}");
    let after = snapshot(&env.server);
    assert!(after["sessions"].contains(&claim(&id_token_of(&live.tokens), "sid")));
}

/// The active kids of the tenant, as stored.
fn active_kids(server: &TestServer, tenant_id: &str) -> BTreeSet<String> {
    let conn = db(server);
    let mut stmt = conn
        .prepare("SELECT kid FROM signing_keys WHERE tenant_id = ?1 AND retired_at IS NULL")
        .expect("prepare");
    stmt.query_map([tenant_id], |r| r.get::<_, String>(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_on_schedule_and_retired_keys_leave_the_jwks_after_their_tokens() {
    let server = TestServer::start_config(|c: &mut Config| {
        c.lifetimes = idp_core::Lifetimes {
            access_token: 30,
            id_token: 30,
            ..test_lifetimes()
        };
        c.jobs = JobsConfig {
            key_rotation_after: Some(3),
            key_check_interval: Duration::from_millis(300),
            ..quiet_jobs()
        };
    })
    .await;
    let env = Env::with_server(server).await;
    let rp = env.rp(&env.client).await;
    let before = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let old_kid = kid(&id_token_of(&before.tokens));
    let old_access_kid = kid(&access_token_of(&before.tokens));

    // Within the rotation age plus a check interval, the keys that signed
    // them are retired; within the tenant cache the JWKS shows their
    // successors and still the old keys.
    let deadline = Instant::now() + Duration::from_secs(15);
    while active_kids(&env.server, &env.tenant.id).contains(&old_kid) {
        assert!(Instant::now() < deadline, "{old_kid} was never rotated");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let successors = active_kids(&env.server, &env.tenant.id);
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let published: BTreeSet<String> = kids(&jwks(&env.endpoints).await).into_iter().collect();
    assert!(published.contains(&old_kid), "{published:?}");
    assert!(published.contains(&old_access_kid), "{published:?}");
    assert!(
        successors.iter().any(|k| published.contains(k)),
        "{published:?} lacks the new keys {successors:?}"
    );
    // What the old key signed still verifies against the JWKS.
    let rp = env.rp(&env.client).await;
    rp.verify_id_token(&before.tokens, Some(&before.nonce), RS256);
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access_token_of(&before.tokens))
            .await
            .status,
        StatusCode::OK
    );
    // New tokens use a new key.
    let after = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let new_kid = kid(&id_token_of(&after.tokens));
    assert_ne!(new_kid, old_kid);
    assert_ne!(kid(&access_token_of(&after.tokens)), old_access_kid);
    rp.verify_id_token(&after.tokens, Some(&after.nonce), RS256);

    // A retired key stays published for the tenant cache plus the longest
    // token lifetime (logout tokens: 120 s here). Rather than wait, move the
    // old keys' retirement into the past: they leave, the newer keys stay.
    let conn = db(&env.server);
    let backdated = conn
        .execute(
            "UPDATE signing_keys SET retired_at = retired_at - 200
             WHERE tenant_id = ?1 AND retired_at = (
               SELECT retired_at FROM signing_keys WHERE tenant_id = ?1 AND kid = ?2)",
            rusqlite::params![env.tenant.id, old_kid],
        )
        .expect("backdate");
    assert_eq!(backdated, 3, "one key per algorithm, retired together");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now: BTreeSet<String> = kids(&jwks(&env.endpoints).await).into_iter().collect();
        if !now.contains(&old_kid) && !now.contains(&old_access_kid) {
            // The key of the newer tokens, active or recently retired, stays.
            assert!(now.contains(&new_kid), "{now:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{old_kid} still published: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The old access token no longer verifies (in reality it would have expired).
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access_token_of(&before.tokens))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_rotating_at_once_store_one_new_key_set_per_tenant() {
    // The first server provisions; its jobs stay quiet.
    let provisioner = TestServer::start_config(|c: &mut Config| c.jobs = quiet_jobs()).await;
    let tenants: Vec<Tenant> = ["t1", "t2", "t3"]
        .iter()
        .map(|slug| provisioner.create_tenant(slug))
        .collect();
    let initial: Vec<BTreeSet<String>> = tenants
        .iter()
        .map(|t| active_kids(&provisioner, &t.id))
        .collect();
    // Make every tenant's keys old enough to rotate.
    db(&provisioner)
        .execute("UPDATE signing_keys SET created_at = created_at - 1000", [])
        .expect("age the keys");

    // Two more servers on the same file, started together, both due to check
    // the keys at the same instant.
    let config = || {
        let mut c = Config::for_tests(provisioner.database_url.clone(), KEY_HEX.to_owned());
        c.lifetimes = test_lifetimes();
        c.jobs = JobsConfig {
            key_rotation_after: Some(600),
            key_check_interval: Duration::from_millis(400),
            ..quiet_jobs()
        };
        c
    };
    let (a, b) = tokio::join!(
        idp_server::server::start(config()),
        idp_server::server::start(config())
    );
    let (a, b) = (a.expect("server a"), b.expect("server b"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    a.shutdown().await;
    b.shutdown().await;

    let conn = db(&provisioner);
    for (tenant, initial) in tenants.iter().zip(&initial) {
        let active = active_kids(&provisioner, &tenant.id);
        assert_eq!(active.len(), 3, "one active key per algorithm: {active:?}");
        assert!(
            active.is_disjoint(initial),
            "{} was not rotated",
            tenant.slug
        );
        let total: i64 = conn
            .query_row(
                "SELECT count(*) FROM signing_keys WHERE tenant_id = ?1",
                [&tenant.id],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(total, 6, "{}: exactly one new key set", tenant.slug);
    }
}

/// `sso_job_processing_duration_seconds_count{job="…"}` as scraped.
async fn job_runs(base_url: &str, job: &str) -> f64 {
    let body = get(&format!("{base_url}/metrics")).await.body;
    let label = format!("job=\"{job}\"");
    body.lines()
        .find(|l| l.starts_with("sso_job_processing_duration_seconds_count{") && l.contains(&label))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jobs_are_measured_and_stop_with_the_server() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let db_path = dir.path().join("idp.db");
    let database_url = format!("sqlite:{}", db_path.display());
    let mut config = Config::for_tests(database_url.clone(), KEY_HEX.to_owned());
    config.lifetimes = test_lifetimes();
    config.jobs = JobsConfig {
        purge_interval: Some(Duration::from_millis(50)),
        checkpoint_interval: Some(Duration::from_millis(50)),
        key_rotation_after: Some(1),
        key_check_interval: Duration::from_millis(50),
        clock_skew: 0,
    };
    let running = idp_server::server::start(config)
        .await
        .expect("the server starts");
    let base_url = running.base_url.clone();
    let out = run_cli(
        dir.path(),
        &database_url,
        &base_url,
        &["tenant", "create", "acme"],
        None,
    );
    assert!(out.success, "{}", out.stderr);

    let jobs = ["purge", "checkpoint", "key_rotation"];
    let mut before = Vec::new();
    for job in jobs {
        before.push(job_runs(&base_url, job).await);
    }
    tokio::time::sleep(Duration::from_millis(1500)).await;
    for (job, before) in jobs.iter().zip(before) {
        let after = job_runs(&base_url, job).await;
        assert!(after > before, "{job}: {before} runs, then {after}");
    }
    let scraped = get(&format!("{base_url}/metrics")).await.body;
    assert!(
        scraped
            .lines()
            .any(|l| l.starts_with("sso_job_queue_depth ")),
        "{scraped}"
    );

    // Keys rotate every second while the server runs, and never after it stopped.
    let conn = rusqlite::Connection::open(&db_path).expect("open the db");
    let keys = || -> i64 {
        conn.query_row("SELECT count(*) FROM signing_keys", [], |r| r.get(0))
            .expect("count")
    };
    assert!(keys() > 3, "no rotation while the server ran");
    let stopping = Instant::now();
    running.shutdown().await;
    assert!(
        stopping.elapsed() < Duration::from_secs(3),
        "shutdown took {:?}",
        stopping.elapsed()
    );
    let after_stop = keys();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(keys(), after_stop, "a job ran after shutdown");
    let ok: String = conn
        .query_row("PRAGMA integrity_check", [], |r| r.get(0))
        .expect("integrity check");
    assert_eq!(ok, "ok");
}

#[test]
fn bad_job_settings_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (var, value, flag) in [
        ("PURGE_INTERVAL_SECONDS", "soon", None),
        ("CHECKPOINT_INTERVAL_SECONDS", "-1", None),
        ("KEY_ROTATION_DAYS", "99999", None),
        ("KEY_ROTATION_DAYS", "1", Some("--key-rotation-days=x")),
    ] {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_idp-server"));
        cmd.current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite:{}/idp.db", dir.path().display()),
            )
            .env("ENCRYPTION_KEY", KEY_HEX)
            .env("SERVER_PORT", "0")
            .env(var, value);
        cmd.arg("serve");
        if let Some(flag) = flag {
            cmd.arg(flag);
        }
        let out = cmd.output().expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{var}={value} {flag:?} was accepted");
        assert!(
            stderr
                .lines()
                .any(|l| l.starts_with(&format!("error: {var}: "))),
            "{var}={value} {flag:?}: {stderr}"
        );
    }
}
