//! CORS for browser-based apps (draft-ietf-oauth-browser-based-apps,
//! idp-core `cors`): discovery and the JWK Set for every origin; token,
//! UserInfo, revocation, introspection and device authorization for the
//! web origins of the client a request concerns; preflights for the
//! origins some client of the tenant registered; never on the authorization
//! endpoint or the pages. Ends with a real single-page app in headless
//! Chromium on another origin.

use crate::support::*;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

/// The origin of the SPA client's redirect URI.
const SPA_ORIGIN: &str = "https://spa.example";
/// An origin no client registered.
const STRANGER: &str = "https://stranger.example";

/// Sends `method url` from `origin`, with `headers` and a form body.
async fn from_origin(
    method: Method,
    url: &str,
    origin: Option<&str>,
    headers: &[(&str, &str)],
    form: &[(&str, &str)],
) -> Resp {
    let mut req = plain_client().request(method.clone(), url);
    if let Some(o) = origin {
        req = req.header("origin", o);
    }
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    if method == Method::POST {
        req = req.form(form);
    }
    let res = req
        .send()
        .await
        .unwrap_or_else(|e| panic!("{method} {url}: {e}"));
    Resp::read(url::Url::parse(url).expect("URL"), res).await
}

/// A preflight of `method` with `headers` from `origin`.
async fn preflight(url: &str, origin: &str, method: &str, headers: &str) -> Resp {
    let mut extra = vec![("access-control-request-method", method)];
    if !headers.is_empty() {
        extra.push(("access-control-request-headers", headers));
    }
    from_origin(Method::OPTIONS, url, Some(origin), &extra, &[]).await
}

/// The answer lets `origin` read it, and only it, without credentials.
fn assert_cors(res: &Resp, origin: &str) {
    assert_eq!(
        res.header("access-control-allow-origin").as_deref(),
        Some(origin),
        "{} {}: {:?}",
        res.url,
        res.status,
        res.headers
    );
    assert!(
        res.header_all("vary").iter().any(|v| v
            .split(',')
            .any(|p| p.trim().eq_ignore_ascii_case("origin"))),
        "Vary: Origin on {}: {:?}",
        res.url,
        res.headers
    );
    assert_eq!(res.header("access-control-allow-credentials"), None);
}

/// The answer carries no CORS header at all.
fn assert_no_cors(res: &Resp) {
    let cors: Vec<_> = res
        .headers
        .keys()
        .filter(|k| k.as_str().starts_with("access-control-"))
        .collect();
    assert!(cors.is_empty(), "{} {}: {cors:?}", res.url, res.status);
    assert!(res.status.as_u16() < 500, "{} {}", res.url, res.status);
}

/// `Env` plus a public client for a SPA at [`SPA_ORIGIN`].
async fn env_with_spa() -> (Env, RegisteredClient) {
    let env = Env::new().await;
    let spa = env.client(&ClientSpec {
        redirect_uris: vec![format!("{SPA_ORIGIN}/cb")],
        ..ClientSpec::public("SPA")
    });
    (env, spa)
}

/// Signs alice in for `client` (redirect URI `redirect_uri`) with PKCE and
/// `offline_access`: the code and its verifier.
async fn code_for(env: &Env, client: &RegisteredClient, redirect_uri: &str) -> (String, String) {
    let (verifier, challenge) = pkce_pair();
    let auth = RawAuthorize::code_with_pkce(&env.endpoints, &client.client_id, &challenge, "st")
        .set("redirect_uri", redirect_uri)
        .set("scope", "openid email offline_access");
    let (callback, _) = Browser::new()
        .authorize(&auth.url(), redirect_uri, &env.user)
        .await;
    (callback.code(), verifier)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_and_jwks_answer_every_origin() {
    let env = Env::new().await;
    let metadata = format!(
        "{}/.well-known/oauth-authorization-server/t/{}",
        env.server.base_url, env.tenant.slug
    );
    let discovery = format!("{}/.well-known/openid-configuration", env.tenant.issuer);
    for url in [
        discovery.as_str(),
        metadata.as_str(),
        env.endpoints.jwks.as_str(),
    ] {
        for origin in [Some(STRANGER), Some("http://127.0.0.1:1234"), None] {
            let res = from_origin(Method::GET, url, origin, &[], &[]).await;
            assert_eq!(res.status, StatusCode::OK, "{url}");
            assert_eq!(
                res.header("access-control-allow-origin").as_deref(),
                Some("*"),
                "{url}"
            );
            assert_eq!(res.header("access-control-allow-credentials"), None);
        }
        let res = preflight(url, STRANGER, "GET", "").await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{url}");
        assert_eq!(
            res.header("access-control-allow-origin").as_deref(),
            Some("*")
        );
        assert_eq!(
            res.header("access-control-allow-methods").as_deref(),
            Some("GET")
        );
        assert!(res.header("access-control-max-age").is_some());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clients_origin_reads_its_token_userinfo_and_revocation_answers() {
    let (env, spa) = env_with_spa().await;
    let redirect = format!("{SPA_ORIGIN}/cb");
    let (code, verifier) = code_for(&env, &spa, &redirect).await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect.as_str()),
        ("client_id", spa.client_id.as_str()),
        ("code_verifier", verifier.as_str()),
    ];
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some(SPA_ORIGIN),
        &[],
        &exchange,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_cors(&res, SPA_ORIGIN);
    let tokens = res.json();
    let access = tokens["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();
    let mut refresh = tokens["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    // A wrong code from a stranger: refused as before, and unreadable.
    let mut wrong = exchange;
    wrong[1].1 = "not-a-code";
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some(STRANGER),
        &[],
        &wrong,
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_no_cors(&res);

    // Refresh: handled the same from any origin, readable only by the SPA's.
    for (origin, readable) in [(STRANGER, false), (SPA_ORIGIN, true)] {
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh.as_str()),
            ("client_id", spa.client_id.as_str()),
        ];
        let res = from_origin(Method::POST, &env.endpoints.token, Some(origin), &[], &form).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        if readable {
            assert_cors(&res, origin);
        } else {
            assert_no_cors(&res);
        }
        refresh = res.json()["refresh_token"]
            .as_str()
            .expect("rotated")
            .to_owned();
    }

    // UserInfo: the access token's client decides; its bearer errors are
    // readable (WWW-Authenticate exposed).
    let bearer = format!("Bearer {access}");
    for method in [Method::GET, Method::POST] {
        let auth = [("authorization", bearer.as_str())];
        let res = from_origin(
            method.clone(),
            &env.endpoints.userinfo,
            Some(SPA_ORIGIN),
            &auth,
            &[],
        )
        .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.body);
        assert_eq!(res.json()["sub"], env.user.id.as_str());
        assert_cors(&res, SPA_ORIGIN);
        assert_eq!(
            res.header("access-control-expose-headers").as_deref(),
            Some("WWW-Authenticate")
        );
        let res = from_origin(method, &env.endpoints.userinfo, Some(STRANGER), &auth, &[]).await;
        assert_eq!(res.status, StatusCode::OK, "handled as before");
        assert_no_cors(&res);
    }
    let bad = [("authorization", "Bearer not-a-token")];
    let res = from_origin(
        Method::GET,
        &env.endpoints.userinfo,
        Some(SPA_ORIGIN),
        &bad,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_cors(&res, SPA_ORIGIN);
    assert!(
        res.header("www-authenticate")
            .unwrap_or_default()
            .contains("invalid_token")
    );
    let res = from_origin(
        Method::GET,
        &env.endpoints.userinfo,
        Some(STRANGER),
        &bad,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::UNAUTHORIZED);
    assert_no_cors(&res);

    // No Origin (a server, not a browser): nothing changes.
    let res = get_bearer(&env.endpoints.userinfo, &access).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_no_cors(&res);

    // Revocation (the refresh token's family, its access tokens with it).
    let form = [
        ("token", refresh.as_str()),
        ("client_id", spa.client_id.as_str()),
    ];
    let res = from_origin(
        Method::POST,
        &env.endpoints.revocation,
        Some(STRANGER),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_no_cors(&res);
    let res = from_origin(
        Method::POST,
        &env.endpoints.revocation,
        Some(SPA_ORIGIN),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_cors(&res, SPA_ORIGIN);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_origin_of_another_client_of_the_tenant_is_not_enough() {
    let (env, spa) = env_with_spa().await;
    let web = &env.client; // confidential, redirect URI https://rp.example/cb
    let secret = web.client_secret.clone().expect("secret");
    let (code, verifier) = code_for(&env, web, REDIRECT_URI).await;
    let exchange = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT_URI),
        ("code_verifier", verifier.as_str()),
        ("client_id", web.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    // The SPA's origin is registered in the tenant, but not for this client.
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some(SPA_ORIGIN),
        &[],
        &exchange,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_no_cors(&res);
    let access = res.json()["access_token"]
        .as_str()
        .expect("token")
        .to_owned();

    // Introspection, by the confidential client, from its own origin.
    let form = [
        ("token", access.as_str()),
        ("client_id", web.client_id.as_str()),
        ("client_secret", secret.as_str()),
    ];
    let res = from_origin(
        Method::POST,
        &env.endpoints.introspection,
        Some("https://rp.example"),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["active"], true);
    assert_cors(&res, "https://rp.example");
    let res = from_origin(
        Method::POST,
        &env.endpoints.introspection,
        Some(SPA_ORIGIN),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.json()["active"], true, "handled as before");
    assert_no_cors(&res);

    // UserInfo with this client's token, from the SPA's origin.
    let auth = [("authorization", format!("Bearer {access}"))];
    let auth: Vec<(&str, &str)> = auth.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let res = from_origin(
        Method::GET,
        &env.endpoints.userinfo,
        Some(SPA_ORIGIN),
        &auth,
        &[],
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_no_cors(&res);
    let res = from_origin(
        Method::GET,
        &env.endpoints.userinfo,
        Some("https://rp.example"),
        &auth,
        &[],
    )
    .await;
    assert_cors(&res, "https://rp.example");

    // A request naming the SPA client, from the web client's origin.
    let named_spa = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", spa.client_id.as_str()),
    ];
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some("https://rp.example"),
        &[],
        &named_spa,
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_no_cors(&res);
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some(SPA_ORIGIN),
        &[],
        &named_spa,
    )
    .await;
    res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_grant");
    assert_cors(&res, SPA_ORIGIN);

    // Device authorization, for a device client with an allowed origin.
    let tv = env.server.cli_json(
        &[
            "client",
            "create",
            "--tenant",
            "acme",
            "--name",
            "TV",
            "--public",
            "--grant-type",
            DEVICE_GRANT,
            "--allowed-origin",
            "https://tv.example",
            "--json",
        ],
        None,
    );
    let tv_id = tv["client_id"].as_str().expect("client_id");
    let form = [("client_id", tv_id), ("scope", "openid")];
    let res = from_origin(
        Method::POST,
        &env.endpoints.device_authorization,
        Some("https://tv.example"),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert_cors(&res, "https://tv.example");
    let res = from_origin(
        Method::POST,
        &env.endpoints.device_authorization,
        Some(SPA_ORIGIN),
        &[],
        &form,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_no_cors(&res);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn preflights_answer_the_origins_some_client_of_the_tenant_registered() {
    let (env, _spa) = env_with_spa().await;
    let e = &env.endpoints;
    for (url, methods) in [
        (&e.token, "POST"),
        (&e.userinfo, "GET, POST"),
        (&e.revocation, "POST"),
        (&e.introspection, "POST"),
        (&e.device_authorization, "POST"),
    ] {
        let method = if methods.starts_with("GET") {
            "GET"
        } else {
            "POST"
        };
        let res = preflight(url, SPA_ORIGIN, method, "authorization").await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{url}");
        assert_cors(&res, SPA_ORIGIN);
        assert_eq!(
            res.header("access-control-allow-methods").as_deref(),
            Some(methods),
            "{url}"
        );
        let allowed = res
            .header("access-control-allow-headers")
            .unwrap_or_default();
        for h in ["authorization", "content-type"] {
            assert!(allowed.to_ascii_lowercase().contains(h), "{url}: {allowed}");
        }
        assert_eq!(
            res.header("access-control-max-age").as_deref(),
            Some("3600")
        );

        // An origin no client registered: no CORS header, no error.
        let res = preflight(url, STRANGER, method, "authorization").await;
        assert_eq!(res.status, StatusCode::NO_CONTENT, "{url}");
        assert_no_cors(&res);
        // The origin of a page on the provider's own host is not a client's.
        let res = preflight(url, &env.server.base_url, method, "").await;
        assert_no_cors(&res);
    }
    // An unknown tenant is still a 404.
    let other = e.token.replace("/t/acme/", "/t/nobody/");
    let res = preflight(&other, SPA_ORIGIN, "POST", "").await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_no_cors(&res);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_authorization_endpoint_and_the_pages_never_answer_origins() {
    let (env, spa) = env_with_spa().await;
    let redirect = format!("{SPA_ORIGIN}/cb");
    let (_, challenge) = pkce_pair();
    let auth = RawAuthorize::code_with_pkce(&env.endpoints, &spa.client_id, &challenge, "st")
        .set("redirect_uri", &redirect);
    let browser = Browser::new();
    let res = browser
        .http
        .get(auth.url())
        .header("origin", SPA_ORIGIN)
        .send()
        .await
        .expect("authorize");
    let res = Resp::read(url::Url::parse(&auth.url()).expect("URL"), res).await;
    assert_no_cors(&res);
    let login = browser.get(res.redirect().as_str()).await;
    assert!(login.is_login_page(), "{}", login.body);
    let res = preflight(&env.endpoints.authorization, SPA_ORIGIN, "GET", "").await;
    assert_no_cors(&res);
    for url in [
        login.url.to_string(),
        format!("{}/device", env.tenant.issuer),
        env.endpoints.end_session.clone(),
    ] {
        for method in [Method::GET, Method::OPTIONS] {
            let res = from_origin(
                method.clone(),
                &url,
                Some(SPA_ORIGIN),
                &[("access-control-request-method", "GET")],
                &[],
            )
            .await;
            assert_no_cors(&res);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_origins_are_registered_dynamically_and_checked() {
    let (_server, endpoints) = open_tenant().await;
    let res = register(
        &endpoints,
        &json!({
            "client_name": "SPA",
            "redirect_uris": ["https://cb.example/cb"],
            "token_endpoint_auth_method": "none",
            "allowed_origins": ["https://App.example", "http://localhost:5173"],
        }),
    )
    .await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.body);
    let doc = res.json();
    assert_eq!(
        doc["allowed_origins"],
        json!(["https://app.example", "http://localhost:5173"])
    );
    let client_id = doc["client_id"].as_str().expect("client_id");
    // Readable by the allowed origins and the redirect URI's, not others.
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "not-a-code"),
        ("redirect_uri", "https://cb.example/cb"),
        ("code_verifier", "x"),
        ("client_id", client_id),
    ];
    for origin in [
        "https://app.example",
        "http://localhost:5173",
        "https://cb.example",
    ] {
        let res = from_origin(Method::POST, &endpoints.token, Some(origin), &[], &form).await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.body);
        assert_cors(&res, origin);
        let res = preflight(&endpoints.token, origin, "POST", "").await;
        assert_cors(&res, origin);
    }
    let res = from_origin(Method::POST, &endpoints.token, Some(STRANGER), &[], &form).await;
    assert_no_cors(&res);
    // The registration reads back the same.
    let read = plain_client()
        .get(doc["registration_client_uri"].as_str().expect("uri"))
        .bearer_auth(doc["registration_access_token"].as_str().expect("token"))
        .send()
        .await
        .expect("read");
    let read: Value = read.json().await.expect("JSON");
    assert_eq!(read["allowed_origins"], doc["allowed_origins"]);

    for bad in [
        json!(["https://app.example/"]),
        json!(["https://app.example/spa"]),
        json!(["http://app.example"]),
        json!(["*"]),
        json!("https://app.example"),
        json!([42]),
    ] {
        let res = register(
            &endpoints,
            &json!({
                "redirect_uris": ["https://cb.example/cb"],
                "token_endpoint_auth_method": "none",
                "allowed_origins": bad,
            }),
        )
        .await;
        let body = res.assert_oauth_error(StatusCode::BAD_REQUEST, "invalid_client_metadata");
        assert!(
            body["error_description"]
                .as_str()
                .unwrap_or("")
                .contains("allowed_origins")
                || body["error_description"]
                    .as_str()
                    .unwrap_or("")
                    .contains("allowed origin"),
            "{bad}: {body}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn allowed_origins_are_set_from_the_command_line() {
    let env = Env::new().await;
    let args = [
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Dashboard",
        "--public",
        "--redirect-uri",
        "https://cb.example/cb",
        "--allowed-origin",
        "https://Dash.example",
        "--allowed-origin",
        "https://admin.example:8443",
        "--json",
    ];
    let created = env.server.cli_json(&args, None);
    assert_eq!(
        created["allowed_origins"],
        json!(["https://dash.example", "https://admin.example:8443"])
    );
    let id = created["client_id"].as_str().expect("client_id").to_owned();
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "x"),
        ("client_id", id.as_str()),
    ];
    for origin in [
        "https://dash.example",
        "https://admin.example:8443",
        "https://cb.example",
    ] {
        let res = from_origin(Method::POST, &env.endpoints.token, Some(origin), &[], &form).await;
        assert_cors(&res, origin);
    }
    let res = from_origin(
        Method::POST,
        &env.endpoints.token,
        Some("https://admin.example"),
        &[],
        &form,
    )
    .await;
    assert_no_cors(&res);

    let update = [
        "client",
        "update",
        "--tenant",
        "acme",
        &id,
        "--allowed-origin",
        "http://127.0.0.1:3001",
        "--json",
    ];
    assert_eq!(
        env.server.cli_json(&update, None)["allowed_origins"],
        json!(["http://127.0.0.1:3001"])
    );
    let get = ["client", "get", "--tenant", "acme", &id, "--json"];
    assert_eq!(
        env.server.cli_json(&get, None)["allowed_origins"],
        json!(["http://127.0.0.1:3001"])
    );
    let clear = [
        "client",
        "update",
        "--tenant",
        "acme",
        &id,
        "--no-allowed-origins",
        "--json",
    ];
    assert_eq!(
        env.server.cli_json(&clear, None)["allowed_origins"],
        json!([])
    );

    for bad in [
        "https://dash.example/",
        "http://dash.example",
        "dash.example",
        "https://dash.example/app",
    ] {
        let out = env.server.cli(
            &[
                "client",
                "create",
                "--tenant",
                "acme",
                "--name",
                "Bad",
                "--public",
                "--redirect-uri",
                "https://cb.example/cb",
                "--allowed-origin",
                bad,
            ],
            None,
        );
        assert_eq!(out.code, Some(2), "{bad}: {}{}", out.stdout, out.stderr);
        assert!(
            out.stderr.contains("allowed origin"),
            "{bad}: {}",
            out.stderr
        );
        let out = env.server.cli(
            &[
                "client",
                "update",
                "--tenant",
                "acme",
                &id,
                "--allowed-origin",
                bad,
            ],
            None,
        );
        assert_eq!(out.code, Some(2), "{bad}: {}{}", out.stdout, out.stderr);
    }
    assert_eq!(
        env.server.cli_json(&get, None)["allowed_origins"],
        json!([]),
        "unchanged"
    );
}

/// The headline: a real single-page app, served on its own origin, signs
/// alice in with the code flow and PKCE (verifier and challenge made with
/// `crypto.subtle`), exchanges the code, calls UserInfo, refreshes and
/// revokes, all with `fetch` from headless Chromium. The same page then
/// shows that without CORS for its client the browser refuses the answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_single_page_app_on_another_origin_signs_in_with_pkce_and_calls_userinfo() {
    let env = Env::new().await;
    let app = SpaHost::start().await;
    let stranger = SpaHost::start().await;
    let spa = env.client(&ClientSpec {
        redirect_uris: vec![app.redirect_uri()],
        ..ClientSpec::public("Browser App")
    });
    assert_ne!(
        app.origin, env.server.base_url,
        "the app has its own origin"
    );
    let chromium = Chromium::start().await;

    chromium
        .goto(&app.start_page(&env.tenant.issuer, &spa.client_id))
        .await;
    let login = chromium.wait_for("#login").await;
    chromium.click(&login).await;
    // The provider's login page, on the provider's origin.
    let username = chromium.wait_for("#username").await;
    assert!(
        chromium.url().await.starts_with(&env.server.base_url),
        "{}",
        chromium.url().await
    );
    chromium.type_into(&username, &env.user.email).await;
    let password = chromium.wait_for("#password").await;
    chromium.type_into(&password, &env.user.password).await;
    let submit = chromium.wait_for("#submit").await;
    chromium.click(&submit).await;
    // Consent (if asked), then the app's callback writes its result.
    let (found, element) = chromium
        .wait_for_any(&["#allow", "#result", "#error"])
        .await;
    let (found, element) = if found == 0 {
        chromium.click(&element).await;
        // Only what the app's page has: the consent page's #allow may still
        // be there for a moment after the click.
        let (i, element) = chromium.wait_for_any(&["#result", "#error"]).await;
        (i + 1, element)
    } else {
        (found, element)
    };
    let text = chromium.text(&element).await;
    assert_eq!(found, 1, "the app failed: {text}");
    assert!(chromium.url().await.starts_with(&app.origin));
    let result: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(result["userinfo_status"], 200, "{result}");
    assert_eq!(result["userinfo"]["sub"], env.user.id.as_str(), "{result}");
    assert_eq!(
        result["userinfo"]["email"],
        env.user.email.as_str(),
        "{result}"
    );
    assert_eq!(result["refreshed"], true, "{result}");
    assert_eq!(result["revoked"], 200, "{result}");
    assert_eq!(result["revoked_userinfo_status"], 401, "{result}");
    assert_eq!(result["bearer_status"], 401, "{result}");
    assert!(
        result["bearer_error"]
            .as_str()
            .unwrap_or("")
            .contains("invalid_token"),
        "WWW-Authenticate readable: {result}"
    );
    let access = result["access_token"]
        .as_str()
        .expect("access token")
        .to_owned();

    // Without CORS for the client a request concerns, the browser refuses
    // the answer: the same fetch naming a client that did not register this
    // origin (the confidential web client) fails, naming the app's client
    // it is read (an invalid_grant).
    let fetch = r#"
        const [url, body, headers, done] = arguments;
        fetch(url, { method: body === null ? 'GET' : 'POST', body, headers })
          .then(r => done({ read: true, status: r.status }),
                e => done({ read: false, error: String(e) }));
    "#;
    let token_form = |client_id: &str| {
        format!(
            "grant_type=refresh_token&refresh_token=x&client_id={}",
            form_encode(client_id)
        )
    };
    let form_type = json!({ "Content-Type": "application/x-www-form-urlencoded" });
    let named_app = chromium
        .run_async(
            fetch,
            json!([env.endpoints.token, token_form(&spa.client_id), form_type]),
        )
        .await;
    assert_eq!(named_app, json!({ "read": true, "status": 400 }));
    let named_other = chromium
        .run_async(
            fetch,
            json!([
                env.endpoints.token,
                token_form(&env.client.client_id),
                form_type
            ]),
        )
        .await;
    assert_eq!(named_other["read"], false, "{named_other}");
    assert!(
        named_other["error"]
            .as_str()
            .unwrap_or("")
            .contains("Failed to fetch"),
        "{named_other}"
    );

    // A page on an origin no client registered cannot call UserInfo, even
    // with a valid token: its preflight gets no CORS headers.
    chromium
        .goto(&stranger.start_page(&env.tenant.issuer, &spa.client_id))
        .await;
    chromium.wait_for("#login").await;
    let userinfo = chromium
        .run_async(
            fetch,
            json!([env.endpoints.userinfo, null, { "Authorization": format!("Bearer {access}") }]),
        )
        .await;
    assert_eq!(userinfo["read"], false, "{userinfo}");
    // The token itself was good: the provider answers a server.
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &access).await.status,
        StatusCode::OK
    );
    // Discovery is public: readable from there too.
    let discovery = chromium
        .run_async(
            fetch,
            json!([
                format!("{}/.well-known/openid-configuration", env.tenant.issuer),
                null,
                {}
            ]),
        )
        .await;
    assert_eq!(discovery, json!({ "read": true, "status": 200 }));
}
