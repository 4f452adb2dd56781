//! Modules where the OP must refuse: a missing `response_type`, an
//! unregistered redirect URI, a reused code, request objects it does not
//! support (§2 of the digest, modules 2, 28-30, 34, 36).

use super::{AuthRequest, Env};
use crate::report::Status;
use crate::rp::agent::Arrival;
use crate::rp::checks;
use crate::rp::jose::b64e;
use crate::rp::op::{ClientAuth, UserinfoCall, random_alnum};
use std::time::Duration;

/// `oidcc-response-type-missing`: an error page, or an error redirect with
/// `unsupported_response_type` or `invalid_request`.
pub(crate) async fn response_type_missing(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client).without("response_type");
    match agent.navigate(&env.op.auth_url(&req.params)).await {
        Arrival::Callback(cb) => checks::authorization_error(
            env.c,
            env.op,
            &cb,
            req.get("state"),
            &["unsupported_response_type", "invalid_request"],
        ),
        Arrival::Page { status, .. } => {
            env.c.check(
                "ExpectErrorPage",
                (400..500).contains(&status),
                Status::Fail,
                format!("status {status}"),
            );
        }
        Arrival::Failed(e) => env
            .c
            .check("CallAuthorizationEndpoint", false, Status::Fail, e),
    }
    None
}

/// `oidcc-ensure-registered-redirect-uri`: a redirect URI with a random
/// suffix must get an error page, never a redirect (to it or to the registered one).
pub(crate) async fn unregistered_redirect_uri(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let bad = format!("{}/{}", env.op.target.redirect_uri, random_alnum(10));
    let req = AuthRequest::standard(env.op, &env.client).set("redirect_uri", &bad);
    expect_error_page(&mut env, &agent, &req).await;
    None
}

async fn expect_error_page(env: &mut Env<'_>, agent: &crate::rp::agent::Agent, req: &AuthRequest) {
    match agent.navigate(&env.op.auth_url(&req.params)).await {
        Arrival::Callback(cb) => env.c.check(
            "ExpectRedirectUriErrorPage",
            false,
            Status::Fail,
            format!("the OP redirected to {}", cb.url),
        ),
        Arrival::Page { status, seen, .. } => env.c.check(
            "ExpectRedirectUriErrorPage",
            seen.is_empty() && status >= 400,
            Status::Fail,
            format!("status {status} after pages {seen:?}"),
        ),
        Arrival::Failed(e) => {
            // A redirect to an unknown place counts as a redirect.
            env.c
                .check("ExpectRedirectUriErrorPage", false, Status::Fail, e)
        }
    }
}

/// `oidcc-codereuse` and `-30seconds`: the second redemption is 400
/// `invalid_grant`; after 30 s, the first access token should be revoked.
pub(crate) async fn codereuse(mut env: Env<'_>, wait_secs: u64) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client);
    let cb = env.authorize(&agent, &req).await?;
    let code = checks::authorization_response(env.c, env.op, &cb, req.get("state"))?;
    let params = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", env.op.target.redirect_uri.as_str()),
    ];
    let first = env.op.token(&env.client, ClientAuth::Basic, &params).await;
    let tokens = checks::token_response(env.c, &first, Status::Warning)?;
    tokio::time::sleep(Duration::from_secs(wait_secs)).await;
    let second = env.op.token(&env.client, ClientAuth::Basic, &params).await;
    if second.status == 200 && wait_secs == 0 {
        env.c.check(
            "CheckTokenEndpointHttpStatusNot200",
            false,
            Status::Warning,
            "the code was accepted twice",
        );
        return None;
    }
    checks::token_error(env.c, &second, "invalid_grant");
    if wait_secs > 0 {
        let at = tokens["access_token"].as_str().unwrap_or("");
        let info = env.op.userinfo(at, UserinfoCall::Get).await;
        env.c.check(
            "EnsureUserInfoEndpointRejectsRevokedToken",
            (400..500).contains(&info.status),
            Status::Warning,
            format!(
                "userinfo still answers {} with the first access token",
                info.status
            ),
        );
    }
    None
}

/// An unsigned (`alg: none`) request object with `claims`.
fn unsigned_object(claims: &serde_json::Value) -> String {
    format!(
        "{}.{}.",
        b64e(br#"{"alg":"none"}"#),
        b64e(claims.to_string().as_bytes())
    )
}

fn request_objects_unsupported(env: &Env<'_>) -> Option<String> {
    let algs = env.op.meta["request_object_signing_alg_values_supported"].as_array();
    if algs.is_some_and(|a| !a.iter().any(|v| v == "none")) {
        return Some("request_object_signing_alg_values_supported lacks 'none'".into());
    }
    None
}

/// `oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported`:
/// state and nonce only inside the object.
pub(crate) async fn unsigned_request_object(mut env: Env<'_>) -> Option<String> {
    if let Some(reason) = request_objects_unsupported(&env) {
        return Some(reason);
    }
    let agent = env.agent()?;
    let (state, nonce) = (random_alnum(10), random_alnum(10));
    let object = unsigned_object(&serde_json::json!({
        "iss": env.client.id, "aud": env.op.issuer(), "client_id": env.client.id,
        "redirect_uri": env.op.target.redirect_uri, "response_type": "code", "scope": "openid",
        "state": state, "nonce": nonce,
    }));
    let req = AuthRequest::standard(env.op, &env.client)
        .without("state")
        .without("nonce")
        .set("request", &object);
    let cb = env.authorize(&agent, &req).await?;
    if cb.get("error") == Some("request_not_supported") {
        return Some("the OP answered request_not_supported".into());
    }
    // The object's state and nonce are the ones to expect.
    let expected = req.clone().set("state", &state).set("nonce", &nonce);
    env.finish(&expected, cb, ClientAuth::Basic, &[]).await;
    None
}

/// `oidcc-ensure-request-object-with-redirect-uri`: the query's redirect_uri
/// is wrong, the object's is right: use the object's, or show an error page
/// (redirecting `request_not_supported` to the registered URI fails).
pub(crate) async fn request_object_with_redirect_uri(mut env: Env<'_>) -> Option<String> {
    if let Some(reason) = request_objects_unsupported(&env) {
        return Some(reason);
    }
    let agent = env.agent()?;
    let (state, nonce) = (random_alnum(10), random_alnum(10));
    let object = unsigned_object(&serde_json::json!({
        "iss": env.client.id, "aud": env.op.issuer(), "client_id": env.client.id,
        "redirect_uri": env.op.target.redirect_uri, "response_type": "code", "scope": "openid",
        "state": state, "nonce": nonce,
    }));
    let bad = format!("{}_invalid", env.op.target.redirect_uri);
    let req = AuthRequest::standard(env.op, &env.client)
        .set("redirect_uri", &bad)
        .set("request", &object);
    match agent.navigate(&env.op.auth_url(&req.params)).await {
        Arrival::Callback(cb) => {
            env.c.check(
                "EnsureNoRequestNotSupportedRedirect",
                cb.get("error") != Some("request_not_supported"),
                Status::Fail,
                "request_not_supported was sent to the redirect URI",
            );
            let expected = req.clone().set("state", &state).set("nonce", &nonce);
            env.finish(&expected, cb, ClientAuth::Basic, &[]).await;
        }
        Arrival::Page { status, .. } => {
            env.c.check(
                "ExpectRedirectUriErrorPage",
                status >= 400,
                Status::Fail,
                format!("status {status}"),
            );
        }
        Arrival::Failed(e) => env
            .c
            .check("CallAuthorizationEndpoint", false, Status::Fail, e),
    }
    None
}
