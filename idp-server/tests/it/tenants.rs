//! Tenants: each is its own OpenID Provider. Nothing of one tenant (client,
//! code, refresh token, access token, session, user, key) is worth anything
//! at another's endpoints.

use crate::authorize_errors::assert_error_page;
use crate::support::*;
use openidconnect::core::{CoreAuthPrompt, CoreIdTokenVerifier, CoreJwsSigningAlgorithm};
use openidconnect::{ClientId, IssuerUrl, TokenResponse};
use reqwest::StatusCode;

/// A second tenant, `globex`, on the same server as `env`.
struct Other {
    tenant: Tenant,
    client: RegisteredClient,
    user: User,
    endpoints: Endpoints,
}

async fn globex(env: &Env) -> Other {
    let tenant = env.server.create_tenant("globex");
    let client = env
        .server
        .create_client("globex", &ClientSpec::confidential("Globex App"));
    let user = env.server.create_user(
        "globex",
        "bob@globex.example",
        "Bob Globex",
        "globex password",
    );
    let endpoints = discover(&tenant.issuer).await;
    Other {
        tenant,
        client,
        user,
        endpoints,
    }
}

async fn offline_tokens(env: &Env) -> openidconnect::core::CoreTokenResponse {
    let rp = env.rp(&env.client).await;
    rp.offline_flow(&Browser::new(), &env.user).await.0.tokens
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_creates_and_lists_tenants() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let list = env.server.cli_json(&["tenant", "list", "--json"], None);
    let list = list["items"].as_array().expect("a page of items");
    for t in [&env.tenant, &other.tenant] {
        let found = list
            .iter()
            .find(|x| x["slug"] == t.slug.as_str())
            .unwrap_or_else(|| panic!("{} missing from {list:?}", t.slug));
        assert_eq!(found["id"], t.id.as_str());
        assert_eq!(found["issuer"], t.issuer.as_str());
        assert!(found["name"].is_string());
    }
    assert_ne!(env.tenant.id, other.tenant.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cli_errors_exit_non_zero_with_a_one_line_message() {
    let env = Env::new().await;
    let cases: Vec<Vec<&str>> = vec![
        vec!["tenant", "create", "acme", "--json"],
        vec!["tenant", "create", "Not_A_Slug", "--json"],
        vec![
            "client",
            "create",
            "--tenant",
            "nosuch",
            "--name",
            "X",
            "--redirect-uri",
            REDIRECT_URI,
            "--json",
        ],
        vec![
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "X",
            "--redirect-uri",
            "/relative",
            "--json",
        ],
    ];
    for args in &cases {
        let out = env.server.cli(args, None);
        assert!(
            !out.success,
            "`{}` succeeded: {}",
            args.join(" "),
            out.stdout
        );
        assert_eq!(
            out.stderr.trim().lines().count(),
            1,
            "`{}` should fail with one line: {:?}",
            args.join(" "),
            out.stderr
        );
    }
    let dup = env.server.cli(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            &env.user.email,
            "--password-stdin",
            "--json",
        ],
        Some("another password\n"),
    );
    assert!(!dup.success, "duplicate user created: {}", dup.stdout);
    assert_eq!(dup.stderr.trim().lines().count(), 1, "{:?}", dup.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_tenant_has_its_own_issuer_and_signing_keys() {
    let env = Env::new().await;
    let other = globex(&env).await;
    assert_ne!(env.endpoints.issuer, other.endpoints.issuer);
    assert_eq!(
        other.endpoints.issuer,
        format!("{}/t/globex", env.server.base_url)
    );
    let a = kids(&jwks(&env.endpoints).await);
    let b = kids(&jwks(&other.endpoints).await);
    assert!(
        a.iter().all(|k| !b.contains(k)),
        "tenants share keys: {a:?} / {b:?}"
    );

    // An ID token of acme does not verify with globex's keys.
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let id_token = flow.tokens.id_token().expect("ID token");
    let rp_b = Rp::discover(&other.tenant.issuer, &other.client).await;
    let with_b_keys = CoreIdTokenVerifier::new_public_client(
        ClientId::new(env.client.client_id.clone()),
        IssuerUrl::new(env.tenant.issuer.clone()).expect("issuer"),
        rp_b.metadata.jwks().clone(),
    );
    assert!(
        id_token.claims(&with_b_keys, &flow.nonce).is_err(),
        "an acme ID token verified with globex's JWKS"
    );
    let with_a_keys = CoreIdTokenVerifier::new_public_client(
        ClientId::new(env.client.client_id.clone()),
        IssuerUrl::new(env.tenant.issuer.clone()).expect("issuer"),
        rp.metadata.jwks().clone(),
    );
    id_token
        .claims(&with_a_keys, &flow.nonce)
        .expect("the same token verifies with acme's JWKS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_of_one_tenant_is_unknown_at_another_tenants_authorize() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let (_, challenge) = pkce_pair();
    let req =
        RawAuthorize::code_with_pkce(&other.endpoints, &env.client.client_id, &challenge, "s1");
    assert_error_page(&req.send().await);
    // The same request at its own tenant is fine (a login page).
    let res = RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, &challenge, "s1")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_of_one_tenant_is_worthless_at_another() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions::default());
    let (callback, _) = Browser::new()
        .authorize(req.url.as_str(), REDIRECT_URI, &env.user)
        .await;
    let code = callback.code();
    let verifier = req.verifier.clone().expect("verifier");
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
    ];
    // acme's client does not exist at globex.
    token_request(&other.endpoints.token, ClientAuth::of(&env.client), &params)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    // globex's client cannot redeem acme's code.
    token_request(
        &other.endpoints.token,
        ClientAuth::of(&other.client),
        &params,
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    // At its own tenant the code is untouched by those attempts.
    let tokens = rp
        .exchange(&code, Some(&verifier))
        .await
        .expect("the code still works at its own tenant");
    rp.verify_id_token(
        &tokens,
        Some(&req.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refresh_token_of_one_tenant_is_worthless_at_another() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let tokens = offline_tokens(&env).await;
    let rt = refresh_token_of(&tokens).expect("refresh token");
    let params = [
        ("grant_type", "refresh_token"),
        ("refresh_token", rt.as_str()),
    ];
    token_request(&other.endpoints.token, ClientAuth::of(&env.client), &params)
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    token_request(
        &other.endpoints.token,
        ClientAuth::of(&other.client),
        &params,
    )
    .await
    .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let rp = env.rp(&env.client).await;
    rp.refresh(&rt)
        .await
        .expect("the refresh token still works at its own tenant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_of_one_tenant_is_rejected_by_another_tenants_userinfo() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let tokens = offline_tokens(&env).await;
    let at = access_token_of(&tokens);
    let res = get_bearer(&other.endpoints.userinfo, &at).await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED, "{}", res.body);
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("invalid_token"),
        "challenge: {challenge}"
    );
    let res = get_bearer(&env.endpoints.userinfo, &at).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "at its own tenant: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_of_one_tenant_does_not_log_in_at_another() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let session = browser
        .cookie(&format!("{}/authorize", env.tenant.issuer), "idp_session")
        .expect("logged in at acme");
    assert!(
        browser
            .cookie(&format!("{}/authorize", other.tenant.issuer), "idp_session")
            .is_none(),
        "acme's session cookie is sent to globex"
    );

    let rp_b = Rp::discover(&other.tenant.issuer, &other.client).await;
    // The same browser at globex with prompt=none.
    let req = rp_b.auth_request(&AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    });
    let res = browser.get(req.url.as_str()).await;
    Callback::parse(&res.redirect()).assert_error(
        "login_required",
        &other.tenant.issuer,
        Some(&req.state),
    );

    // Even when acme's session cookie is presented to globex explicitly.
    let res = plain_client()
        .get(req.url.as_str())
        .header("cookie", format!("idp_session={session}"))
        .send()
        .await
        .expect("request");
    assert_eq!(res.status(), StatusCode::FOUND);
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    Callback::parse(&url::Url::parse(&location).expect("URL")).assert_error(
        "login_required",
        &other.tenant.issuer,
        Some(&req.state),
    );

    // Without prompt=none, globex asks for a login.
    let req = rp_b.auth_request(&AuthOptions::default());
    let res = plain_client()
        .get(req.url.as_str())
        .header("cookie", format!("idp_session={session}"))
        .send()
        .await
        .expect("request");
    let location = res.headers()["location"]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(
        location.starts_with(&format!("{}/interaction/", other.tenant.issuer)),
        "expected globex's login page, got {location}"
    );
    let page = browser.get(&location).await;
    assert!(page.is_login_page(), "{}", page.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_of_one_tenant_cannot_log_in_at_another() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let rp_b = Rp::discover(&other.tenant.issuer, &other.client).await;
    let browser = Browser::new();
    let (_, page) = rp_b.open_login(&browser, &AuthOptions::default()).await;
    assert!(page.is_login_page());
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    assert!(
        res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::OK,
        "{}: {}",
        res.status,
        res.body
    );
    assert!(
        res.header("location").is_none(),
        "acme's user was let in at globex"
    );
    assert!(
        res.is_login_page() && res.body.contains("id=\"error\""),
        "{}",
        res.body
    );
    assert!(
        browser
            .cookie(&format!("{}/authorize", other.tenant.issuer), "idp_session")
            .is_none(),
        "a session was started at globex"
    );
    // globex's own user can.
    let res = browser
        .submit_login(&res, &other.user.email, &other.user.password)
        .await;
    let (callback, _) = browser.finish(res, REDIRECT_URI, &other.user).await;
    callback.code();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn same_email_in_two_tenants_is_two_distinct_users() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let twin = env.server.create_user(
        "globex",
        &env.user.email,
        "Alice at Globex",
        "a different password",
    );
    assert_ne!(twin.id, env.user.id);
    let rp_b = Rp::discover(&other.tenant.issuer, &other.client).await;
    let flow = rp_b
        .flow(&Browser::new(), &twin, &AuthOptions::default())
        .await;
    let claims = rp_b.verify_id_token(
        &flow.tokens,
        Some(&flow.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );
    assert_eq!(claims.subject().as_str(), twin.id);
    assert_eq!(claims.issuer().as_str(), other.tenant.issuer);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_token_hint_of_another_tenant_is_refused() {
    let env = Env::new().await;
    let other = globex(&env).await;
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let hint = id_token_of(&flow.tokens);
    let rp_b = Rp::discover(&other.tenant.issuer, &other.client).await;
    let req = rp_b.auth_request(&AuthOptions {
        extra: vec![("id_token_hint".into(), hint)],
        ..AuthOptions::default()
    });
    let res = Browser::new().get(req.url.as_str()).await;
    Callback::parse(&res.redirect()).assert_error(
        "invalid_request",
        &other.tenant.issuer,
        Some(&req.state),
    );
}
