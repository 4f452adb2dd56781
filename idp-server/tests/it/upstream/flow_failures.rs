//! Failure paths of upstream login through the real server process and a
//! browser: each a clear page with its status (never a 500), the sentence
//! that says what happened, a link back to the login page while its
//! interaction lives, and a log line on standard error naming the reason.
//! Then: no secret of a round trip in the debug log, and a tenant's
//! upstream not usable from another tenant.

use super::kinds::{KindWorld, connect, continue_with, id_and_name};
use super::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// `idp-server` as a process (JSON logs at `level`, loopback upstreams
/// allowed) with tenant `acme`, its web client and alice.
struct ProcWorld {
    _dir: TempDir,
    proc: ServerProcess,
    rp: Rp,
    user: User,
}

impl ProcWorld {
    async fn start(level: &str) -> Self {
        let dir = tempfile::tempdir().expect("temporary directory");
        let proc = ServerProcess::spawn(
            dir.path(),
            &[
                ("LOG_FORMAT", "json"),
                ("LOG_LEVEL", level),
                ("OUTBOUND_ALLOW", "127.0.0.1/32,::1/128"),
                ("OUTBOUND_ALLOW_HTTP", "on"),
                // A checkpoint every second: a DEBUG line to prove the level.
                ("CHECKPOINT_INTERVAL_SECONDS", "1"),
            ],
        );
        proc.create_tenant("acme");
        let client = proc.create_client("acme", &ClientSpec::confidential("Web App"));
        let user = proc.create_user("acme", "alice@acme.example", "Alice Example", PASSWORD);
        let rp = Rp::discover(&proc.issuer("acme"), &client).await;
        Self {
            _dir: dir,
            proc,
            rp,
            user,
        }
    }

    /// From a fresh login page, "Continue with" the upstream of `kind`;
    /// `before_callback` runs once the upstream has sent the browser back
    /// and before the callback is requested. The answer (of the callback,
    /// or of "Continue with" when that failed) and the login page's URL.
    async fn attempt(
        &self,
        standin_base: &str,
        kind: UpstreamKind,
        before_callback: impl FnOnce(),
    ) -> (Resp, url::Url, Browser) {
        let browser = Browser::new();
        let (_, page) = self.rp.open_login(&browser, &AuthOptions::default()).await;
        let (id, _) = id_and_name(kind);
        let form = page
            .form_with(&format!("value=\"{id}\""))
            .unwrap_or_else(|| panic!("no Continue with: {}", page.body));
        let begun = browser.submit(&form, &[]).await;
        if begun.status != StatusCode::SEE_OTHER {
            return (begun, page.url.clone(), browser);
        }
        let at = begun.redirect();
        assert!(at.as_str().starts_with(standin_base), "{at}");
        let back = browser.get(at.as_str()).await;
        assert!(back.status.is_redirection(), "{}", back.body);
        before_callback();
        let res = browser.get(back.redirect().as_str()).await;
        (res, page.url.clone(), browser)
    }

    /// The first `upstream sign-in failed` event logged after `mark`
    /// (bytes of standard error) with `reason`.
    async fn logged(&self, mark: usize, reason: &str) -> Value {
        let needle = format!("\"reason\":\"{reason}\"");
        let started = Instant::now();
        loop {
            let logs = self.proc.logs();
            let found = logs.get(mark..).unwrap_or("").lines().find_map(|l| {
                let v: Value = serde_json::from_str(l).ok()?;
                (l.contains(&needle) && v["message"] == "upstream sign-in failed").then_some(v)
            });
            if let Some(v) = found {
                return v;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "no log line with reason {reason}:\n{}",
                logs.get(mark..).unwrap_or("")
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// The page's text with askama's escapes of quotes undone.
fn text(res: &Resp) -> String {
    res.body
        .replace("&#x27;", "'")
        .replace("&#39;", "'")
        .replace("&quot;", "\"")
}

/// A failure page: `status`, `sentence`, and a link back to `login`.
fn assert_failure_page(res: &Resp, status: StatusCode, sentence: &str, login: &url::Url) {
    assert_eq!(res.status, status, "{}", res.body);
    let body = text(res);
    assert!(body.contains(sentence), "'{sentence}' in {body}");
    assert!(
        res.header("content-type")
            .is_some_and(|c| c.starts_with("text/html")),
        "an HTML page"
    );
    let back = body
        .split("id=\"back\" href=\"")
        .nth(1)
        .and_then(|r| r.split('"').next())
        .unwrap_or_else(|| panic!("no link back: {body}"));
    assert!(
        back.ends_with(login.path()),
        "back to {} : {back}",
        login.path()
    );
}

fn knobs(set: impl FnOnce(&mut Knobs)) -> Knobs {
    let mut k = Knobs::default();
    set(&mut k);
    k
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broken_id_tokens_are_refused_with_a_page_and_a_logged_reason() {
    let w = ProcWorld::start("info").await;
    let google = StandIn::start(Shape::Google).await;
    connect(&w.proc.database_url, &google, UpstreamKind::Google).await;
    let cases: [(Knobs, &str); 5] = [
        (knobs(|k| k.bad_signature = true), "signature"),
        (knobs(|k| k.wrong_iss = true), "iss"),
        (knobs(|k| k.wrong_aud = true), "aud"),
        (knobs(|k| k.wrong_nonce = true), "nonce"),
        (knobs(|k| k.expired = true), "expired"),
    ];
    for (k, check) in cases {
        google.set_knobs(k.clone());
        let mark = w.proc.logs().len();
        let (res, login, _) = w.attempt(&google.base, UpstreamKind::Google, || {}).await;
        assert_failure_page(
            &res,
            StatusCode::BAD_GATEWAY,
            "The sign-in service's answer could not be verified.",
            &login,
        );
        let line = w.logged(mark, "bad_id_token").await;
        assert_eq!(line["upstream"], "google", "{line}");
        let detail = line["detail"].as_str().unwrap_or("");
        assert!(detail.contains(check), "{k:?}: {line}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn github_without_a_verified_primary_email_is_refused() {
    let w = ProcWorld::start("info").await;
    let github = StandIn::start(Shape::Github).await;
    connect(&w.proc.database_url, &github, UpstreamKind::Github).await;
    github.set_user(StandInUser {
        emails: vec![
            GithubEmail {
                email: "verified-but-secondary@upstream.example".into(),
                primary: false,
                verified: true,
            },
            GithubEmail {
                email: "ada@upstream.example".into(),
                primary: true,
                verified: false,
            },
        ],
        ..StandInUser::default()
    });
    let mark = w.proc.logs().len();
    let (res, login, _) = w.attempt(&github.base, UpstreamKind::Github, || {}).await;
    assert_failure_page(
        &res,
        StatusCode::FORBIDDEN,
        "Your account there has no verified email address.",
        &login,
    );
    let line = w.logged(mark, "no_verified_email").await;
    assert_eq!(line["upstream"], "gh", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_at_the_upstream_leads_back_to_the_login_page() {
    let w = ProcWorld::start("info").await;
    let google = StandIn::start(Shape::Google).await;
    connect(&w.proc.database_url, &google, UpstreamKind::Google).await;
    google.set_knobs(knobs(|k| k.cancel = true));
    let mark = w.proc.logs().len();
    let (res, login, _) = w.attempt(&google.base, UpstreamKind::Google, || {}).await;
    assert_failure_page(
        &res,
        StatusCode::BAD_REQUEST,
        "You cancelled the sign-in.",
        &login,
    );
    w.logged(mark, "cancelled").await;
    // Nothing was redeemed.
    assert_eq!(google.token_requests().len(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_down_upstream_is_a_502_within_the_outbound_timeout() {
    let w = ProcWorld::start("info").await;
    let google = StandIn::start(Shape::Google).await;
    connect(&w.proc.database_url, &google, UpstreamKind::Google).await;
    // Slow at the token endpoint: the callback waits at most the timeout.
    let mark = w.proc.logs().len();
    let slow = || google.set_knobs(knobs(|k| k.slow = true));
    let started = Instant::now();
    let (res, login, _) = w.attempt(&google.base, UpstreamKind::Google, slow).await;
    let took = started.elapsed();
    assert!(
        took < Duration::from_secs(7),
        "bounded by the 5 s timeout: {took:?}"
    );
    assert_failure_page(
        &res,
        StatusCode::BAD_GATEWAY,
        "The sign-in service could not be reached.",
        &login,
    );
    w.logged(mark, "unreachable").await;

    // Down: nothing listens at its issuer; "Continue with" says so.
    let down = StandIn::start(Shape::Microsoft).await;
    let closed = closed_base();
    create_upstream_of(
        &w.proc.database_url,
        "acme",
        UpstreamKind::Microsoft,
        &UpstreamSpec {
            id: "ms",
            name: "Microsoft",
            issuer: format!("{closed}/common/v2.0"),
            client_id: down.client_id.clone(),
            client_secret: down.client_secret.clone(),
            signup: true,
            auto_link: false,
        },
    )
    .await;
    let mark = w.proc.logs().len();
    let started = Instant::now();
    let (res, login, _) = w.attempt(&closed, UpstreamKind::Microsoft, || {}).await;
    assert!(started.elapsed() < Duration::from_secs(7));
    assert_failure_page(
        &res,
        StatusCode::BAD_GATEWAY,
        "The sign-in service could not be reached.",
        &login,
    );
    let line = w.logged(mark, "unreachable").await;
    assert_eq!(line["upstream"], "ms", "{line}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_disabled_user_linked_to_an_upstream_identity_is_refused() {
    let w = ProcWorld::start("info").await;
    let google = StandIn::start(Shape::Google).await;
    connect(&w.proc.database_url, &google, UpstreamKind::Google).await;
    // A first sign-in creates the user.
    let browser = Browser::new();
    let (req, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    let answer = continue_with(&browser, &page, &google, UpstreamKind::Google).await;
    let (cb, _) = browser.finish(answer, REDIRECT_URI, &w.user).await;
    let tokens =
        w.rp.exchange(&cb.code(), req.verifier.as_deref())
            .await
            .expect("the code redeems");
    let sub = jwt_parts(&id_token_of(&tokens)).1["sub"]
        .as_str()
        .expect("sub")
        .to_owned();
    w.proc.cli_json(
        &["user", "disable", "--tenant", "acme", &sub, "--json"],
        None,
    );
    let mark = w.proc.logs().len();
    let (res, login, _) = w.attempt(&google.base, UpstreamKind::Google, || {}).await;
    assert_failure_page(
        &res,
        StatusCode::FORBIDDEN,
        "Your account is disabled.",
        &login,
    );
    w.logged(mark, "disabled").await;
}

/// Every upstream secret of a round trip through `standin`'s upstream,
/// collected after it: its client secret, what it issued, and the PKCE
/// verifier and `state` we sent it.
fn upstream_secrets(standin: &StandIn, what: &'static str) -> Vec<(&'static str, String)> {
    let mut out = vec![(what, standin.client_secret.clone())];
    out.extend(standin.issued().into_iter().map(|s| (what, s)));
    for (_, form) in standin.token_requests() {
        out.extend(form.get("code_verifier").cloned().map(|v| (what, v)));
    }
    for q in standin.authorize_queries() {
        out.extend(q.get("state").cloned().map(|v| (what, v)));
        out.extend(q.get("nonce").cloned().map(|v| (what, v)));
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_of_an_upstream_round_trip_reaches_the_debug_log() {
    let w = ProcWorld::start("debug").await;
    let github = StandIn::start(Shape::Github).await;
    let oidc = StandIn::start(Shape::Google).await;
    connect(&w.proc.database_url, &github, UpstreamKind::Github).await;
    // The Google-shaped stand-in as a plain `oidc` upstream.
    create_upstream_of(
        &w.proc.database_url,
        "acme",
        UpstreamKind::Oidc,
        &UpstreamSpec {
            id: "oidc",
            name: "Beta",
            issuer: oidc.issuer.clone(),
            client_id: oidc.client_id.clone(),
            client_secret: oidc.client_secret.clone(),
            signup: true,
            auto_link: false,
        },
    )
    .await;
    let issuer = w.proc.issuer("acme");
    let mut secrets: Vec<(&'static str, String)> = Vec::new();
    for (standin, kind) in [(&github, UpstreamKind::Github), (&oidc, UpstreamKind::Oidc)] {
        let browser = Browser::new();
        let (req, page) =
            w.rp.open_login(&browser, &AuthOptions::scopes(&["offline_access"]))
                .await;
        let answer = continue_with(&browser, &page, standin, kind).await;
        if let Some(c) = browser.cookie(&format!("{issuer}/upstream"), "idp_upstream") {
            secrets.push(("idp_upstream cookie", c));
        }
        let (cb, _) = browser.finish(answer, REDIRECT_URI, &w.user).await;
        let tokens =
            w.rp.exchange(&cb.code(), req.verifier.as_deref())
                .await
                .expect("the code redeems");
        secrets.push(("our code", cb.code()));
        secrets.push(("our PKCE verifier", req.verifier.clone().expect("PKCE")));
        secrets.push(("our ID token", id_token_of(&tokens)));
        secrets.push(("our access token", access_token_of(&tokens)));
    }
    // And a failure.
    oidc.set_knobs(knobs(|k| k.bad_signature = true));
    let mark = w.proc.logs().len();
    let (res, _, browser) = w.attempt(&oidc.base, UpstreamKind::Oidc, || {}).await;
    assert_eq!(res.status, StatusCode::BAD_GATEWAY, "{}", res.body);
    if let Some(c) = browser.cookie(&format!("{issuer}/upstream"), "idp_upstream") {
        secrets.push(("idp_upstream cookie", c));
    }
    w.logged(mark, "bad_id_token").await;
    secrets.extend(upstream_secrets(&github, "GitHub upstream secret or token"));
    secrets.extend(upstream_secrets(&oidc, "OIDC upstream secret or token"));
    assert!(
        secrets.iter().any(|(w, _)| *w == "idp_upstream cookie"),
        "the binding cookie was seen"
    );
    assert!(secrets.len() >= 15, "{}", secrets.len());
    let logs = w
        .proc
        .logs_with("\"level\":\"DEBUG\"", std::time::Duration::from_secs(10))
        .await;
    assert!(logs.contains("\"level\":\"DEBUG\""), "debug level is on");
    assert!(
        logs.lines()
            .any(|l| l.contains("\"message\":\"request\"") && l.contains("/callback")),
        "the callbacks are in the log:\n{logs}"
    );
    for (what, secret) in &secrets {
        assert!(secret.len() >= 8, "{what} too short: {secret}");
        assert!(
            !logs.contains(secret.as_str()),
            "the {what} appears in the log:\n{}",
            logs.lines()
                .filter(|l| l.contains(secret.as_str()))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenants_upstream_on_another_tenants_routes_is_a_404_and_creates_nothing() {
    let w = KindWorld::new(Shape::Github).await;
    let beta = w.env.server.create_tenant("beta");
    let beta_client = w
        .env
        .server
        .create_client("beta", &ClientSpec::confidential("Beta App"));
    let (id, _) = id_and_name(UpstreamKind::Github);

    // Begin: beta's login page, posting acme's upstream id.
    let beta_rp = Rp::discover(&beta.issuer, &beta_client).await;
    let browser = Browser::new();
    let (_, page) = beta_rp.open_login(&browser, &AuthOptions::default()).await;
    assert!(!page.body.contains("Continue with GitHub"), "{}", page.body);
    let form = page.form_with("name=\"password\"").expect("login form");
    let action = form.action.as_str().replace("/login", "/upstream");
    let res = browser
        .post_form(&action, &[("csrf", form.csrf().as_str()), ("upstream", id)])
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(
        text(&res).contains("This sign-in option is no longer available."),
        "{}",
        res.body
    );

    // Callback: a real round trip of acme, its answer brought to beta.
    let browser = Browser::new();
    let (req, page) = w.rp.open_login(&browser, &AuthOptions::default()).await;
    let form = page.form_with(&format!("value=\"{id}\"")).expect("button");
    let at = browser.submit(&form, &[]).await.redirect();
    let callback = browser.get(at.as_str()).await.redirect();
    let on_beta = callback
        .as_str()
        .replace(&w.env.tenant.issuer, &beta.issuer);
    assert_ne!(on_beta, callback.as_str());
    let res = browser.get(&on_beta).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(
        text(&res).contains("This sign-in option is no longer available."),
        "{}",
        res.body
    );
    // Nothing was redeemed or created.
    assert_eq!(w.standin.token_requests().len(), 0);
    assert!(w.identities().is_empty());
    for (slug, count) in [("beta", 0), ("acme", 1)] {
        let users = w
            .env
            .server
            .cli_json(&["user", "list", "--tenant", slug, "--json"], None);
        let items = users["items"].as_array().expect("a page of users");
        assert_eq!(items.len(), count, "{slug}: {users}");
    }

    // acme's own callback still works with that state.
    let answer = browser.get(callback.as_str()).await;
    let (cb, _) = browser.finish(answer, REDIRECT_URI, &w.env.user).await;
    w.rp.exchange(&cb.code(), req.verifier.as_deref())
        .await
        .expect("the code redeems");
    assert_eq!(w.identities().len(), 1);
}
