//! Two `idp-server` processes on one PostgreSQL database, same BASE_URL
//! and ENCRYPTION_KEY, different ports: a login on A, the code exchange on
//! B, a refresh on A and the reuse of the old refresh token on B revokes
//! the family on both; a revocation on one is seen by the other at once;
//! a client or key changed through the CLI is seen by both within a
//! second (LISTEN/NOTIFY, not short cache lifetimes: the tenant cache
//! lives 60 s and the client cache 5 s here).

use super::*;
use reqwest::StatusCode;
use std::time::{Duration, Instant};

/// How soon a change must be seen everywhere.
const PROPAGATION: Duration = Duration::from_secs(1);

/// Polls `check` until it holds or `PROPAGATION` has passed; how long it took.
async fn within_a_second<F, Fut>(what: &str, mut check: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    loop {
        if check().await {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < PROPAGATION,
            "{what}: not seen within {PROPAGATION:?}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_on_one_database_behave_as_one() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let a = instance(dir.path(), &db, &[]);
    let b = instance(dir.path(), &db, &[("BASE_URL", &a.base_url)]);

    let tenant = a.create_tenant("acme");
    let client = a.create_client("acme", &ClientSpec::confidential("Shared App"));
    let user = a.create_user("acme", "ada@example.com", "Ada", PASSWORD);
    let on_a = discover(&tenant.issuer).await;
    let b_base = format!("http://localhost:{}", b.port);
    let on_b = via(&on_a, &a.base_url, &b_base);

    // A login on A, the code exchanged on B.
    let rp = Rp::discover(&tenant.issuer, &client).await;
    let request = rp.auth_request(&AuthOptions::scopes(&["offline_access"]));
    let (callback, _) = Browser::new()
        .authorize(request.url.as_str(), REDIRECT_URI, &user)
        .await;
    let verifier = request.verifier.clone().unwrap_or_default();
    let code = callback.code();
    let exchanged = token_request(
        &on_b.token,
        ClientAuth::of(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await;
    assert_eq!(
        exchanged.status,
        StatusCode::OK,
        "exchange on B: {}",
        exchanged.body
    );
    let tokens = exchanged.json();
    let rt1 = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let at1 = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    // Refresh on A; the old refresh token reused on B revokes the family.
    let refreshed = token_request(
        &on_a.token,
        ClientAuth::of(&client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await;
    assert_eq!(
        refreshed.status,
        StatusCode::OK,
        "refresh on A: {}",
        refreshed.body
    );
    let rt2 = refreshed.json()["refresh_token"]
        .as_str()
        .expect("rotated")
        .to_owned();
    token_request(
        &on_b.token,
        ClientAuth::of(&client),
        &[("grant_type", "refresh_token"), ("refresh_token", &rt1)],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    for (name, endpoints) in [("A", &on_a), ("B", &on_b)] {
        token_request(
            &endpoints.token,
            ClientAuth::of(&client),
            &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
        )
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
        let seen = introspect(endpoints, &client, &at1).await;
        assert_eq!(
            seen["active"], false,
            "the family's access token on {name}: {seen}"
        );
    }

    // The code was taken on B: A refuses it (and, as a reused code, would
    // revoke its grant: that is why this comes last).
    token_request(
        &on_a.token,
        ClientAuth::of(&client),
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT_URI),
            ("code_verifier", &verifier),
        ],
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");

    // A revocation on A is seen by introspection and userinfo on B at once.
    let fresh = rp
        .flow(&Browser::new(), &user, &AuthOptions::default())
        .await;
    let at = access_token_of(&fresh.tokens);
    assert_eq!(introspect(&on_b, &client, &at).await["active"], true);
    assert_eq!(get_bearer(&on_b.userinfo, &at).await.status, StatusCode::OK);
    let revoked = client_post(&on_a.revocation, ClientAuth::of(&client), &[("token", &at)]).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_eq!(introspect(&on_b, &client, &at).await["active"], false);
    assert_eq!(
        get_bearer(&on_b.userinfo, &at).await.status,
        StatusCode::UNAUTHORIZED
    );

    // A client's secret rotated through the CLI: B, whose cache holds the
    // client, stops accepting the old secret within a second.
    let service = a.create_client(
        "acme",
        &ClientSpec::service("Backend", &["read"], &["https://api.example"]),
    );
    let credentials = |endpoints: &Endpoints, c: &RegisteredClient| {
        let (endpoint, id, secret) = (
            endpoints.token.clone(),
            c.client_id.clone(),
            c.client_secret.clone().unwrap_or_default(),
        );
        async move {
            token_request(
                &endpoint,
                ClientAuth::Basic(&id, &secret),
                &[("grant_type", "client_credentials"), ("scope", "read")],
            )
            .await
            .status
        }
    };
    assert_eq!(credentials(&on_b, &service).await, StatusCode::OK);
    let rotated = a.cli_json(
        &[
            "client",
            "rotate-secret",
            "--tenant",
            "acme",
            &service.client_id,
            "--grace-seconds",
            "0",
            "--json",
        ],
        None,
    );
    assert!(rotated["client_secret"].is_string(), "{rotated}");
    let took = within_a_second("the rotated secret on B", || async {
        credentials(&on_b, &service).await == StatusCode::UNAUTHORIZED
    })
    .await;
    eprintln!("B refused the old secret {took:?} after the CLI rotated it");

    // Keys rotated at once through the CLI: both publish the new key within
    // a second (the tenant cache lives 60 s).
    let kids_before = kids(&jwks(&on_b).await);
    a.cli_json(
        &["tenant", "rotate-keys", "acme", "--immediately", "--json"],
        None,
    );
    for endpoints in [&on_a, &on_b] {
        let took = within_a_second("the rotated keys", || async {
            kids(&jwks(endpoints).await) != kids_before
        })
        .await;
        eprintln!("{} published the new keys after {took:?}", endpoints.jwks);
    }
    assert_eq!(kids(&jwks(&on_a).await), kids(&jwks(&on_b).await));

    // A tenant setting changed through the CLI: B's discovery names the
    // registration endpoint within a second.
    let discovery_b = format!("{b_base}/t/acme/.well-known/openid-configuration");
    assert!(get(&discovery_b).await.json()["registration_endpoint"].is_null());
    a.cli_json(
        &[
            "tenant",
            "update",
            "acme",
            "--dynamic-registration",
            "on",
            "--json",
        ],
        None,
    );
    let took = within_a_second("the tenant's new setting on B", || async {
        get(&discovery_b).await.json()["registration_endpoint"].is_string()
    })
    .await;
    eprintln!("B served the tenant's new setting after {took:?}");
    drop((a, b));
}
