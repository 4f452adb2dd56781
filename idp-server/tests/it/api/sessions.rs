//! Revoking a user's sessions through the API (`DELETE .../sessions`) ends
//! a real login: the session list empties and the refresh token issued in
//! it stops working (design.md "Platform": revoking sessions revokes their
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
