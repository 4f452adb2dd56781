//! Provider metadata (OIDC Discovery 1.0 §3/§4, RFC 8414) and the JWKS.

use crate::support::*;
use reqwest::StatusCode;
use serde_json::Value;

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("expected an array, got {v}"))
        .iter()
        .map(|s| s.as_str().expect("string").to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_names_the_issuer_and_its_endpoints_under_it() {
    let env = Env::new().await;
    let e = &env.endpoints;
    assert_eq!(e.issuer, format!("{}/t/acme", env.server.base_url));
    for url in [&e.authorization, &e.token, &e.userinfo, &e.jwks] {
        assert!(
            url.starts_with(&format!("{}/", e.issuer)),
            "endpoint {url} is not under the issuer {}",
            e.issuer
        );
    }
    // openidconnect accepts the document (it checks that `issuer` matches
    // the URL it was fetched from) and fetches the JWKS it names.
    let rp = env.rp(&env.client).await;
    assert_eq!(rp.metadata.issuer().as_str(), e.issuer);
    assert!(
        !rp.metadata.jwks().keys().is_empty(),
        "JWKS fetched by openidconnect is empty"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_lists_only_the_code_response_type_and_s256() {
    let env = Env::new().await;
    let doc = &env.endpoints.doc;
    assert_eq!(strings(&doc["response_types_supported"]), ["code"]);
    assert_eq!(strings(&doc["code_challenge_methods_supported"]), ["S256"]);
    let grants = strings(&doc["grant_types_supported"]);
    assert!(
        !grants.iter().any(|g| g == "implicit" || g == "password"),
        "grant types offered: {grants:?}"
    );
    let mut algs = strings(&doc["id_token_signing_alg_values_supported"]);
    algs.sort();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
    assert!(
        !algs.iter().any(|a| a == "none"),
        "alg none must never be offered"
    );
    let methods = strings(&doc["token_endpoint_auth_methods_supported"]);
    for m in ["client_secret_basic", "client_secret_post", "none"] {
        assert!(
            methods.iter().any(|x| x == m),
            "{m} missing from {methods:?}"
        );
    }
    assert!(
        strings(&doc["scopes_supported"])
            .iter()
            .any(|s| s == "openid")
    );
    assert!(
        strings(&doc["subject_types_supported"])
            .iter()
            .any(|s| s == "public")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rfc8414_metadata_is_served_at_the_path_inserted_url() {
    let env = Env::new().await;
    let res = get(&format!(
        "{}/.well-known/oauth-authorization-server/t/acme",
        env.server.base_url
    ))
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    let doc = res.json();
    // RFC 8414 §3.3: the issuer must be identical to the one the URL was built from.
    assert_eq!(doc["issuer"], env.tenant.issuer.as_str());
    assert_eq!(
        doc["authorization_endpoint"],
        env.endpoints.doc["authorization_endpoint"]
    );
    assert_eq!(doc["token_endpoint"], env.endpoints.doc["token_endpoint"]);
    assert_eq!(doc["jwks_uri"], env.endpoints.doc["jwks_uri"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_of_an_unknown_tenant_is_404() {
    let env = Env::new().await;
    let res = get(&format!(
        "{}/t/nosuch/.well-known/openid-configuration",
        env.server.base_url
    ))
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
    let res = get(&format!(
        "{}/.well-known/oauth-authorization-server/t/nosuch",
        env.server.base_url
    ))
    .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.body);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_has_unique_kids_and_no_private_members() {
    let env = Env::new().await;
    let res = get(&env.endpoints.jwks).await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(
        res.header("content-type")
            .unwrap_or_default()
            .starts_with("application/json"),
        "JWKS content type"
    );
    let jwks = res.json();
    let keys = jwks["keys"].as_array().expect("keys").clone();
    assert!(keys.len() >= 3, "one key per algorithm at least: {jwks}");
    let all = kids(&jwks);
    let mut unique = all.clone();
    unique.dedup();
    assert_eq!(all, unique, "duplicate kids in {jwks}");
    let mut algs: Vec<String> = Vec::new();
    for k in &keys {
        // RFC 7518 §6.2.2, §6.3.2, RFC 8037 §2: private members.
        for private in ["d", "p", "q", "dp", "dq", "qi", "oth", "k"] {
            assert!(
                k.get(private).is_none(),
                "private member '{private}' published: {k}"
            );
        }
        assert!(k["kid"].as_str().is_some_and(|s| !s.is_empty()), "kid: {k}");
        assert_eq!(k["use"], "sig", "use: {k}");
        let alg = k["alg"].as_str().expect("alg").to_owned();
        let kty = k["kty"].as_str().expect("kty");
        match alg.as_str() {
            "RS256" => assert_eq!(kty, "RSA"),
            "ES256" => assert_eq!((kty, k["crv"].as_str()), ("EC", Some("P-256"))),
            "EdDSA" => assert_eq!((kty, k["crv"].as_str()), ("OKP", Some("Ed25519"))),
            other => panic!("unexpected alg {other}"),
        }
        algs.push(alg);
    }
    algs.sort();
    algs.dedup();
    assert_eq!(algs, ["ES256", "EdDSA", "RS256"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_lists_rsa_then_ec_then_okp_even_after_a_rotation() {
    let env = Env::new().await;
    // A rotation puts the newest keys (an Ed25519 one among them) first in
    // the ring; older JOSE libraries still must meet RSA first.
    let out = env.server.cli(
        &["tenant", "rotate-keys", "acme", "--immediately", "--json"],
        None,
    );
    assert!(out.success, "{}", out.stderr);
    // The running server sees the rotation within its tenant cache lifetime.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let jwks = jwks(&env.endpoints).await;
    let ktys: Vec<&str> = jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kty"].as_str().expect("kty"))
        .collect();
    assert_eq!(
        ktys,
        ["RSA", "RSA", "EC", "EC", "OKP", "OKP"],
        "RSA, then EC, then OKP: {jwks}"
    );
}
