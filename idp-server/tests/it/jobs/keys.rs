//! Scheduled signing-key rotation: new keys sign, old tokens keep verifying,
//! retired keys leave the JWKS, and two servers rotate a tenant once.

use super::*;
use openidconnect::core::CoreJwsSigningAlgorithm;

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

fn kid(token: &str) -> String {
    jwt_parts(token).0["kid"].as_str().unwrap_or("").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keys_rotate_on_schedule_and_retired_keys_leave_the_jwks_after_their_tokens() {
    let server = TestServer::start_config(|c: &mut Config| {
        // New keys are published 2 s before they sign, so a relying party
        // that fetched the JWKS just before a rotation can still verify.
        c.lifetimes = idp_core::Lifetimes {
            access_token: 30,
            id_token: 30,
            key_publication: 2,
            ..test_lifetimes()
        };
        c.jobs = JobsConfig {
            key_rotation_after: Some(3),
            key_check_interval: Duration::from_millis(300),
            ..quiet_jobs()
        };
    })
    .await;
    let env = Env::with_server(server).await;
    let rp = env.rp(&env.client).await;
    let before = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let old_kid = kid(&id_token_of(&before.tokens));
    let old_access_kid = kid(&access_token_of(&before.tokens));

    // Within the rotation age plus a check interval, successors of the keys
    // that signed them are stored; the server that rotated publishes them
    // at once, beside the old keys, and signs with them from their
    // activation time.
    let deadline = Instant::now() + Duration::from_secs(15);
    while active_kids(&env.server, &env.tenant.id).contains(&old_kid) {
        assert!(Instant::now() < deadline, "{old_kid} was never rotated");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let successors = active_kids(&env.server, &env.tenant.id);
    let activates_at: i64 = db(&env.server)
        .query_row(
            "SELECT max(activates_at) FROM signing_keys WHERE tenant_id = ?1",
            [&env.tenant.id],
            |r| r.get(0),
        )
        .expect("activation time");
    let published: BTreeSet<String> = kids(&jwks(&env.endpoints).await).into_iter().collect();
    assert!(
        successors.iter().all(|k| published.contains(k)),
        "{published:?} lacks the pending keys {successors:?}"
    );
    while now() < activates_at {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let published: BTreeSet<String> = kids(&jwks(&env.endpoints).await).into_iter().collect();
    assert!(published.contains(&old_kid), "{published:?}");
    assert!(published.contains(&old_access_kid), "{published:?}");
    assert!(
        successors.iter().any(|k| published.contains(k)),
        "{published:?} lacks the new keys {successors:?}"
    );
    // What the old key signed still verifies against the JWKS.
    let rp = env.rp(&env.client).await;
    rp.verify_id_token(&before.tokens, Some(&before.nonce), RS256);
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access_token_of(&before.tokens))
            .await
            .status,
        StatusCode::OK
    );
    // New tokens use a new key.
    let after = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let new_kid = kid(&id_token_of(&after.tokens));
    assert_ne!(new_kid, old_kid);
    assert_ne!(kid(&access_token_of(&after.tokens)), old_access_kid);
    rp.verify_id_token(&after.tokens, Some(&after.nonce), RS256);

    // A retired key stays published for the tenant cache plus the longest
    // token lifetime (logout tokens: 120 s here). Rather than wait, move the
    // old keys' retirement into the past: they leave, the newer keys stay.
    let conn = db(&env.server);
    let backdated = conn
        .execute(
            "UPDATE signing_keys SET retired_at = retired_at - 200
             WHERE tenant_id = ?1 AND retired_at = (
               SELECT retired_at FROM signing_keys WHERE tenant_id = ?1 AND kid = ?2)",
            rusqlite::params![env.tenant.id, old_kid],
        )
        .expect("backdate");
    assert_eq!(backdated, 3, "one key per algorithm, retired together");
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let now: BTreeSet<String> = kids(&jwks(&env.endpoints).await).into_iter().collect();
        if !now.contains(&old_kid) && !now.contains(&old_access_kid) {
            // The key of the newer tokens, active or recently retired, stays.
            assert!(now.contains(&new_kid), "{now:?}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "{old_kid} still published: {now:?}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // The old access token no longer verifies (in reality it would have expired).
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access_token_of(&before.tokens))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_servers_rotating_at_once_store_one_new_key_set_per_tenant() {
    // The first server provisions; its jobs stay quiet.
    let provisioner = TestServer::start_config(|c: &mut Config| c.jobs = quiet_jobs()).await;
    let tenants: Vec<Tenant> = ["t1", "t2", "t3"]
        .iter()
        .map(|slug| provisioner.create_tenant(slug))
        .collect();
    let initial: Vec<BTreeSet<String>> = tenants
        .iter()
        .map(|t| active_kids(&provisioner, &t.id))
        .collect();
    // Make every tenant's keys old enough to rotate (active for that long).
    db(&provisioner)
        .execute(
            "UPDATE signing_keys SET created_at = created_at - 1000,
                                     activates_at = activates_at - 1000",
            [],
        )
        .expect("age the keys");

    // Two more servers on the same file, started together, both due to check
    // the keys at the same instant.
    let config = || {
        let mut c = Config::for_tests(provisioner.database_url.clone(), KEY_HEX.to_owned());
        c.lifetimes = test_lifetimes();
        c.jobs = JobsConfig {
            key_rotation_after: Some(600),
            key_check_interval: Duration::from_millis(400),
            ..quiet_jobs()
        };
        c
    };
    let (a, b) = tokio::join!(
        idp_server::server::start(config()),
        idp_server::server::start(config())
    );
    let (a, b) = (a.expect("server a"), b.expect("server b"));
    tokio::time::sleep(Duration::from_millis(2500)).await;
    a.shutdown().await;
    b.shutdown().await;

    let conn = db(&provisioner);
    for (tenant, initial) in tenants.iter().zip(&initial) {
        let active = active_kids(&provisioner, &tenant.id);
        assert_eq!(active.len(), 3, "one active key per algorithm: {active:?}");
        assert!(
            active.is_disjoint(initial),
            "{} was not rotated",
            tenant.slug
        );
        let total: i64 = conn
            .query_row(
                "SELECT count(*) FROM signing_keys WHERE tenant_id = ?1",
                [&tenant.id],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(total, 6, "{}: exactly one new key set", tenant.slug);
    }
}
