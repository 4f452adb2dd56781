//! Revoking a user's sessions through the API (`DELETE .../sessions`, or
//! one of them: `DELETE .../sessions/{sid}`) ends a real login: the
//! session leaves the list and the refresh token issued in it stops
//! working (design.md "Platform": revoking sessions revokes their
//! refresh tokens, `offline_access` included).

use super::{Api, Req, api_server};
use crate::support::*;
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_sessions_ends_the_refresh_token() {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    let rp = env.rp(&env.client).await;
    let (_, rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let path = format!("/api/v1/tenants/acme/users/{}/sessions", env.user.id);

    let live = api.get(&path).await;
    let items = live["items"].as_array().cloned().unwrap_or_default();
    assert_eq!(items.len(), 1, "{live}");
    assert_eq!(items[0]["user_id"], env.user.id.as_str(), "{live}");
    // The refresh token works before, and rotates.
    let rt = match rp.refresh(&rt).await {
        Ok(tokens) => refresh_token_of(&tokens).unwrap_or(rt),
        Err(e) => panic!("refresh before revocation failed: {e}"),
    };

    let res = api.send(Req::delete(&path)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["revoked_sessions"], 1, "{}", res.body);
    let after = api.get(&path).await;
    assert_eq!(after["items"], serde_json::json!([]), "{after}");
    let refused = rp.refresh(&rt).await;
    assert!(
        refused.is_err(),
        "the refresh token still works after the sessions were revoked"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_one_session_leaves_the_others() {
    let env = Env::with_server(api_server().await).await;
    let api = Api::new(&env.server);
    let rp = env.rp(&env.client).await;
    let (first_flow, first_rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    let (second_flow, second_rt) = rp.offline_flow(&Browser::new(), &env.user).await;
    // The session ids are the `sid` of the tokens.
    let sid = |tokens| super::text(&jwt_parts(&access_token_of(tokens)).1["sid"]);
    let (first, second) = (sid(&first_flow.tokens), sid(&second_flow.tokens));
    let path = format!("/api/v1/tenants/acme/users/{}/sessions", env.user.id);
    let live = api.get(&path).await;
    let mut ids: Vec<String> = live["items"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .map(|s| super::text(&s["id"]))
        .collect();
    ids.sort();
    let mut want = vec![first.clone(), second.clone()];
    want.sort();
    assert_eq!(ids, want, "{live}");

    // Another user's path does not reach alice's session.
    let bob = env
        .server
        .create_user("acme", "bob@acme.example", "Bob", PASSWORD);
    let res = api
        .send(Req::delete(&format!(
            "/api/v1/tenants/acme/users/{}/sessions/{first}",
            bob.id
        )))
        .await;
    super::assert_problem(&res, StatusCode::NOT_FOUND);
    let res = api
        .send(Req::delete(&format!("{path}/no-such-session")))
        .await;
    super::assert_problem(&res, StatusCode::NOT_FOUND);
    assert_eq!(
        api.get(&path).await["items"].as_array().map(Vec::len),
        Some(2)
    );

    let res = api.send(Req::delete(&format!("{path}/{first}"))).await;
    assert_eq!(res.status, StatusCode::NO_CONTENT, "{}", res.body);
    let after = api.get(&path).await;
    assert_eq!(after["items"].as_array().map(Vec::len), Some(1), "{after}");
    assert_eq!(after["items"][0]["id"], second.as_str(), "{after}");
    assert!(
        rp.refresh(&first_rt).await.is_err(),
        "the revoked session's refresh token still works"
    );
    assert!(
        rp.refresh(&second_rt).await.is_ok(),
        "the other session's refresh token stopped working"
    );
    let events = api.audit("tenant=acme&action=session.revoke").await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert_eq!(events[0]["target"]["id"], first.as_str(), "{events:?}");
    // Gone is gone: a second revocation is a 404.
    let res = api.send(Req::delete(&format!("{path}/{first}"))).await;
    super::assert_problem(&res, StatusCode::NOT_FOUND);
}
