//! Modules about the OP's login session: `prompt`, `max_age`, `id_token_hint`
//! (§2 of the digest, modules 17-21 and 23).

use super::{AuthRequest, Env};
use crate::report::Status;
use crate::rp::checks;
use crate::rp::op::random_alnum;
use std::time::Duration;

const SILENT_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "account_selection_required",
    "consent_required",
];

/// `oidcc-prompt-login`: the second request must show the login page again,
/// and a later `auth_time`.
pub(crate) async fn prompt_login(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let first = env
        .login(&agent, &AuthRequest::standard(env.op, &env.client))
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let req = AuthRequest::standard(env.op, &env.client).set("prompt", "login");
    let cb = env.authorize(&agent, &req).await?;
    env.c.check(
        "ExpectLoginPage",
        cb.seen.contains(&"login"),
        Status::Fail,
        "prompt=login did not show the login page",
    );
    let second = env
        .finish(&req, cb, crate::rp::op::ClientAuth::Basic, &[])
        .await?;
    if let (Some(a1), Some(a2)) = (
        first.claims["auth_time"].as_i64(),
        second.claims["auth_time"].as_i64(),
    ) {
        env.c.check(
            "CheckSecondIdTokenAuthTimeIsLaterIfPresent",
            a2 > a1,
            Status::Fail,
            format!("auth_time {a2} is not later than {a1}"),
        );
    }
    None
}

/// `oidcc-prompt-none-not-logged-in`: a 128-character state ending `-._~`
/// comes back with a silent-authentication error.
pub(crate) async fn prompt_none_not_logged_in(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let state = format!("{}-._~", random_alnum(124));
    let req = AuthRequest::standard(env.op, &env.client)
        .set("prompt", "none")
        .set("state", &state);
    let cb = env.authorize(&agent, &req).await?;
    checks::authorization_error(env.c, env.op, &cb, Some(&state), &SILENT_ERRORS);
    None
}

/// `oidcc-prompt-none-logged-in`: silent success, same `sub` and `auth_time`.
pub(crate) async fn prompt_none_logged_in(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let first = env
        .login(&agent, &AuthRequest::standard(env.op, &env.client))
        .await?;
    let req = AuthRequest::standard(env.op, &env.client).set("prompt", "none");
    let second = env.login(&agent, &req).await?;
    same_subject_and_auth_time(&mut env, &first.claims, &second.claims);
    None
}

fn same_subject_and_auth_time(env: &mut Env<'_>, a: &serde_json::Value, b: &serde_json::Value) {
    env.c.check(
        "CheckIdTokenSubConsistentHybridFlow",
        a["sub"] == b["sub"],
        Status::Fail,
        format!("sub {} then {}", a["sub"], b["sub"]),
    );
    if a.get("auth_time").is_some() && b.get("auth_time").is_some() {
        env.c.check(
            "CheckIdTokenAuthTimeClaimsSameIfPresent",
            a["auth_time"] == b["auth_time"],
            Status::Fail,
            format!("auth_time {} then {}", a["auth_time"], b["auth_time"]),
        );
    }
}

/// `oidcc-max-age-1`: after 2 s, `max_age=1` forces a new login and a later,
/// recent `auth_time`.
pub(crate) async fn max_age_1(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let first = env
        .login(&agent, &AuthRequest::standard(env.op, &env.client))
        .await?;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let req = AuthRequest::standard(env.op, &env.client).set("max_age", "1");
    let cb = env.authorize(&agent, &req).await?;
    env.c.check(
        "ExpectLoginPage",
        cb.seen.contains(&"login"),
        Status::Fail,
        "max_age=1 did not show the login page",
    );
    let second = env
        .finish(&req, cb, crate::rp::op::ClientAuth::Basic, &[])
        .await?;
    let a2 = second.claims["auth_time"].as_i64();
    env.c.check(
        "CheckIdTokenAuthTimeIsPresent",
        a2.is_some(),
        Status::Fail,
        "no auth_time after max_age",
    );
    if let (Some(a1), Some(a2)) = (first.claims["auth_time"].as_i64(), a2) {
        env.c.check(
            "CheckSecondIdTokenAuthTimeIsLaterIfPresent",
            a2 > a1,
            Status::Fail,
            format!("auth_time {a2} is not later than {a1}"),
        );
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    if let Some(a2) = a2 {
        env.c.check(
            "CheckIdTokenAuthTimeIsRecentIfPresent",
            now - a2 <= 301,
            Status::Fail,
            format!("auth_time {a2} is not recent"),
        );
    }
    None
}

/// `oidcc-max-age-10000`: no new login, `auth_time` in both and equal.
pub(crate) async fn max_age_10000(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let first_req = AuthRequest::standard(env.op, &env.client).set("max_age", "15000");
    let first = env.login(&agent, &first_req).await?;
    let req = AuthRequest::standard(env.op, &env.client).set("max_age", "10000");
    let cb = env.authorize(&agent, &req).await?;
    env.c.check(
        "ExpectNoLoginPage",
        !cb.seen.contains(&"login"),
        Status::Fail,
        "max_age=10000 showed the login page",
    );
    let second = env
        .finish(&req, cb, crate::rp::op::ClientAuth::Basic, &[])
        .await?;
    for (which, claims) in [("first", &first.claims), ("second", &second.claims)] {
        env.c.check(
            "CheckIdTokenAuthTimeIsPresent",
            claims.get("auth_time").is_some(),
            Status::Fail,
            format!("no auth_time in the {which} ID token"),
        );
    }
    same_subject_and_auth_time(&mut env, &first.claims, &second.claims);
    None
}

/// `oidcc-id-token-hint`: `prompt=none` with the first ID token as hint.
pub(crate) async fn id_token_hint(mut env: Env<'_>) -> Option<String> {
    let agent = env.agent()?;
    let first = env
        .login(&agent, &AuthRequest::standard(env.op, &env.client))
        .await?;
    let req = AuthRequest::standard(env.op, &env.client)
        .set("prompt", "none")
        .set("id_token_hint", &first.id_token);
    let second = env.login(&agent, &req).await?;
    same_subject_and_auth_time(&mut env, &first.claims, &second.claims);
    None
}
