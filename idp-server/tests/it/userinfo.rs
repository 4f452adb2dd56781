//! The UserInfo endpoint (OIDC Core §5.3, RFC 6750).

use crate::support::*;
use reqwest::StatusCode;

async fn token_for(env: &Env, scopes: &[&str]) -> String {
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::scopes(scopes))
        .await;
    access_token_of(&flow.tokens)
}

/// Asserts a 401 with a `Bearer` challenge, and the error code if given.
fn assert_bearer_401(res: &Resp, error: Option<&str>) {
    assert_eq!(
        res.status,
        StatusCode::UNAUTHORIZED,
        "{}: {}",
        res.url,
        res.body
    );
    let challenge = res
        .header("www-authenticate")
        .unwrap_or_else(|| panic!("401 without WWW-Authenticate: {}", res.body));
    assert!(challenge.starts_with("Bearer"), "challenge: {challenge}");
    if let Some(e) = error {
        assert!(
            challenge.contains(&format!("error=\"{e}\"")),
            "challenge lacks error=\"{e}\": {challenge}"
        );
    }
}

async fn post_userinfo(url: &str, bearer: Option<&str>, form: &[(&str, &str)]) -> Resp {
    let mut req = plain_client().post(url).form(form);
    if let Some(t) = bearer {
        req = req.bearer_auth(t);
    }
    let res = req.send().await.expect("userinfo POST");
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.text().await.expect("body");
    Resp {
        status,
        headers,
        url: url::Url::parse(url).expect("URL"),
        body,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_releases_claims_by_scope() {
    let env = Env::new().await;
    let email_only = token_for(&env, &["email"]).await;
    let res = get_bearer(&env.endpoints.userinfo, &email_only).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let claims = res.json();
    assert_eq!(claims["sub"], env.user.id.as_str());
    assert_eq!(claims["email"], env.user.email.as_str());
    assert_eq!(claims["email_verified"], false);
    assert!(
        claims.get("name").is_none(),
        "name without profile scope: {claims}"
    );
    assert!(
        claims.get("preferred_username").is_none(),
        "profile claim without profile scope: {claims}"
    );

    let profile_only = token_for(&env, &["profile"]).await;
    let claims = get_bearer(&env.endpoints.userinfo, &profile_only)
        .await
        .json();
    assert_eq!(claims["sub"], env.user.id.as_str());
    assert_eq!(claims["name"], env.user.name.as_str());
    assert_eq!(claims["preferred_username"], env.user.email.as_str());
    assert!(
        claims.get("email").is_none(),
        "email without email scope: {claims}"
    );

    let openid_only = token_for(&env, &[]).await;
    let claims = get_bearer(&env.endpoints.userinfo, &openid_only)
        .await
        .json();
    let keys: Vec<&String> = claims.as_object().expect("object").keys().collect();
    assert_eq!(keys, ["sub"], "openid alone releases only sub");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_accepts_post_with_header_or_form_field() {
    let env = Env::new().await;
    let at = token_for(&env, &["email"]).await;
    let res = post_userinfo(&env.endpoints.userinfo, Some(&at), &[]).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "POST with bearer header: {}",
        res.body
    );
    assert_eq!(res.json()["email"], env.user.email.as_str());
    let res = post_userinfo(&env.endpoints.userinfo, None, &[("access_token", &at)]).await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "POST with access_token field: {}",
        res.body
    );
    assert_eq!(res.json()["sub"], env.user.id.as_str());
    // RFC 6750 §2: only one method at a time.
    let res = post_userinfo(&env.endpoints.userinfo, Some(&at), &[("access_token", &at)]).await;
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "token sent twice: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_without_a_token_is_401_with_a_bearer_challenge() {
    let env = Env::new().await;
    assert_bearer_401(&get(&env.endpoints.userinfo).await, None);
    assert_bearer_401(
        &post_userinfo(&env.endpoints.userinfo, None, &[]).await,
        None,
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn userinfo_with_a_bad_token_is_401_invalid_token() {
    let env = Env::new().await;
    assert_bearer_401(
        &get_bearer(&env.endpoints.userinfo, "garbage").await,
        Some("invalid_token"),
    );
    // A genuine token with one payload character changed.
    let at = token_for(&env, &[]).await;
    let mut parts: Vec<String> = at.split('.').map(str::to_owned).collect();
    let payload = &mut parts[1];
    let last = payload.pop().expect("non-empty payload");
    payload.push(if last == 'A' { 'B' } else { 'A' });
    let tampered = parts.join(".");
    assert_ne!(tampered, at);
    assert_bearer_401(
        &get_bearer(&env.endpoints.userinfo, &tampered).await,
        Some("invalid_token"),
    );
    // The genuine one works.
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &at).await.status,
        StatusCode::OK
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn id_token_is_not_accepted_at_userinfo() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let id_token = id_token_of(&flow.tokens);
    let res = get_bearer(&env.endpoints.userinfo, &id_token).await;
    assert_bearer_401(&res, Some("invalid_token"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_without_openid_scope_is_refused_at_userinfo() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let (_, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    // Narrow the scope on refresh to drop openid.
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&env.client),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", &rt),
            ("scope", "offline_access"),
        ],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let at = res.json()["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let res = get_bearer(&env.endpoints.userinfo, &at).await;
    // RFC 6750 §3.1: insufficient_scope is a 403.
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.body);
    assert!(
        res.header("www-authenticate")
            .is_some_and(|h| h.starts_with("Bearer") && h.contains("insufficient_scope")),
        "challenge: {:?}",
        res.header("www-authenticate")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_token_in_the_query_string_is_refused_with_where_it_belongs() {
    let env = Env::new().await;
    let token = token_for(&env, &["openid"]).await;
    // RFC 6750 §2.3 is not offered: a valid token there is still refused,
    // and the message says where to send it.
    let url = with_query(&env.endpoints.userinfo, &[("access_token", &token)]);
    let res = get(&url).await;
    let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_request");
    let description = body["error_description"].as_str().unwrap_or_default();
    assert!(
        description.contains("Authorization header"),
        "{description}"
    );
    let challenge = res.header("www-authenticate").unwrap_or_default();
    assert!(
        challenge.starts_with("Bearer") && challenge.contains("error=\"invalid_request\""),
        "{challenge}"
    );
    // The same token in the header works.
    let res = get_bearer(&env.endpoints.userinfo, &token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}
