//! What the server process writes to standard error during a full flow at
//! `LOG_LEVEL=debug`, in both formats: one line per request with route,
//! status, latency and tenant, and not one of the secrets the flow used or
//! received — password, client secret, code, PKCE verifier, tokens, device
//! and user codes, CSRF token, session cookie, interaction id.

use crate::support::*;
use openidconnect::CsrfToken;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::Duration;

const AFTER_LOGOUT: &str = "https://rp.example/bye";

/// A secret the flow handled, with what it is (for the failure message).
type Secret = (&'static str, String);

/// `client create --tenant acme ARGS --json` on the process's database.
fn create_client(proc: &ServerProcess, name: &str, args: &[&str]) -> RegisteredClient {
    let mut all = vec!["client", "create", "--tenant", "acme", "--name", name];
    all.extend_from_slice(args);
    all.push("--json");
    let v = proc.cli_json(&all, None);
    let redirect_uri = args
        .windows(2)
        .find(|w| w[0] == "--redirect-uri")
        .map_or(String::new(), |w| w[1].to_owned());
    RegisteredClient {
        client_id: v["client_id"].as_str().expect("client_id").to_owned(),
        client_secret: v["client_secret"].as_str().map(str::to_owned),
        redirect_uri,
        auth_method: v["token_endpoint_auth_method"]
            .as_str()
            .unwrap_or("")
            .to_owned(),
        json: v,
    }
}

fn field(v: &Value, name: &str) -> String {
    v[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {v}"))
        .to_owned()
}

/// Provisions tenant `acme` through the CLI and runs every flow against the
/// process: a failed and a good login through the pages, code exchange,
/// refresh, userinfo, introspection, revocation, client credentials, the
/// device flow and logout. Returns every secret involved.
async fn full_flow(proc: &ServerProcess) -> Vec<Secret> {
    let mut secrets: Vec<Secret> = vec![("password", PASSWORD.to_owned())];
    proc.cli_json(&["tenant", "create", "acme", "--json"], None);
    proc.cli_json(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "alice@acme.example",
            "--password-stdin",
            "--json",
        ],
        Some(&format!("{PASSWORD}\n")),
    );
    let user = User {
        id: String::new(),
        email: "alice@acme.example".into(),
        name: String::new(),
        password: PASSWORD.into(),
    };
    let web = create_client(
        proc,
        "Web",
        &[
            "--redirect-uri",
            REDIRECT_URI,
            "--post-logout-redirect-uri",
            AFTER_LOGOUT,
        ],
    );
    let svc = create_client(
        proc,
        "Svc",
        &[
            "--grant-type",
            "client_credentials",
            "--scope",
            "read",
            "--audience",
            "https://api.example",
        ],
    );
    let tv = create_client(
        proc,
        "TV",
        &[
            "--public",
            "--grant-type",
            DEVICE_GRANT,
            "--grant-type",
            "refresh_token",
        ],
    );
    for c in [&web, &svc] {
        secrets.push(("client secret", c.client_secret.clone().expect("secret")));
    }
    let issuer = proc.issuer("acme");
    let endpoints = discover(&issuer).await;

    // Code flow through the pages, with one wrong password first.
    let rp = Rp::discover(&issuer, &web).await;
    let req = rp.auth_request(&AuthOptions::scopes(&["offline_access", "email"]));
    secrets.push(("PKCE verifier", req.verifier.clone().expect("PKCE")));
    let browser = Browser::new();
    let page_url = browser.get(req.url.as_str()).await.redirect();
    let interaction = page_url
        .path()
        .split("/interaction/")
        .nth(1)
        .expect("an interaction page")
        .to_owned();
    secrets.push(("interaction id", interaction));
    let page = browser.get(page_url.as_str()).await;
    let csrf = page
        .form_with("name=\"password\"")
        .expect("login form")
        .csrf();
    secrets.push(("CSRF token", csrf));
    let wrong = format!("wrong-{}", CsrfToken::new_random().secret());
    secrets.push(("wrong password", wrong.clone()));
    let retry = browser.submit_login(&page, &user.email, &wrong).await;
    assert!(retry.is_login_page(), "{}", retry.body);
    let signed_in = browser
        .submit_login(&retry, &user.email, &user.password)
        .await;
    let (callback, _) = browser.finish(signed_in, REDIRECT_URI, &user).await;
    let code = callback.code();
    secrets.push(("authorization code", code.clone()));
    secrets.push((
        "session cookie",
        browser
            .cookie(&format!("{issuer}/authorize"), "idp_session")
            .expect("a session cookie"),
    ));
    let tokens = rp
        .exchange(&code, req.verifier.as_deref())
        .await
        .expect("code exchange");
    let (at, id_token) = (access_token_of(&tokens), id_token_of(&tokens));
    let rt = refresh_token_of(&tokens).expect("refresh token");
    let refreshed = rp.refresh(&rt).await.expect("refresh");
    let (at2, rt2) = (
        access_token_of(&refreshed),
        refresh_token_of(&refreshed).expect("rotated refresh token"),
    );
    secrets.extend([
        ("access token", at.clone()),
        ("ID token", id_token.clone()),
        ("refresh token", rt),
        ("refreshed access token", at2.clone()),
        ("rotated refresh token", rt2.clone()),
    ]);
    let info = get_bearer(&endpoints.userinfo, &at2).await;
    assert_eq!(info.status, StatusCode::OK, "{}", info.body);
    assert_eq!(introspect(&endpoints, &web, &at2).await["active"], true);
    let res = client_post(
        &endpoints.revocation,
        ClientAuth::of(&web),
        &[("token", &rt2)],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Client credentials.
    let res = token_request(
        &endpoints.token,
        ClientAuth::of(&svc),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    secrets.push(("service access token", field(&res.json(), "access_token")));

    // Device flow: codes, entry page, sign-in, approval, poll.
    let auth = client_post(
        &endpoints.device_authorization,
        ClientAuth::of(&tv),
        &[("scope", "openid offline_access")],
    )
    .await
    .json();
    let (device_code, user_code) = (field(&auth, "device_code"), field(&auth, "user_code"));
    secrets.push(("device_code", device_code.clone()));
    secrets.push(("user_code", user_code.clone()));
    let tv_browser = Browser::new();
    let entry = tv_browser.get(&field(&auth, "verification_uri")).await;
    let form = entry.form_with("name=\"user_code\"").expect("code form");
    let login = tv_browser
        .post_form(
            form.action.as_str(),
            &[("csrf", &form.csrf()), ("user_code", &user_code)],
        )
        .await;
    let confirm = tv_browser
        .submit_login(&login, &user.email, &user.password)
        .await;
    let done = tv_browser.submit_consent(&confirm, "allow").await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.body);
    if let Some(c) = tv_browser.cookie(&format!("{issuer}/authorize"), "idp_session") {
        secrets.push(("device page session cookie", c));
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = token_request(
        &endpoints.token,
        ClientAuth::of(&tv),
        &[("grant_type", DEVICE_GRANT), ("device_code", &device_code)],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let device_tokens = res.json();
    for name in ["access_token", "refresh_token", "id_token"] {
        secrets.push(("device flow token", field(&device_tokens, name)));
    }

    // RP-initiated logout with the ID token in the query string.
    let res = browser
        .get(&with_query(
            &endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        ))
        .await;
    assert!(
        res.status.is_redirection() || res.status == StatusCode::OK,
        "logout: {} {}",
        res.status,
        res.body
    );

    // The admin API: a key, a narrower copy of it, a client and a user
    // created with it, a secret rotated; a wrong key is refused.
    let key = proc.cli_json(&["api-key", "create", "--name", "ops", "--json"], None);
    let key = field(&key, "key");
    let narrowed = proc.cli(
        &["api-key", "attenuate", "--read-only"],
        Some(&format!("{key}\n")),
    );
    assert!(narrowed.success, "{}", narrowed.stderr);
    let narrowed = narrowed.stdout.trim().to_owned();
    let api = format!("{}/api/v1/tenants/acme", proc.base_url);
    let http = reqwest::Client::new();
    let api_password = format!("api-{}", CsrfToken::new_random().secret());
    let created = http
        .post(format!("{api}/clients"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"name": "Api", "redirect_uris": [REDIRECT_URI]}))
        .send()
        .await
        .expect("admin API");
    assert_eq!(created.status(), StatusCode::CREATED);
    let created: Value = created.json().await.expect("JSON");
    let api_client = field(&created, "client_id");
    let rotated = http
        .post(format!("{api}/clients/{api_client}/secret"))
        .bearer_auth(&key)
        .send()
        .await
        .expect("admin API");
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated: Value = rotated.json().await.expect("JSON");
    let user = http
        .post(format!("{api}/users"))
        .bearer_auth(&key)
        .json(&serde_json::json!({"email": "bob@acme.example", "password": api_password}))
        .send()
        .await
        .expect("admin API");
    assert_eq!(user.status(), StatusCode::CREATED);
    let read = http
        .get(format!("{api}/users?limit=5"))
        .bearer_auth(&narrowed)
        .send()
        .await
        .expect("admin API");
    assert_eq!(read.status(), StatusCode::OK);
    let wrong = format!("{key}x");
    let refused = http
        .get(format!("{api}/users"))
        .bearer_auth(&wrong)
        .send()
        .await
        .expect("admin API");
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    secrets.extend([
        ("API key", key),
        ("attenuated API key", narrowed),
        (
            "client secret made through the API",
            field(&created, "client_secret"),
        ),
        ("rotated client secret", field(&rotated, "client_secret")),
        ("password set through the API", api_password),
    ]);
    secrets
}

/// Waits until the process has logged the last request, then returns its
/// standard error.
async fn settled_logs(proc: &ServerProcess, lines_expected: usize) -> String {
    for _ in 0..50 {
        let logs = proc.logs();
        if logs.matches("request").count() >= lines_expected {
            return logs;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    proc.logs()
}

fn assert_no_secret(logs: &str, secrets: &[Secret]) {
    assert!(secrets.len() >= 20, "the flow collected its secrets");
    for (what, secret) in secrets {
        assert!(
            secret.len() >= 8,
            "{what} too short to search for: {secret:?}"
        );
        assert!(
            !logs.contains(secret.as_str()),
            "the {what} appears in the server's log:\n{}",
            logs.lines()
                .filter(|l| l.contains(secret.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_of_a_full_flow_carry_no_secret_and_describe_each_request() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let proc = ServerProcess::spawn(
        dir.path(),
        &[("LOG_FORMAT", "json"), ("LOG_LEVEL", "debug")],
    );
    let secrets = full_flow(&proc).await;
    let logs = settled_logs(&proc, 20).await;
    assert_no_secret(&logs, &secrets);

    let events: Vec<Value> = logs
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let requests: Vec<&Value> = events
        .iter()
        .filter(|e| e["message"] == "request")
        .collect();
    let token = requests
        .iter()
        .find(|e| e["route"] == "/t/{tenant}/token" && e["status"] == 200)
        .unwrap_or_else(|| panic!("no line for a token request:\n{logs}"));
    assert_eq!(token["method"], "POST", "{token}");
    assert_eq!(token["tenant"], "acme", "{token}");
    assert_eq!(token["level"], "INFO", "{token}");
    assert!(
        token["latency_ms"].as_f64().is_some_and(|l| l > 0.0),
        "{token}"
    );
    assert!(token["timestamp"].is_string(), "{token}");
    for e in &requests {
        assert!(
            e["route"].is_string() && e["status"].is_u64() && e["latency_ms"].is_number(),
            "every request line has route, status and latency: {e}"
        );
    }
    assert!(
        requests
            .iter()
            .any(|e| e["route"] == "/t/{tenant}/interaction/{id}/login"),
        "the login POST is logged by its template:\n{logs}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_logs_of_a_full_flow_carry_no_secret() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let proc = ServerProcess::spawn(dir.path(), &[("LOG_LEVEL", "debug")]);
    let secrets = full_flow(&proc).await;
    let logs = settled_logs(&proc, 20).await;
    assert_no_secret(&logs, &secrets);
    let token_line = logs
        .lines()
        .find(|l| {
            l.contains("route=\"/t/{tenant}/token\"") || l.contains("route=/t/{tenant}/token")
        })
        .unwrap_or_else(|| panic!("no line for a token request:\n{logs}"));
    assert!(
        token_line.contains("tenant=\"acme\"") || token_line.contains("tenant=acme"),
        "{token_line}"
    );
    assert!(token_line.contains("latency_ms="), "{token_line}");
    assert!(
        !token_line.trim_start().starts_with('{'),
        "human-readable: {token_line}"
    );
}
