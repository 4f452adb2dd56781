//! Happy-flow modules: the code flow with variations the OP must take in
//! its stride (§2 of the digest, modules 1, 5-16, 22, 24-27, 31, 32, 35, 38).

use super::{AuthRequest, Env};
use crate::report::Status;
use crate::rp::checks;
use crate::rp::op::{self, ClientAuth, UserinfoCall};

/// `oidcc-server`: the plain code flow, plus what only this module checks.
pub(crate) async fn server(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client);
    let login = env.login(&agent, &req).await?;
    let allowed = checks::allowed_id_token_claims(&[]);
    let extra: Vec<&String> = login
        .claims
        .as_object()
        .map(|m| {
            m.keys()
                .filter(|k| !allowed.contains(&k.as_str()))
                .collect()
        })
        .unwrap_or_default();
    env.c.check(
        "EnsureIdTokenDoesNotContainNonRequestedClaims",
        extra.is_empty(),
        Status::Warning,
        format!("claims not requested: {extra:?}"),
    );
    env.c.check(
        "EnsureIdTokenDoesNotContainName",
        login.claims.get("name").is_none(),
        Status::Warning,
        "name in the ID token",
    );
    None
}

/// `oidcc-userinfo-get`, `-post-header`, `-post-body`.
pub(crate) async fn userinfo(mut env: Env<'_>, how: UserinfoCall) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client);
    let login = env.login(&agent, &req).await?;
    let res = env.op.userinfo(&login.access_token, how).await;
    let sub = login.claims["sub"].as_str().unwrap_or("");
    if how == UserinfoCall::PostBody && !(200..300).contains(&res.status) {
        env.c.check(
            "CallUserInfoEndpointWithBearerTokenInBody",
            false,
            Status::Warning,
            format!("status {}", res.status),
        );
        return None;
    }
    checks::userinfo(env.c, &res, sub);
    None
}

/// `oidcc-ensure-request-without-nonce-succeeds-for-code-flow`: the
/// authorization succeeds; the module stops after the callback.
pub(crate) async fn without_nonce(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client).without("nonce");
    let cb = env.authorize(&agent, &req).await?;
    checks::authorization_response(env.c, env.op, &cb, req.get("state"));
    None
}

/// `oidcc-scope-*`: claims of the scopes at userinfo (missing ones warn).
pub(crate) async fn scopes(mut env: Env<'_>, scopes: &[&str]) -> Option<String> {
    if env.op.meta["scopes_supported"].as_array().is_none() {
        return Some("scopes_supported is not in discovery".into());
    }
    if let Some(s) = scopes
        .iter()
        .find(|s| !env.op.supports("scopes_supported", s))
    {
        return Some(format!("scopes_supported does not list '{s}'"));
    }
    let agent = env.agent()?;
    let scope = format!("openid {}", scopes.join(" "));
    let req = AuthRequest::standard(env.op, &env.client).set("scope", &scope);
    let login = env.login(&agent, &req).await?;
    let res = env
        .op
        .userinfo(&login.access_token, UserinfoCall::Get)
        .await;
    let info = checks::userinfo(env.c, &res, login.claims["sub"].as_str().unwrap_or(""))?;
    let expected: &[&str] = &[];
    let mut missing: Vec<&str> = Vec::new();
    for s in scopes {
        let names: &[&str] = match *s {
            "profile" => &[
                "name",
                "given_name",
                "family_name",
                "middle_name",
                "nickname",
                "profile",
                "picture",
                "website",
                "gender",
                "birthdate",
                "zoneinfo",
                "locale",
                "updated_at",
                "preferred_username",
            ],
            "email" => &["email", "email_verified"],
            "address" => &["address"],
            "phone" => &["phone_number", "phone_number_verified"],
            _ => expected,
        };
        missing.extend(names.iter().copied().filter(|n| info.get(*n).is_none()));
    }
    env.c.check(
        "EnsureUserInfoContainsScopeClaims",
        missing.is_empty(),
        Status::Warning,
        format!("userinfo lacks {missing:?}"),
    );
    if scopes == ["email"] {
        env.c.check(
            "EnsureIdTokenDoesNotContainName",
            login.claims.get("name").is_none(),
            Status::Warning,
            "name in the ID token",
        );
        env.c.check(
            "EnsureIdTokenDoesNotContainEmail",
            login.claims.get("email").is_none(),
            Status::Warning,
            "email in the ID token though an access token was issued",
        );
        env.c.check(
            "EnsureUserInfoDoesNotContainName",
            info.get("name").is_none(),
            Status::Warning,
            "name in userinfo for scope email",
        );
    }
    None
}

/// `oidcc-alternate-happy-flow`: scope words reversed, parameters reordered.
pub(crate) async fn alternate(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let scope = if env.op.supports("scopes_supported", "email") {
        "email openid"
    } else {
        "openid"
    };
    let req = AuthRequest::standard(env.op, &env.client).set("scope", scope);
    // The suite sends these parameters in reverse order.
    let mut params = req.params.clone();
    params.sort();
    params.reverse();
    let mut url = env.op.endpoint("authorization_endpoint");
    url.push('?');
    url.push_str(
        &form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params)
            .finish(),
    );
    let cb = match agent.navigate(&url).await {
        crate::rp::agent::Arrival::Callback(cb) => cb,
        other => {
            env.c.check(
                "CallAuthorizationEndpoint",
                false,
                Status::Fail,
                format!("{other:?}").chars().take(300).collect::<String>(),
            );
            return None;
        }
    };
    env.finish(&req, cb, ClientAuth::Basic, &[]).await;
    None
}

/// Modules that add one parameter the OP must accept: display, ui_locales,
/// claims_locales, an unknown parameter.
pub(crate) async fn with_param(mut env: Env<'_>, name: &str, value: &str) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client).set(name, value);
    env.login(&agent, &req).await;
    None
}

/// `oidcc-login-hint`: `buffy@<issuer host>` unless configured.
pub(crate) async fn login_hint(env: Env<'_>) -> Option<String> {
    let host = url::Url::parse(env.op.issuer())
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| "example.com".into());
    let hint = format!("buffy@{host}");
    with_param(env, "login_hint", &hint).await
}

/// `oidcc-ensure-request-with-acr-values-succeeds`: `acr` should come back.
pub(crate) async fn acr_values(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let values: Vec<String> = env.op.meta["acr_values_supported"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .filter(|v: &Vec<String>| !v.is_empty())
        .unwrap_or_else(|| vec!["1".into(), "2".into()]);
    let req = AuthRequest::standard(env.op, &env.client).set("acr_values", &values.join(" "));
    let login = env.login(&agent, &req).await?;
    let acr = login.claims["acr"].as_str();
    env.c.check(
        "EnsureIdTokenContainsRequestedAcr",
        acr.is_some_and(|a| values.iter().any(|v| v == a)),
        Status::Warning,
        format!("acr {acr:?} is not one of {values:?}"),
    );
    None
}

/// `oidcc-ensure-post-request-succeeds`: the authorization request by POST.
pub(crate) async fn post_request(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client);
    match agent
        .navigate_post(&env.op.endpoint("authorization_endpoint"), &req.params)
        .await
    {
        crate::rp::agent::Arrival::Callback(cb) => {
            env.finish(&req, cb, ClientAuth::Basic, &[]).await;
        }
        other => env.c.check(
            "CallAuthorizationEndpointWithPost",
            false,
            Status::Warning,
            format!("{other:?}").chars().take(300).collect::<String>(),
        ),
    }
    None
}

/// `oidcc-server-client-secret-post`.
pub(crate) async fn client_secret_post(mut env: Env<'_>) -> Option<String> {
    let Some(post) = env.op.target.client_post.clone() else {
        return Some(
            "no client_secret_post client configured (--post-client-id, --post-client-secret)"
                .into(),
        );
    };
    env.c.check(
        "EnsureServerConfigurationSupportsClientSecretPost",
        env.op.supports(
            "token_endpoint_auth_methods_supported",
            "client_secret_post",
        ),
        Status::Fail,
        "token_endpoint_auth_methods_supported lacks client_secret_post",
    );
    env.client = post;
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client);
    let cb = env.authorize(&agent, &req).await?;
    env.finish(&req, cb, ClientAuth::Post, &[]).await;
    None
}

/// `oidcc-claims-essential`: `name` asked for as an essential userinfo claim.
pub(crate) async fn claims_essential(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, &env.client)
        .set("claims", r#"{"userinfo":{"name":{"essential":true}}}"#);
    let login = env.login(&agent, &req).await?;
    let res = env
        .op
        .userinfo(&login.access_token, UserinfoCall::Get)
        .await;
    if let Some(info) = checks::userinfo(env.c, &res, login.claims["sub"].as_str().unwrap_or("")) {
        env.c.check(
            "EnsureUserInfoContainsName",
            info.get("name").is_some(),
            Status::Warning,
            "userinfo lacks the essential name",
        );
    }
    env.c.check(
        "EnsureIdTokenDoesNotContainName",
        login.claims.get("name").is_none(),
        Status::Warning,
        "name in the ID token",
    );
    None
}

/// `oidcc-ensure-request-with-valid-pkce-succeeds`.
pub(crate) async fn pkce(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let (verifier, challenge) = op::pkce();
    let req = AuthRequest::standard(env.op, &env.client)
        .set("code_challenge", &challenge)
        .set("code_challenge_method", "S256");
    let cb = env.authorize(&agent, &req).await?;
    env.finish(&req, cb, ClientAuth::Basic, &[("code_verifier", &verifier)])
        .await;
    None
}
