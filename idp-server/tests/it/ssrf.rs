//! Server-side request forgery (ADR 0019): a client registered by anyone
//! cannot make the provider request its own network. On a server without
//! `OUTBOUND_ALLOW`, internal addresses in `jwks_uri`, `request_uris` and
//! `backchannel_logout_uri` are refused at registration, and a name that
//! resolves to loopback (`localhost`) is refused when it would be
//! requested: a listener counting connections sees none. Every failure of a
//! `request_uri` or `jwks_uri` reads the same, so an open port cannot be
//! told from a closed one. With the allowance (what every other test
//! server has), the same URIs work.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// `invalid_request_uri` description for every failure of a `request_uri`.
const UNUSABLE_REQUEST_URI: &str =
    "request_uri did not yield a valid request object for this client";
/// `invalid_client` description for every failure of a `jwks_uri`.
const UNUSABLE_JWKS_URI: &str = "the client's jwks_uri did not yield a usable JWK Set";

/// Internal destinations written as addresses.
const INTERNAL_HOSTS: [&str; 6] = [
    "127.0.0.1",
    "0.0.0.0",
    "[::1]",
    "[::ffff:127.0.0.1]",
    "169.254.169.254",
    "10.0.0.5",
];

/// An open tenant on a server with the default outbound policy: https
/// only, no internal destination allowed.
async fn guarded_open_tenant() -> (TestServer, Endpoints) {
    open_tenant_on(TestServer::start_config(|c| c.outbound = Default::default()).await).await
}

/// `path` on `rp`'s port, named `localhost` (which resolves to loopback)
/// and over https, as a registration on a guarded server may give it.
fn on_localhost(rp: &Receiver, path: &str) -> String {
    rp.url(path)
        .replace("http://127.0.0.1", "https://localhost")
}

/// `http://127.0.0.1:{port}{path}` where nothing listens.
async fn closed_port_url(path: &str) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    format!("http://127.0.0.1:{port}{path}")
}

/// Registers a client; its `client_id`.
async fn registered(endpoints: &Endpoints, metadata: Value) -> String {
    let res = register(endpoints, &metadata).await;
    assert_eq!(res.status, StatusCode::CREATED, "{metadata}: {}", res.body);
    res.json()["client_id"].as_str().unwrap_or("").to_owned()
}

/// A client using `request_uris`.
fn with_request_uris(uris: &[&str]) -> Value {
    json!({"redirect_uris": [REDIRECT_URI], "request_uris": uris})
}

/// A `private_key_jwt` client whose keys are at `jwks_uri`.
fn with_jwks_uri(jwks_uri: &str) -> Value {
    json!({
        "redirect_uris": [REDIRECT_URI],
        "grant_types": ["client_credentials"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": jwks_uri,
    })
}

/// `/authorize` by reference to `uri`: the `error_description` of the
/// `invalid_request_uri` error sent to the client.
async fn request_uri_error(endpoints: &Endpoints, client_id: &str, uri: &str) -> String {
    let url = with_query(
        &endpoints.authorization,
        &[
            ("client_id", client_id),
            ("redirect_uri", REDIRECT_URI),
            ("state", "s"),
            ("request_uri", uri),
        ],
    );
    let res = Browser::new().get(&url).await;
    let callback = Callback::parse(&res.redirect());
    callback.assert_error("invalid_request_uri", &endpoints.issuer, Some("s"));
    callback.error_description.unwrap_or_default()
}

/// A `private_key_jwt` client-credentials request: the `error_description`
/// of the `invalid_client` error.
async fn jwks_uri_error(endpoints: &Endpoints, client_id: &str) -> String {
    let assertion = ClientKey::generate("k").assertion(client_id, &endpoints.token, 60);
    let res = token_request(
        &endpoints.token,
        ClientAuth::Assertion(&assertion),
        &[("grant_type", "client_credentials")],
    )
    .await;
    let err = res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    err["error_description"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn registration_refuses_outbound_uris_at_internal_addresses() {
    let (_server, endpoints) = guarded_open_tenant().await;
    for host in INTERNAL_HOSTS {
        let uri = format!("https://{host}:8443/x");
        for metadata in [
            with_request_uris(&[&uri]),
            with_jwks_uri(&uri),
            json!({"redirect_uris": [REDIRECT_URI], "backchannel_logout_uri": uri}),
        ] {
            let res = register(&endpoints, &metadata).await;
            let err = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
            let description = err["error_description"].as_str().unwrap_or("");
            assert!(
                description.contains("loopback, private"),
                "{metadata}: {description}"
            );
        }
    }
    for (uri, why) in [
        ("http://rp.example/x", "must use https"),
        ("https://user:pw@rp.example/x", "user name or password"),
    ] {
        for metadata in [with_request_uris(&[uri]), with_jwks_uri(uri)] {
            let res = register(&endpoints, &metadata).await;
            let err = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
            let description = err["error_description"].as_str().unwrap_or("");
            assert!(description.contains(why), "{metadata}: {description}");
        }
    }
    // Public names over https are what real clients register.
    registered(&endpoints, with_jwks_uri("https://rp.example/jwks")).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_allowance_admits_the_allowed_blocks_only() {
    // Test servers allow 127.0.0.1/32 and ::1/128 over http.
    let (_server, endpoints) = open_tenant().await;
    registered(&endpoints, with_jwks_uri("http://127.0.0.1:9/jwks")).await;
    registered(&endpoints, with_request_uris(&["http://[::1]:9/r.jwt"])).await;
    for uri in [
        "http://169.254.169.254/x",
        "http://127.0.0.2/x",
        "http://[::2]/x",
    ] {
        let res = register(&endpoints, &with_jwks_uri(uri)).await;
        res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_uri_naming_loopback_is_never_fetched() {
    let (_server, endpoints) = guarded_open_tenant().await;
    let rp = Receiver::start().await;
    rp.serve("/r.jwt", "application/jwt", "not a JWT");
    let open = on_localhost(&rp, "/r.jwt");
    let closed = closed_port_url("/r.jwt")
        .await
        .replace("http://127.0.0.1", "https://localhost");
    let client_id = registered(&endpoints, with_request_uris(&[&open, &closed])).await;
    for uri in [&open, &closed] {
        assert_eq!(
            request_uri_error(&endpoints, &client_id, uri).await,
            UNUSABLE_REQUEST_URI,
            "{uri}"
        );
    }
    assert_eq!(rp.connections(), 0, "the provider connected to loopback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn request_uri_errors_do_not_tell_an_open_port_from_a_closed_one() {
    let (_server, endpoints) = open_tenant().await;
    let rp = Receiver::start().await;
    let open = rp.serve("/r.jwt", "text/plain", "hello, I am an internal service");
    let closed = closed_port_url("/r.jwt").await;
    let client_id = registered(&endpoints, with_request_uris(&[&open, &closed])).await;
    assert_eq!(
        request_uri_error(&endpoints, &client_id, &open).await,
        UNUSABLE_REQUEST_URI
    );
    assert_eq!(
        rp.at("/r.jwt").len(),
        1,
        "the allowance lets the fetch through"
    );
    assert_eq!(
        request_uri_error(&endpoints, &client_id, &closed).await,
        UNUSABLE_REQUEST_URI
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_jwks_uri_naming_loopback_is_never_fetched() {
    let (_server, endpoints) = guarded_open_tenant().await;
    let rp = Receiver::start().await;
    rp.serve("/jwks", "application/json", "{}");
    let client_id = registered(&endpoints, with_jwks_uri(&on_localhost(&rp, "/jwks"))).await;
    assert_eq!(
        jwks_uri_error(&endpoints, &client_id).await,
        UNUSABLE_JWKS_URI
    );
    assert_eq!(rp.connections(), 0, "the provider connected to loopback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_uri_errors_do_not_tell_an_open_port_from_a_closed_one() {
    let (_server, endpoints) = open_tenant().await;
    let rp = Receiver::start().await;
    let open = rp.serve("/jwks", "text/plain", "hello, I am an internal service");
    let open_client = registered(&endpoints, with_jwks_uri(&open)).await;
    let closed_client =
        registered(&endpoints, with_jwks_uri(&closed_port_url("/jwks").await)).await;
    assert_eq!(
        jwks_uri_error(&endpoints, &open_client).await,
        UNUSABLE_JWKS_URI
    );
    assert_eq!(
        rp.at("/jwks").len(),
        1,
        "the allowance lets the fetch through"
    );
    assert_eq!(
        jwks_uri_error(&endpoints, &closed_client).await,
        UNUSABLE_JWKS_URI
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn back_channel_logout_to_a_loopback_name_never_connects() {
    let env =
        Env::with_server(TestServer::start_config(|c| c.outbound = Default::default()).await).await;
    let rp = Receiver::start().await;
    let client = env.client(&ClientSpec {
        backchannel_logout_uri: Some(on_localhost(&rp, "/bc")),
        ..ClientSpec::confidential("Back Channel")
    });
    env.rp(&client).await.assert_signs_in(&env.user).await;
    // The CLI delivers the Logout Tokens itself: under the same policy.
    let out = tokio::task::block_in_place(|| {
        env.server.cli_json(
            &[
                "session",
                "revoke",
                "--tenant",
                "acme",
                "--all",
                "--email",
                &env.user.email,
                "--json",
                "--outbound-allow",
                "none",
                "--outbound-allow-http",
                "off",
            ],
            None,
        )
    });
    assert_eq!(out["revoked"], 1);
    assert_eq!(rp.connections(), 0, "the logout connected to loopback");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_refuses_internal_jwks_and_back_channel_uris() {
    let server = TestServer::start().await;
    server.create_tenant("acme");
    let base = [
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "App",
        "--redirect-uri",
        REDIRECT_URI,
        "--outbound-allow",
        "none",
    ];
    for extra in [
        &[
            "--auth-method",
            "private_key_jwt",
            "--jwks-uri",
            "https://127.0.0.1/jwks",
        ][..],
        &["--backchannel-logout-uri", "https://169.254.169.254/bc"][..],
        &["--backchannel-logout-uri", "https://[::ffff:10.0.0.1]/bc"][..],
    ] {
        let mut args = base.to_vec();
        args.extend(extra);
        let out = server.cli(&args, None);
        assert!(!out.success, "{extra:?} accepted");
        assert!(
            out.stderr.contains("loopback, private"),
            "{extra:?}: {}",
            out.stderr
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn addresses_are_checked_again_when_requested() {
    // Registered by a CLI run that allowed loopback (as every test CLI run
    // does); the server itself does not allow it.
    let env =
        Env::with_server(TestServer::start_config(|c| c.outbound = Default::default()).await).await;
    let rp = Receiver::start().await;
    let key = ClientKey::generate("k");
    let client = env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks_uri: Some(rp.serve("/jwks", "application/json", &key.jwks())),
        ..ClientSpec::service("Registered Earlier", &["jobs"], &[])
    });
    assert_eq!(
        jwks_uri_error(&env.endpoints, &client.client_id).await,
        UNUSABLE_JWKS_URI
    );
    assert_eq!(rp.connections(), 0, "the provider connected to loopback");
}
