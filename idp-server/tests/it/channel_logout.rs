//! Front-Channel Logout 1.0 and Back-Channel Logout 1.0 through HTTP: a
//! receiver on 127.0.0.1:0 plays the relying parties' back-channel
//! endpoints; the Logout Tokens it gets are checked independently of
//! idp-core (signature against the tenant's JWKS, every claim of §2.4).

use crate::support::*;
use openidconnect::core::CoreAuthPrompt;
use reqwest::StatusCode;
use serde_json::{Value, json};

const AFTER_LOGOUT: &str = "https://rp.example/signed-out";
pub(crate) const EVENT: &str = "http://schemas.openid.net/event/backchannel-logout";

/// A client of `slug` with ES256 ID tokens (so [`verify_es256`] checks its
/// Logout Tokens), a post-logout URI and the given channel URIs.
pub(crate) fn channel_client(
    server: &TestServer,
    slug: &str,
    name: &str,
    front: Option<&str>,
    back: Option<String>,
) -> RegisteredClient {
    server.create_client(
        slug,
        &ClientSpec {
            id_token_alg: Some("ES256".into()),
            post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
            frontchannel_logout_uri: front.map(str::to_owned),
            backchannel_logout_uri: back,
            ..ClientSpec::confidential(name)
        },
    )
}

/// Logs `user` in to `client` of `issuer` in `browser`; returns the ID token
/// and its `sid` and `sub`.
pub(crate) async fn login(
    issuer: &str,
    client: &RegisteredClient,
    browser: &Browser,
    user: &User,
) -> (Rp, String, String, String) {
    let rp = Rp::discover(issuer, client).await;
    let flow = rp.flow(browser, user, &AuthOptions::default()).await;
    let id_token = id_token_of(&flow.tokens);
    let (_, claims) = jwt_parts(&id_token);
    let sid = claims["sid"]
        .as_str()
        .expect("sid in the ID token")
        .to_owned();
    let sub = claims["sub"].as_str().expect("sub").to_owned();
    (rp, id_token, sid, sub)
}

/// `prompt=none` in `browser`: the error code, or None when a code came back.
async fn silent_result(browser: &Browser, rp: &Rp) -> Option<String> {
    let req = rp.auth_request(&AuthOptions {
        prompt: Some(CoreAuthPrompt::None),
        ..AuthOptions::default()
    });
    let res = browser.get(req.url.as_str()).await;
    assert_eq!(res.status, StatusCode::FOUND, "{}", res.body);
    Callback::parse(&res.redirect()).error
}

/// Checks one back-channel POST: a form with only `logout_token`, a Logout
/// Token (Back-Channel Logout §2.4) signed by the tenant for `client_id`
/// about (`sid`, `sub`). Returns its claims.
pub(crate) fn assert_logout_token(
    got: &Received,
    jwks: &Value,
    issuer: &str,
    client_id: &str,
    sid: &str,
    sub: &str,
) -> Value {
    assert_eq!(got.method, "POST");
    assert!(
        got.content_type
            .starts_with("application/x-www-form-urlencoded"),
        "content type {}",
        got.content_type
    );
    let form: Vec<(String, String)> = url::form_urlencoded::parse(got.body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form.len(), 1, "only logout_token is sent: {form:?}");
    let (name, token) = &form[0];
    assert_eq!(name, "logout_token");
    verify_es256(token, jwks).expect("the logout token verifies with the tenant's JWKS");
    let (header, claims) = jwt_parts(token);
    assert_eq!(header["typ"], "logout+jwt", "{header}");
    assert_eq!(claims["iss"], issuer);
    let aud_ok = claims["aud"] == client_id
        || claims["aud"]
            .as_array()
            .is_some_and(|a| a.iter().any(|v| v == client_id));
    assert!(aud_ok, "aud {} names {client_id}", claims["aud"]);
    let iat = claims["iat"].as_i64().expect("iat");
    assert!(iat <= now() + 5 && iat > now() - 120, "iat {iat}");
    let exp = claims["exp"].as_i64().expect("exp");
    assert!(
        exp > iat && exp - iat <= 300,
        "a short lifetime: {iat}..{exp}"
    );
    let jti = claims["jti"].as_str().expect("jti");
    assert!(jti.len() >= 22, "jti of 128 bits or more: {jti}");
    assert_eq!(claims["events"], json!({ EVENT: {} }));
    assert_eq!(claims["sid"], sid);
    assert_eq!(claims["sub"], sub);
    assert!(claims.get("nonce").is_none(), "no nonce: {claims}");
    claims
}

/// Decodes the entities a template engine puts in an attribute.
fn unescape(value: &str) -> String {
    [
        ("&#34;", "\""),
        ("&quot;", "\""),
        ("&#39;", "'"),
        ("&#60;", "<"),
        ("&#62;", ">"),
        ("&#38;", "&"),
        ("&amp;", "&"),
    ]
    .iter()
    .fold(value.to_owned(), |s, (entity, c)| s.replace(entity, c))
}

/// The `src` of every `<iframe>` of a page, unescaped.
pub(crate) fn iframe_sources(html: &str) -> Vec<String> {
    html.split("<iframe")
        .skip(1)
        .filter_map(|tag| {
            let tag = &tag[..tag.find('>')?];
            let start = tag.find("src=\"")? + 5;
            let value = &tag[start..];
            Some(unescape(&value[..value.find('"')?]))
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rp_initiated_logout_notifies_the_sessions_clients_front_and_back() {
    let env = Env::new().await;
    for key in [
        "frontchannel_logout_supported",
        "frontchannel_logout_session_supported",
        "backchannel_logout_supported",
        "backchannel_logout_session_supported",
    ] {
        assert_eq!(env.endpoints.doc[key], true, "discovery {key}");
    }
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let a = channel_client(
        &env.server,
        "acme",
        "App A",
        Some("https://rp.example/fc?app=a"),
        Some(receiver.url("/a")),
    );
    let b = channel_client(
        &env.server,
        "acme",
        "App B",
        Some("https://rp.example/fc-b"),
        Some(receiver.url("/b")),
    );
    let (browser, other_browser) = (Browser::new(), Browser::new());
    let (rp_a, id_token, sid, sub) = login(issuer, &a, &browser, &env.user).await;
    // B takes part in another session only.
    let (rp_b, _, other_sid, _) = login(issuer, &b, &other_browser, &env.user).await;
    assert_ne!(sid, other_sid);
    assert_eq!(receiver.total(), 0, "nothing sent before a logout");

    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
                ("state", "bye 1"),
            ],
        ))
        .await;

    // Back channel: delivered before the page came back.
    let got = receiver.at("/a");
    assert_eq!(got.len(), 1, "exactly one POST to A: {got:?}");
    let jwks = jwks(&env.endpoints).await;
    assert_logout_token(&got[0], &jwks, issuer, &a.client_id, &sid, &sub);
    assert!(receiver.at("/b").is_empty(), "B was not in this session");

    // Front channel: a page that frames A's URI with iss and sid, then
    // continues to the post-logout URI with state, without script.
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let frames = iframe_sources(&res.body);
    assert_eq!(frames.len(), 1, "{}", res.body);
    let frame = url::Url::parse(&frames[0]).expect("iframe URL");
    assert_eq!(
        (frame.scheme(), frame.host_str(), frame.path()),
        ("https", Some("rp.example"), "/fc")
    );
    let query: Vec<(String, String)> = frame.query_pairs().into_owned().collect();
    assert_eq!(
        query,
        [
            ("app".to_owned(), "a".to_owned()),
            ("iss".to_owned(), issuer.to_owned()),
            ("sid".to_owned(), sid.clone()),
        ]
    );
    let back_to_rp = format!("{AFTER_LOGOUT}?state=bye+1");
    assert!(
        res.body.contains(&format!(
            "<meta http-equiv=\"refresh\" content=\"2;url={back_to_rp}\">"
        )),
        "{}",
        res.body
    );
    assert!(
        res.body
            .contains(&format!("<a id=\"continue\" href=\"{back_to_rp}\">")),
        "{}",
        res.body
    );
    assert!(!res.body.contains("<script"), "no script: {}", res.body);
    let csp = res.header("content-security-policy").expect("CSP");
    assert!(csp.contains("frame-src https://rp.example"), "{csp}");
    assert!(
        csp.contains("default-src 'none'") && !csp.contains("script-src"),
        "{csp}"
    );
    assert!(
        res.header_all("set-cookie")
            .iter()
            .any(|c| c.starts_with("idp_session=;")),
        "the session cookie is cleared"
    );

    // The session is over; the other one is not, and no one was told twice.
    assert_eq!(
        silent_result(&browser, &rp_a).await.as_deref(),
        Some("login_required")
    );
    assert_eq!(silent_result(&other_browser, &rp_b).await, None);
    assert_eq!(receiver.total(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn revoking_sessions_from_the_cli_sends_logout_tokens() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let a = channel_client(&env.server, "acme", "App A", None, Some(receiver.url("/a")));
    let never = channel_client(&env.server, "acme", "Never", None, Some(receiver.url("/n")));
    let browser = Browser::new();
    let (_, _, sid, sub) = login(issuer, &a, &browser, &env.user).await;
    // Env's own client (no channel URIs) in the same session changes nothing.
    Rp::discover(issuer, &env.client)
        .await
        .flow(&browser, &env.user, &AuthOptions::default())
        .await;

    let cli = |args: &[&str]| tokio::task::block_in_place(|| env.server.cli_json(args, None));
    let out = cli(&["session", "revoke", "--tenant", "acme", &sid, "--json"]);
    assert_eq!(out["revoked"], 1);
    let got = receiver.at("/a");
    assert_eq!(got.len(), 1, "exactly one POST: {got:?}");
    let jwks = jwks(&env.endpoints).await;
    assert_logout_token(&got[0], &jwks, issuer, &a.client_id, &sid, &sub);
    assert!(
        receiver.at("/n").is_empty(),
        "{} never logged in",
        never.client_id
    );

    // Every session of the user: a new one is told, the revoked one not again.
    let (_, _, second_sid, _) = login(issuer, &a, &Browser::new(), &env.user).await;
    let out = cli(&[
        "session",
        "revoke",
        "--tenant",
        "acme",
        "--all",
        "--email",
        &env.user.email,
        "--json",
    ]);
    assert_eq!(out["revoked"], 1);
    let got = receiver.at("/a");
    assert_eq!(got.len(), 2, "{got:?}");
    assert_logout_token(&got[1], &jwks, issuer, &a.client_id, &second_sid, &sub);
    assert_eq!(receiver.total(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logout_never_calls_a_client_of_another_tenant() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let acme_client = channel_client(
        &env.server,
        "acme",
        "Acme App",
        None,
        Some(receiver.url("/acme")),
    );
    let globex = env.server.create_tenant("globex");
    let globex_client = channel_client(
        &env.server,
        "globex",
        "Globex App",
        Some("https://rp.example/globex-fc"),
        Some(receiver.url("/globex")),
    );
    let globex_user =
        env.server
            .create_user("globex", "alice@acme.example", "Alice at Globex", PASSWORD);
    // One browser, signed in to both tenants (two sessions, two cookies).
    let browser = Browser::new();
    let (_, id_token, sid, sub) =
        login(&env.tenant.issuer, &acme_client, &browser, &env.user).await;
    let (globex_rp, _, globex_sid, globex_sub) =
        login(&globex.issuer, &globex_client, &browser, &globex_user).await;

    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        ))
        .await;
    // No front-channel client in acme's session: straight back to the RP.
    assert_eq!(res.status, StatusCode::SEE_OTHER, "{}", res.body);
    assert_eq!(res.redirect().as_str(), AFTER_LOGOUT);
    let got = receiver.at("/acme");
    assert_eq!(got.len(), 1, "{got:?}");
    let acme_jwks = jwks(&env.endpoints).await;
    assert_logout_token(
        &got[0],
        &acme_jwks,
        &env.tenant.issuer,
        &acme_client.client_id,
        &sid,
        &sub,
    );
    assert!(
        receiver.at("/globex").is_empty(),
        "globex's client was called"
    );
    assert_eq!(
        silent_result(&browser, &globex_rp).await,
        None,
        "globex session intact"
    );

    // Revoking globex's session tells globex's client, signed by globex.
    let out = tokio::task::block_in_place(|| {
        env.server.cli_json(
            &[
                "session",
                "revoke",
                "--tenant",
                "globex",
                &globex_sid,
                "--json",
            ],
            None,
        )
    });
    assert_eq!(out["revoked"], 1);
    let got = receiver.at("/globex");
    assert_eq!(got.len(), 1, "{got:?}");
    let globex_jwks = jwks(&discover(&globex.issuer).await).await;
    assert_logout_token(
        &got[0],
        &globex_jwks,
        &globex.issuer,
        &globex_client.client_id,
        &globex_sid,
        &globex_sub,
    );
    assert!(
        verify_es256(&form_token(&got[0]), &acme_jwks).is_err(),
        "not signed with acme's key"
    );
    assert_eq!(receiver.total(), 2);
}

fn form_token(r: &Received) -> String {
    url::form_urlencoded::parse(r.body.as_bytes())
        .find(|(k, _)| k == "logout_token")
        .map(|(_, v)| v.into_owned())
        .expect("logout_token")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamic_registration_accepts_and_echoes_channel_logout_metadata() {
    let (_server, endpoints) = open_tenant().await;
    let url = endpoints.doc["registration_endpoint"]
        .as_str()
        .expect("registration_endpoint")
        .to_owned();
    let register = |body: Value| {
        let url = url.clone();
        async move {
            let res = plain_client()
                .post(&url)
                .json(&body)
                .send()
                .await
                .expect("registration request");
            Resp::read(url::Url::parse(&url).expect("URL"), res).await
        }
    };
    let metadata = json!({
        "frontchannel_logout_uri": "https://rp.example/fc",
        "frontchannel_logout_session_required": true,
        "backchannel_logout_uri": "https://rp.example/bc",
        "backchannel_logout_session_required": true,
    });
    let mut body = json!({"redirect_uris": [REDIRECT_URI]});
    body.as_object_mut()
        .expect("object")
        .extend(metadata.as_object().expect("object").clone());
    let res = register(body).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let created = res.json();
    let read = get_bearer(
        created["registration_client_uri"].as_str().expect("uri"),
        created["registration_access_token"]
            .as_str()
            .expect("token"),
    )
    .await;
    assert_eq!(read.status, StatusCode::OK, "{}", read.body);
    for doc in [created, read.json()] {
        for (k, v) in metadata.as_object().expect("object") {
            assert_eq!(&doc[k], v, "{k} echoed: {doc}");
        }
    }

    for (extra, why) in [
        (
            json!({"frontchannel_logout_uri": "https://elsewhere.example/fc"}),
            "redirect URI",
        ),
        (
            json!({"frontchannel_logout_uri": "http://rp.example/fc"}),
            "https",
        ),
        (
            json!({"backchannel_logout_uri": "https://rp.example/bc#x"}),
            "fragment",
        ),
        (json!({"backchannel_logout_uri": "not a url"}), "absolute"),
        (
            json!({"frontchannel_logout_session_required": "yes"}),
            "boolean",
        ),
    ] {
        let mut body = json!({"redirect_uris": [REDIRECT_URI]});
        body.as_object_mut()
            .expect("object")
            .extend(extra.as_object().expect("object").clone());
        let res = register(body).await;
        let err = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
        let description = err["error_description"].as_str().unwrap_or("");
        assert!(description.contains(why), "{extra}: {description}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_validates_logout_uris() {
    let server = TestServer::start().await;
    server.create_tenant("acme");
    let base = [
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "App",
        "--redirect-uri",
        REDIRECT_URI,
    ];
    for (flag, uri, why) in [
        (
            "--frontchannel-logout-uri",
            "https://other.example/fc",
            "redirect URI",
        ),
        (
            "--frontchannel-logout-uri",
            "https://rp.example/fc#f",
            "fragment",
        ),
        ("--backchannel-logout-uri", "ftp://rp.example/bc", "http(s)"),
    ] {
        let mut args = base.to_vec();
        args.extend([flag, uri]);
        let out = server.cli(&args, None);
        assert!(!out.success, "{flag} {uri} accepted");
        assert!(out.stderr.contains(why), "{flag} {uri}: {}", out.stderr);
    }
    let mut args = base.to_vec();
    args.extend([
        "--frontchannel-logout-uri",
        "https://rp.example/fc",
        "--backchannel-logout-uri",
        "http://127.0.0.1:8080/bc",
        "--json",
    ]);
    let v = server.cli_json(&args, None);
    assert_eq!(v["frontchannel_logout_uri"], "https://rp.example/fc");
    assert_eq!(v["backchannel_logout_uri"], "http://127.0.0.1:8080/bc");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pairwise_client_gets_its_own_sub_in_logout_tokens() {
    let env = Env::new().await;
    let receiver = Receiver::start().await;
    let issuer = env.tenant.issuer.as_str();
    let client = env.client(&ClientSpec {
        id_token_alg: Some("ES256".into()),
        post_logout_redirect_uris: vec![AFTER_LOGOUT.into()],
        backchannel_logout_uri: Some(receiver.url("/pairwise")),
        subject_type: Some("pairwise".into()),
        ..ClientSpec::confidential("Pairwise App")
    });
    let browser = Browser::new();
    let (_rp, id_token, sid, sub) = login(issuer, &client, &browser, &env.user).await;
    assert_ne!(sub, env.user.id, "a pairwise subject");
    // The hint (a pairwise ID token) names this session: no confirmation page.
    let res = browser
        .get(&with_query(
            &env.endpoints.end_session,
            &[
                ("id_token_hint", &id_token),
                ("post_logout_redirect_uri", AFTER_LOGOUT),
            ],
        ))
        .await;
    assert!(
        res.status == StatusCode::OK || res.status.is_redirection(),
        "{} {}",
        res.status,
        res.body
    );
    let got = receiver.at("/pairwise");
    assert_eq!(got.len(), 1, "{got:?}");
    let jwks = jwks(&env.endpoints).await;
    assert_logout_token(&got[0], &jwks, issuer, &client.client_id, &sid, &sub);
}
