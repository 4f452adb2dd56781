//! The authorization code flow end to end (RFC 6749 §4.1, OIDC Core §3.1):
//! login page, consent page, code, token, ID token verified by
//! `openidconnect`, userinfo.

use crate::support::*;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreTokenType, CoreUserInfoClaims};
use openidconnect::{OAuth2TokenResponse, SubjectIdentifier};
use reqwest::StatusCode;

/// Runs a full flow for a client registered with `alg` (None: the default)
/// and checks everything `openidconnect` can check, plus what it cannot.
async fn flow_verified_with(alg: Option<&str>, expected: CoreJwsSigningAlgorithm) {
    let env = Env::new().await;
    let client = match alg {
        None => env.client.clone(),
        Some(a) => env.client(&ClientSpec {
            id_token_alg: Some(a.to_owned()),
            ..ClientSpec::confidential(&format!("{a} App"))
        }),
    };
    assert_eq!(
        client.json["id_token_signed_response_alg"],
        alg.unwrap_or("RS256"),
        "registered algorithm"
    );
    let rp = env.rp(&client).await;
    let browser = Browser::new();
    let started = now();
    let flow = rp
        .flow(
            &browser,
            &env.user,
            &AuthOptions::scopes(&["profile", "email"]),
        )
        .await;
    assert_eq!(
        flow.pages,
        ["login", "consent"],
        "a first visit logs in, then consents"
    );

    let claims = rp.verify_id_token(&flow.tokens, Some(&flow.nonce), expected);
    assert_eq!(claims.issuer().as_str(), env.tenant.issuer);
    assert_eq!(
        claims.subject().as_str(),
        env.user.id,
        "sub is the user's id"
    );
    let auds: Vec<&str> = claims.audiences().iter().map(|a| a.as_str()).collect();
    assert_eq!(auds, [client.client_id.as_str()], "aud");
    assert_eq!(
        claims.authorized_party().map(|a| a.as_str()),
        Some(client.client_id.as_str()),
        "azp"
    );
    let auth_time = claims.auth_time().expect("auth_time").timestamp();
    assert!(
        (started - 2..=now() + 2).contains(&auth_time),
        "auth_time {auth_time} is not the time of this login ({started}..{})",
        now()
    );
    assert!(claims.expiration() > claims.issue_time(), "exp after iat");

    // What openidconnect does not expose: header kid, sid.
    let id_token = id_token_of(&flow.tokens);
    let (header, payload) = jwt_parts(&id_token);
    let jwks = jwks(&env.endpoints).await;
    let kid = header["kid"].as_str().expect("kid in the ID token header");
    assert!(
        kids(&jwks).iter().any(|k| k == kid),
        "kid {kid} not in the JWKS"
    );
    assert_eq!(header["alg"], alg.unwrap_or("RS256"));
    assert!(
        payload["sid"].as_str().is_some_and(|s| !s.is_empty()),
        "sid claim: {payload}"
    );
    assert_eq!(payload["nonce"], flow.nonce.secret().as_str());

    // The token response.
    assert_eq!(flow.tokens.token_type(), &CoreTokenType::Bearer);
    let mut scopes: Vec<String> = flow
        .tokens
        .scopes()
        .expect("scope in the token response")
        .iter()
        .map(|s| s.to_string())
        .collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid", "profile"]);
    assert!(flow.tokens.expires_in().is_some(), "expires_in");
    assert!(
        flow.tokens.refresh_token().is_none(),
        "no refresh token without offline_access"
    );

    // Userinfo through openidconnect, for the same subject.
    let info: CoreUserInfoClaims = rp
        .client
        .user_info(
            flow.tokens.access_token().clone(),
            Some(SubjectIdentifier::new(env.user.id.clone())),
        )
        .expect("userinfo endpoint discovered")
        .request_async(&rp.http)
        .await
        .unwrap_or_else(|e| panic!("userinfo failed: {e:?}"));
    assert_eq!(
        info.email().map(|e| e.as_str()),
        Some(env.user.email.as_str())
    );
    assert_eq!(info.email_verified(), Some(false));
    assert_eq!(
        info.name().and_then(|n| n.get(None)).map(|n| n.as_str()),
        Some(env.user.name.as_str())
    );
    assert_eq!(
        info.preferred_username().map(|u| u.as_str()),
        Some(env.user.email.as_str())
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_issues_rs256_id_token_by_default_verified_by_openidconnect() {
    flow_verified_with(None, CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_issues_es256_id_token_when_client_registered_for_it() {
    flow_verified_with(Some("ES256"), CoreJwsSigningAlgorithm::EcdsaP256Sha256).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn code_flow_issues_eddsa_id_token_when_client_registered_for_it() {
    flow_verified_with(Some("EdDSA"), CoreJwsSigningAlgorithm::EdDsa).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_is_an_es256_at_jwt_verifiable_with_the_jwks() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::scopes(&["email"]))
        .await;
    let at = access_token_of(&flow.tokens);
    let (header, claims) = jwt_parts(&at);
    // RFC 9068 §2.1.
    assert_eq!(header["typ"], "at+jwt", "access token typ: {header}");
    assert_eq!(header["alg"], "ES256", "access token alg: {header}");
    let jwks = jwks(&env.endpoints).await;
    verify_es256(&at, &jwks).unwrap_or_else(|e| panic!("access token signature: {e}"));
    // RFC 9068 §2.2.
    assert_eq!(claims["iss"], env.tenant.issuer.as_str());
    assert_eq!(claims["sub"], env.user.id.as_str());
    assert_eq!(claims["client_id"], env.client.client_id.as_str());
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()), "jti");
    assert!(claims["aud"].is_string() || claims["aud"].is_array(), "aud");
    let (iat, exp) = (
        claims["iat"].as_i64().expect("iat"),
        claims["exp"].as_i64().expect("exp"),
    );
    assert!(exp > iat && exp > now(), "exp {exp} iat {iat}");
    let mut scope: Vec<&str> = claims["scope"]
        .as_str()
        .expect("scope")
        .split(' ')
        .collect();
    scope.sort();
    assert_eq!(scope, ["email", "openid"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn client_secret_post_client_authenticates_in_the_body() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec {
        auth_method: Some("client_secret_post".into()),
        ..ClientSpec::confidential("Post App")
    });
    assert_eq!(
        client.json["token_endpoint_auth_method"],
        "client_secret_post"
    );
    // Rp::discover switches openidconnect to the request-body method.
    let rp = env.rp(&client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let claims = rp.verify_id_token(
        &flow.tokens,
        Some(&flow.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );
    assert_eq!(claims.subject().as_str(), env.user.id);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_client_uses_auth_method_none_with_pkce() {
    let env = Env::new().await;
    let client = env.client(&ClientSpec::public("Mobile App"));
    assert_eq!(client.json["public"], true);
    assert_eq!(client.json["require_pkce"], true);
    assert_eq!(client.json["token_endpoint_auth_method"], "none");
    let rp = env.rp(&client).await;
    // A public client with offline_access gets a refresh token.
    let (flow, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    rp.verify_id_token(
        &flow.tokens,
        Some(&flow.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );
    let again = rp
        .refresh(&rt)
        .await
        .expect("public client refreshes with auth method none");
    assert!(refresh_token_of(&again).is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn state_of_128_characters_is_echoed_byte_for_byte() {
    let env = Env::new().await;
    // Every visible ASCII character and space (RFC 6749 Appendix A.5: VSCHAR),
    // padded to 128 characters.
    let mut state: String = (0x20u8..=0x7e).map(char::from).collect();
    while state.len() < 128 {
        state.push_str("aZ9-._~");
    }
    state.truncate(128);
    assert_eq!(state.len(), 128);
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &AuthOptions {
                state: Some(state.clone()),
                ..AuthOptions::default()
            },
        )
        .await;
    assert_eq!(flow.callback.state.as_deref(), Some(state.as_str()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_parameters_and_scopes_are_ignored() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let opts = AuthOptions {
        scopes: vec!["email".into(), "x-unknown-scope".into()],
        extra: vec![
            ("foo".into(), "bar".into()),
            ("x-vendor-thing".into(), "1".into()),
            ("ui_locales".into(), "de fr".into()),
        ],
        ..AuthOptions::default()
    };
    let flow = rp.flow(&Browser::new(), &env.user, &opts).await;
    let mut scopes: Vec<String> = flow
        .tokens
        .scopes()
        .expect("scope in the token response")
        .iter()
        .map(|s| s.to_string())
        .collect();
    scopes.sort();
    assert_eq!(scopes, ["email", "openid"], "unknown scope dropped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authorization_request_by_post_is_accepted() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions::default());
    // OIDC Core §3.1.2.1: the same parameters, form-serialized.
    let params: Vec<(String, String)> = req.url.query_pairs().into_owned().collect();
    let form: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let browser = Browser::new();
    let res = browser.post_form(&env.endpoints.authorization, &form).await;
    assert_eq!(
        res.status,
        StatusCode::SEE_OTHER,
        "a POSTed request is answered with 303 (RFC 9700 §4.11): {}",
        res.body
    );
    let (callback, pages) = browser.finish(res, REDIRECT_URI, &env.user).await;
    assert_eq!(pages, ["login", "consent"]);
    assert_eq!(callback.state.as_deref(), Some(req.state.as_str()));
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .expect("code from a POSTed request exchanges");
    rp.verify_id_token(
        &tokens,
        Some(&req.nonce),
        CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_visit_redirects_to_the_login_page_of_the_tenant() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions::default());
    let browser = Browser::new();
    let res = browser.get(req.url.as_str()).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    let page_url = res.redirect();
    assert!(
        page_url
            .as_str()
            .starts_with(&format!("{}/interaction/", env.tenant.issuer)),
        "login page {page_url} is not {{issuer}}/interaction/{{id}}"
    );
    let page = browser.get(page_url.as_str()).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.is_login_page(), "{}", page.body);
    assert!(
        page.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "content type"
    );
    assert_no_store(&page);
    assert!(
        !page.body.contains("<script"),
        "pages work without JavaScript"
    );
    let form = page.form_with("name=\"password\"").expect("login form");
    assert!(form.html.contains("method=\"post\""), "{}", form.html);
    assert!(!form.csrf().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_denied_returns_access_denied_to_the_client() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (req, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let consent = browser.get(res.redirect().as_str()).await;
    assert!(consent.is_consent_page(), "{}", consent.body);
    let res = browser.submit_consent(&consent, "deny").await;
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    let to = res.redirect();
    assert!(to.as_str().starts_with(REDIRECT_URI), "{to}");
    Callback::parse(&to).assert_error("access_denied", &env.tenant.issuer, Some(&req.state));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_password_shows_the_login_form_again_with_an_error() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&page, &env.user.email, "not the password")
        .await;
    assert!(
        res.status == StatusCode::UNAUTHORIZED || res.status == StatusCode::OK,
        "wrong password answered {}: {}",
        res.status,
        res.body
    );
    assert!(
        res.header("location").is_none(),
        "no redirect on a wrong password"
    );
    assert!(res.is_login_page(), "login form shown again: {}", res.body);
    assert!(
        res.body.contains("id=\"error\""),
        "error message element: {}",
        res.body
    );
    assert!(
        browser.cookie(&env.tenant.issuer, "idp_session").is_none(),
        "no session after a wrong password"
    );
    // An unknown user is refused the same way.
    let res2 = browser
        .submit_login(&res, "nobody@acme.example", &env.user.password)
        .await;
    assert!(
        res2.is_login_page() && res2.body.contains("id=\"error\""),
        "{}",
        res2.body
    );
    assert_eq!(res2.status, res.status);
    // The form shown again still works.
    let res3 = browser
        .submit_login(&res2, &env.user.email, &env.user.password)
        .await;
    let (callback, pages) = browser.finish(res3, REDIRECT_URI, &env.user).await;
    assert_eq!(pages, ["consent"]);
    callback.code();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_post_without_matching_csrf_is_forbidden() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let form = page.form_with("name=\"password\"").expect("login form");
    let csrf = form.csrf();
    let action = form.action.as_str();
    let creds = [
        ("username", env.user.email.as_str()),
        ("password", env.user.password.as_str()),
    ];
    // No csrf field.
    let res = browser.post_form(action, &creds).await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "no csrf field: {}",
        res.body
    );
    // A csrf field that does not match the cookie.
    let wrong = "A".repeat(43);
    let res = browser
        .post_form(action, &[creds[0], creds[1], ("csrf", wrong.as_str())])
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "wrong csrf value: {}",
        res.body
    );
    // The right value from a browser without the cookie (a forged cross-site post).
    let res = Browser::new()
        .post_form(action, &[creds[0], creds[1], ("csrf", csrf.as_str())])
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "csrf without cookie: {}",
        res.body
    );
    assert!(
        !res.header_all("set-cookie")
            .iter()
            .any(|c| c.starts_with("idp_session=")),
        "no session from a refused post"
    );
    // The genuine form still works.
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    let (callback, _) = browser.finish(res, REDIRECT_URI, &env.user).await;
    callback.code();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn consent_post_without_matching_csrf_is_forbidden() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    let consent = browser.get(res.redirect().as_str()).await;
    let form = consent
        .form_with("name=\"decision\"")
        .expect("consent form");
    let res = browser
        .post_form(form.action.as_str(), &[("decision", "allow")])
        .await;
    assert_eq!(
        res.status,
        StatusCode::FORBIDDEN,
        "consent without csrf: {}",
        res.body
    );
    assert!(res.header("location").is_none());
    let res = browser.submit_consent(&consent, "allow").await;
    let to = res.redirect();
    Callback::parse(&to).code();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_cookie_is_httponly_lax_and_scoped_to_the_tenant_path() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    let (_, page) = rp.open_login(&browser, &AuthOptions::default()).await;
    let csrf_cookie = page
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("idp_csrf="))
        .expect("the login page sets idp_csrf");
    let res = browser
        .submit_login(&page, &env.user.email, &env.user.password)
        .await;
    let session_cookie = res
        .header_all("set-cookie")
        .into_iter()
        .find(|c| c.starts_with("idp_session="))
        .expect("a successful login sets idp_session");
    for cookie in [&csrf_cookie, &session_cookie] {
        let attrs: Vec<String> = cookie
            .split(';')
            .skip(1)
            .map(|a| a.trim().to_ascii_lowercase())
            .collect();
        assert!(attrs.iter().any(|a| a == "httponly"), "HttpOnly: {cookie}");
        assert!(
            attrs.iter().any(|a| a == "samesite=lax"),
            "SameSite=Lax: {cookie}"
        );
        assert!(
            attrs.iter().any(|a| a == "path=/t/acme/"),
            "Path=/t/acme/: {cookie}"
        );
        assert!(
            !attrs.iter().any(|a| a.starts_with("domain=")),
            "host-only: {cookie}"
        );
    }
    let value = session_cookie
        .split(';')
        .next()
        .and_then(|p| p.split_once('='))
        .map(|(_, v)| v.to_owned())
        .unwrap_or_default();
    assert!(value.len() >= 32, "session id of 256 bits: {value}");
}
