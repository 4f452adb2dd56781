//! Front-Channel and Back-Channel Logout OP plans (§8 of the digest): a
//! client registered (dynamically) with a `frontchannel_logout_uri` or a
//! `backchannel_logout_uri` on the runner's host logs in, the browser goes
//! to `end_session_endpoint`, and the OP must load the front-channel URI
//! with `iss` and `sid`, or POST a valid Logout Token to the back-channel
//! URI, then return to the `post_logout_redirect_uri` with `state`.

use super::basic::{AuthRequest, Env};
use crate::report::{Checks, Report, Status};
use crate::rp::agent::Arrival;
use crate::rp::checks;
use crate::rp::html;
use crate::rp::jose::Jws;
use crate::rp::key::RpKey;
use crate::rp::op::{ClientAuth, Op, random_alnum};
use crate::rp::target::StaticClient;
use serde_json::{Value, json};
use std::sync::Arc;

/// `oidcc-frontchannel-rp-initiated-logout-certification-test-plan`.
pub const FRONT_MODULES: [&str; 1] = ["oidcc-frontchannel-rp-initiated-logout"];
/// `oidcc-backchannel-rp-initiated-logout-certification-test-plan`.
pub const BACK_MODULES: [&str; 1] = ["oidcc-backchannel-rp-initiated-logout"];

const SILENT_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "account_selection_required",
    "consent_required",
];

/// Runs module `id`.
pub async fn run(id: &'static str, op: &Op) -> Report {
    let mut c = Checks::default();
    let front = id == FRONT_MODULES[0];
    let prefix = if front { "frontchannel" } else { "backchannel" };
    for key in [
        format!("{prefix}_logout_supported"),
        format!("{prefix}_logout_session_supported"),
    ] {
        c.check(
            "CheckDiscEndpointLogoutSupported",
            op.meta[&key] == true,
            Status::Fail,
            format!("{key} is not true"),
        );
    }
    c.check(
        "CheckDiscEndSessionEndpoint",
        !op.endpoint("end_session_endpoint").is_empty(),
        Status::Fail,
        "no end_session_endpoint",
    );
    let (Some(host), Some(plru), Some(_)) = (
        op.host.clone(),
        op.target.post_logout_redirect_uri.clone(),
        op.target.user.clone(),
    ) else {
        return Report::skipped(
            id,
            "needs --rp-host-bind, --post-logout-redirect-uri and a test user",
        );
    };
    if op.endpoint("registration_endpoint").is_empty() {
        return Report::skipped(
            id,
            "discovery has no registration_endpoint: these plans register their client",
        );
    }
    let mut env = Env {
        op,
        client: StaticClient::default(),
        c: &mut c,
        auth: ClientAuth::PrivateKeyJwt,
    };
    let path = format!("/{prefix}_logout/{}", random_alnum(8));
    let logout_uri = format!("{}{path}", host.public_url);
    let Ok(key) = RpKey::generate(None) else {
        return Report::skipped(id, "cannot make an RSA key");
    };
    let key = Arc::new(key);
    let body = json!({
        "client_name": format!("idp conformance {prefix} client"),
        "grant_types": ["authorization_code"],
        "jwks": key.jwks(),
        "token_endpoint_auth_method": "private_key_jwt",
        "response_types": ["code"],
        "redirect_uris": [op.target.redirect_uri, format!("{}/callback", host.public_url)],
        "post_logout_redirect_uris": [plru],
        format!("{prefix}_logout_uri"): logout_uri,
        format!("{prefix}_logout_session_required"): true,
    });
    let res = op.register(&body).await;
    env.c.check(
        "EnsureHttpStatusCodeIs201",
        res.status == 201,
        Status::Fail,
        format!("registration: {} {}", res.status, res.body),
    );
    let doc = res.json();
    let Some(client_id) = doc["client_id"].as_str() else {
        return Report {
            plan: "",
            module: id,
            outcomes: c.0,
        };
    };
    env.client = StaticClient {
        id: client_id.to_owned(),
        secret: String::new(),
        key: Some(key),
    };
    logout_flow(&mut env, front, &path, &plru).await;
    if let (Some(uri), Some(token)) = (
        doc["registration_client_uri"].as_str(),
        doc["registration_access_token"].as_str(),
    ) {
        let _ = op.unregister(uri, token).await;
    }
    Report {
        plan: "",
        module: id,
        outcomes: c.0,
    }
}

async fn logout_flow(env: &mut Env<'_>, front: bool, path: &str, plru: &str) {
    let op = env.op;
    let Some(host) = op.host.clone() else { return };
    let Some(agent) = env.agent() else { return };
    let state128 = format!("{}-._~", random_alnum(124));
    let req = AuthRequest::standard(op, &env.client).set("state", &state128);
    let Some(login) = env.login(&agent, &req).await else {
        return;
    };
    let sid = login.claims["sid"].as_str().unwrap_or("").to_owned();
    let sub = login.claims["sub"].as_str().unwrap_or("").to_owned();
    env.c.check(
        "CheckIdTokenContainsSid",
        !sid.is_empty(),
        Status::Fail,
        "the ID token has no sid",
    );
    let state = random_alnum(10);
    let q = form_urlencoded::Serializer::new(String::new())
        .extend_pairs([
            ("id_token_hint", login.id_token.as_str()),
            ("post_logout_redirect_uri", plru),
            ("state", state.as_str()),
        ])
        .finish();
    let end_session = op.endpoint("end_session_endpoint");
    let url = format!(
        "{end_session}{}{q}",
        if end_session.contains('?') { '&' } else { '?' }
    );
    let arrival = agent.logout(&url, plru, false).await;
    let redirect = match &arrival {
        Arrival::Callback(cb) => Some(cb.url.clone()),
        Arrival::Page {
            url: page_url,
            body,
            ..
        } if front => {
            let frames = html::iframes(body, page_url);
            match frames.iter().find(|f| f.path() == path) {
                Some(frame) => {
                    let params: Vec<(String, String)> = frame
                        .query_pairs()
                        .map(|(k, v)| (k.into_owned(), v.into_owned()))
                        .collect();
                    let get =
                        |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str());
                    env.c.check(
                        "CheckFrontChannelLogoutIss",
                        get("iss") == Some(op.issuer()),
                        Status::Fail,
                        format!("iss {:?}", get("iss")),
                    );
                    env.c.check(
                        "CheckFrontChannelLogoutSid",
                        get("sid") == Some(sid.as_str()),
                        Status::Fail,
                        format!("sid {:?}, the ID token's is {sid}", get("sid")),
                    );
                    let extra: Vec<&str> = params
                        .iter()
                        .map(|(k, _)| k.as_str())
                        .filter(|k| *k != "iss" && *k != "sid")
                        .collect();
                    env.c.check(
                        "CheckFrontChannelLogoutNoExtraParameters",
                        extra.is_empty(),
                        Status::Warning,
                        format!("{extra:?}"),
                    );
                }
                None => env.c.check(
                    "EnsureFrontChannelLogoutUriLoaded",
                    false,
                    Status::Fail,
                    "the logout page loads no iframe for the client",
                ),
            }
            html::meta_refresh(body, page_url)
        }
        other => {
            env.c.check(
                "CallEndSessionEndpoint",
                false,
                Status::Fail,
                format!("{other:?}").chars().take(300).collect::<String>(),
            );
            None
        }
    };
    match redirect {
        Some(to) if to.as_str().starts_with(plru) => {
            let got = to
                .query_pairs()
                .find(|(k, _)| k == "state")
                .map(|(_, v)| v.into_owned());
            env.c.check(
                "CheckPostLogoutState",
                got.as_deref() == Some(state.as_str()),
                Status::Fail,
                format!("state {got:?}"),
            );
        }
        other => env.c.check(
            "EnsurePostLogoutRedirect",
            false,
            Status::Fail,
            format!("no return to the post_logout_redirect_uri: {other:?}"),
        ),
    }
    if !front {
        let mut posts = Vec::new();
        for _ in 0..50 {
            posts = host.received(path);
            if !posts.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        check_logout_token(env, &posts, &sid, &sub);
    }
    let silent = AuthRequest::standard(op, &env.client).set("prompt", "none");
    if let Some(cb) = env.authorize(&agent, &silent).await {
        checks::authorization_error(env.c, op, &cb, silent.get("state"), &SILENT_ERRORS);
    }
}

fn check_logout_token(
    env: &mut Env<'_>,
    posts: &[crate::rp::host::Received],
    sid: &str,
    sub: &str,
) {
    let Some(post) = posts.first() else {
        env.c.check(
            "EnsureBackChannelLogoutRequestReceived",
            false,
            Status::Fail,
            "no request at the backchannel_logout_uri",
        );
        return;
    };
    env.c.check(
        "CheckBackChannelLogoutIsPost",
        post.method == "POST",
        Status::Fail,
        post.method.clone(),
    );
    env.c.check(
        "CheckBackChannelLogoutContentType",
        post.content_type
            .starts_with("application/x-www-form-urlencoded"),
        Status::Fail,
        post.content_type.clone(),
    );
    let params: Vec<(String, String)> = form_urlencoded::parse(post.body.as_bytes())
        .into_owned()
        .collect();
    let extra: Vec<&str> = params
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| *k != "logout_token")
        .collect();
    env.c.check(
        "CheckBackChannelLogoutOnlyLogoutToken",
        extra.is_empty(),
        Status::Warning,
        format!("{extra:?}"),
    );
    let Some(token) = params
        .iter()
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.clone())
    else {
        env.c
            .check("ExtractLogoutToken", false, Status::Fail, "no logout_token");
        return;
    };
    let Some(jws) = Jws::parse(&token) else {
        env.c.check(
            "ValidateLogoutTokenSignature",
            false,
            Status::Fail,
            "not a JWS",
        );
        return;
    };
    let v = jws.verify(&env.op.jwks);
    env.c.check(
        "ValidateLogoutTokenSignature",
        v.is_ok(),
        Status::Fail,
        v.err().unwrap_or_default(),
    );
    let cl = &jws.claims;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    let aud_ok = cl["aud"] == env.client.id.as_str()
        || cl["aud"]
            .as_array()
            .is_some_and(|a| a.iter().any(|x| x == env.client.id.as_str()));
    let events_ok = cl["events"].as_object().is_some_and(|m| {
        m.len() == 1
            && m.get("http://schemas.openid.net/event/backchannel-logout")
                == Some(&Value::Object(Default::default()))
    });
    let mut problems = Vec::new();
    if cl["iss"] != env.op.issuer() {
        problems.push("iss");
    }
    if !aud_ok {
        problems.push("aud");
    }
    if !cl["iat"]
        .as_i64()
        .is_some_and(|i| i <= now + 300 && i > now - 86_400)
    {
        problems.push("iat");
    }
    if !cl["jti"].is_string() {
        problems.push("jti");
    }
    if !events_ok {
        problems.push("events");
    }
    if cl.get("nonce").is_some() {
        problems.push("nonce present");
    }
    if cl.get("sid").is_none() && cl.get("sub").is_none() {
        problems.push("neither sid nor sub");
    }
    if cl.get("sid").is_some_and(|s| s != sid) {
        problems.push("sid differs from the ID token's");
    }
    if cl.get("sub").is_some_and(|s| s != sub) {
        problems.push("sub differs from the ID token's");
    }
    env.c.check(
        "ValidateLogoutTokenClaims",
        problems.is_empty(),
        Status::Fail,
        format!("{problems:?}"),
    );
}
