//! Signing keys published before they sign (ADR 0024), across two servers
//! on one database: after `tenant rotate-keys` (a third process), both
//! servers publish the new keys within their tenant cache but keep signing
//! with the old ones until the activation time; from then on both sign with
//! the new keys, and every token verifies against either server's JWKS.

use crate::support::*;
use idp_server::config::Config;
use idp_server::server::RunningServer;
use reqwest::StatusCode;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// Seconds between the rotation and the new keys' activation: long enough
/// for the CLI run and both tenant caches (1 s) on a loaded machine.
const PUBLICATION: i64 = 6;

/// Test lifetimes with a short publication period.
fn lifetimes() -> idp_core::Lifetimes {
    idp_core::Lifetimes {
        key_publication: PUBLICATION,
        ..test_lifetimes()
    }
}

/// A second server on `first`'s database, as another instance behind the
/// same load balancer would be.
async fn second_server(first: &TestServer) -> RunningServer {
    let mut config = Config::for_tests(first.database_url.clone(), KEY_HEX.to_owned());
    config.lifetimes = lifetimes();
    allow_loopback_outbound(&mut config);
    idp_server::server::start(config)
        .await
        .expect("the second server starts")
}

/// One server's view of tenant `acme`.
struct Instance {
    name: &'static str,
    token: String,
    jwks: String,
}

impl Instance {
    fn of(name: &'static str, base_url: &str) -> Self {
        Self {
            name,
            token: format!("{base_url}/t/acme/token"),
            jwks: format!("{base_url}/t/acme/jwks"),
        }
    }

    /// An access token (ES256) from client credentials.
    async fn access_token(&self, client: &RegisteredClient) -> String {
        let res = token_request(
            &self.token,
            ClientAuth::of(client),
            &[("grant_type", "client_credentials")],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}: {}", self.name, res.body);
        res.json()["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    async fn jwks(&self) -> Value {
        let res = get(&self.jwks).await;
        assert_eq!(res.status, StatusCode::OK, "{}: {}", self.name, res.body);
        res.json()
    }
}

fn kid(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().unwrap_or("").to_owned()
}

/// `tenant keys acme --json`: state by kid.
fn states(env: &Env) -> BTreeMap<String, String> {
    let listed = env
        .server
        .cli_json(&["tenant", "keys", "acme", "--json"], None);
    listed["keys"]
        .as_array()
        .expect("a JSON array of keys")
        .iter()
        .map(|k| {
            let field = |name: &str| k[name].as_str().unwrap_or("").to_owned();
            (field("kid"), field("state"))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_are_published_on_every_server_before_either_signs_with_them() {
    let server = TestServer::start_config(|c: &mut Config| c.lifetimes = lifetimes()).await;
    let env = Env::with_server(server).await;
    let service = env.client(&ClientSpec::service("Billing", &["invoices"], &[]));
    let second = second_server(&env.server).await;
    let servers = [
        Instance::of("first", &env.server.base_url),
        Instance::of("second", &second.base_url),
    ];
    let mut tokens = Vec::new();
    for s in &servers {
        tokens.push(s.access_token(&service).await);
    }
    let old_kid = kid(&tokens[0]);
    assert_eq!(kid(&tokens[1]), old_kid, "one active key for both servers");

    // A third process rotates; its keys activate PUBLICATION seconds later.
    // KEY_PUBLICATION_SECONDS reaches the CLI through the .env file of its
    // working directory.
    std::fs::write(
        env.server.dir.path().join(".env"),
        format!("KEY_PUBLICATION_SECONDS={PUBLICATION}\n"),
    )
    .expect("write .env");
    let rotated = env
        .server
        .cli_json(&["tenant", "rotate-keys", "acme", "--json"], None);
    let activates_at = rotated["activates_at"].as_i64().expect("activates_at");
    let new_kids: Vec<String> = rotated["new_kids"]
        .as_array()
        .expect("new_kids")
        .iter()
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect();
    assert_eq!(new_kids.len(), 3, "{rotated}");
    assert!(activates_at > now(), "{rotated} is already active");
    let listed = states(&env);
    for k in &new_kids {
        assert_eq!(listed[k], "pending", "{listed:?}");
    }
    assert_eq!(listed[&old_kid], "active", "{listed:?}");

    // Within the tenant cache, both servers publish the new keys, and still
    // sign with the old one.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    for s in &servers {
        let published = kids(&s.jwks().await);
        for k in new_kids.iter().chain([&old_kid]) {
            assert!(
                published.contains(k),
                "{}: {k} not in {published:?}",
                s.name
            );
        }
        let token = s.access_token(&service).await;
        assert_eq!(kid(&token), old_kid, "{} signs with a pending key", s.name);
        tokens.push(token);
    }
    assert!(
        now() < activates_at,
        "the publication window passed before it was checked: raise PUBLICATION"
    );

    // From the activation time both sign with the new key, without waiting
    // for their caches; the old key is retired but still published.
    while now() < activates_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    for s in &servers {
        let token = s.access_token(&service).await;
        let signer = kid(&token);
        assert!(new_kids.contains(&signer), "{} signs with {signer}", s.name);
        tokens.push(token);
    }
    let listed = states(&env);
    assert_eq!(listed[&old_kid], "retired", "{listed:?}");
    assert!(new_kids.iter().any(|k| listed[k] == "active"), "{listed:?}");

    // Every token, old or new, from either server, verifies against either
    // server's JWKS.
    for s in &servers {
        let jwks = s.jwks().await;
        for token in &tokens {
            verify_es256(token, &jwks)
                .unwrap_or_else(|e| panic!("{} JWKS, token by {}: {e}", s.name, kid(token)));
        }
    }
    second.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_immediate_rotation_signs_at_once() {
    let server = TestServer::start_config(|c: &mut Config| c.lifetimes = lifetimes()).await;
    let env = Env::with_server(server).await;
    let service = env.client(&ClientSpec::service("Billing", &["invoices"], &[]));
    let first = Instance::of("first", &env.server.base_url);
    let old_kid = kid(&first.access_token(&service).await);

    let rotated = env.server.cli_json(
        &["tenant", "rotate-keys", "acme", "--immediately", "--json"],
        None,
    );
    assert!(rotated["activates_at"].as_i64().expect("activates_at") <= now());
    let listed = states(&env);
    assert_eq!(listed[&old_kid], "retired", "{listed:?}");
    // The server that ran no rotation follows within its tenant cache.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let signer = kid(&first.access_token(&service).await);
    assert_ne!(signer, old_kid);
    assert_eq!(listed[&signer], "active", "{listed:?}");
}
