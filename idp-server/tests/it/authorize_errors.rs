//! Authorization request errors (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6):
//! shown on a page while the client or redirect URI is not trustworthy,
//! returned to the validated redirect URI afterwards, with `state` and `iss`.

use crate::support::*;
use reqwest::StatusCode;

const STATE: &str = "st4te";

/// A valid request of `client_id` with PKCE and [`STATE`].
fn valid(env: &Env, client_id: &str, challenge: &str) -> RawAuthorize {
    RawAuthorize::code_with_pkce(&env.endpoints, client_id, challenge, STATE)
}

/// Asserts the 400 HTML page for requests that must not be redirected.
pub fn assert_error_page(res: &Resp) {
    assert_eq!(
        res.status,
        StatusCode::BAD_REQUEST,
        "{} answered: {}",
        res.url,
        res.body
    );
    assert!(
        res.header("location").is_none(),
        "an untrusted request was redirected to {:?}",
        res.header("location")
    );
    assert!(
        res.header("content-type")
            .unwrap_or_default()
            .starts_with("text/html"),
        "error page content type: {:?}",
        res.header("content-type")
    );
    assert!(
        res.body.contains("invalid_request"),
        "error page names the error: {}",
        res.body
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unregistered_redirect_uri_gets_a_400_page_and_no_redirect() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let other = format!("{REDIRECT_URI}/other");
    let with_query = format!("{REDIRECT_URI}?x=1");
    let trailing = format!("{REDIRECT_URI}/");
    let upper = REDIRECT_URI.replace("rp.example", "RP.example");
    for uri in [
        "https://evil.example/cb",
        &other,
        &with_query,
        &trailing,
        &upper,
    ] {
        let res = valid(&env, &env.client.client_id, &challenge)
            .set("redirect_uri", uri)
            .send()
            .await;
        assert_error_page(&res);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_redirect_uri_gets_a_400_page() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let req = valid(&env, &env.client.client_id, &challenge).without("redirect_uri");
    assert_error_page(&req.send().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_client_gets_a_400_page_and_no_redirect() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    assert_error_page(&valid(&env, "no-such-client", &challenge).send().await);
    let req = valid(&env, &env.client.client_id, &challenge).without("client_id");
    assert_error_page(&req.send().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_response_types_are_returned_to_the_client() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    // Implicit and hybrid flows are not offered (RFC 9700 §2.1.2).
    for rt in ["token", "id_token", "code id_token", "code token"] {
        valid(&env, &env.client.client_id, &challenge)
            .set("response_type", rt)
            .to_client()
            .await
            .assert_error("unsupported_response_type", &env.tenant.issuer, Some(STATE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_response_type_is_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    valid(&env, &env.client.client_id, &challenge)
        .without("response_type")
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_prompt_values_are_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    for prompt in ["none login", "bogus"] {
        valid(&env, &env.client.client_id, &challenge)
            .set("prompt", prompt)
            .to_client()
            .await
            .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_parameter_is_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    valid(&env, &env.client.client_id, &challenge)
        .add("scope", "openid email")
        .to_client()
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_without_state_carries_no_state() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    valid(&env, &env.client.client_id, &challenge)
        .without("state")
        .set("response_type", "token")
        .to_client()
        .await
        .assert_error("unsupported_response_type", &env.tenant.issuer, None);
}
