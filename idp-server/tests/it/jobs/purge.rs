//! The purge of expired rows: every kind goes once nothing can depend on it,
//! live sessions and tokens keep working.

use super::*;

/// The key of every row, per table that the purge cleans.
fn snapshot(server: &TestServer) -> BTreeMap<&'static str, BTreeSet<String>> {
    let conn = db(server);
    [
        ("codes", "hex(code_hash)"),
        ("interactions", "hex(id_hash)"),
        ("device_codes", "hex(device_code_hash)"),
        ("sessions", "id"),
        ("session_clients", "session_id || '/' || client_id"),
        ("refresh_tokens", "hex(token_hash)"),
        ("revoked_access_tokens", "jti"),
        ("revoked_grants", "grant_id"),
        ("client_assertions", "jti"),
    ]
    .into_iter()
    .map(|(table, key)| {
        let mut stmt = conn
            .prepare(&format!("SELECT {key} FROM {table}"))
            .expect("prepare");
        let keys = stmt
            .query_map([], |r| r.get::<_, String>(0))
            .expect("query")
            .collect::<Result<BTreeSet<_>, _>>()
            .expect("rows");
        (table, keys)
    })
    .collect()
}

fn claim(token: &str, name: &str) -> String {
    jwt_parts(token).1[name]
        .as_str()
        .unwrap_or_else(|| panic!("no {name} in {token}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn purge_deletes_every_kind_of_expired_row_and_keeps_live_ones() {
    let server = TestServer::start_config(|c: &mut Config| {
        // Long enough that every row still exists when the flows below
        // are done on a loaded machine (they take seconds), short enough
        // that all of them expire well within the 30 s deadline.
        c.lifetimes = idp_core::Lifetimes {
            code: 8,
            interaction: 8,
            device_code: 8,
            access_token: 6,
            id_token: 6,
            session: 12,
            refresh_token: 12,
            ..test_lifetimes()
        };
        c.jobs = JobsConfig {
            purge_interval: Some(Duration::from_millis(300)),
            ..quiet_jobs()
        };
    })
    .await;
    let env = Env::with_server(server).await;
    let offline = AuthOptions::scopes(&["offline_access"]);

    // Rows that will expire. A code flow: a consumed code, a session, the
    // session's client, a refresh token, rotated once.
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp.flow(&browser, &env.user, &offline).await;
    let at1 = access_token_of(&first.tokens);
    let rt1 = refresh_token_of(&first.tokens).expect("refresh token");
    let rotated = rp.refresh(&rt1).await.expect("refresh");
    let at2 = access_token_of(&rotated);
    let rt2 = refresh_token_of(&rotated).expect("rotated refresh token");
    // Revocations: one access token, one grant.
    let revoke = |token: String, hint: &'static str| {
        let env = &env;
        async move {
            let res = client_post(
                &env.endpoints.revocation,
                ClientAuth::of(&env.client),
                &[("token", &token), ("token_type_hint", hint)],
            )
            .await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        }
    };
    revoke(at2.clone(), "access_token").await;
    revoke(rt2, "refresh_token").await;
    // A code issued and never redeemed.
    let req = rp.auth_request(&offline);
    let (unredeemed, pages) = browser
        .authorize(req.url.as_str(), &env.client.redirect_uri, &env.user)
        .await;
    assert!(
        pages.is_empty(),
        "the session signed in silently: {pages:?}"
    );
    assert!(!unredeemed.code().is_empty());
    // An interaction abandoned on the login page.
    let stranger = Browser::new();
    let mut abandoned = stranger.get(rp.auth_request(&offline).url.as_str()).await;
    if abandoned.status.is_redirection() {
        abandoned = stranger.get(abandoned.redirect().as_str()).await;
    }
    assert!(abandoned.is_login_page(), "{}", abandoned.body);
    // A device authorization never approved.
    let tv = env.tv_app();
    env.device_authorization(&tv, "openid").await;
    // A private_key_jwt assertion's jti, remembered against replay.
    let key = ClientKey::generate("k1");
    let signer = env.client(&ClientSpec {
        auth_method: Some("private_key_jwt".into()),
        jwks: Some(key.jwks()),
        ..ClientSpec::service("Signer", &["jobs"], &[])
    });
    let assertion = key.assertion(&signer.client_id, &env.endpoints.token, 8);
    let res = token_request(
        &env.endpoints.token,
        ClientAuth::Assertion(&assertion),
        &[("grant_type", "client_credentials")],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    // A session revoked by the administrator.
    let victim = env
        .rp(&env.client)
        .await
        .flow(&Browser::new(), &env.user, &offline)
        .await;
    let victim_at = access_token_of(&victim.tokens);
    let sid = claim(&id_token_of(&victim.tokens), "sid");
    let out = env
        .server
        .cli(&["session", "revoke", "--tenant", "acme", &sid], None);
    assert!(out.success, "{}", out.stderr);

    let before = snapshot(&env.server);
    for (table, keys) in &before {
        assert!(!keys.is_empty(), "the flows left no row in {table}");
    }
    let revoked_sessions: i64 = db(&env.server)
        .query_row(
            "SELECT count(*) FROM sessions WHERE revoked_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(revoked_sessions, 1);

    // Purges run meanwhile, but revocation records outlive the tokens they
    // revoke: these stay inactive while they could still be presented.
    tokio::time::sleep(Duration::from_millis(700)).await;
    for token in [&at2, &victim_at] {
        assert_eq!(
            introspect(&env.endpoints, &env.client, token).await["active"],
            false
        );
    }
    let _ = at1;

    // Everything above expires within 12 s (sessions, refresh tokens) and
    // goes at the next purge.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let now = snapshot(&env.server);
        let left: Vec<(&str, usize)> = before
            .iter()
            .map(|(table, keys)| (*table, keys.intersection(&now[table]).count()))
            .filter(|(_, n)| *n > 0)
            .collect();
        if left.is_empty() {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "expired rows were not purged: {left:?}"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    // Live rows survive the purges that keep running.
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let live = rp.flow(&browser, &env.user, &offline).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let at = access_token_of(&live.tokens);
    assert_eq!(
        introspect(&env.endpoints, &env.client, &at).await["active"],
        true
    );
    rp.refresh(&refresh_token_of(&live.tokens).expect("refresh token"))
        .await
        .expect("the live refresh token still rotates");
    let (_, pages) = browser
        .authorize(
            rp.auth_request(&AuthOptions::default()).url.as_str(),
            &env.client.redirect_uri,
            &env.user,
        )
        .await;
    assert!(pages.is_empty(), "the live session was lost: {pages:?}");
    let after = snapshot(&env.server);
    assert!(after["sessions"].contains(&claim(&id_token_of(&live.tokens), "sid")));
}
