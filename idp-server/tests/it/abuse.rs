//! Brute-force and abuse protection through real HTTP: login lockouts per
//! (account, address) and per address, client-authentication lockouts per
//! (client, address) and per address, failures from other addresses never
//! refusing the right password or secret (issue 12, defect 6), request
//! rates at the token and introspection endpoints, `TRUST_PROXY`, and the
//! connection limits (oversized heads and bodies, slow and idle clients).

use crate::support::*;
use idp_server::config::Config;
use idp_server::forwarded::IpBlocks;
use reqwest::StatusCode;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::{Duration, Instant};

/// The first lockout in tests: short, but longer than a password hash
/// takes in a debug build on a busy machine, so consecutive attempts fall
/// inside it.
const LOCKOUT: Duration = Duration::from_secs(3);

/// Limits for tests: nothing exempt (the tests speak from loopback), short
/// lockouts and slowdowns, generous everything else.
fn limits(config: &mut Config) {
    let r = &mut config.rate_limits;
    r.exempt = IpBlocks::default();
    r.lockout = LOCKOUT;
    r.lockout_max = LOCKOUT * 2;
    r.slowdown_max = Duration::from_millis(50);
    r.login_per_account = 100;
    r.login_per_ip = 100;
    r.client_auth_per_client = 100;
    r.client_auth_per_ip = 100;
    r.token_per_ip = 0;
    r.introspection_per_client = 0;
}

fn behind_proxy(config: &mut Config) {
    config.trust_proxy = IpBlocks::parse("127.0.0.1").expect("loopback block");
}

/// A fresh browser on the login page of a new authorization request.
async fn login_page(env: &Env) -> (Browser, Resp) {
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    assert!(page.is_login_page(), "{}", page.body);
    (browser, page)
}

/// Submits `page`'s login form as `email` from `forwarded_for`.
async fn login(browser: &Browser, page: &Resp, email: &str, password: &str, from: &str) -> Resp {
    let form = page
        .form_with("name=\"password\"")
        .unwrap_or_else(|| panic!("no login form: {}", page.body));
    let fields = form.filled(&[("username", email), ("password", password)]);
    let res = browser
        .http
        .post(form.action.clone())
        .header("x-forwarded-for", from)
        .form(&fields)
        .send()
        .await
        .expect("login POST");
    Resp::read(form.action.clone(), res).await
}

/// The text of the page's error element.
fn error_text(page: &Resp) -> String {
    let start = page.body.find("id=\"error\"").map(|i| i + 10);
    let text = start.and_then(|s| {
        let rest = &page.body[s..];
        let open = rest.find('>')? + 1;
        let close = rest[open..].find('<')?;
        Some(rest[open..open + close].trim().to_owned())
    });
    text.unwrap_or_else(|| panic!("no error element: {}", page.body))
}

fn retry_after(res: &Resp) -> u64 {
    res.header("retry-after")
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| {
            panic!(
                "no numeric Retry-After on {}: {:?}",
                res.status, res.headers
            )
        })
}

fn assert_locked_page(res: &Resp) {
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.is_login_page(), "the form is shown again: {}", res.body);
    assert!(
        error_text(res).contains("Too many failed sign-in attempts"),
        "{}",
        res.body
    );
    assert!((1..=LOCKOUT.as_secs()).contains(&retry_after(res)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_passwords_lock_out_their_address_not_the_account() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            limits(c);
            behind_proxy(c);
            c.rate_limits.login_per_account = 5;
        })
        .await,
    )
    .await;
    let alice = &env.user;
    let attacker = "198.51.100.66";
    let (browser, mut page) = login_page(&env).await;
    // Wrong passwords from a second address add to the account's count.
    for _ in 1..=5 {
        page = login(&browser, &page, &alice.email, "wrong", "198.51.100.67").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
    }
    for i in 1..=30 {
        page = login(&browser, &page, &alice.email, "wrong", attacker).await;
        if i <= 5 {
            assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
        } else {
            assert_locked_page(&page);
        }
    }
    // The attacker's address stays locked, even with the right password.
    let locked = login(&browser, &page, &alice.email, &alice.password, attacker).await;
    assert_locked_page(&locked);
    // Alice, from her own address, gets in (slowed down, not refused).
    let ok = login(
        &browser,
        &locked,
        &alice.email,
        &alice.password,
        "198.51.100.9",
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_lockout_hides_whether_the_account_exists() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            limits(c);
            behind_proxy(c);
            c.rate_limits.login_per_account = 3;
        })
        .await,
    )
    .await;
    let alice = &env.user;
    let (browser, mut page) = login_page(&env).await;
    for _ in 1..=3 {
        page = login(&browser, &page, &alice.email, "wrong", "198.51.100.1").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
    }
    let locked = login(
        &browser,
        &page,
        &alice.email,
        &alice.password,
        "198.51.100.1",
    )
    .await;
    assert_locked_page(&locked);
    // An email nobody has is counted and refused in the same words.
    let mut other = login(&browser, &locked, "nobody@acme.example", "x", "192.0.2.1").await;
    assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    for _ in 2..=3 {
        other = login(&browser, &other, "nobody@acme.example", "x", "192.0.2.1").await;
        assert_eq!(other.status, StatusCode::UNAUTHORIZED);
    }
    let unknown = login(&browser, &other, "NOBODY@acme.example ", "x", "192.0.2.1").await;
    assert_locked_page(&unknown);
    assert_eq!(error_text(&unknown), error_text(&locked));
    let metrics = get(&format!("{}/metrics", env.server.base_url)).await;
    assert!(
        metrics
            .body
            .contains("sso_login_failures_total{reason=\"rate_limited\"}"),
        "refusals are counted: {}",
        metrics.body
    );
    // Other accounts are not affected.
    let bob = env
        .server
        .create_user("acme", "bob@acme.example", "Bob", PASSWORD);
    let res = login(&browser, &unknown, &bob.email, "wrong", "198.51.100.1").await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    // After the lockout, the right password works there, and clears the count.
    tokio::time::sleep(Duration::from_secs(retry_after(&locked))).await;
    let ok = login(
        &browser,
        &res,
        &alice.email,
        &alice.password,
        "198.51.100.1",
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let (browser, page) = login_page(&env).await;
    let res = login(&browser, &page, &alice.email, "wrong", "198.51.100.1").await;
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "count starts over after a success"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_lockout_per_address_spans_accounts() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            limits(c);
            behind_proxy(c);
            c.rate_limits.login_per_ip = 3;
        })
        .await,
    )
    .await;
    let (browser, mut page) = login_page(&env).await;
    for who in ["a@acme.example", "b@acme.example", "c@acme.example"] {
        page = login(&browser, &page, who, "guess", "203.0.113.7").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let locked = login(
        &browser,
        &page,
        &env.user.email,
        &env.user.password,
        "203.0.113.7",
    )
    .await;
    assert_locked_page(&locked);
    // The address is locked, not the account: from elsewhere alice gets in.
    let ok = login(
        &browser,
        &locked,
        &env.user.email,
        &env.user.password,
        "203.0.113.8",
    )
    .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn device_page_sign_in_is_locked_out_too() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            limits(c);
            c.rate_limits.login_per_account = 2;
        })
        .await,
    )
    .await;
    let tv = env.tv_app();
    let auth = env.device_authorization(&tv, "openid").await;
    let browser = Browser::new();
    let entry = browser
        .get(
            auth["verification_uri_complete"]
                .as_str()
                .expect("complete URI"),
        )
        .await;
    let form = entry.form_with("name=\"user_code\"").expect("code form");
    let code = auth["user_code"].as_str().expect("user_code");
    let mut page = browser
        .post_form(
            form.action.as_str(),
            &[("csrf", &form.csrf()), ("user_code", code)],
        )
        .await;
    for _ in 0..2 {
        page = browser.submit_login(&page, &env.user.email, "wrong").await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED, "{}", page.body);
    }
    let locked = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    assert_locked_page(&locked);
}

/// A service client and a second confidential client on a limited server.
async fn token_env(adjust: impl FnOnce(&mut Config)) -> (Env, RegisteredClient, RegisteredClient) {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            limits(c);
            adjust(c);
        })
        .await,
    )
    .await;
    let service = env.client(&ClientSpec::service(
        "Service",
        &["read"],
        &["https://api.example"],
    ));
    let other = env.client(&ClientSpec::service(
        "Other",
        &["read"],
        &["https://api.example"],
    ));
    (env, service, other)
}

async fn client_credentials(env: &Env, id: &str, secret: &str, from: Option<&str>) -> Resp {
    let mut req = plain_client()
        .post(&env.endpoints.token)
        .basic_auth(form_encode(id), Some(form_encode(secret)))
        .form(&[("grant_type", "client_credentials")]);
    if let Some(ip) = from {
        req = req.header("x-forwarded-for", ip);
    }
    let url = url::Url::parse(&env.endpoints.token).expect("token URL");
    Resp::read(url, req.send().await.expect("token request")).await
}

fn assert_json_429(res: &Resp) {
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert_eq!(
        res.json()["error"],
        "temporarily_unavailable",
        "{}",
        res.body
    );
    assert!(retry_after(res) >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_secrets_lock_out_their_address_not_the_client() {
    let (env, service, other) = token_env(|c| {
        behind_proxy(c);
        c.rate_limits.client_auth_per_client = 20;
    })
    .await;
    let attacker = Some("192.0.2.66");
    let secret = service.client_secret.clone().expect("secret");
    let other_secret = other.client_secret.clone().expect("secret");
    for i in 1..=30 {
        let res = client_credentials(&env, &service.client_id, "wrong", attacker).await;
        if i <= 20 {
            res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
        } else {
            assert_json_429(&res);
        }
    }
    // A second address adds 20 more failures to the client's count.
    for _ in 1..=20 {
        let res = client_credentials(&env, &service.client_id, "wrong", Some("192.0.2.67")).await;
        res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // The attacker's address stays locked for this client, right secret or not.
    let locked = client_credentials(&env, &service.client_id, &secret, attacker).await;
    assert_json_429(&locked);
    // The real client, from its own address, gets tokens and introspects.
    let res = client_credentials(&env, &service.client_id, &secret, Some("192.0.2.10")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let token = res.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();
    let res = plain_client()
        .post(&env.endpoints.introspection)
        .basic_auth(form_encode(&service.client_id), Some(form_encode(&secret)))
        .header("x-forwarded-for", "192.0.2.10")
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("introspection request");
    assert_eq!(res.status(), StatusCode::OK);
    // Another client, from the attacker's own address, is not affected.
    for _ in 0..3 {
        let res = client_credentials(&env, &other.client_id, &other_secret, attacker).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    tokio::time::sleep(Duration::from_secs(retry_after(&locked))).await;
    let res = client_credentials(&env, &service.client_id, &secret, attacker).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "recovered after the lockout: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_client_authentication_locks_the_address() {
    let (env, service, _) = token_env(|c| {
        behind_proxy(c);
        c.rate_limits.client_auth_per_ip = 3;
    })
    .await;
    let secret = service.client_secret.clone().expect("secret");
    for i in 0..3 {
        let res = client_credentials(&env, &format!("guess-{i}"), "x", Some("192.0.2.20")).await;
        res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let locked = client_credentials(&env, &service.client_id, &secret, Some("192.0.2.20")).await;
    assert_json_429(&locked);
    let res = client_credentials(&env, &service.client_id, &secret, Some("192.0.2.21")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forwarded_for_is_ignored_without_trust_proxy() {
    let (env, _, _) = token_env(|c| c.rate_limits.client_auth_per_ip = 2).await;
    for ip in ["192.0.2.1", "192.0.2.2"] {
        let res = client_credentials(&env, "nobody", "x", Some(ip)).await;
        res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    // A fresh X-Forwarded-For does not make a fresh client: the peer is locked.
    let res = client_credentials(&env, "nobody", "x", Some("192.0.2.3")).await;
    assert_json_429(&res);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn token_and_introspection_request_rates() {
    let (env, service, other) = token_env(|c| {
        c.rate_limits.token_per_ip = 3;
        c.rate_limits.introspection_per_client = 2;
    })
    .await;
    let secret = service.client_secret.clone().expect("secret");
    // Burst of twice the rate, then 429.
    let mut token = String::new();
    for _ in 0..6 {
        let res = client_credentials(&env, &service.client_id, &secret, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        token = res.json()["access_token"]
            .as_str()
            .expect("token")
            .to_owned();
    }
    assert_json_429(&client_credentials(&env, &service.client_id, &secret, None).await);
    let introspect = |c: &RegisteredClient| {
        let c = c.clone();
        let (url, token) = (env.endpoints.introspection.clone(), token.clone());
        async move { client_post(&url, ClientAuth::of(&c), &[("token", &token)]).await }
    };
    for _ in 0..4 {
        let res = introspect(&service).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
    assert_json_429(&introspect(&service).await);
    let res = introspect(&other).await;
    assert_eq!(res.status, StatusCode::OK, "per client: {}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_is_exempt_from_request_rates_by_default() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            // The defaults but for a tiny rate: loopback must not meet it.
            c.rate_limits.token_per_ip = 1;
        })
        .await,
    )
    .await;
    let service = env.client(&ClientSpec::service(
        "Bench",
        &["read"],
        &["https://api.example"],
    ));
    let secret = service.client_secret.clone().expect("secret");
    for _ in 0..20 {
        let res = client_credentials(&env, &service.client_id, &secret, None).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    }
}

/// Sends `head` (and `body`) on a raw connection; returns what came back
/// until the server closed or `wait` passed.
fn raw_exchange(port: u16, head: &[u8], body: &[u8], wait: Duration) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(wait)).expect("timeout");
    s.write_all(head).expect("send head");
    s.write_all(body).expect("send body");
    let mut out = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        match s.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => out.extend_from_slice(&buf[..n]),
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_heads_get_431_and_oversized_bodies_413() {
    let server = TestServer::start().await;
    let port = server.port;
    let health = format!("http://127.0.0.1:{port}/health");
    let big = format!(
        "GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {}\r\n\r\n",
        "a".repeat(40 * 1024)
    );
    let out = tokio::task::spawn_blocking(move || {
        raw_exchange(port, big.as_bytes(), b"", Duration::from_secs(5))
    })
    .await
    .expect("raw client");
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    let many: String = (0..150).map(|i| format!("X-H{i}: v\r\n")).collect();
    let many = format!("GET /health HTTP/1.1\r\nHost: x\r\n{many}\r\n");
    let out = tokio::task::spawn_blocking(move || {
        raw_exchange(port, many.as_bytes(), b"", Duration::from_secs(5))
    })
    .await
    .expect("raw client");
    assert!(out.starts_with("HTTP/1.1 431"), "{out}");
    let res = get(&health).await;
    assert_eq!(res.status, StatusCode::OK, "still serving");
    let res = plain_client()
        .post(format!("http://127.0.0.1:{port}/t/acme/token"))
        .body(vec![b'a'; 100 * 1024])
        .send()
        .await
        .expect("POST");
    assert_eq!(res.status(), StatusCode::PAYLOAD_TOO_LARGE);
    // A broken chunked body is the client's fault: 400, not 413 or 5xx.
    let out = tokio::task::spawn_blocking(move || {
        let head = b"POST /t/acme/token HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
        raw_exchange(port, head, b"zz\r\nabc\r\n", Duration::from_secs(5))
    })
    .await
    .expect("raw client");
    assert!(out.starts_with("HTTP/1.1 400"), "{out}");
    assert_eq!(get(&health).await.status, StatusCode::OK);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_get_408_and_idle_connections_close() {
    let server = TestServer::start_config(|c| {
        c.http_limits.body_read_timeout = Duration::from_millis(500);
        c.http_limits.header_read_timeout = Duration::from_secs(1);
    })
    .await;
    let port = server.port;
    // A body promised but trickled: 408 and the connection closes.
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        let head = b"POST /t/acme/token HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\n";
        raw_exchange(port, head, b"grant_type=", Duration::from_secs(5))
    })
    .await
    .expect("raw client");
    assert!(out.starts_with("HTTP/1.1 408"), "{out}");
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "closed, not held"
    );
    // A kept-alive connection with nothing more to say is closed.
    let started = Instant::now();
    let out = tokio::task::spawn_blocking(move || {
        raw_exchange(
            port,
            b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
            b"",
            Duration::from_secs(5),
        )
    })
    .await
    .expect("raw client");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    let idle = started.elapsed();
    assert!(
        idle >= Duration::from_millis(900) && idle < Duration::from_secs(4),
        "idle connection closed after {idle:?}"
    );
}

#[test]
fn bad_limit_settings_stop_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, value) in [
        ("TRUST_PROXY", "proxy.example"),
        ("RATE_LIMIT", "sometimes"),
        ("RATE_LIMIT_LOGIN_ACCOUNT", "five"),
        ("RATE_LIMIT_LOCKOUT_MAX", "1"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_idp-server"))
            .args(["tenant", "list"])
            .current_dir(dir.path())
            .env(
                "DATABASE_URL",
                format!("sqlite:{}/idp.db", dir.path().display()),
            )
            .env("ENCRYPTION_KEY", KEY_HEX)
            .env(name, value)
            .output()
            .expect("the binary runs");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{name}={value} accepted");
        assert!(stderr.contains(name), "{name}={value}: {stderr}");
    }
}
