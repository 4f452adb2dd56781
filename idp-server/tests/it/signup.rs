//! Organisation sign-up at `/signup` (issue 17) through real HTTP: the
//! platform's sign-up setting (API and CLI) decides whether the page is
//! there (closed: 404) and how a new organisation starts (approval:
//! pending, open: active); a sign-up makes the tenant and its first admin,
//! a platform user holding `org-admin:{slug}`, with one audit event whose
//! actor is the sign-up and its address. A pending organisation approved
//! through the admin API gets a client and a user, who signs in through
//! the code flow. The guards: the per-address rate limit, the proof of
//! work (solved here in Rust, as the served script solves it in a
//! browser), a challenge used once, CSRF, the honeypot, the slug rules,
//! a taken slug, a taken email refused without saying so; and the
//! password never reaches the server's log.

use crate::api::{Api, Req};
use crate::support::*;
use aws_lc_rs::digest::{SHA256, digest};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SECRET: &str = "Sign-Up-Password-7f3a9c";

/// The sign-up form of a page, and what a person fills in.
pub(crate) struct Signup {
    pub(crate) form: Form,
    bits: u32,
}

impl Signup {
    /// Opens `/signup` in `browser`; it must show the form.
    pub(crate) async fn open(browser: &Browser, base_url: &str) -> Self {
        let page = browser.get(&format!("{base_url}/signup")).await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        let csp = page.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline'; script"),
            "{csp}"
        );
        assert!(!page.body.contains("<script>"), "inline script");
        for label in ["for=\"slug\"", "for=\"email\"", "for=\"password\""] {
            assert!(page.body.contains(label), "no label {label}");
        }
        let form = page
            .form_with("id=\"signup-form\"")
            .unwrap_or_else(|| panic!("no sign-up form: {}", page.body));
        let bits = page
            .body
            .split("data-bits=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|b| b.parse().ok())
            .unwrap_or_else(|| panic!("no data-bits: {}", page.body));
        Self { form, bits }
    }

    fn challenge(&self) -> String {
        self.form.hidden_value("pow_challenge").unwrap_or_default()
    }

    /// A nonce solving the challenge: SHA-256(challenge ":" nonce) starts
    /// with `bits` zero bits.
    pub(crate) fn solve(&self) -> String {
        let challenge = self.challenge();
        (0u64..)
            .map(|n| n.to_string())
            .find(|n| leading_zeros(&challenge, n) >= self.bits)
            .unwrap_or_default()
    }

    /// Posts the form with `fields` and the proof of work `nonce`.
    pub(crate) async fn send(
        &self,
        browser: &Browser,
        nonce: &str,
        fields: &[(&str, &str)],
    ) -> Resp {
        let mut all: Vec<(String, String)> = self
            .form
            .hidden()
            .into_iter()
            .filter(|(k, _)| k != "pow_nonce")
            .collect();
        all.push(("pow_nonce".into(), nonce.into()));
        all.extend(fields.iter().map(|(k, v)| ((*k).into(), (*v).into())));
        let all: Vec<(&str, &str)> = all.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        browser.post_form(self.form.action.as_str(), &all).await
    }

    /// Posts the form solved, with `fields`.
    async fn submit(&self, browser: &Browser, fields: &[(&str, &str)]) -> Resp {
        self.send(browser, &self.solve(), fields).await
    }
}

fn leading_zeros(challenge: &str, nonce: &str) -> u32 {
    let hash = digest(&SHA256, format!("{challenge}:{nonce}").as_bytes());
    let mut n = 0;
    for b in hash.as_ref() {
        n += b.leading_zeros();
        if *b != 0 {
            break;
        }
    }
    n
}

/// The fields of a sign-up of `slug` by `email`.
pub(crate) fn person<'a>(slug: &'a str, email: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("slug", slug),
        ("name", "Acme Widgets"),
        ("email", email),
        ("admin_name", "Ada Admin"),
        ("password", SECRET),
    ]
}

/// Opens the form in a new browser and signs `slug` up as `email`.
async fn sign_up(base_url: &str, slug: &str, email: &str) -> Resp {
    let browser = Browser::new();
    let form = Signup::open(&browser, base_url).await;
    form.submit(&browser, &person(slug, email)).await
}

/// A server whose proof of work is quick to solve (8 bits).
async fn signup_server() -> TestServer {
    TestServer::start_config(|c| {
        c.rate_limits.admin_api_per_key = 0;
        c.signup_pow.bits = 8;
    })
    .await
}

async fn set_mode(api: &Api, mode: &str) {
    let res = api
        .send(Req::patch(
            "/api/v1/platform/settings",
            &json!({"signup": mode}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["signup"], mode, "{}", res.body);
}

fn assert_field_error(res: &Resp, status: StatusCode, field: &str, words: &str) {
    assert_eq!(res.status, status, "{}", res.body);
    assert!(
        res.body.contains(&format!("id=\"{field}-error\"")) && res.body.contains(words),
        "no '{words}' next to {field}: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platform_setting_opens_and_closes_signup() {
    let server = signup_server().await;
    let api = Api::new(&server);
    let s = api.get("/api/v1/platform/settings").await;
    assert_eq!(s, json!({"signup": "approval", "updated_at": null}));
    let browser = Browser::new();
    Signup::open(&browser, &server.base_url).await;

    set_mode(&api, "closed").await;
    let res = browser.get(&format!("{}/signup", server.base_url)).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(res.body.contains("Sign-up is closed"), "{}", res.body);
    let res = browser
        .post_form(
            &format!("{}/signup", server.base_url),
            &person("acme", "a@acme.example"),
        )
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);

    // The CLI reads and changes the same setting, audited as the CLI.
    let v = server.cli_json(&["platform", "settings", "--json"], None);
    assert_eq!(v["signup"], "closed", "{v}");
    let v = server.cli_json(
        &["platform", "settings", "--signup", "open", "--json"],
        None,
    );
    assert_eq!(v["signup"], "open", "{v}");
    assert!(v["updated_at"].is_string(), "{v}");
    let out = server.cli(&["platform", "settings", "--signup", "maybe"], None);
    assert_eq!(out.code, Some(2), "{out:?}");
    let res = api
        .send(Req::patch(
            "/api/v1/platform/settings",
            &json!({"signup": "maybe"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert_eq!(res.json()["errors"][0]["field"], "signup", "{}", res.body);
    Signup::open(&browser, &server.base_url).await;

    let events = api.audit("action=platform.settings.update").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["actor"]["kind"], "api_key");
    assert_eq!(
        events[0]["changes"],
        json!({"signup": "closed", "previous_signup": "approval"})
    );
    assert_eq!(events[1]["actor"]["kind"], "cli");
    assert_eq!(
        events[1]["target"],
        json!({"kind": "platform", "id": "settings"})
    );

    // A key limited to a tenant may neither read nor change them.
    server.create_tenant("acme");
    let limited = crate::api::create_key(&server, &["--name", "acme-only", "--tenant", "acme"]);
    let limited = Api::on(&server.base_url, limited);
    let res = limited.send(Req::get("/api/v1/platform/settings")).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = limited
        .send(Req::patch(
            "/api/v1/platform/settings",
            &json!({"signup": "closed"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert_eq!(api.get("/api/v1/platform/settings").await["signup"], "open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signup_waits_for_approval_then_its_users_sign_in() {
    let server = signup_server().await;
    let api = Api::new(&server);
    let res = sign_up(&server.base_url, "acme", "ada@acme.example").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("waiting for approval"), "{}", res.body);
    let issuer = server.issuer("acme");
    assert!(res.body.contains(&issuer), "{}", res.body);
    let t = api.get("/api/v1/tenants/acme").await;
    assert_eq!(
        (&t["state"], &t["name"]),
        (&json!("pending"), &json!("Acme Widgets")),
        "{t}"
    );

    // Its admin is a platform user holding org-admin:acme.
    let admins = api
        .all(
            "/api/v1/tenants/platform/users",
            "email=ada%40acme.example",
            10,
        )
        .await;
    assert_eq!(admins.len(), 1, "{admins:?}");
    let admin = &admins[0];
    assert_eq!(admin["name"], "Ada Admin", "{admin}");
    let roles = api
        .get(&format!(
            "/api/v1/tenants/platform/users/{}/roles",
            admin["id"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(roles["items"], json!(["org-admin:acme"]), "{roles}");

    // One event, by the sign-up, from its address, without the password.
    let events = api.audit("action=tenant.signup").await;
    assert_eq!(events.len(), 1, "{events:?}");
    let e = &events[0];
    assert_eq!(
        e["actor"],
        json!({"kind": "signup", "id": "ada@acme.example", "name": "ada@acme.example"}),
        "{e}"
    );
    assert_eq!(e["tenant"], "acme", "{e}");
    assert_eq!(e["address"], "127.0.0.1", "{e}");
    assert_eq!(e["target"], json!({"kind": "tenant", "id": "acme"}), "{e}");
    assert_eq!(e["changes"]["state"], "pending", "{e}");
    assert_eq!(e["changes"]["role"], "org-admin:acme", "{e}");
    assert!(!e.to_string().contains(SECRET), "{e}");

    // Closed until approved; then a client of it signs a user in.
    let client = server.create_client("acme", &ClientSpec::confidential("Acme App"));
    let user = server.create_user("acme", "bo@acme.example", "Bo", PASSWORD);
    let rp = Rp::discover(&issuer, &client).await;
    let res = Browser::new()
        .get(rp.auth_request(&AuthOptions::default()).url.as_str())
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = api
        .send(Req::new(
            reqwest::Method::POST,
            "/api/v1/tenants/acme/approve",
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    rp.assert_signs_in(&user).await;
    let app = api
        .create(
            "/api/v1/tenants/acme/clients",
            &json!({"name": "Made by API", "redirect_uris": [REDIRECT_URI]}),
        )
        .await;
    assert!(app["client_id"].is_string(), "{app}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_open_platform_activates_signups_at_once() {
    let server = signup_server().await;
    let api = Api::new(&server);
    set_mode(&api, "open").await;
    let res = sign_up(&server.base_url, "globex", "hank@globex.example").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("is ready"), "{}", res.body);
    let issuer = server.issuer("globex");
    assert!(res.body.contains(&issuer), "{}", res.body);
    assert_eq!(api.get("/api/v1/tenants/globex").await["state"], "active");
    let endpoints = discover(&issuer).await;
    assert_eq!(endpoints.issuer, issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_refuses_bad_proofs_reused_challenges_forgeries_and_bots() {
    let server = signup_server().await;
    let api = Api::new(&server);
    let browser = Browser::new();
    let form = Signup::open(&browser, &server.base_url).await;
    let fields = person("acme", "ada@acme.example");

    // A nonce that does not solve the challenge.
    let challenge = form.challenge();
    let wrong = (0u64..)
        .map(|n| n.to_string())
        .find(|n| leading_zeros(&challenge, n) < form.bits)
        .unwrap_or_default();
    let res = form.send(&browser, &wrong, &fields).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("anti-abuse check"), "{}", res.body);
    let res = form.send(&browser, "", &fields).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);

    // A solved challenge counts once, whatever became of the attempt.
    let nonce = form.solve();
    let res = form
        .send(&browser, &nonce, &person("admin", "ada@acme.example"))
        .await;
    assert_field_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "slug", "reserved");
    let res = form.send(&browser, &nonce, &fields).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.body.contains("already sent"), "{}", res.body);

    // Another browser's challenge (bound to another CSRF token).
    let other = Browser::new();
    let theirs = Signup::open(&other, &server.base_url).await;
    let stolen = Signup {
        form: {
            let mut f = form.form.clone();
            f.fields.iter_mut().for_each(|field| {
                if field.name.as_deref() == Some("pow_challenge") {
                    field.value = Some(theirs.challenge());
                }
            });
            f
        },
        bits: form.bits,
    };
    let res = stolen.submit(&browser, &fields).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);

    // No CSRF field, or none matching the cookie: 403.
    let fresh = Signup::open(&browser, &server.base_url).await;
    let mut no_csrf: Vec<(&str, &str)> = vec![("pow_challenge", ""), ("pow_nonce", "1")];
    no_csrf.extend(fields.iter().copied());
    let res = browser
        .post_form(fresh.form.action.as_str(), &no_csrf)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    let res = Browser::new()
        .post_form(fresh.form.action.as_str(), &no_csrf)
        .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);

    // The honeypot, which people never see.
    let mut bot = fields.clone();
    bot.push(("website", "https://spam.example"));
    let res = fresh.submit(&browser, &bot).await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);

    // Nothing of all that was created.
    let res = api.send(Req::get("/api/v1/tenants/acme")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert!(api.audit("action=tenant.signup").await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_applies_the_slug_rules_and_refuses_taken_names() {
    let server = signup_server().await;
    let api = Api::new(&server);
    for (slug, words) in [
        ("api", "reserved"),
        ("platform", "reserved"),
        ("signup", "reserved"),
        ("Bad_Slug", "lowercase letters"),
        (&"a".repeat(60), "at most 53"),
    ] {
        let res = sign_up(&server.base_url, slug, "ada@acme.example").await;
        assert_field_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "slug", words);
        // What was typed comes back, the password does not.
        assert!(!res.body.contains(SECRET), "{}", res.body);
    }
    let browser = Browser::new();
    let form = Signup::open(&browser, &server.base_url).await;
    let res = form
        .submit(
            &browser,
            &[
                ("slug", "acme"),
                ("email", "not-an-email"),
                ("password", "short"),
            ],
        )
        .await;
    assert_field_error(&res, StatusCode::UNPROCESSABLE_ENTITY, "email", "");
    assert_field_error(
        &res,
        StatusCode::UNPROCESSABLE_ENTITY,
        "password",
        "at least 8",
    );

    let res = sign_up(&server.base_url, "acme", "ada@acme.example").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // The slug is taken: said so.
    let res = sign_up(&server.base_url, "acme", "other@acme.example").await;
    assert_field_error(&res, StatusCode::CONFLICT, "slug", "taken");
    // The email is a platform user's: refused without saying why.
    let res = sign_up(&server.base_url, "initech", "ADA@acme.example").await;
    assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    assert!(res.body.contains("could not be completed"), "{}", res.body);
    assert!(!res.body.contains("already exists"), "{}", res.body);
    let res = api.send(Req::get("/api/v1/tenants/initech")).await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    assert_eq!(api.audit("action=tenant.signup").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signup_attempts_are_rate_limited_per_address() {
    let server = TestServer::start_config(|c| {
        c.rate_limits.exempt = Default::default();
        c.rate_limits.signup_per_ip = 2;
        c.signup_pow.bits = 4;
    })
    .await;
    let browser = Browser::new();
    for _ in 0..2 {
        let form = Signup::open(&browser, &server.base_url).await;
        let res = form
            .submit(&browser, &person("admin", "ada@acme.example"))
            .await;
        assert_eq!(res.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", res.body);
    }
    let form = Signup::open(&browser, &server.base_url).await;
    let res = form
        .submit(&browser, &person("acme", "ada@acme.example"))
        .await;
    assert_eq!(res.status, StatusCode::TOO_MANY_REQUESTS, "{}", res.body);
    assert!(res.header("retry-after").is_some(), "{:?}", res.headers);
    // The form itself still opens.
    Signup::open(&browser, &server.base_url).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_proof_of_work_script_is_served_and_signup_logs_no_password() {
    let dir = tempfile::tempdir().expect("temporary directory");
    let proc = ServerProcess::spawn(
        dir.path(),
        &[("LOG_LEVEL", "debug"), ("SIGNUP_POW_BITS", "6")],
    );
    let script = Browser::new()
        .get(&format!("{}/signup/pow.js", proc.base_url))
        .await;
    assert_eq!(script.status, StatusCode::OK);
    assert!(
        script
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/javascript")),
        "{:?}",
        script.headers
    );
    assert!(script.body.contains("pow_nonce"), "{}", script.body);
    let res = sign_up(&proc.base_url, "acme", "ada@acme.example").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let logs = proc
        .logs_with("/signup", std::time::Duration::from_secs(5))
        .await;
    assert!(
        !logs.contains(SECRET),
        "the password is in the log:\n{logs}"
    );
    let v: Value = proc.cli_json(&["tenant", "list", "--json"], None);
    assert!(v.to_string().contains("\"acme\""), "{v}");
}
