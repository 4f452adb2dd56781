//! Channel logout for device-flow grants (RFC 8628 with Back-Channel and
//! Front-Channel Logout 1.0): the device has no session of its own; the
//! browser session the user approved it in stands for it, and when that
//! session ends the device client is told like a code-flow client. A
//! receiver on 127.0.0.1:0 plays the device client's back-channel endpoint.

use crate::channel_logout::{assert_logout_token, iframe_sources};
use crate::device::{answer, poll};
use crate::support::*;
use reqwest::StatusCode;

const TV_FRONT: &str = "https://rp.example/tv-fc";

/// A confidential device client of `acme` ("Living Room TV", the name the
/// device pages show) with ES256 ID tokens, refresh, a redirect URI (so it
/// may have a front-channel URI on its origin) and these channel URIs.
fn tv_client(env: &Env, front: Option<&str>, back: Option<String>) -> RegisteredClient {
    env.client(&ClientSpec {
        grant_types: vec![DEVICE_GRANT.into(), "refresh_token".into()],
        id_token_alg: Some("ES256".into()),
        frontchannel_logout_uri: front.map(str::to_owned),
        backchannel_logout_uri: back,
        ..ClientSpec::confidential("Living Room TV")
    })
}

/// What a device got once the user approved it.
struct DeviceGrant {
    id_token: String,
    access_token: String,
    refresh_token: String,
    /// The approving browser session (the ID token's `sid`).
    sid: String,
    sub: String,
}

/// The device asks, the user approves in `browser` (signing in there, which
/// starts a session), the device polls once and gets its tokens.
async fn approve_device(env: &Env, tv: &RegisteredClient, browser: &Browser) -> DeviceGrant {
    let auth = env
        .device_authorization(tv, "openid email offline_access")
        .await;
    answer(browser, &auth, &env.user, "allow").await;
    let res = poll(env, tv, auth["device_code"].as_str().expect("device_code")).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let tokens = res.json();
    let text = |name: &str| {
        tokens[name]
            .as_str()
            .unwrap_or_else(|| panic!("no {name}: {tokens}"))
            .to_owned()
    };
    let id_token = text("id_token");
    let (_, claims) = jwt_parts(&id_token);
    DeviceGrant {
        sid: claims["sid"].as_str().expect("sid").to_owned(),
        sub: claims["sub"].as_str().expect("sub").to_owned(),
        access_token: text("access_token"),
        refresh_token: text("refresh_token"),
        id_token,
    }
}

async fn refresh(env: &Env, tv: &RegisteredClient, refresh_token: &str) -> Resp {
    token_request(
        &env.endpoints.token,
        ClientAuth::of(tv),
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logging_out_of_the_approving_session_tells_the_device_client() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let tv = tv_client(&env, Some(TV_FRONT), Some(receiver.url("/tv")));
    // Approved in another browser: its session is not the one that ends.
    let other_tv = tv_client(&env, None, Some(receiver.url("/other-tv")));
    let browser = Browser::new();
    let grant = approve_device(&env, &tv, &browser).await;
    let other = approve_device(&env, &other_tv, &Browser::new()).await;
    assert_ne!(grant.sid, other.sid);
    assert_eq!(grant.sub, env.user.id);
    assert_eq!(receiver.total(), 0, "nothing sent before a logout");

    // RP-Initiated Logout in the approving browser, hinted by the device's
    // own ID token (it names the session): no confirmation needed.
    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[("id_token_hint", &grant.id_token)],
        ))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // Back channel: one Logout Token, for the device client, with the sid
    // of the session the device was approved in.
    let got = receiver.at("/tv");
    assert_eq!(got.len(), 1, "exactly one POST to the TV: {got:?}");
    let jwks = jwks(&env.endpoints).await;
    assert_logout_token(
        &got[0],
        &jwks,
        issuer,
        &tv.client_id,
        &grant.sid,
        &grant.sub,
    );
    assert!(
        receiver.at("/other-tv").is_empty(),
        "another session's device was told"
    );

    // Front channel: the signed-out page frames the device client's URI.
    let frames = iframe_sources(&res.body);
    assert_eq!(frames.len(), 1, "{}", res.body);
    let frame = url::Url::parse(&frames[0]).expect("iframe URL");
    assert_eq!(frame.path(), "/tv-fc");
    let query: Vec<(String, String)> = frame.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [
            ("iss".to_owned(), issuer.to_owned()),
            ("sid".to_owned(), grant.sid.clone()),
        ]
    );

    // Back-Channel Logout §2.7: a logout keeps refresh tokens issued with
    // offline_access (every refresh token here is), as for a code-flow
    // client; revocation (next test) ends them.
    let res = refresh(&env, &tv, &grant.refresh_token).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(receiver.total(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_the_approving_session_tells_the_device_and_ends_its_tokens() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let tv = tv_client(&env, None, Some(receiver.url("/tv")));
    let jwks = jwks(&env.endpoints).await;
    let cli = |args: &[&str]| tokio::task::block_in_place(|| env.server.cli_json(args, None));

    // An administrator revokes the session the device was approved in.
    let grant = approve_device(&env, &tv, &Browser::new()).await;
    let out = cli(&[
        "session", "revoke", "--tenant", "acme", &grant.sid, "--json",
    ]);
    assert_eq!(out["revoked"], 1);
    let got = receiver.at("/tv");
    assert_eq!(got.len(), 1, "{got:?}");
    assert_logout_token(
        &got[0],
        &jwks,
        issuer,
        &tv.client_id,
        &grant.sid,
        &grant.sub,
    );
    // Its refresh token and access token die with it.
    refresh(&env, &tv, &grant.refresh_token)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    let info = get_bearer(&env.endpoints.userinfo, &grant.access_token).await;
    assert_eq!(info.status, StatusCode::UNAUTHORIZED, "{}", info.body);

    // Disabling the user ends every session: a device approved in a new
    // one is told too, once, with that session's sid.
    let second = approve_device(&env, &tv, &Browser::new()).await;
    assert_ne!(second.sid, grant.sid);
    let out = cli(&[
        "user",
        "disable",
        "--tenant",
        "acme",
        &env.user.id,
        "--json",
    ]);
    assert_eq!(out["disabled"], true);
    let got = receiver.at("/tv");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_logout_token(
        &got[1],
        &jwks,
        issuer,
        &tv.client_id,
        &second.sid,
        &second.sub,
    );
    refresh(&env, &tv, &second.refresh_token)
        .await
        .assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_denied_device_is_not_told() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let tv = tv_client(&env, None, Some(receiver.url("/tv")));
    let auth = env.device_authorization(&tv, "openid").await;
    let browser = Browser::new();
    answer(&browser, &auth, &env.user, "deny").await;
    // The session the user denied in ends: the device took no part in it.
    let sessions = tokio::task::block_in_place(|| {
        env.server.cli_json(
            &[
                "session",
                "revoke",
                "--tenant",
                "acme",
                "--all",
                "--email",
                &env.user.email,
                "--json",
            ],
            None,
        )
    });
    assert_eq!(sessions["revoked"], 1);
    assert_eq!(receiver.total(), 0, "{:?}", receiver.at("/tv"));
}
