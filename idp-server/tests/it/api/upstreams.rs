//! Upstreams through the admin API (issue 19): create, read, list, change,
//! delete with the secret never shown or audited; problems naming each bad
//! field; the tier's upstream limit; another tenant's key sees nothing; a
//! user's linked identities listed and unlinked, never the last way to
//! sign in.

use super::world::unique;
use super::{Api, Req, api_server, assert_problem, create_key, text};
use crate::support::TestServer;
use idp_core::store::{AdminChange, AuditEvent, AuditStore, LinkedIdentityRecord};
use idp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Links the identity (`upstream`, `subject`) to `user` in the tenant with
/// internal id `tenant`, through the real store on the server's database
/// (what a first sign-in through the upstream does).
pub async fn link(database_url: &str, tenant: &str, upstream: &str, subject: &str, user: &str) {
    let store = SqliteStore::open(database_url).expect("the database opens a second time");
    let identity = LinkedIdentityRecord {
        upstream_id: idp_core::ids::UpstreamId::new(upstream),
        subject: subject.to_owned(),
        user_id: idp_core::ids::UserId::new(user),
        email: Some("linked@example.com".to_owned()),
        created_at: 1_800_000_000,
        last_used_at: 1_800_000_000,
    };
    let tenant = idp_core::ids::TenantId::new(tenant);
    let event = AuditEvent {
        id: 0,
        time: 1_800_000_000,
        actor_kind: "system".into(),
        actor_id: "test".into(),
        actor_name: String::new(),
        action: "user.identity.link".into(),
        tenant: None,
        tenant_id: Some(tenant.clone()),
        target_kind: "user".into(),
        target_id: user.to_owned(),
        address: None,
        request_id: None,
        changes: "{}".into(),
    };
    let change = AdminChange::LinkIdentity {
        tenant: &tenant,
        identity: &identity,
    };
    store
        .apply_audited(change, &event)
        .await
        .expect("the identity links");
}

const SECRET: &str = "upstream-secret-Zq81vX";

fn github(name: &str) -> Value {
    json!({"kind": "github", "name": name, "client_id": "gh-client", "client_secret": SECRET})
}

/// The fields a 422 names.
fn fields(problem: &Value) -> Vec<String> {
    problem["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|e| text(&e["field"]))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upstreams_round_trip_without_their_secret() {
    let server = api_server().await;
    let api = Api::new(&server);
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let base = "/api/v1/tenants/acme/upstreams";
    let mut seen = String::new();

    let created = api.create(base, &github("GitHub")).await;
    seen.push_str(&created.to_string());
    let id = text(&created["id"]);
    assert_eq!(created["kind"], "github");
    assert_eq!(created["signup"], true);
    assert_eq!(created["auto_link"], false);
    assert_eq!(created["issuer"], Value::Null);
    assert_eq!(
        created["callback_url"],
        json!(format!("{}/t/acme/upstream/{id}/callback", server.base_url))
    );
    let oidc = api
        .create(
            base,
            &json!({"kind": "oidc", "name": "Corp", "issuer": "https://id.example.com",
                    "client_id": "c", "client_secret": SECRET, "signup": false, "auto_link": true}),
        )
        .await;
    seen.push_str(&oidc.to_string());
    assert_eq!(
        (&oidc["signup"], &oidc["auto_link"]),
        (&json!(false), &json!(true))
    );

    let got = api.send(Req::get(&format!("{base}/{id}"))).await;
    assert_eq!(got.status, StatusCode::OK);
    assert!(got.header("etag").is_some());
    seen.push_str(&got.body);
    let listed = api.get(base).await;
    seen.push_str(&listed.to_string());
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(2),
        "{listed}"
    );
    let page = api.get(&format!("{base}?limit=1")).await;
    assert!(page["next_cursor"].is_string(), "{page}");

    let new_secret = "rotated-upstream-secret-Pw02";
    let res = api
        .send(Req::patch(
            &format!("{base}/{id}"),
            &json!({"name": "GitHub (corp)", "client_secret": new_secret,
                    "issuer": "https://github.example.com", "auto_link": true}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    seen.push_str(&res.body);
    let changed = res.json();
    assert_eq!(changed["name"], "GitHub (corp)");
    assert_eq!(changed["issuer"], "https://github.example.com");
    assert_eq!(changed["kind"], "github");
    assert_eq!(changed["callback_url"], created["callback_url"]);
    let res = api
        .send(Req::patch(
            &format!("{base}/{id}"),
            &json!({"issuer": null}),
        ))
        .await;
    assert_eq!(res.json()["issuer"], Value::Null, "{}", res.body);
    // The kind never changes.
    let refused = api
        .send(Req::patch(
            &format!("{base}/{id}"),
            &json!({"kind": "oidc"}),
        ))
        .await;
    assert_eq!(
        fields(&assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY)),
        ["kind"]
    );
    // An oidc upstream keeps an issuer.
    let refused = api
        .send(Req::patch(
            &format!("{base}/{}", text(&oidc["id"])),
            &json!({"issuer": null}),
        ))
        .await;
    assert_eq!(
        fields(&assert_problem(&refused, StatusCode::UNPROCESSABLE_ENTITY)),
        ["issuer"]
    );

    // The secret is in no answer and no audit event; its change is named.
    let events = api.audit("tenant=acme").await;
    let events_text = serde_json::to_string(&events).unwrap_or_default();
    for s in [SECRET, new_secret] {
        assert!(!seen.contains(s), "a secret in an answer");
        assert!(!events_text.contains(s), "a secret in the audit log");
    }
    let create = events
        .iter()
        .find(|e| e["action"] == "upstream.create" && e["target"]["id"] == json!(id))
        .cloned()
        .unwrap_or_default();
    assert_eq!(create["changes"]["client_secret"], "[changed]", "{create}");
    assert_eq!(create["changes"]["kind"], "github", "{create}");
    let update = events
        .iter()
        .find(|e| e["action"] == "upstream.update" && e["changes"]["client_secret"].is_string())
        .cloned()
        .unwrap_or_default();
    assert_eq!(update["changes"]["client_secret"], "[changed]", "{update}");
    // Sealed at rest, not stored in the clear.
    let bytes = std::fs::read(server.dir.path().join("idp.db")).unwrap_or_default();
    let wal = std::fs::read(server.dir.path().join("idp.db-wal")).unwrap_or_default();
    for s in [SECRET, new_secret] {
        for file in [&bytes, &wal] {
            assert!(
                !file.windows(s.len()).any(|w| w == s.as_bytes()),
                "a secret at rest"
            );
        }
    }

    let res = api.send(Req::delete(&format!("{base}/{id}"))).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_problem(
        &api.send(Req::get(&format!("{base}/{id}"))).await,
        StatusCode::NOT_FOUND,
    );
    assert_problem(
        &api.send(Req::delete(&format!("{base}/{id}"))).await,
        StatusCode::NOT_FOUND,
    );
    assert!(
        api.audit("tenant=acme&action=upstream.delete").await.len() == 1,
        "one delete event"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_upstreams_are_problems_naming_each_field() {
    // The default outbound policy: https only, no loopback.
    let server = TestServer::start_config(|c| {
        c.rate_limits.admin_api_per_key = 0;
        c.outbound = Default::default();
    })
    .await;
    let api = Api::new(&server);
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let base = "/api/v1/tenants/acme/upstreams";
    let cases = [
        (
            json!({"kind": "saml", "name": "X", "client_id": "c", "client_secret": "s"}),
            vec!["kind"],
        ),
        (
            json!({"kind": "oidc", "name": "X", "client_id": "c", "client_secret": "s"}),
            vec!["issuer"],
        ),
        (
            json!({"kind": "oidc", "name": "X", "issuer": "http://id.example.com", "client_id": "c", "client_secret": "s"}),
            vec!["issuer"],
        ),
        (
            json!({"kind": "oidc", "name": "X", "issuer": "https://127.0.0.1/", "client_id": "c", "client_secret": "s"}),
            vec!["issuer"],
        ),
        (
            json!({"kind": "github", "name": "X", "client_id": "c", "client_secret": ""}),
            vec!["client_secret"],
        ),
        (
            json!({"kind": "google", "name": "", "client_id": " ", "client_secret": SECRET}),
            vec!["name", "client_id"],
        ),
        (
            json!({"kind": "github", "name": "X"}),
            vec!["client_id", "client_secret"],
        ),
        (
            json!({"kind": "github", "name": "X", "client_id": "c", "client_secret": "s", "secret": "x"}),
            vec!["secret"],
        ),
    ];
    for (body, want) in cases {
        let res = api.send(Req::post(base, &body)).await;
        let problem = assert_problem(&res, StatusCode::UNPROCESSABLE_ENTITY);
        let mut got = fields(&problem);
        got.sort();
        let mut want: Vec<String> = want.into_iter().map(str::to_owned).collect();
        want.sort();
        assert_eq!(got, want, "{body}: {problem}");
        assert!(!res.body.contains(SECRET), "{}", res.body);
    }
    assert_eq!(api.get(base).await["items"], json!([]));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tier_limits_upstreams() {
    let server = api_server().await;
    let api = Api::new(&server);
    api.create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let res = api
        .send(Req::post(
            "/api/v1/tiers",
            &json!({"name": "one", "upstreams": 1}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = api
        .send(Req::patch("/api/v1/tenants/acme", &json!({"tier": "one"})))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let base = "/api/v1/tenants/acme/upstreams";
    api.create(base, &github("first")).await;
    let problem = assert_problem(
        &api.send(Req::post(base, &github("second"))).await,
        StatusCode::CONFLICT,
    );
    assert_eq!(problem["limit"], "upstreams", "{problem}");
    assert_eq!(
        (&problem["allowed"], &problem["usage"]),
        (&json!(1), &json!(1))
    );
    let usage = api.get("/api/v1/tenants/acme/usage").await;
    assert_eq!(usage["usage"]["upstreams"], 1, "{usage}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_tenants_key_cannot_see_or_touch_upstreams() {
    let server = api_server().await;
    let api = Api::new(&server);
    for slug in ["alpha", "bravo"] {
        api.create("/api/v1/tenants", &json!({"slug": slug})).await;
    }
    let alpha = api
        .create("/api/v1/tenants/alpha/upstreams", &github("Alpha's"))
        .await;
    let id = text(&alpha["id"]);
    let bravo_key = create_key(&server, &["--name", "bravo", "--tenant", "bravo"]);
    let as_bravo = |req: Req| req.token(&bravo_key.key);
    for req in [
        Req::get("/api/v1/tenants/alpha/upstreams"),
        Req::get(&format!("/api/v1/tenants/alpha/upstreams/{id}")),
        Req::patch(
            &format!("/api/v1/tenants/alpha/upstreams/{id}"),
            &json!({"name": "taken"}),
        ),
        Req::delete(&format!("/api/v1/tenants/alpha/upstreams/{id}")),
    ] {
        let res = api.send(as_bravo(req)).await;
        assert!(
            matches!(res.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN),
            "{} {}",
            res.status,
            res.body
        );
    }
    // Under its own tenant's path, alpha's id names nothing.
    for req in [
        Req::get(&format!("/api/v1/tenants/bravo/upstreams/{id}")),
        Req::delete(&format!("/api/v1/tenants/bravo/upstreams/{id}")),
    ] {
        assert_problem(&api.send(as_bravo(req)).await, StatusCode::NOT_FOUND);
    }
    let still = api
        .get(&format!("/api/v1/tenants/alpha/upstreams/{id}"))
        .await;
    assert_eq!(still["name"], "Alpha's");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn linked_identities_are_listed_and_never_the_last_unlinked() {
    let server = api_server().await;
    let api = Api::new(&server);
    let tenant = api
        .create("/api/v1/tenants", &json!({"slug": "acme"}))
        .await;
    let user = api
        .create(
            "/api/v1/tenants/acme/users",
            &json!({"email": format!("{}@example.com", unique("l"))}),
        )
        .await;
    let user_id = text(&user["id"]);
    let upstream = api
        .create("/api/v1/tenants/acme/upstreams", &github("GitHub"))
        .await;
    let upstream_id = text(&upstream["id"]);
    for subject in ["tid/oid", "12345"] {
        link(
            &server.database_url,
            &text(&tenant["id"]),
            &upstream_id,
            subject,
            &user_id,
        )
        .await;
    }
    let identities = format!("/api/v1/tenants/acme/users/{user_id}/identities");
    let listed = api.get(&identities).await;
    let items = listed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 2, "{listed}");
    assert_eq!(items[0]["upstream_id"], json!(upstream_id));
    assert_eq!(items[0]["upstream_name"], "GitHub");
    assert_eq!(items[0]["kind"], "github");
    assert_eq!(items[0]["email"], "linked@example.com");
    assert!(items[0]["last_used_at"].is_string(), "{listed}");

    // The subject is percent-encoded in the path.
    let one = format!("{identities}/{upstream_id}/tid%2Foid");
    let res = api.send(Req::delete(&one)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_problem(&api.send(Req::delete(&one)).await, StatusCode::NOT_FOUND);
    // The last way to sign in stays.
    let last = format!("{identities}/{upstream_id}/12345");
    let problem = assert_problem(&api.send(Req::delete(&last)).await, StatusCode::CONFLICT);
    assert!(
        text(&problem["detail"]).contains("last way to sign in"),
        "{problem}"
    );
    assert_eq!(
        api.get(&identities).await["items"].as_array().map(Vec::len),
        Some(1)
    );
    // With a password, it may go.
    let res = api
        .send(Req::patch(
            &format!("/api/v1/tenants/acme/users/{user_id}"),
            &json!({"password": "a password of theirs"}),
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = api.send(Req::delete(&last)).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let events = api.audit("tenant=acme&action=user.identity.unlink").await;
    assert_eq!(events.len(), 2, "{events:?}");
    assert_eq!(events[0]["target"], json!({"kind": "user", "id": user_id}));
    // Deleting the upstream takes its identities with it.
    link(
        &server.database_url,
        &text(&tenant["id"]),
        &upstream_id,
        "again",
        &user_id,
    )
    .await;
    let res = api
        .send(Req::delete(&format!(
            "/api/v1/tenants/acme/upstreams/{upstream_id}"
        )))
        .await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    assert_eq!(api.get(&identities).await["items"], json!([]));
    // A bad escape names nothing.
    assert_problem(
        &api.send(Req::delete(&format!("{identities}/{upstream_id}/%zz")))
            .await,
        StatusCode::NOT_FOUND,
    );
}

/// `upstream create|list|get|update|delete` through the real binary: the
/// secret on standard input only, `--json` with `id` and `callback_url`,
/// exit status 2 for bad input, the audit log's actor `cli`; the secret in
/// no output.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_manages_upstreams() {
    use crate::support::Cli;
    let server = api_server().await;
    let api = Api::new(&server);
    server.cli_json(&["tenant", "create", "acme", "--json"], None);
    let mut outputs = String::new();
    let create = [
        "upstream",
        "create",
        "--tenant",
        "acme",
        "--kind",
        "github",
        "--name",
        "GitHub",
        "--client-id",
        "gh-cli",
        "--client-secret-stdin",
        "--json",
    ];
    let out = server.cli(&create, Some(&format!("{SECRET}\n")));
    assert!(out.success, "{}", out.stderr);
    outputs.push_str(&out.stdout);
    outputs.push_str(&out.stderr);
    let created = out.json(&create);
    let id = text(&created["id"]);
    assert_eq!(
        created["callback_url"],
        json!(format!("{}/t/acme/upstream/{id}/callback", server.base_url))
    );
    assert_eq!(
        (&created["signup"], &created["auto_link"]),
        (&json!(true), &json!(false))
    );

    let out = server.cli(
        &[
            "upstream",
            "create",
            "--tenant",
            "acme",
            "--kind",
            "oidc",
            "--name",
            "Corp",
            "--client-id",
            "c",
            "--client-secret-stdin",
            "--no-signup",
            "--auto-link",
        ],
        Some(&format!("{SECRET}\n")),
    );
    assert_eq!(out.code, Some(2), "{} {}", out.stdout, out.stderr);
    assert!(out.stderr.contains("issuer"), "{}", out.stderr);
    outputs.push_str(&out.stderr);
    // No secret on standard input: refused before anything is stored.
    let out = server.cli(&create, Some("\n"));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = server.cli(
        &[
            "upstream",
            "create",
            "--tenant",
            "acme",
            "--kind",
            "saml",
            "--name",
            "X",
            "--client-id",
            "c",
            "--client-secret-stdin",
        ],
        Some("s\n"),
    );
    assert_eq!(out.code, Some(2), "{}", out.stderr);

    let listed = server.cli_json(&["upstream", "list", "--tenant", "acme", "--json"], None);
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["callback_url"], created["callback_url"]);
    outputs.push_str(&listed.to_string());

    let new_secret = "cli-rotated-secret-4Lm";
    let update = [
        "upstream",
        "update",
        &id,
        "--tenant",
        "acme",
        "--name",
        "GitHub Corp",
        "--client-secret-stdin",
        "--auto-link",
        "on",
        "--signup",
        "off",
        "--json",
    ];
    let out = server.cli(&update, Some(&format!("{new_secret}\n")));
    assert!(out.success, "{}", out.stderr);
    outputs.push_str(&out.stdout);
    let changed = out.json(&update);
    assert_eq!(changed["name"], "GitHub Corp");
    assert_eq!(
        (&changed["signup"], &changed["auto_link"]),
        (&json!(false), &json!(true))
    );
    assert_eq!(changed["id"], json!(id));
    let out = server.cli(&["upstream", "update", &id, "--tenant", "acme"], None);
    assert_eq!(out.code, Some(2), "nothing to change: {}", out.stderr);
    let got = server.cli_json(
        &["upstream", "get", &id, "--tenant", "acme", "--json"],
        None,
    );
    outputs.push_str(&got.to_string());

    let out = server.cli(&["upstream", "delete", &id, "--tenant", "acme"], None);
    assert!(out.success, "{}", out.stderr);
    let out = server.cli(&["upstream", "delete", &id, "--tenant", "acme"], None);
    assert_eq!(out.code, Some(3), "{}", out.stderr);
    let listed = server.cli_json(&["upstream", "list", "--tenant", "acme", "--json"], None);
    assert_eq!(listed["items"], json!([]));

    let events = api.audit("tenant=acme").await;
    let upstream_events: Vec<&Value> = events
        .iter()
        .filter(|e| text(&e["action"]).starts_with("upstream."))
        .collect();
    let actions: Vec<String> = upstream_events.iter().map(|e| text(&e["action"])).collect();
    assert_eq!(
        actions,
        ["upstream.create", "upstream.update", "upstream.delete"]
    );
    assert!(
        upstream_events.iter().all(|e| e["actor"]["kind"] == "cli"),
        "{upstream_events:?}"
    );
    let all = format!(
        "{outputs}{}",
        serde_json::to_string(&events).unwrap_or_default()
    );
    for s in [SECRET, new_secret] {
        assert!(
            !all.contains(s),
            "a secret in the CLI's output or the audit log"
        );
    }
}

/// `PLATFORM_GITHUB_CLIENT_ID`/`_SECRET` create the platform's GitHub
/// upstream on first start (sign-up off, automatic linking on, actor
/// `system`), log its callback URL and never the secret (at debug level),
/// and a restart creates no second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_platforms_upstream_comes_from_the_environment_once() {
    use crate::support::{Cli, ServerProcess};
    let dir = tempfile::tempdir().expect("temporary directory");
    let env = [
        ("PLATFORM_GITHUB_CLIENT_ID", "platform-gh-client"),
        ("PLATFORM_GITHUB_CLIENT_SECRET", SECRET),
        ("LOG_LEVEL", "debug"),
    ];
    let first = ServerProcess::spawn(dir.path(), &env);
    let listed = first.cli_json(
        &["upstream", "list", "--tenant", "platform", "--json"],
        None,
    );
    let items = listed["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{listed}");
    let u = &items[0];
    assert_eq!(u["kind"], "github");
    assert_eq!(u["client_id"], "platform-gh-client");
    assert_eq!(
        (&u["signup"], &u["auto_link"]),
        (&json!(false), &json!(true))
    );
    let callback = text(&u["callback_url"]);
    let logs = first
        .logs_with(&callback, std::time::Duration::from_secs(5))
        .await;
    assert!(
        logs.contains(&callback),
        "the callback URL is not logged: {logs}"
    );
    assert!(!logs.contains(SECRET), "the secret in the log");
    let events = first.cli_json(&["audit", "list", "--json"], None);
    let create = events["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|e| e["action"] == "upstream.create")
        .cloned()
        .unwrap_or_default();
    assert_eq!(create["actor"]["kind"], "system", "{events}");
    assert!(!events.to_string().contains(SECRET));
    drop(first);

    let again = ServerProcess::spawn(dir.path(), &env);
    let listed = again.cli_json(
        &["upstream", "list", "--tenant", "platform", "--json"],
        None,
    );
    assert_eq!(
        listed["items"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    assert_eq!(listed["items"][0]["id"], u["id"]);
    let logs = again.logs();
    assert!(!logs.contains(SECRET), "the secret in the log");
    drop(again);

    // One of the pair without the other refuses to start, naming it.
    let out = crate::support::idp_command(dir.path())
        .env(
            "DATABASE_URL",
            format!("sqlite:{}", dir.path().join("idp.db").display()),
        )
        .env("ENCRYPTION_KEY", crate::support::KEY_HEX)
        .env("SERVER_PORT", "0")
        .env("PLATFORM_GOOGLE_CLIENT_ID", "only-the-id")
        .output()
        .expect("the idp-server binary runs");
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("PLATFORM_GOOGLE_CLIENT_SECRET"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
