//! `oidcc-refresh-token` (§2.1 of the digest): two clients, `offline_access`
//! with `prompt=consent`, a refresh with the original scope, and a refresh
//! token of one client refused for the other.

use super::{AuthRequest, Env, Login};
use crate::report::{Checks, Status};
use crate::rp::checks;
use crate::rp::op::{ClientAuth, Op, Resp, UserinfoCall};
use crate::rp::target::StaticClient;
use serde_json::Value;
use std::time::Duration;

async fn offline_login(env: &mut Env<'_>, client: &StaticClient, scope: &str) -> Option<Login> {
    env.client = client.clone();
    let agent = env.agent()?;
    let req = AuthRequest::standard(env.op, client)
        .set("scope", scope)
        .set("prompt", "consent");
    env.login(&agent, &req).await
}

pub(crate) async fn refresh_token(mut env: Env<'_>) -> Option<String> {
    let Some(client2) = env.op.target.client2.clone() else {
        return Some("no second client configured (--client2-id, --client2-secret)".into());
    };
    let client1 = env.client.clone();
    let scope = if env.op.supports("scopes_supported", "offline_access") {
        "openid offline_access"
    } else {
        "openid"
    };
    let first = offline_login(&mut env, &client1, scope).await?;
    let Some(rt1) = first.tokens["refresh_token"].as_str().map(str::to_owned) else {
        let advertised = env.op.supports("grant_types_supported", "refresh_token");
        env.c.check(
            "EnsureRefreshTokenIssued",
            !advertised,
            Status::Warning,
            "refresh_token is advertised but none was issued",
        );
        return Some("the OP issued no refresh token".into());
    };
    let second = offline_login(&mut env, &client2, scope).await?;
    let rt2 = second.tokens["refresh_token"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    env.client = client1.clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;

    let res = env
        .op
        .token(
            &client1,
            ClientAuth::Basic,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt1),
                ("scope", scope),
            ],
        )
        .await;
    let body = refreshed(env.c, env.op, &client1.id, &res, &first.claims);
    let at = body["access_token"].as_str().unwrap_or("");
    let info = env.op.userinfo(at, UserinfoCall::Get).await;
    env.c.check(
        "CallUserInfoEndpointWithBearerToken",
        info.status == 200,
        Status::Fail,
        format!("userinfo after refresh: {}", info.status),
    );

    // Client 2's refresh token presented by client 1.
    let res = env
        .op
        .token(
            &client1,
            ClientAuth::Basic,
            &[("grant_type", "refresh_token"), ("refresh_token", &rt2)],
        )
        .await;
    checks::token_error(env.c, &res, "invalid_grant");
    None
}

/// What the suite checks of a successful refresh (OIDC Core §12.2): 200
/// JSON, not cached, a Bearer access token and any new refresh token of
/// enough entropy, and an ID token, if one is returned, for the same `iss`,
/// `sub`, `aud`, `azp` and `auth_time` as `original` but a later `iat`.
/// Returns the response JSON.
pub(crate) fn refreshed(
    c: &mut Checks,
    op: &Op,
    client_id: &str,
    res: &Resp,
    original: &Value,
) -> Value {
    c.check(
        "CheckTokenEndpointHttpStatus200",
        res.status == 200,
        Status::Fail,
        format!("refresh status {}: {}", res.status, res.body),
    );
    let ct = res.header("content-type").unwrap_or("").to_owned();
    c.check(
        "CheckTokenEndpointReturnedJsonContentType",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    let cache = res.header("cache-control").unwrap_or("").to_owned();
    c.check(
        "CheckTokenEndpointCacheHeaders",
        cache.contains("no-store"),
        Status::Fail,
        format!("Cache-Control '{cache}'"),
    );
    let body = res.json();
    c.check(
        "CheckTokenTypeIsBearer",
        body["token_type"]
            .as_str()
            .is_some_and(|t| t.eq_ignore_ascii_case("bearer")),
        Status::Fail,
        format!("token_type {}", body["token_type"]),
    );
    let at = body["access_token"].as_str().unwrap_or("");
    c.check(
        "ValidateAccessTokenEntropy",
        checks::entropy_bits(at) > 96.0 && at.bytes().all(|b| (0x20..=0x7E).contains(&b)),
        Status::Fail,
        "weak or invalid access token",
    );
    c.check(
        "EnsureExpiresInPresent",
        body.get("expires_in").is_some(),
        Status::Warning,
        "no expires_in",
    );
    if let Some(new_rt) = body["refresh_token"].as_str() {
        c.check(
            "ValidateRefreshTokenEntropy",
            new_rt.len() >= 16
                && checks::entropy_bits(new_rt) > 96.0
                && new_rt.bytes().all(|b| (0x20..=0x7E).contains(&b)),
            Status::Fail,
            "weak or invalid refresh token",
        );
    }
    if let Some(id_token) = body["id_token"].as_str()
        && let Some(claims) = checks::id_token(c, op, client_id, id_token, None)
    {
        let orig = original;
        let mut diffs = Vec::new();
        for k in ["iss", "sub", "aud"] {
            if claims[k] != orig[k] {
                diffs.push(format!("{k} changed"));
            }
        }
        if claims["iat"] == orig["iat"] {
            diffs.push("iat did not change".into());
        }
        if orig.get("auth_time").is_some() && claims["auth_time"] != orig["auth_time"] {
            diffs.push("auth_time changed".into());
        }
        if claims.get("azp") != orig.get("azp") {
            diffs.push("azp changed".into());
        }
        c.check(
            "CompareIdTokenClaims",
            diffs.is_empty(),
            Status::Fail,
            diffs.join("; "),
        );
    }
    body
}
