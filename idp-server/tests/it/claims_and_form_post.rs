//! The `claims` request parameter (OIDC Core §5.5) and
//! `response_mode=form_post` (OAuth 2.0 Form Post Response Mode).

use crate::support::*;
use openidconnect::core::{CoreAuthPrompt, CoreJwsSigningAlgorithm};
use reqwest::StatusCode;

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_parameter_releases_the_requested_claims_where_asked() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let opts = AuthOptions {
        scopes: vec!["offline_access".into()],
        extra: vec![(
            "claims".into(),
            r#"{"userinfo":{"name":{"essential":true}},"id_token":{"email":null,"shoe_size":null}}"#.into(),
        )],
        ..AuthOptions::default()
    };
    let browser = Browser::new();
    let req = rp.auth_request(&opts);
    let first = browser.get(req.url.as_str()).await;
    let login = browser.get(first.redirect().as_str()).await;
    let consent = browser
        .submit_login(&login, &env.user.email, &env.user.password)
        .await;
    let consent = browser.get(consent.redirect().as_str()).await;
    // The consent page names what the claims reveal: the name (profile) and the email.
    assert!(consent.is_consent_page(), "{}", consent.body);
    assert!(
        consent.body.contains(r#"data-scope="profile""#),
        "{}",
        consent.body
    );
    assert!(
        consent.body.contains(r#"data-scope="email""#),
        "{}",
        consent.body
    );
    let done = browser.submit_consent(&consent, "allow").await;
    let callback = Callback::parse(&done.redirect());
    let tokens = rp
        .exchange(&callback.code(), req.verifier.as_deref())
        .await
        .expect("exchange");
    let id_claims = jwt_parts(&id_token_of(&tokens)).1;
    rp.verify_id_token(&tokens, Some(&req.nonce), RS256);
    assert_eq!(id_claims["email"], env.user.email.as_str());
    assert!(
        id_claims.get("name").is_none(),
        "name was asked for at userinfo only"
    );
    assert!(id_claims.get("shoe_size").is_none());
    let info = get_bearer(&env.endpoints.userinfo, &access_token_of(&tokens))
        .await
        .json();
    assert_eq!(info["name"], env.user.name.as_str());
    assert!(
        info.get("email").is_none(),
        "email was asked for in the ID token only: {info}"
    );
    // A refreshed ID token carries the same requested claims.
    let refreshed = rp
        .refresh(&refresh_token_of(&tokens).expect("refresh token"))
        .await
        .expect("refresh");
    assert_eq!(
        jwt_parts(&id_token_of(&refreshed)).1["email"],
        env.user.email.as_str()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_claims_parameter_is_invalid_request_at_the_client() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions {
        extra: vec![("claims".into(), "{not json".into())],
        ..AuthOptions::default()
    });
    let res = Browser::new().get(req.url.as_str()).await;
    Callback::parse(&res.redirect()).assert_error(
        "invalid_request",
        &env.tenant.issuer,
        Some(&req.state),
    );
}

/// The form of a form_post response page: (action, fields).
fn posted(res: &Resp) -> (String, Vec<(String, String)>) {
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let form = res
        .form_with("method=\"post\"")
        .expect("an auto-submitted form");
    (form.action.to_string(), form.hidden())
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn form_post_delivers_the_code_and_errors_by_post() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let browser = Browser::new();
    // Sign in once (query mode), then a silent form_post request.
    rp.flow(&browser, &env.user, &AuthOptions::default()).await;
    let opts = AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        extra: vec![("response_mode".into(), "form_post".into())],
        ..AuthOptions::default()
    };
    let req = rp.auth_request(&opts);
    let res = browser.get(req.url.as_str()).await;
    let (action, fields) = posted(&res);
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(field(&fields, "state"), Some(req.state.as_str()));
    assert_eq!(field(&fields, "iss"), Some(env.tenant.issuer.as_str()));
    let code = field(&fields, "code").expect("a code").to_owned();
    assert!(res.header("location").is_none());
    assert_eq!(res.header("cache-control").as_deref(), Some("no-store"));
    let csp = res.header("content-security-policy").unwrap_or_default();
    assert!(
        csp.contains("script-src 'sha256-") && csp.contains("form-action https://rp.example"),
        "{csp}"
    );
    let tokens = rp
        .exchange(&code, req.verifier.as_deref())
        .await
        .expect("exchange");
    rp.verify_id_token(&tokens, Some(&req.nonce), RS256);

    // Errors after the redirect URI is validated go back by POST too.
    let req = rp.auth_request(&opts);
    let res = Browser::new().get(req.url.as_str()).await;
    let (action, fields) = posted(&res);
    assert_eq!(action, REDIRECT_URI);
    assert_eq!(field(&fields, "error"), Some("login_required"));
    assert_eq!(field(&fields, "state"), Some(req.state.as_str()));
    assert!(field(&fields, "code").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_response_mode_is_invalid_request_in_the_query() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let req = rp.auth_request(&AuthOptions {
        extra: vec![("response_mode".into(), "fragment".into())],
        ..AuthOptions::default()
    });
    let res = Browser::new().get(req.url.as_str()).await;
    Callback::parse(&res.redirect()).assert_error(
        "invalid_request",
        &env.tenant.issuer,
        Some(&req.state),
    );
}
