//! Size bounds on every authorization request parameter and on the whole
//! request: refused with `invalid_request`, nothing stored.

use super::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn over_long_parameters_are_refused_and_nothing_is_stored() {
    let env = Env::with_server(TestServer::start_config(exposed).await).await;
    // A state over 4 KiB: refused to the validated redirect URI, not echoed.
    let res = get(&auth_url(&env, &"s".repeat(4097), &[])).await;
    let cb = Callback::parse(&res.redirect());
    cb.assert_error("invalid_request", &env.tenant.issuer, None);
    assert_eq!(
        cb.error_description.as_deref(),
        Some("parameter 'state' is longer than 4096 bytes")
    );
    // Every other parameter, named or not, has its bound.
    for (name, max) in [
        ("nonce", 512),
        ("login_hint", 512),
        ("claims", 4096),
        ("id_token_hint", 8192),
        ("ui_locales", 256),
        ("acr_values", 512),
        ("prompt", 64),
        ("an_extension", 2048),
    ] {
        let value = "v".repeat(max + 1);
        let res = get(&auth_url(&env, "st", &[(name, &value)])).await;
        let cb = Callback::parse(&res.redirect());
        cb.assert_error("invalid_request", &env.tenant.issuer, Some("st"));
        let expected = format!("parameter '{name}' is longer than {max} bytes");
        assert_eq!(cb.error_description.as_deref(), Some(expected.as_str()));
    }
    // Inside a request object too (OIDC Core §6.3.3 merges it first).
    let object = unsigned_request_object(&json!({
        "client_id": env.client.client_id, "response_type": "code",
        "redirect_uri": REDIRECT_URI, "scope": "openid", "state": "st",
        "nonce": "n".repeat(513), "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }));
    let url = RawAuthorize::with(
        &env.endpoints,
        &[
            ("client_id", env.client.client_id.as_str()),
            ("response_type", "code"),
            ("request", object.as_str()),
        ],
    )
    .url();
    let cb = Callback::parse(&get(&url).await.redirect());
    cb.assert_error("invalid_request", &env.tenant.issuer, Some("st"));
    // Before the client and redirect URI are validated: a page.
    let long = "v".repeat(600);
    let unknown = RawAuthorize::with(
        &env.endpoints,
        &[
            ("client_id", "nobody"),
            ("redirect_uri", REDIRECT_URI),
            ("nonce", &long),
        ],
    )
    .url();
    let res = get(&unknown).await;
    assert_error_page(&res, StatusCode::BAD_REQUEST, "invalid_request", "nonce");
    // The whole request: 20 KB in a query, and the 62 KB of the report in a body.
    let big = "x".repeat(10_000);
    let res = get(&auth_url(
        &env,
        &big[..4000],
        &[("a", &big), ("b", &big[..6000])],
    ))
    .await;
    assert_error_page(
        &res,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the authorization request is longer than 16384 bytes",
    );
    let huge = "x".repeat(31_000);
    let form = auth_request(&env, &huge, &[("nonce", &huge)]);
    let res = Browser::new()
        .post_form(&env.endpoints.authorization, &form.pairs())
        .await;
    assert_error_page(
        &res,
        StatusCode::BAD_REQUEST,
        "invalid_request",
        "the authorization request is longer than 16384 bytes",
    );
    assert_eq!(interactions(&env.server), 0, "a refused request was stored");
    // At the bounds, a request is served and kept.
    let hint = format!("{}@acme.example", "a".repeat(490));
    let res = get(&auth_url(
        &env,
        &"s".repeat(4096),
        &[("nonce", &"n".repeat(512)), ("login_hint", &hint)],
    ))
    .await;
    assert!(
        res.redirect().path().contains("/interaction/"),
        "{:?}",
        res.location()
    );
    assert_eq!(interactions(&env.server), 1);
}
