//! `acr` and `amr` in ID tokens (OIDC Core §2, RFC 8176), `acr_values`
//! (§3.1.2.1) and the essential `acr` claim (§5.5.1.1).

use crate::support::*;
use serde_json::{Value, json};

const PWD_ACR: &str = "urn:idp:acr:pwd";

fn with(extra: &[(&str, &str)]) -> AuthOptions {
    AuthOptions {
        extra: extra
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect(),
        ..AuthOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn password_logins_report_their_acr_and_amr_also_on_sso() {
    let env = Env::new().await;
    assert_eq!(
        env.endpoints.doc["acr_values_supported"],
        json!([PWD_ACR]),
        "discovery"
    );
    let browser = Browser::new();
    let rp = env.rp(&env.client).await;
    let first = rp
        .flow(&browser, &env.user, &with(&[("acr_values", PWD_ACR)]))
        .await;
    assert_eq!(first.pages, ["login", "consent"]);
    let claims = jwt_parts(&id_token_of(&first.tokens)).1;
    assert_eq!(claims["acr"], PWD_ACR);
    assert_eq!(claims["amr"], json!(["pwd"]));

    // Single sign-on into another client: the session's context again.
    let other = env.client(&ClientSpec::confidential("Other App"));
    let second = env
        .rp(&other)
        .await
        .flow(&browser, &env.user, &AuthOptions::default())
        .await;
    assert_eq!(second.pages, ["consent"], "no login");
    let claims = jwt_parts(&id_token_of(&second.tokens)).1;
    assert_eq!(claims["acr"], PWD_ACR);
    assert_eq!(claims["amr"], json!(["pwd"]));

    // And on refresh.
    let (flow, refresh) = rp.offline_flow(&browser, &env.user).await;
    drop(flow);
    let refreshed = rp.refresh(&refresh).await.expect("refresh");
    assert_eq!(jwt_parts(&id_token_of(&refreshed)).1["acr"], PWD_ACR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn voluntary_acr_values_are_best_effort() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    // Nothing here satisfies the first value: the login still succeeds and
    // the ID token says what was achieved.
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &with(&[("acr_values", "urn:example:mfa urn:example:hwk")]),
        )
        .await;
    let claims = jwt_parts(&id_token_of(&flow.tokens)).1;
    assert_eq!(claims["acr"], PWD_ACR);
    // A voluntary acr claim request, likewise.
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &with(&[(
                "claims",
                r#"{"id_token":{"acr":{"values":["urn:example:mfa"]}}}"#,
            )]),
        )
        .await;
    assert_eq!(jwt_parts(&id_token_of(&flow.tokens)).1["acr"], PWD_ACR);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_essential_acr_that_cannot_be_met_is_refused() {
    let env = Env::new().await;
    let (_, challenge) = pkce_pair();
    for claims in [
        r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:mfa"]}}}"#,
        r#"{"userinfo":{"acr":{"essential":true,"value":"urn:example:hwk"}}}"#,
    ] {
        let callback =
            RawAuthorize::code_with_pkce(&env.endpoints, &env.client.client_id, &challenge, "s1")
                .set("claims", claims)
                .to_client()
                .await;
        callback.assert_error(
            "unmet_authentication_requirements",
            &env.tenant.issuer,
            Some("s1"),
        );
    }
    // An essential acr this provider achieves is a normal login.
    let rp = env.rp(&env.client).await;
    let flow = rp
        .flow(
            &Browser::new(),
            &env.user,
            &with(&[(
                "claims",
                r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:mfa","urn:idp:acr:pwd"]}}}"#,
            )]),
        )
        .await;
    let claims: Value = jwt_parts(&id_token_of(&flow.tokens)).1;
    assert_eq!(claims["acr"], PWD_ACR);
}
