//! Which redirect URIs a client may register (issue 12, defect 3): https,
//! http on loopback (elsewhere only with `ALLOW_INSECURE_REDIRECT_URIS`),
//! reverse-domain private-use schemes for public clients (RFC 8252 §7.1),
//! nothing a browser would run or open itself; and the places a stored URI
//! is used refuse such schemes even for clients stored before the rule.

use crate::support::*;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{ClientRecord, ClientStore, GrantType};
use idp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::json;

/// Schemes a browser interprets itself, or that are no place to send a code.
const DANGEROUS: [&str; 8] = [
    "javascript:alert(document.domain)",
    "JavaScript://rp.example/%0Aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "file:///etc/passwd",
    "blob:https://rp.example/0f1e",
    "about:blank",
    "urn:ietf:wg:oauth:2.0:oob",
];

const NATIVE_REDIRECT: &str = "com.example.app:/oauth2redirect";

/// A silent (`prompt=none`) authorization request in `response_mode`
/// (`None`: query) from a browser without a session.
async fn silent_request(
    endpoints: &Endpoints,
    client_id: &str,
    redirect_uri: &str,
    response_mode: Option<&str>,
) -> Resp {
    let (_, challenge) = pkce_pair();
    let mut params = vec![
        ("client_id", client_id),
        ("redirect_uri", redirect_uri),
        ("response_type", "code"),
        ("scope", "openid"),
        ("prompt", "none"),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    params.extend(response_mode.map(|m| ("response_mode", m)));
    Browser::new().get(&raw_auth_url(endpoints, &params)).await
}

fn assert_refused(res: &Resp, error: &str, what: &str) {
    assert_eq!(
        (res.status, res.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some(error)),
        "{what}: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_registration_refuses_dangerous_redirect_schemes() {
    let (_server, endpoints) = open_tenant().await;
    for uri in DANGEROUS {
        // Public, so that a private-use scheme would have been acceptable.
        let res = register(
            &endpoints,
            &json!({"redirect_uris": [uri], "token_endpoint_auth_method": "none"}),
        )
        .await;
        assert_refused(&res, "invalid_redirect_uri", uri);
        let res = register(
            &endpoints,
            &json!({"redirect_uris": [REDIRECT_URI], "post_logout_redirect_uris": [uri]}),
        )
        .await;
        assert_refused(&res, "invalid_redirect_uri", uri);
        let res = register(
            &endpoints,
            &json!({"redirect_uris": [REDIRECT_URI], "frontchannel_logout_uri": uri}),
        )
        .await;
        assert_refused(&res, "invalid_client_metadata", uri);
        for field in ["logo_uri", "policy_uri", "tos_uri", "client_uri"] {
            let res = register(
                &endpoints,
                &json!({"redirect_uris": [REDIRECT_URI], field: uri}),
            )
            .await;
            assert_refused(&res, "invalid_client_metadata", &format!("{field} {uri}"));
        }
    }
    // No userinfo, and pages a person is shown are https (http on loopback).
    let res = register(
        &endpoints,
        &json!({"redirect_uris": ["https://user:pw@rp.example/cb"]}),
    )
    .await;
    assert_refused(&res, "invalid_redirect_uri", "userinfo");
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [REDIRECT_URI], "logo_uri": "http://rp.example/logo.png"}),
    )
    .await;
    assert_refused(&res, "invalid_client_metadata", "http logo_uri");
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [REDIRECT_URI], "logo_uri": "http://127.0.0.1:8080/logo.png"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_refuses_dangerous_redirect_schemes() {
    let env = Env::new().await;
    let slug = env.tenant.slug.as_str();
    for uri in DANGEROUS {
        let base = [
            "client", "create", "--tenant", slug, "--name", "Bad", "--public",
        ];
        for extra in [
            ["--redirect-uri", uri].as_slice(),
            &[
                "--redirect-uri",
                REDIRECT_URI,
                "--post-logout-redirect-uri",
                uri,
            ],
        ] {
            let args: Vec<&str> = base.iter().chain(extra).copied().collect();
            let out = env.server.cli(&args, None);
            assert!(!out.success, "{args:?} accepted: {}", out.stdout);
            assert!(
                out.stderr.contains("is not allowed"),
                "{args:?}: {}",
                out.stderr
            );
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reverse_domain_schemes_are_for_public_clients_only() {
    let (server, endpoints) = open_tenant().await;
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [NATIVE_REDIRECT], "token_endpoint_auth_method": "none", "application_type": "native"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = register(&endpoints, &json!({"redirect_uris": [NATIVE_REDIRECT]})).await;
    assert_refused(&res, "invalid_redirect_uri", "confidential native");
    let out = server.cli(
        &[
            "client",
            "create",
            "--tenant",
            "open",
            "--name",
            "Native",
            "--redirect-uri",
            NATIVE_REDIRECT,
        ],
        None,
    );
    assert!(!out.success, "{}", out.stdout);
    assert!(
        out.stderr.contains("public (native) clients only"),
        "{}",
        out.stderr
    );
    let out = server.cli(
        &[
            "client",
            "create",
            "--tenant",
            "open",
            "--name",
            "Native",
            "--public",
            "--redirect-uri",
            NATIVE_REDIRECT,
        ],
        None,
    );
    assert!(out.success, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_redirect_uris_are_accepted_only_on_loopback() {
    let (server, endpoints) = open_tenant().await;
    for uri in [
        "http://127.0.0.1:8080/cb",
        "http://localhost/cb",
        "http://[::1]:9000/cb",
    ] {
        let res = register(&endpoints, &json!({"redirect_uris": [uri]})).await;
        assert_eq!(res.status, StatusCode::CREATED, "{uri}: {}", res.body);
    }
    for uri in ["http://rp.example/cb", "http://10.0.0.8/cb"] {
        let res = register(&endpoints, &json!({"redirect_uris": [uri]})).await;
        assert_refused(&res, "invalid_redirect_uri", uri);
    }
    let create = |extra: &[&str]| {
        let mut args = vec![
            "client",
            "create",
            "--tenant",
            "open",
            "--name",
            "Web",
            "--redirect-uri",
            "http://rp.example/cb",
        ];
        args.extend(extra);
        server.cli(&args, None)
    };
    let out = create(&[]);
    assert!(!out.success, "{}", out.stdout);
    assert!(out.stderr.contains("must use https"), "{}", out.stderr);
    // The development setting, as a flag of the CLI.
    let out = create(&["--allow-insecure-redirect-uris", "on"]);
    assert!(out.success, "{}", out.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_insecure_setting_allows_http_redirect_uris_elsewhere() {
    let server = TestServer::start_config(|c| c.allow_insecure_redirect_uris = true).await;
    let out = server.cli(
        &["tenant", "create", "open", "--dynamic-registration"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    let endpoints = discover(&server.issuer("open")).await;
    let res = register(
        &endpoints,
        &json!({"redirect_uris": ["http://rp.example/cb"]}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // Still no dangerous scheme.
    for uri in DANGEROUS {
        let res = register(&endpoints, &json!({"redirect_uris": [uri]})).await;
        assert_refused(&res, "invalid_redirect_uri", uri);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_may_post_only_to_the_redirect_uri_origin() {
    let (server, endpoints) = open_tenant().await;
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [NATIVE_REDIRECT], "token_endpoint_auth_method": "none"}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let client_id = res.json()["client_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    // No session: login_required goes back by form_post.
    let res = silent_request(&endpoints, &client_id, NATIVE_REDIRECT, Some("form_post")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("login_required"), "{}", res.body);
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(csp.contains("form-action com.example.app:;"), "{csp}");
    assert!(!csp.contains('*'), "{csp}");
    drop(server);
}

/// A client as a database from before the redirect-URI rules may hold it.
async fn store_legacy_client(server: &TestServer, tenant: &Tenant, id: &str, uri: &str) {
    let store = SqliteStore::open(&server.database_url).expect("the database opens a second time");
    let record = ClientRecord {
        redirect_uris: vec![uri.to_owned()],
        grant_types: vec![GrantType::AuthorizationCode],
        post_logout_redirect_uris: vec![uri.to_owned()],
        ..ClientRecord::new(ClientId::new(id), "Legacy", now())
    };
    store
        .create_client(&TenantId::new(&tenant.id), &record)
        .await
        .expect("legacy client stored");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_dangerous_uris_are_never_rendered_or_followed() {
    let env = Env::new().await;
    let uri = "javascript:alert(document.domain)";
    store_legacy_client(&env.server, &env.tenant, "legacy", uri).await;
    let res = silent_request(&env.endpoints, "legacy", uri, Some("form_post")).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(!res.body.contains("javascript"), "{}", res.body);
    assert!(res.location().is_none());
    // Query mode: no redirect either.
    let res = silent_request(&env.endpoints, "legacy", uri, None).await;
    assert!(res.location().is_none(), "{:?}", res.header("location"));
    // Logout: the signed-out page, neither a redirect nor a link there.
    let res = Browser::new()
        .get(&with_query(
            &env.endpoints.end_session,
            &[("client_id", "legacy"), ("post_logout_redirect_uri", uri)],
        ))
        .await;
    assert!(res.location().is_none(), "{:?}", res.header("location"));
    assert!(!res.body.contains("javascript"), "{}", res.body);
}
