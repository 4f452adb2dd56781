//! `oidcc-discovery-endpoint-verification`: the provider metadata and its
//! JWKS (Config OP plan). https-only rules are graded against the scheme of
//! the issuer under test: a plain-http issuer fails them, as it would in the
//! hosted suite.

use crate::report::{Checks, Report, Status};
use serde_json::Value;

const MODULE: &str = "oidcc-discovery-endpoint-verification";

fn is_https_url(v: Option<&Value>) -> bool {
    v.and_then(Value::as_str)
        .and_then(|s| url::Url::parse(s).ok())
        .is_some_and(|u| u.scheme() == "https" && u.host().is_some())
}

fn string_array_contains(v: Option<&Value>, item: &str) -> bool {
    v.and_then(Value::as_array)
        .is_some_and(|a| a.iter().any(|x| x.as_str() == Some(item)))
}

/// Runs the module.
pub async fn run(http: &reqwest::Client, issuer: &str) -> Report {
    let mut c = Checks::default();
    let issuer = issuer.trim_end_matches('/');
    let url = format!("{issuer}/.well-known/openid-configuration");
    let res = match http.get(&url).send().await {
        Ok(r) => r,
        Err(e) => {
            c.check(
                "GetDynamicServerConfiguration",
                false,
                Status::Fail,
                format!("GET {url}: {e}"),
            );
            return Report {
                plan: "",
                module: MODULE,
                outcomes: c.0,
            };
        }
    };
    c.check(
        "EnsureDiscoveryEndpointResponseStatusCodeIs200",
        res.status() == 200,
        Status::Fail,
        format!("status {}", res.status()),
    );
    let ct = res
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    c.check(
        "CheckDiscEndpointReturnedJsonContentType",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    let doc: Value = match res.json().await {
        Ok(Value::Object(m)) => Value::Object(m),
        _ => {
            c.check(
                "GetDynamicServerConfiguration",
                false,
                Status::Fail,
                "not a JSON object",
            );
            return Report {
                plan: "",
                module: MODULE,
                outcomes: c.0,
            };
        }
    };
    let has_code = doc["response_types_supported"]
        .as_array()
        .is_some_and(|a| a.iter().any(|v| v.as_str() == Some("code")));
    c.check(
        "OIDCCCheckDiscEndpointResponseTypesSupported",
        has_code,
        Status::Fail,
        "response_types_supported lacks code",
    );
    c.check(
        "CheckDiscEndpointDiscoveryUrl",
        url.starts_with("https://"),
        Status::Fail,
        "discovery URL is not https",
    );
    c.check(
        "CheckDiscEndpointIssuer",
        doc["issuer"].as_str().map(|s| s.trim_end_matches('/')) == Some(issuer),
        Status::Fail,
        format!("issuer {} differs from {issuer}", doc["issuer"]),
    );
    c.check(
        "CheckDiscEndpointIssuerIsValidUrl",
        is_https_url(doc.get("issuer")),
        Status::Fail,
        "issuer is not an https URL",
    );
    c.check(
        "CheckDiscEndpointSubjectTypesSupported",
        string_array_contains(doc.get("subject_types_supported"), "public")
            || string_array_contains(doc.get("subject_types_supported"), "pairwise"),
        Status::Fail,
        "subject_types_supported lacks public and pairwise",
    );
    c.check(
        "OIDCCCheckDiscEndpointIdTokenSigningAlgValuesSupported",
        string_array_contains(doc.get("id_token_signing_alg_values_supported"), "RS256"),
        Status::Fail,
        "id_token_signing_alg_values_supported lacks RS256",
    );
    for key in ["authorization_endpoint", "token_endpoint", "jwks_uri"] {
        c.check(
            "CheckDiscEndpointEndpoints",
            is_https_url(doc.get(key)),
            Status::Fail,
            format!("{key} is not an https URL"),
        );
    }
    c.check(
        "CheckDiscEndpointUserinfoEndpoint",
        is_https_url(doc.get("userinfo_endpoint")),
        if doc.get("userinfo_endpoint").is_some() {
            Status::Fail
        } else {
            Status::Warning
        },
        "userinfo_endpoint missing or not https",
    );
    c.check(
        "CheckDiscEndpointScopesSupportedContainsOpenId",
        string_array_contains(doc.get("scopes_supported"), "openid"),
        Status::Fail,
        "scopes_supported lacks openid",
    );
    c.check(
        "OIDCCCheckDiscEndpointClaimsSupported",
        doc["claims_supported"].is_array(),
        Status::Warning,
        "claims_supported missing",
    );
    c.check(
        "OIDCCCheckDiscEndpointGrantTypesSupported",
        doc.get("grant_types_supported")
            .is_none_or(|g| g.as_array().is_some_and(|a| !a.is_empty())),
        Status::Fail,
        "grant_types_supported is empty",
    );
    if let Some(methods) = doc.get("code_challenge_methods_supported") {
        c.check(
            "EnsureServerConfigurationCodeChallengeMethodsSupportedIsAnArray",
            string_array_contains(Some(methods), "S256"),
            Status::Fail,
            "code_challenge_methods_supported lacks S256",
        );
    }
    if let Some(map) = doc.as_object() {
        for (k, v) in map.iter().filter(|(k, _)| k.ends_with("_endpoint")) {
            c.check(
                "CheckDiscEndpointAllEndpointsAreHttps",
                is_https_url(Some(v)),
                Status::Fail,
                format!("{k} is not https"),
            );
        }
    }
    check_jwks(http, &doc, &mut c).await;
    Report {
        plan: "",
        module: MODULE,
        outcomes: c.0,
    }
}

/// `FetchServerKeys`, `ValidateJwksSequence`, `CheckForKeyIdInServerJWKs`,
/// `CheckDistinctKeyIdValueInServerJWKs`.
async fn check_jwks(http: &reqwest::Client, doc: &Value, c: &mut Checks) {
    let Some(uri) = doc["jwks_uri"].as_str() else {
        c.check("FetchServerKeys", false, Status::Fail, "no jwks_uri");
        return;
    };
    let jwks: Value = match http.get(uri).send().await {
        Ok(r) => r.json().await.unwrap_or(Value::Null),
        Err(e) => {
            c.check(
                "FetchServerKeys",
                false,
                Status::Fail,
                format!("GET {uri}: {e}"),
            );
            return;
        }
    };
    let Some(keys) = jwks["keys"].as_array() else {
        c.check("ValidateJwksSequence", false, Status::Fail, "no keys array");
        return;
    };
    let private = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];
    let leaked = keys
        .iter()
        .any(|k| private.iter().any(|m| k.get(*m).is_some()));
    c.check(
        "ValidateJwksSequence",
        !leaked,
        Status::Fail,
        "a published key has private members",
    );
    let members_ok = keys.iter().all(|k| match k["kty"].as_str() {
        Some("RSA") => k["n"].is_string() && k["e"].is_string(),
        Some("EC") => k["crv"].is_string() && k["x"].is_string() && k["y"].is_string(),
        Some("OKP") => k["crv"].is_string() && k["x"].is_string(),
        _ => false,
    });
    c.check(
        "ValidateJwksSequence",
        members_ok,
        Status::Fail,
        "a key lacks members its kty requires",
    );
    let kids: Vec<&str> = keys
        .iter()
        .filter_map(|k| k["kid"].as_str())
        .filter(|s| !s.trim().is_empty())
        .collect();
    c.check(
        "CheckForKeyIdInServerJWKs",
        kids.len() == keys.len(),
        Status::Fail,
        "a key has no kid",
    );
    let mut unique = kids.clone();
    unique.sort_unstable();
    unique.dedup();
    c.check(
        "CheckDistinctKeyIdValueInServerJWKs",
        unique.len() == kids.len(),
        Status::Fail,
        "duplicate kid",
    );
}
