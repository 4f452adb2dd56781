//! Immediate signing-key rotation (`tenant rotate-keys --immediately`): new
//! keys sign from then on, the old ones stay in the JWKS so what they signed
//! keeps verifying, and a running server picks the change up without a
//! restart. (The default, keys published before they sign, is
//! `key_publication`'s.)

use crate::support::*;
use openidconnect::core::CoreJwsSigningAlgorithm;
use reqwest::StatusCode;
use std::time::Duration;

const RS256: CoreJwsSigningAlgorithm = CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotated_keys_sign_new_tokens_and_old_ones_still_verify() {
    let env = Env::new().await;
    let rp = env.rp(&env.client).await;
    let before = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let old_kid = jwt_parts(&id_token_of(&before.tokens)).0["kid"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    let kids_before = kids(&jwks(&env.endpoints).await);

    let out = env.server.cli_json(
        &["tenant", "rotate-keys", "acme", "--immediately", "--json"],
        None,
    );
    let new_kids: Vec<String> = out["new_kids"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(new_kids.len(), 3, "one new key per algorithm: {out}");
    assert!(new_kids.iter().all(|k| !kids_before.contains(k)));

    // The running server sees the rotation within its tenant cache lifetime.
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let kids_after = kids(&jwks(&env.endpoints).await);
    for k in kids_before.iter().chain(&new_kids) {
        assert!(kids_after.contains(k), "JWKS lacks {k}: {kids_after:?}");
    }
    let rp = env.rp(&env.client).await;
    rp.verify_id_token(&before.tokens, Some(&before.nonce), RS256);
    let old_access = access_token_of(&before.tokens);
    assert_eq!(
        get_bearer(&env.endpoints.userinfo, &old_access)
            .await
            .status,
        StatusCode::OK
    );

    let after = rp
        .flow(&Browser::new(), &env.user, &AuthOptions::default())
        .await;
    let new_kid = jwt_parts(&id_token_of(&after.tokens)).0["kid"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert_ne!(new_kid, old_kid);
    assert!(
        new_kids.contains(&new_kid),
        "{new_kid} not among {new_kids:?}"
    );
    let at_kid = jwt_parts(&access_token_of(&after.tokens)).0["kid"]
        .as_str()
        .unwrap_or("")
        .to_owned();
    assert!(
        new_kids.contains(&at_kid),
        "access token signed by {at_kid}"
    );
    rp.verify_id_token(&after.tokens, Some(&after.nonce), RS256);

    // Another tenant's keys are untouched.
    let out = env
        .server
        .cli(&["tenant", "rotate-keys", "nope", "--immediately"], None);
    assert!(
        !out.success && out.stderr.starts_with("error: "),
        "{}",
        out.stderr
    );
}
