//! The client cache (ADR 0018): writes through the server take effect at
//! once, clients created elsewhere work at once (not-found is never
//! cached), and a client deleted by another writer stops working within
//! `Lifetimes::client_cache`.

use crate::support::*;
use idp_core::crypto::secret::SecretHash;
use idp_core::ids::{ClientId, TenantId};
use idp_core::store::{ClientRecord, ClientStore, GrantType, TokenEndpointAuthMethod};
use idp_store_sqlite::SqliteStore;
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const CLIENT_CREDENTIALS: &[(&str, &str)] = &[("grant_type", "client_credentials")];

/// The server's database, opened as a second writer would (the CLI is one;
/// it cannot delete clients, so the test writes through the store).
fn other_writer(server: &TestServer) -> SqliteStore {
    SqliteStore::open(&server.database_url).expect("the database opens a second time")
}

/// A client-credentials client with a chosen id and secret, as stored.
fn service_record(id: &str, secret: &str) -> ClientRecord {
    ClientRecord {
        secret_hash: Some(SecretHash::of(secret)),
        auth_method: TokenEndpointAuthMethod::ClientSecretBasic,
        grant_types: vec![GrantType::ClientCredentials],
        ..ClientRecord::new(ClientId::new(id), "Written elsewhere", now())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deleted_through_rfc7592_stops_authenticating_at_once() {
    let (_server, endpoints) = open_tenant().await;
    let registration = plain_client()
        .post(
            endpoints.doc["registration_endpoint"]
                .as_str()
                .expect("registration_endpoint"),
        )
        .json(&json!({ "redirect_uris": [REDIRECT_URI] }))
        .send()
        .await
        .expect("registration request");
    assert_eq!(registration.status(), StatusCode::CREATED);
    let doc: Value = registration.json().await.expect("JSON");
    let field = |name: &str| doc[name].as_str().expect(name).to_owned();
    let (id, secret) = (field("client_id"), field("client_secret"));
    let introspect = || {
        token_request(
            &endpoints.introspection,
            ClientAuth::Basic(&id, &secret),
            &[("token", "not-a-token")],
        )
    };
    // Twice: the second answer comes from the cache.
    for _ in 0..2 {
        let res = introspect().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["active"], false);
    }
    let deleted = plain_client()
        .delete(field("registration_client_uri"))
        .bearer_auth(field("registration_access_token"))
        .send()
        .await
        .expect("delete");
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    introspect()
        .await
        .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_created_elsewhere_work_at_once() {
    let env = Env::new().await;
    // Not found is not cached: an id refused a moment ago works as soon
    // as another writer creates it.
    let id = "made-elsewhere";
    token_request(
        &env.endpoints.token,
        ClientAuth::Basic(id, "s3cret"),
        CLIENT_CREDENTIALS,
    )
    .await
    .assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    other_writer(&env.server)
        .create_client(
            &TenantId::new(&env.tenant.id),
            &service_record(id, "s3cret"),
        )
        .await
        .expect("the client is stored");
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Basic(id, "s3cret"),
        CLIENT_CREDENTIALS,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    // And one made by the CLI, a separate process.
    let svc = env.client(&ClientSpec::service("Batch", &[], &[]));
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::of(&svc),
        CLIENT_CREDENTIALS,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_deleted_by_another_writer_stops_within_the_ttl() {
    let ttl = 2;
    let server = TestServer::start_with(idp_core::Lifetimes {
        client_cache: ttl,
        ..test_lifetimes()
    })
    .await;
    let env = Env::with_server(server).await;
    let svc = env.client(&ClientSpec::service("Batch", &[], &[]));
    let request = || {
        token_request(
            &env.endpoints.token,
            ClientAuth::of(&svc),
            CLIENT_CREDENTIALS,
        )
    };
    let res = request().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);

    let deleted = other_writer(&env.server)
        .delete_client(
            &TenantId::new(&env.tenant.id),
            &ClientId::new(&svc.client_id),
        )
        .await
        .expect("delete");
    assert!(deleted);
    let since = Instant::now();
    // The entry was loaded under a second ago and lives at least one more
    // whole second: this answer is the cached record (what the TTL allows).
    let res = request().await;
    assert_eq!(
        res.status,
        StatusCode::OK,
        "served from the cache: {}",
        res.body
    );
    loop {
        let res = request().await;
        if res.status == StatusCode::UNAUTHORIZED {
            res.assert_oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
            break;
        }
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert!(
            since.elapsed() < Duration::from_millis(ttl as u64 * 1000 + 500),
            "the deleted client still authenticates {:?} after its deletion",
            since.elapsed()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
