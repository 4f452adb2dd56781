//! Pushed Authorization Requests (RFC 9126): the client pushes its
//! authorization request to the PAR endpoint found in discovery, then
//! sends the browser with the `request_uri` it got; the request_uri is
//! single use, short-lived and its client's only, and a client may be
//! required to push.

use crate::authorize_errors::assert_error_page;
use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

const STATE: &str = "par-st4te";
const PREFIX: &str = "urn:ietf:params:oauth:request_uri:";

/// Form parameters of a push.
type Params = Vec<(&'static str, String)>;

/// The PAR endpoint, from discovery only.
fn par_endpoint(endpoints: &Endpoints) -> String {
    endpoints.doc["pushed_authorization_request_endpoint"]
        .as_str()
        .expect("pushed_authorization_request_endpoint in discovery")
        .to_owned()
}

/// A valid code request's parameters with PKCE, as a client pushes them.
fn request_params(challenge: &str) -> Vec<(&'static str, String)> {
    vec![
        ("response_type", "code".into()),
        ("redirect_uri", REDIRECT_URI.into()),
        ("scope", "openid".into()),
        ("state", STATE.into()),
        ("nonce", "n-par".into()),
        ("code_challenge", challenge.into()),
        ("code_challenge_method", "S256".into()),
    ]
}

/// POSTs `params` to the PAR endpoint as `auth`.
async fn push(endpoints: &Endpoints, auth: ClientAuth<'_>, params: &[(&str, String)]) -> Resp {
    let borrowed: Vec<(&str, &str)> = params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    client_post(&par_endpoint(endpoints), auth, &borrowed).await
}

/// Pushes a valid request of `client` and returns its `request_uri`.
async fn pushed(endpoints: &Endpoints, client: &RegisteredClient, challenge: &str) -> String {
    let res = push(
        endpoints,
        ClientAuth::of(client),
        &request_params(challenge),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_no_store(&res);
    let doc = res.json();
    assert_eq!(doc["expires_in"], 60, "{doc}");
    let uri = doc["request_uri"].as_str().expect("request_uri").to_owned();
    assert!(uri.starts_with(PREFIX), "{uri}");
    assert!(uri.len() > PREFIX.len() + 20, "{uri}");
    uri
}

/// The authorization URL that carries only `client_id` and `request_uri`.
fn by_reference(endpoints: &Endpoints, client_id: &str, request_uri: &str) -> String {
    with_query(
        &endpoints.authorization,
        &[("client_id", client_id), ("request_uri", request_uri)],
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_the_par_endpoint() {
    let env = Env::new().await;
    assert_eq!(
        par_endpoint(&env.endpoints),
        format!("{}/par", env.tenant.issuer)
    );
    assert_eq!(
        env.endpoints.doc["require_pushed_authorization_requests"],
        false
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_request_signs_in_and_its_code_is_exchanged_once() {
    let env = Env::new().await;
    let (verifier, challenge) = pkce_pair();
    let request_uri = pushed(&env.endpoints, &env.client, &challenge).await;
    let browser = Browser::new();
    let url = by_reference(&env.endpoints, &env.client.client_id, &request_uri);
    let (callback, seen) = browser.authorize(&url, REDIRECT_URI, &env.user).await;
    assert!(seen.contains(&"login"), "{seen:?}");
    // The pushed state comes back, though the browser never carried it.
    assert_eq!(callback.state.as_deref(), Some(STATE));
    let code = callback.code();
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let tokens = res.json();
    let (_, claims) = jwt_parts(tokens["id_token"].as_str().expect("id_token"));
    assert_eq!(claims["nonce"], "n-par");
    assert_eq!(claims["aud"], Value::from(env.client.client_id.as_str()));

    // Single use: the same request_uri again, even in the same browser.
    let again = browser.get(&url).await;
    assert_error_page_with(&again, "invalid_request_uri");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_public_client_pushes_with_its_client_id_and_pkce() {
    let env = Env::new().await;
    let spa = env.client(&ClientSpec::public("SPA"));
    let (verifier, challenge) = pkce_pair();
    let request_uri = pushed(&env.endpoints, &spa, &challenge).await;
    let url = by_reference(&env.endpoints, &spa.client_id, &request_uri);
    let (callback, _) = Browser::new()
        .authorize(&url, REDIRECT_URI, &env.user)
        .await;
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&spa),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // Without PKCE a public client's push is refused, as at /authorize.
    let mut without = request_params(&challenge);
    without.retain(|(k, _)| !k.starts_with("code_challenge"));
    push(&env.endpoints, ClientAuth::of(&spa), &without)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pushed_request_expires() {
    let env = Env::with_server(
        TestServer::start_with(idp_core::Lifetimes {
            pushed_request: 1,
            ..test_lifetimes()
        })
        .await,
    )
    .await;
    let (_, challenge) = pkce_pair();
    let res = push(
        &env.endpoints,
        ClientAuth::of(&env.client),
        &request_params(&challenge),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    assert_eq!(res.json()["expires_in"], 1);
    let request_uri = res.json()["request_uri"].as_str().unwrap_or("").to_owned();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let url = by_reference(&env.endpoints, &env.client.client_id, &request_uri);
    assert_error_page_with(&Browser::new().get(&url).await, "invalid_request_uri");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_client_cannot_use_a_pushed_request() {
    let env = Env::new().await;
    let other = env.client(&ClientSpec::confidential("Other"));
    let (_, challenge) = pkce_pair();
    let request_uri = pushed(&env.endpoints, &env.client, &challenge).await;
    // Presented by another client: a page, never a redirect.
    let res = Browser::new()
        .get(&by_reference(
            &env.endpoints,
            &other.client_id,
            &request_uri,
        ))
        .await;
    assert_error_page_with(&res, "invalid_request_uri");
    assert!(
        res.body.contains("not pushed by this client"),
        "{}",
        res.body
    );
    // Without a client_id at all.
    let res = Browser::new()
        .get(&with_query(
            &env.endpoints.authorization,
            &[("request_uri", &request_uri)],
        ))
        .await;
    assert_error_page(&res);
    // An unknown one.
    let res = Browser::new()
        .get(&by_reference(
            &env.endpoints,
            &env.client.client_id,
            &format!("{PREFIX}made-up"),
        ))
        .await;
    assert_error_page_with(&res, "invalid_request_uri");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_pushed_requests_get_json_errors() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let valid = request_params(&challenge);
    let secret = env.client.client_secret.clone().unwrap_or_default();
    let with = |name: &'static str, value: &str| {
        let mut p: Vec<(&str, String)> =
            valid.iter().filter(|(k, _)| *k != name).cloned().collect();
        p.push((name, value.to_owned()));
        p
    };
    let cases: Vec<(Params, StatusCode, &str)> = vec![
        (
            with("redirect_uri", "https://evil.example/cb"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with("response_type", "token"),
            StatusCode::BAD_REQUEST,
            "unsupported_response_type",
        ),
        (
            with("code_challenge_method", "plain"),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with("request_uri", &format!("{PREFIX}x")),
            StatusCode::BAD_REQUEST,
            "invalid_request",
        ),
        (
            with("client_id", "someone-else"),
            StatusCode::UNAUTHORIZED,
            "invalid_client",
        ),
    ];
    for (params, status, error) in cases {
        let res = push(&env.endpoints, ClientAuth::of(&env.client), &params).await;
        res.assert_oauth_error(status, error);
        assert!(res.header("location").is_none());
        assert!(
            res.header("content-type")
                .unwrap_or_default()
                .starts_with("application/json")
        );
    }
    // Client authentication as at the token endpoint.
    push(
        &env.endpoints,
        ClientAuth::Basic(&env.client.client_id, "wrong"),
        &valid,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    push(
        &env.endpoints,
        ClientAuth::Public(&env.client.client_id),
        &valid,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // client_secret_post works too, and its secret is not part of the request.
    let res = push(
        &env.endpoints,
        ClientAuth::Post(&env.client.client_id, &secret),
        &valid,
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    // GET is not the endpoint's method.
    let res = plain_client()
        .get(par_endpoint(&env.endpoints))
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_requires_par_is_refused_without_it() {
    let env = Env::new().await;
    let out = env.server.cli_json(
        &[
            "client",
            "update",
            "--tenant",
            "acme",
            &env.client.client_id,
            "--require-par",
            "--json",
        ],
        None,
    );
    assert_eq!(out["require_pushed_authorization_requests"], true, "{out}");
    let (verifier, challenge) = pkce_pair();
    // A direct request: refused, back to the registered redirect URI.
    let callback =
        RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, &challenge, STATE)
            .to_client()
            .await;
    callback.assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
    assert!(
        callback
            .error_description
            .as_deref()
            .unwrap_or("")
            .contains("pushed authorization requests"),
        "{callback:?}"
    );
    // Pushed: accepted.
    let request_uri = pushed(&env.endpoints, &env.client, &challenge).await;
    let url = by_reference(&env.endpoints, &env.client.client_id, &request_uri);
    let (callback, _) = Browser::new()
        .authorize(&url, REDIRECT_URI, &env.user)
        .await;
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // And the requirement can be lifted again.
    let out = env.server.cli_json(
        &[
            "client",
            "update",
            "--tenant",
            "acme",
            &env.client.client_id,
            "--require-par",
            "false",
            "--json",
        ],
        None,
    );
    assert_eq!(out["require_pushed_authorization_requests"], false, "{out}");
    let direct =
        RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, &challenge, STATE);
    let (callback, _) = Browser::new()
        .authorize(&direct.url(), REDIRECT_URI, &env.user)
        .await;
    assert!(callback.code.is_some(), "{callback:?}");
}

/// A 400 page (no redirect) naming `error`.
fn assert_error_page_with(res: &Resp, error: &str) {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.header("location").is_none(), "redirected");
    assert!(res.body.contains(error), "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_object_can_be_pushed() {
    let env = Env::new().await;
    let (verifier, challenge) = pkce_pair();
    let id = env.client.client_id.as_str();
    let object = unsigned_request_object(&serde_json::json!({
        "iss": id,
        "aud": env.tenant.issuer,
        "client_id": id,
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
        "scope": "openid",
        "state": "from-the-object",
        "nonce": "n-object",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
    }));
    let res = push(
        &env.endpoints,
        ClientAuth::of(&env.client),
        &[("request", object.clone())],
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let request_uri = res.json()["request_uri"].as_str().unwrap_or("").to_owned();
    let url = by_reference(&env.endpoints, id, &request_uri);
    let (callback, _) = Browser::new()
        .authorize(&url, REDIRECT_URI, &env.user)
        .await;
    assert_eq!(callback.state.as_deref(), Some("from-the-object"));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &callback.code()),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // An object naming another client is refused.
    let foreign = unsigned_request_object(&serde_json::json!({
        "client_id": "someone-else",
        "response_type": "code",
        "redirect_uri": REDIRECT_URI,
    }));
    let res = push(
        &env.endpoints,
        ClientAuth::of(&env.client),
        &[("request", foreign)],
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
    assert!(res.header("location").is_none());
}

/// Pushes count against the same per-address rate as `/authorize`: past
/// the burst, a JSON 429 with `Retry-After`, and nothing stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pushes_over_the_per_address_rate_get_429() {
    let env = Env::with_server(
        TestServer::start_config(|c| {
            c.rate_limits.exempt = idp_server::forwarded::IpBlocks::default();
            c.rate_limits.authorize_per_ip = 1;
            c.rate_limits.pending_interactions_per_ip = 0;
        })
        .await,
    )
    .await;
    let spa = env.client(&ClientSpec::public("SPA"));
    let (_, challenge) = pkce_pair();
    let mut statuses = Vec::new();
    let mut refused = None;
    for _ in 0..20 {
        let res = push(
            &env.endpoints,
            ClientAuth::of(&spa),
            &request_params(&challenge),
        )
        .await;
        statuses.push(res.status);
        if res.status == StatusCode::TOO_MANY_REQUESTS {
            refused = Some(res);
            break;
        }
    }
    assert_eq!(
        statuses[..2],
        [StatusCode::CREATED; 2],
        "the burst of 2 passes"
    );
    let res = refused.unwrap_or_else(|| panic!("never refused: {statuses:?}"));
    res.assert_oauth_error(StatusCode::TOO_MANY_REQUESTS, "temporarily_unavailable");
    let wait: u64 = res
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!(wait >= 1);
    let stored: i64 = env
        .server
        .db()
        .query_row("SELECT count(*) FROM pushed_requests", [], |r| r.get(0))
        .expect("count pushed requests");
    assert_eq!(stored, statuses.len() as i64 - 1);
}
