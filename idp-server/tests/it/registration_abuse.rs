//! Registration abuse (issue 12, defect 7; the `/register` rate limit is
//! tested with the other limits): every metadata field is bounded, names
//! that would be displayed carry no control, invisible or bidirectional
//! formatting characters, and pages show client names so that they cannot
//! pass for another application.

use crate::support::*;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{ClientRecord, ClientStore, GrantType, TokenEndpointAuthMethod};
use idp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Asserts `invalid_client_metadata` whose description starts with `field`.
fn assert_refused_naming(res: &Resp, field: &str) {
    let doc = res.json();
    assert_eq!(
        (res.status, doc["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_client_metadata")),
        "{field}: {}",
        res.body
    );
    let description = doc["error_description"].as_str().unwrap_or_default();
    assert!(description.starts_with(field), "{field}: {description}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_metadata_is_refused_naming_the_field() {
    let (_server, endpoints) = open_tenant().await;
    let with = |name: &str, value: Value| {
        let mut doc = json!({"redirect_uris": [REDIRECT_URI]});
        doc[name] = value;
        doc
    };
    let long_uri = format!("https://rp.example/{}", "x".repeat(2000));
    let many: Vec<String> = (0..21)
        .map(|i| format!("https://rp.example/cb{i}"))
        .collect();
    let contacts: Vec<String> = (0..11).map(|i| format!("ops{i}@rp.example")).collect();
    for (doc, field) in [
        (
            with("client_name", json!("A".repeat(60 * 1024))),
            "client_name",
        ),
        (with("client_name", json!("A".repeat(101))), "client_name"),
        (with("logo_uri", json!(long_uri)), "logo_uri"),
        (json!({"redirect_uris": [long_uri]}), "redirect_uris"),
        (json!({"redirect_uris": many}), "redirect_uris"),
        (
            with("post_logout_redirect_uris", json!(many)),
            "post_logout_redirect_uris",
        ),
        (with("contacts", json!(contacts)), "contacts"),
        (
            with(
                "contacts",
                json!([format!("{}@rp.example", "o".repeat(300))]),
            ),
            "contacts",
        ),
        (with("scope", json!("openid ".repeat(200))), "scope"),
        (with("software_id", json!("s".repeat(1001))), "software_id"),
    ] {
        let res = register(&endpoints, &doc).await;
        assert_refused_naming(&res, field);
    }
    // At the bounds, accepted.
    let res = register(
        &endpoints,
        &json!({"redirect_uris": [REDIRECT_URI], "client_name": "A".repeat(100)}),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_with_control_or_bidi_characters_are_refused() {
    let (server, endpoints) = open_tenant().await;
    for name in [
        "Good\u{0}App",
        "Good\u{7}App",
        "Good\u{85}App",
        "Evil\u{202E}ppA dooG",
        "Evil\u{2067}App",
        "Evil\u{200F}App",
        "Invisible\u{200B}App",
        "Invisible\u{FEFF}App",
    ] {
        for field in ["client_name", "client_name#fr"] {
            let res = register(
                &endpoints,
                &json!({"redirect_uris": [REDIRECT_URI], field: name}),
            )
            .await;
            assert_refused_naming(&res, field);
        }
    }
    // The CLI's --name follows the same rule (NUL cannot be an argument).
    for name in ["Evil\u{202E}ppA", "Zero\u{200D}Width", &"N".repeat(101)] {
        let out = server.cli(
            &[
                "client",
                "create",
                "--tenant",
                "open",
                "--name",
                name,
                "--redirect-uri",
                REDIRECT_URI,
            ],
            None,
        );
        assert!(!out.success, "{name:?} accepted: {}", out.stdout);
        assert!(out.stderr.contains("client name must"), "{}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenant_names_follow_the_same_rule_as_client_names() {
    let server = TestServer::start().await;
    for name in ["Evil\u{202E}ppA", "Zero\u{200D}Width", &"N".repeat(101)] {
        let out = server.cli(&["tenant", "create", "bad", "--name", name], None);
        assert!(!out.success, "{name:?} accepted: {}", out.stdout);
        assert!(out.stderr.contains("tenant name must"), "{}", out.stderr);
    }
    // Pages isolate tenant names too: see the next test's login page.
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_long_name_is_shown_cut_and_isolated_with_the_return_host() {
    let env = Env::new().await;
    // Stored before the bounds existed: long, with a right-to-left override.
    let name = format!("{}\u{202E}moc.knab", "B".repeat(300));
    let store = SqliteStore::open(&env.server.database_url).expect("the database opens");
    let record = ClientRecord {
        redirect_uris: vec![REDIRECT_URI.to_owned()],
        grant_types: vec![GrantType::AuthorizationCode],
        auth_method: TokenEndpointAuthMethod::None,
        ..ClientRecord::new(ClientId::new("long-name"), name, now())
    };
    store
        .create_client(&TenantId::new(&env.tenant.id), &record)
        .await
        .expect("client stored");
    let (_, challenge) = pkce_pair();
    let browser = Browser::new();
    let first = browser
        .get(&raw_auth_url(
            &env.endpoints,
            &[
                ("client_id", "long-name"),
                ("redirect_uri", REDIRECT_URI),
                ("response_type", "code"),
                ("scope", "openid"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "S256"),
            ],
        ))
        .await;
    let login = browser.get(first.redirect().as_str()).await;
    assert!(login.is_login_page(), "{}", login.body);
    let shown = format!("{}…", "B".repeat(99));
    let isolated = format!("<bdi id=\"client-name\" dir=\"auto\">{shown}</bdi>");
    assert!(login.body.contains(&isolated), "{}", login.body);
    let tenant = format!("<bdi dir=\"auto\">{} Inc.</bdi>", env.tenant.slug);
    assert!(login.body.contains(&tenant), "{}", login.body);
    let mut consent = browser
        .submit_login(&login, &env.user.email, &env.user.password)
        .await;
    if consent.status.is_redirection() {
        consent = browser.get(consent.redirect().as_str()).await;
    }
    assert!(consent.is_consent_page(), "{}", consent.body);
    assert!(consent.body.contains(&isolated), "{}", consent.body);
    assert!(!consent.body.contains(&"B".repeat(100)));
    assert!(!consent.body.contains('\u{202E}'));
    assert!(
        consent
            .body
            .contains("<bdi id=\"redirect-host\" dir=\"ltr\">rp.example</bdi>"),
        "{}",
        consent.body
    );
}
