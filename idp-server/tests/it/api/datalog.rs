//! Attenuations the server never saw written: blocks of Datalog appended
//! to a key with the `biscuit-auth` library (what the `biscuit`
//! command-line tool does), over the facts design.md lists (`time`,
//! `operation`, `tenant`, `path`), enforced through real HTTP.

use super::{Api, Req, api_server, assert_problem, assert_unauthenticated};
use biscuit_auth::{UnverifiedBiscuit, builder::BlockBuilder};
use reqwest::StatusCode;
use serde_json::json;

/// `key` with one more block of `code`, as `biscuit attenuate` prints it.
fn append(key: &str, code: &str) -> String {
    let token = UnverifiedBiscuit::from_base64(key).expect("a Biscuit token");
    let block = BlockBuilder::new()
        .code(code)
        .unwrap_or_else(|e| panic!("Datalog {code}: {e:?}"));
    token
        .append(block)
        .and_then(|t| t.to_base64())
        .expect("an attenuated token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocks_written_in_datalog_are_enforced() {
    let server = api_server().await;
    let api = Api::new(&server);
    for slug in ["alpha", "bravo"] {
        api.create("/api/v1/tenants", &json!({"slug": slug, "name": slug}))
            .await;
    }

    // Reads only, whatever the tenant.
    let reads = append(&api.key.key, r#"check if operation("read");"#);
    let res = api
        .send(Req::get("/api/v1/tenants/bravo/users").token(&reads))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = api
        .send(
            Req::post(
                "/api/v1/tenants/bravo/users",
                &json!({"email": "r@x.example"}),
            )
            .token(&reads),
        )
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);

    // One tenant's users, by path: the same tenant's clients are out of
    // reach, and the other tenant is not even there.
    let users = append(
        &api.key.key,
        r#"check if path($p), $p.starts_with("/api/v1/tenants/alpha/users");"#,
    );
    let res = api
        .send(Req::get("/api/v1/tenants/alpha/users").token(&users))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = api
        .send(
            Req::post(
                "/api/v1/tenants/alpha/users",
                &json!({"email": "u@x.example"}),
            )
            .token(&users),
        )
        .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let res = api
        .send(Req::get("/api/v1/tenants/alpha/clients").token(&users))
        .await;
    assert!(
        res.status == StatusCode::FORBIDDEN || res.status == StatusCode::NOT_FOUND,
        "clients through a users-only key: {} {}",
        res.status,
        res.body
    );
    let res = api
        .send(Req::get("/api/v1/tenants/bravo/users").token(&users))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);

    // A tenant check in a second block narrows the first: both hold.
    let alpha_reads = append(&reads, r#"check if tenant("alpha");"#);
    let res = api
        .send(Req::get("/api/v1/tenants/alpha/users").token(&alpha_reads))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let res = api
        .send(Req::get("/api/v1/tenants/bravo/users").token(&alpha_reads))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = api
        .send(Req::delete("/api/v1/tenants/alpha").token(&alpha_reads))
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);

    // An expiry in the past ends the key; one in the future does not.
    let expired = append(
        &api.key.key,
        "check if time($t), $t < 2020-01-01T00:00:00Z;",
    );
    let res = api.send(Req::get("/api/v1/tenants").token(&expired)).await;
    assert_unauthenticated(&res);
    let later = append(
        &api.key.key,
        "check if time($t), $t < 2100-01-01T00:00:00Z;",
    );
    let res = api.send(Req::get("/api/v1/tenants").token(&later)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // A block cannot widen: a fact claiming another key changes nothing,
    // and a block that only fails stops every request.
    let claims = append(&reads, r#"key("someone-else"); operation("write");"#);
    let res = api
        .send(
            Req::post(
                "/api/v1/tenants/alpha/users",
                &json!({"email": "w@x.example"}),
            )
            .token(&claims),
        )
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);
    let never = append(&api.key.key, r#"check if operation("nothing");"#);
    let res = api
        .send(Req::get("/api/v1/tenants/alpha").token(&never))
        .await;
    assert_problem(&res, StatusCode::NOT_FOUND);
    let res = api
        .send(Req::post("/api/v1/tenants", &json!({"slug": "charlie"})).token(&never))
        .await;
    assert_problem(&res, StatusCode::FORBIDDEN);
    // Lists across tenants show what the key may read: here nothing.
    let res = api.send(Req::get("/api/v1/tenants").token(&never)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_eq!(res.json()["items"], json!([]), "{}", res.body);
}
