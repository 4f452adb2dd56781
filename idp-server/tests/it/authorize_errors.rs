//! Authorization request errors (RFC 6749 §4.1.2.1, OIDC Core §3.1.2.6):
//! shown on a page while the client or redirect URI is not trustworthy,
//! returned to the validated redirect URI afterwards, with `state` and `iss`.

use crate::support::*;
use reqwest::StatusCode;

const STATE: &str = "st4te";

/// A valid request's parameters, with `changes` applied: `(name, Some(v))`
/// sets, `(name, None)` removes.
fn params_with<'a>(
    client_id: &'a str,
    challenge: &'a str,
    changes: &[(&'a str, Option<&'a str>)],
) -> Vec<(&'a str, &'a str)> {
    let mut params = basic_auth_params(client_id, challenge, STATE);
    for (name, value) in changes {
        params.retain(|(k, _)| k != name);
        if let Some(v) = value {
            params.push((name, v));
        }
    }
    params
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

/// The authorization endpoint's answer that must go to the client.
async fn redirected(url: &str) -> Callback {
    let res = Browser::new().get(url).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    let to = res.redirect();
    assert!(
        to.as_str().starts_with(REDIRECT_URI),
        "expected a redirect to the client, got {to}"
    );
    Callback::parse(&to)
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
        let url = raw_auth_url(
            &env.endpoints,
            &params_with(
                &env.client.client_id,
                &challenge,
                &[("redirect_uri", Some(uri))],
            ),
        );
        let res = Browser::new().get(&url).await;
        assert_error_page(&res);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_redirect_uri_gets_a_400_page() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let url = raw_auth_url(
        &env.endpoints,
        &params_with(&env.client.client_id, &challenge, &[("redirect_uri", None)]),
    );
    assert_error_page(&Browser::new().get(&url).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_client_gets_a_400_page_and_no_redirect() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let url = raw_auth_url(
        &env.endpoints,
        &params_with("no-such-client", &challenge, &[]),
    );
    assert_error_page(&Browser::new().get(&url).await);
    let url = raw_auth_url(
        &env.endpoints,
        &params_with(&env.client.client_id, &challenge, &[("client_id", None)]),
    );
    assert_error_page(&Browser::new().get(&url).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unsupported_response_types_are_returned_to_the_client() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    // Implicit and hybrid flows are not offered (RFC 9700 §2.1.2).
    for rt in ["token", "id_token", "code id_token", "code token"] {
        let url = raw_auth_url(
            &env.endpoints,
            &params_with(
                &env.client.client_id,
                &challenge,
                &[("response_type", Some(rt))],
            ),
        );
        redirected(&url).await.assert_error(
            "unsupported_response_type",
            &env.tenant.issuer,
            Some(STATE),
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_response_type_is_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let url = raw_auth_url(
        &env.endpoints,
        &params_with(
            &env.client.client_id,
            &challenge,
            &[("response_type", None)],
        ),
    );
    redirected(&url)
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_prompt_values_are_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    for prompt in ["none login", "bogus"] {
        let url = raw_auth_url(
            &env.endpoints,
            &params_with(
                &env.client.client_id,
                &challenge,
                &[("prompt", Some(prompt))],
            ),
        );
        redirected(&url)
            .await
            .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_parameter_is_invalid_request() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let mut params = params_with(&env.client.client_id, &challenge, &[]);
    params.push(("scope", "openid email"));
    let url = raw_auth_url(&env.endpoints, &params);
    redirected(&url)
        .await
        .assert_error("invalid_request", &env.tenant.issuer, Some(STATE));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn error_without_state_carries_no_state() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    let url = raw_auth_url(
        &env.endpoints,
        &params_with(
            &env.client.client_id,
            &challenge,
            &[("state", None), ("response_type", Some("token"))],
        ),
    );
    redirected(&url)
        .await
        .assert_error("unsupported_response_type", &env.tenant.issuer, None);
}
