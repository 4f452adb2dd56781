//! RP-Initiated Logout OP (`oidcc-rp-initiated-logout-certification-test-plan`,
//! §8 of the digest): after a normal login with a 128-character `state`, the
//! browser goes to `end_session_endpoint`; depending on the module the OP
//! must redirect to the registered `post_logout_redirect_uri` with `state`,
//! refuse to redirect, or log the user out and say so. Where the user is
//! logged out, a following `prompt=none` request must fail.

use super::basic::{AuthRequest, Env};
use crate::report::{Checks, Report, Status};
use crate::rp::agent::Arrival;
use crate::rp::checks;
use crate::rp::jose::b64e;
use crate::rp::op::{Op, random_alnum};

/// The plan's modules.
pub const MODULES: [&str; 11] = [
    "oidcc-rp-initiated-logout-discovery-endpoint-verification",
    "oidcc-rp-initiated-logout",
    "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-modified-id-token-hint",
    "oidcc-rp-initiated-logout-bad-id-token-hint",
    "oidcc-rp-initiated-logout-no-id-token-hint",
    "oidcc-rp-initiated-logout-no-params",
    "oidcc-rp-initiated-logout-no-post-logout-redirect-uri",
    "oidcc-rp-initiated-logout-only-state",
    "oidcc-rp-initiated-logout-no-state",
];

const SILENT_ERRORS: [&str; 4] = [
    "login_required",
    "interaction_required",
    "account_selection_required",
    "consent_required",
];

/// What the module expects of the end-session request.
enum Expect {
    /// Redirect to the post-logout URI, with `state` when one was sent.
    Redirect,
    /// No redirect: an error or a question (the suite takes a screenshot).
    NoRedirect,
    /// A "logged out" page (after confirming, if asked), no redirect.
    LoggedOutPage,
}

fn is_https(v: &serde_json::Value) -> bool {
    v.as_str()
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|u| u.scheme() == "https")
}

/// The ID token re-encoded with `{"alg":"none"}` and no signature.
fn unsigned_copy(id_token: &str) -> String {
    let payload = id_token.split('.').nth(1).unwrap_or("");
    format!("{}.{payload}.", b64e(br#"{"alg":"none"}"#))
}

/// An ID token forged by the RP: `iss` = client id, `aud` = issuer, HS256
/// with the client secret.
fn forged(op: &Op, client_id: &str, secret: &str, sub: &str) -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let header = b64e(br#"{"alg":"HS256","typ":"JWT"}"#);
    let claims = serde_json::json!({
        "iss": client_id, "aud": op.issuer(), "sub": sub, "iat": now, "exp": now + 300,
    });
    let input = format!("{header}.{}", b64e(claims.to_string().as_bytes()));
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", b64e(tag.as_ref()))
}

/// Runs module `id`.
pub async fn run(id: &'static str, op: &Op) -> Report {
    let mut c = Checks::default();
    if id == MODULES[0] {
        c.check(
            "CheckDiscEndpointAllEndpointsAreHttps",
            op.meta.as_object().is_some_and(|m| {
                m.iter()
                    .filter(|(k, _)| k.ends_with("_endpoint"))
                    .all(|(_, v)| is_https(v))
            }),
            Status::Fail,
            "an endpoint is not https",
        );
        c.check(
            "CheckDiscEndSessionEndpoint",
            is_https(&op.meta["end_session_endpoint"]),
            Status::Fail,
            format!("end_session_endpoint {}", op.meta["end_session_endpoint"]),
        );
        return Report {
            plan: "",
            module: id,
            outcomes: c.0,
        };
    }
    let (Some(client), Some(_user), Some(plru)) = (
        op.target.client.clone(),
        op.target.user.clone(),
        op.target.post_logout_redirect_uri.clone(),
    ) else {
        return Report::skipped(
            id,
            "needs --client-id, --username and --post-logout-redirect-uri",
        );
    };
    let end_session = op.endpoint("end_session_endpoint");
    if end_session.is_empty() {
        c.check(
            "CheckDiscEndSessionEndpoint",
            false,
            Status::Fail,
            "no end_session_endpoint",
        );
        return Report {
            plan: "",
            module: id,
            outcomes: c.0,
        };
    }
    let mut env = Env {
        op,
        client: client.clone(),
        c: &mut c,
        auth: crate::rp::op::ClientAuth::Basic,
    };
    run_logout(&mut env, id, &end_session, &plru).await;
    Report {
        plan: "",
        module: id,
        outcomes: c.0,
    }
}

async fn run_logout(env: &mut Env<'_>, id: &str, end_session: &str, plru: &str) {
    let Some(agent) = env.agent() else { return };
    let state128 = format!("{}-._~", random_alnum(124));
    let req = AuthRequest::standard(env.op, &env.client).set("state", &state128);
    let Some(login) = env.login(&agent, &req).await else {
        return;
    };
    let sub = login.claims["sub"].as_str().unwrap_or("").to_owned();
    let state = random_alnum(10);
    let hint = login.id_token.as_str();
    let bad_plru = format!(
        "{}/bad_post_logout_redirect_uri",
        plru.trim_end_matches("/post_logout_redirect")
    );
    let query_added = format!("{plru}?foo=bar");
    let modified = unsigned_copy(hint);
    let forged_hint = forged(env.op, &env.client.id, &env.client.secret, &sub);
    let (params, expect): (Vec<(&str, &str)>, Expect) = match id {
        "oidcc-rp-initiated-logout" => (
            vec![
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", plru),
                ("state", &state),
            ],
            Expect::Redirect,
        ),
        "oidcc-rp-initiated-logout-no-state" => (
            vec![("id_token_hint", hint), ("post_logout_redirect_uri", plru)],
            Expect::Redirect,
        ),
        "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri" => (
            vec![
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", &bad_plru),
                ("state", &state),
            ],
            Expect::NoRedirect,
        ),
        "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri" => (
            vec![
                ("id_token_hint", hint),
                ("post_logout_redirect_uri", &query_added),
                ("state", &state),
            ],
            Expect::NoRedirect,
        ),
        "oidcc-rp-initiated-logout-modified-id-token-hint" => (
            vec![
                ("id_token_hint", &modified),
                ("post_logout_redirect_uri", plru),
                ("state", &state),
            ],
            Expect::NoRedirect,
        ),
        "oidcc-rp-initiated-logout-bad-id-token-hint" => (
            vec![
                ("id_token_hint", &forged_hint),
                ("post_logout_redirect_uri", plru),
                ("state", &state),
            ],
            Expect::NoRedirect,
        ),
        "oidcc-rp-initiated-logout-no-id-token-hint" => (
            vec![("post_logout_redirect_uri", plru), ("state", &state)],
            Expect::NoRedirect,
        ),
        "oidcc-rp-initiated-logout-no-params" => (vec![], Expect::LoggedOutPage),
        "oidcc-rp-initiated-logout-no-post-logout-redirect-uri" => {
            (vec![("id_token_hint", hint)], Expect::LoggedOutPage)
        }
        "oidcc-rp-initiated-logout-only-state" => (vec![("state", &state)], Expect::LoggedOutPage),
        other => {
            env.c
                .check("UnknownModule", false, Status::Fail, other.to_owned());
            return;
        }
    };
    let url = if params.is_empty() {
        end_session.to_owned()
    } else {
        let q = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&params)
            .finish();
        format!(
            "{end_session}{}{q}",
            if end_session.contains('?') { '&' } else { '?' }
        )
    };
    let confirm = matches!(expect, Expect::LoggedOutPage);
    let arrival = agent.logout(&url, plru, confirm).await;
    match (expect, arrival) {
        (Expect::Redirect, Arrival::Callback(cb)) => {
            let sent_state = params.iter().find(|(k, _)| *k == "state").map(|(_, v)| *v);
            env.c.check(
                "CheckPostLogoutState",
                cb.get("state") == sent_state,
                Status::Fail,
                format!("state {:?}, expected {sent_state:?}", cb.get("state")),
            );
            let extra: Vec<&str> = cb
                .params
                .iter()
                .map(|(k, _)| k.as_str())
                .filter(|k| *k != "state")
                .collect();
            env.c.check(
                "CheckForUnexpectedParametersInPostLogoutRedirect",
                extra.is_empty(),
                Status::Warning,
                format!("{extra:?}"),
            );
        }
        (Expect::Redirect, other) => {
            env.c.check(
                "ExpectPostLogoutRedirect",
                false,
                Status::Fail,
                summary(&other),
            );
            return;
        }
        (Expect::NoRedirect, Arrival::Callback(cb)) => {
            env.c.check(
                "ExpectNoPostLogoutRedirect",
                false,
                Status::Fail,
                format!("the OP redirected to {}", cb.url),
            );
            return;
        }
        (Expect::NoRedirect, Arrival::Page { .. }) => {
            env.c
                .check("ExpectNoPostLogoutRedirect", true, Status::Fail, "");
            return;
        }
        (Expect::LoggedOutPage, Arrival::Page { status, .. }) => {
            env.c.check(
                "ExpectLoggedOutPage",
                status == 200,
                Status::Fail,
                format!("status {status}"),
            );
        }
        (Expect::LoggedOutPage, Arrival::Callback(cb)) => {
            env.c.check(
                "ExpectNoPostLogoutRedirect",
                false,
                Status::Fail,
                format!("the OP redirected to {}", cb.url),
            );
            return;
        }
        (_, Arrival::Failed(e)) => {
            env.c
                .check("CallEndSessionEndpoint", false, Status::Fail, e);
            return;
        }
    }
    // Logged out: a silent request must now fail.
    let silent = AuthRequest::standard(env.op, &env.client).set("prompt", "none");
    if let Some(cb) = env.authorize(&agent, &silent).await {
        checks::authorization_error(env.c, env.op, &cb, silent.get("state"), &SILENT_ERRORS);
    }
}

fn summary(a: &Arrival) -> String {
    match a {
        Arrival::Callback(cb) => format!("redirected to {}", cb.url),
        Arrival::Page { status, body, .. } => format!(
            "stopped on a page ({status}): {}",
            body.chars().take(200).collect::<String>()
        ),
        Arrival::Failed(e) => e.clone(),
    }
}
