//! The suite's shared condition classes, graded as it grades them: the
//! standard ID-token checks (§1.3 of the digest), the authorization
//! response and error checks (§1.2, §1.4) and the token response checks.

use super::agent::Callback;
use super::jose::{Jws, half_hash};
use super::op::{Op, Resp};
use crate::report::{Checks, Status};
use serde_json::Value;

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// RFC 6749 §5.2 characters of `error_description`.
fn description_chars_ok(s: &str) -> bool {
    s.bytes()
        .all(|b| matches!(b, 0x09 | 0x0A | 0x0D | 0x20..=0x21 | 0x23..=0x5B | 0x5D..=0x7E))
}

/// Shannon entropy of `s` in bits, times its length (`EnsureMinimumAuthorizationCodeEntropy`).
pub fn entropy_bits(s: &str) -> f64 {
    let mut counts = std::collections::HashMap::new();
    for c in s.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
    }
    let n = s.chars().count() as f64;
    let per_char: f64 = counts
        .values()
        .map(|&k| {
            let p = k as f64 / n;
            -p * p.log2()
        })
        .sum();
    per_char * n
}

/// `CheckMatchingCallbackParameters`, `ValidateIssIfPresentInAuthorizationResponse`,
/// `CheckIfAuthorizationEndpointError`, `CheckStateInAuthorizationResponse`.
/// Returns the code when the response carries one.
pub fn authorization_response(
    c: &mut Checks,
    op: &Op,
    cb: &Callback,
    state: Option<&str>,
) -> Option<String> {
    response_mode(c, op, cb);
    if let Some(iss) = cb.get("iss") {
        c.check(
            "ValidateIssIfPresentInAuthorizationResponse",
            iss == op.issuer(),
            Status::Fail,
            format!("iss '{iss}' is not the issuer"),
        );
    }
    if let Some(e) = cb.get("error") {
        c.check(
            "CheckIfAuthorizationEndpointError",
            false,
            Status::Fail,
            format!("error={e}: {}", cb.get("error_description").unwrap_or("")),
        );
        return None;
    }
    c.check(
        "CheckStateInAuthorizationResponse",
        cb.get("state") == state,
        Status::Fail,
        format!("state {:?}, expected {state:?}", cb.get("state")),
    );
    let code = cb.get("code").map(str::to_owned);
    c.check(
        "ExtractAuthorizationCodeFromAuthorizationResponse",
        code.is_some(),
        Status::Fail,
        "no code",
    );
    if let Some(code) = &code {
        c.check(
            "EnsureMinimumAuthorizationCodeLength",
            code.len() >= 16,
            Status::Fail,
            format!("code of {} characters", code.len()),
        );
        c.check(
            "EnsureMinimumAuthorizationCodeEntropy",
            entropy_bits(code) > 96.0,
            Status::Fail,
            format!("code entropy {:.0} bits", entropy_bits(code)),
        );
    }
    code
}

/// §1.2 step 6: a form_post response is a POST of a form, with nothing in
/// the URL query; a default-mode code response uses the query.
fn response_mode(c: &mut Checks, op: &Op, cb: &Callback) {
    if op.response_mode == Some("form_post") {
        c.check(
            "EnsureFormPostCallback",
            cb.method == "POST",
            Status::Fail,
            "the response was not POSTed",
        );
        c.check(
            "CheckCallbackContentTypeIsFormUrlEncoded",
            cb.content_type.as_deref() == Some("application/x-www-form-urlencoded"),
            Status::Fail,
            format!("content type {:?}", cb.content_type),
        );
        let leaked = cb
            .url
            .query_pairs()
            .any(|(k, _)| k == "code" || k == "error");
        c.check(
            "RejectAuthCodeInUrlQuery",
            !leaked,
            Status::Fail,
            "code or error in the URL query",
        );
    } else {
        c.check(
            "EnsureQueryCallback",
            cb.method == "GET",
            Status::Fail,
            "the response was POSTed without form_post",
        );
    }
}

/// §1.4: an error sent back to the client, with the expected codes.
pub fn authorization_error(
    c: &mut Checks,
    op: &Op,
    cb: &Callback,
    state: Option<&str>,
    allowed: &[&str],
) {
    response_mode(c, op, cb);
    let error = cb.get("error");
    c.check(
        "EnsureErrorFromAuthorizationEndpointResponse",
        error.is_some(),
        Status::Fail,
        "no error in the response",
    );
    if let Some(e) = error {
        c.check(
            "CheckErrorFromAuthorizationEndpointErrorInAllowedSet",
            allowed.contains(&e),
            Status::Fail,
            format!("error '{e}', expected one of {allowed:?}"),
        );
    }
    c.check(
        "CheckStateInAuthorizationResponse",
        cb.get("state") == state,
        Status::Fail,
        format!("state {:?}, expected {state:?}", cb.get("state")),
    );
    if let Some(iss) = cb.get("iss") {
        c.check(
            "ValidateIssIfPresentInAuthorizationResponse",
            iss == op.issuer(),
            Status::Fail,
            format!("iss '{iss}'"),
        );
    }
    c.check(
        "EnsureNoCodeInErrorResponse",
        cb.get("code").is_none(),
        Status::Fail,
        "a code came with the error",
    );
    let extra: Vec<&str> = cb
        .params
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| {
            ![
                "error",
                "error_description",
                "error_uri",
                "state",
                "session_state",
                "iss",
            ]
            .contains(k)
        })
        .collect();
    c.check(
        "CheckForUnexpectedParametersInErrorResponseFromAuthorizationEndpoint",
        extra.is_empty(),
        Status::Warning,
        format!("extra parameters {extra:?}"),
    );
    if let Some(d) = cb.get("error_description") {
        c.check(
            "ValidateErrorDescriptionFromAuthorizationEndpointResponseError",
            description_chars_ok(d) && !d.contains(['\r', '\n', '\t']),
            Status::Fail,
            format!("invalid characters in error_description {d:?}"),
        );
    }
}

/// Token endpoint success: status, content type, access token, `expires_in`, ID token.
/// Returns the response JSON when usable.
pub fn token_response(c: &mut Checks, res: &Resp, expires_in_missing: Status) -> Option<Value> {
    c.check(
        "CheckTokenEndpointHttpStatus200",
        res.status == 200,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    if res.status != 200 {
        return None;
    }
    let body = res.json();
    c.check(
        "CheckIfTokenEndpointResponseError",
        body.get("error").is_none(),
        Status::Fail,
        res.body.clone(),
    );
    let at_ok = body["access_token"].as_str().is_some_and(|s| !s.is_empty())
        && body["token_type"].as_str().is_some_and(|s| !s.is_empty());
    c.check(
        "CheckForAccessTokenValue",
        at_ok,
        Status::Fail,
        "no access_token or token_type",
    );
    match body.get("expires_in") {
        None => c.check(
            "ValidateExpiresIn",
            false,
            expires_in_missing,
            "expires_in is missing",
        ),
        Some(v) => c.check(
            "ValidateExpiresIn",
            v.as_i64().is_some_and(|e| e > 0 && e <= 31_536_000),
            Status::Fail,
            format!("expires_in {v}"),
        ),
    }
    c.check(
        "ExtractIdTokenFromTokenResponse",
        body["id_token"].is_string(),
        Status::Fail,
        "no id_token (OIDCC-3.1.3.3)",
    );
    Some(body)
}

/// Token endpoint error: 400, JSON, the expected `error`, valid characters.
pub fn token_error(c: &mut Checks, res: &Resp, expected: &str) {
    c.check(
        "CheckTokenEndpointHttpStatus400",
        res.status == 400,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    let ct = res.header("content-type").unwrap_or("");
    c.check(
        "CheckTokenEndpointReturnedJsonContentType",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    let body = res.json();
    c.check(
        "CheckErrorFromTokenEndpointResponseErrorInvalidGrant",
        body["error"] == expected,
        Status::Fail,
        format!("error {}, expected {expected}", body["error"]),
    );
    if let Some(d) = body["error_description"].as_str() {
        c.check(
            "ValidateErrorDescriptionFromTokenEndpointResponseError",
            description_chars_ok(d),
            Status::Fail,
            format!("{d:?}"),
        );
    }
}

const STRING_CLAIMS: [&str; 16] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "preferred_username",
    "profile",
    "picture",
    "website",
    "email",
    "gender",
    "zoneinfo",
    "locale",
    "phone_number",
    "sub",
    "txn",
];

/// `ValidateIdTokenStandardClaims` / `ValidateUserInfoStandardClaims`: types of standard claims.
pub fn standard_claim_types(c: &mut Checks, check: &'static str, claims: &Value) {
    let mut bad = Vec::new();
    for name in STRING_CLAIMS {
        if let Some(v) = claims.get(name)
            && !v
                .as_str()
                .is_some_and(|s| !s.trim().is_empty() && s != "null")
        {
            bad.push(name);
        }
    }
    for name in ["email_verified", "phone_number_verified"] {
        if claims.get(name).is_some_and(|v| !v.is_boolean()) {
            bad.push(name);
        }
    }
    if claims.get("updated_at").is_some_and(|v| !v.is_number()) {
        bad.push("updated_at");
    }
    if claims.get("address").is_some_and(|v| !v.is_object()) {
        bad.push("address");
    }
    c.check(
        check,
        bad.is_empty(),
        Status::Fail,
        format!("claims of the wrong type: {bad:?}"),
    );
}

/// §1.3, the standard ID-token checks; returns the claims.
pub fn id_token(
    c: &mut Checks,
    op: &Op,
    client_id: &str,
    token: &str,
    nonce: Option<&str>,
) -> Option<Value> {
    let Some(jws) = Jws::parse(token) else {
        c.check(
            "ValidateIdToken",
            false,
            Status::Fail,
            "the ID token is not a compact JWS",
        );
        return None;
    };
    let claims = jws.claims.clone();
    let t = now();
    let mut problems = Vec::new();
    if claims["iss"].as_str() != Some(op.issuer()) {
        problems.push(format!("iss {} is not the issuer", claims["iss"]));
    }
    let aud_ok = match &claims["aud"] {
        Value::String(a) => a == client_id,
        Value::Array(list) => list.iter().any(|a| a == client_id),
        _ => false,
    };
    if !aud_ok {
        problems.push(format!("aud {} lacks the client id", claims["aud"]));
    }
    match claims["exp"].as_i64() {
        Some(exp) if exp + 300 < t => problems.push("exp is in the past".into()),
        Some(exp) if exp > t + 50 * 365 * 86_400 => problems.push("exp is too far ahead".into()),
        Some(_) => {}
        None => problems.push("no exp".into()),
    }
    match claims["iat"].as_i64() {
        Some(iat) if iat > t + 300 || iat < t - 300 => {
            problems.push(format!("iat {iat} is not now"))
        }
        Some(_) => {}
        None => problems.push("no iat".into()),
    }
    if let Some(at) = claims.get("auth_time") {
        match at.as_i64() {
            Some(a) if a > t + 300 || a < t - 365 * 86_400 => {
                problems.push("auth_time out of range".into())
            }
            Some(_) => {}
            None => problems.push("auth_time is not a number".into()),
        }
    }
    if claims
        .get("acr")
        .is_some_and(|a| a.as_str().is_none_or(str::is_empty))
    {
        problems.push("acr is empty".into());
    }
    c.check(
        "ValidateIdToken",
        problems.is_empty(),
        Status::Fail,
        problems.join("; "),
    );
    standard_claim_types(c, "ValidateIdTokenStandardClaims", &claims);
    c.check(
        "ValidateIdTokenNonce",
        claims["nonce"].as_str() == nonce,
        Status::Fail,
        format!("nonce {}, expected {nonce:?}", claims["nonce"]),
    );
    let sig = jws.verify(&op.jwks);
    c.check(
        "ValidateIdTokenSignature",
        sig.is_ok(),
        Status::Fail,
        sig.err().unwrap_or_default(),
    );
    let sub = claims["sub"].as_str().unwrap_or("");
    c.check(
        "CheckForSubjectInIdToken",
        !sub.is_empty() && sub.len() <= 255 && sub.bytes().all(|b| (0x20..=0x7E).contains(&b)),
        Status::Fail,
        format!("sub {:?}", claims["sub"]),
    );
    if let Some(u) = claims.get("updated_at") {
        c.check(
            "EnsureIdTokenUpdatedAtValid",
            u.as_i64().is_some_and(|u| u <= t + 300 && u >= 631_152_000),
            Status::Fail,
            format!("updated_at {u}"),
        );
    }
    Some(claims)
}

/// `at_hash` / `c_hash`, when present, match their values.
pub fn hashes(c: &mut Checks, id_token: &str, access_token: Option<&str>, code: Option<&str>) {
    let Some(jws) = Jws::parse(id_token) else {
        return;
    };
    let alg = jws.alg().to_owned();
    if let (Some(h), Some(at)) = (jws.claims["at_hash"].as_str(), access_token) {
        c.check(
            "ValidateAtHash",
            h == half_hash(&alg, at),
            Status::Fail,
            "at_hash does not match the access token",
        );
    }
    if let (Some(h), Some(code)) = (jws.claims["c_hash"].as_str(), code) {
        c.check(
            "ValidateCHash",
            h == half_hash(&alg, code),
            Status::Fail,
            "c_hash does not match the code",
        );
    }
}

/// Protocol claims plus those of `scopes`: what an ID token may carry.
pub fn allowed_id_token_claims(scopes: &[&str]) -> Vec<&'static str> {
    let mut allowed = vec![
        "iss",
        "sub",
        "aud",
        "exp",
        "iat",
        "auth_time",
        "nonce",
        "acr",
        "amr",
        "azp",
        "at_hash",
        "c_hash",
        "nbf",
        "jti",
        "sid",
        "s_hash",
        "txn",
        "openbanking_intent_id",
    ];
    for s in scopes {
        allowed.extend_from_slice(match *s {
            "profile" => &[
                "name",
                "family_name",
                "given_name",
                "middle_name",
                "nickname",
                "preferred_username",
                "profile",
                "picture",
                "website",
                "gender",
                "birthdate",
                "zoneinfo",
                "locale",
                "updated_at",
            ][..],
            "email" => &["email", "email_verified"][..],
            "address" => &["address"][..],
            "phone" => &["phone_number", "phone_number_verified"][..],
            _ => &[][..],
        });
    }
    allowed
}

/// `oidcc-userinfo-*`: 200, JSON content type, an object, claim types, `sub` equal.
pub fn userinfo(c: &mut Checks, res: &Resp, sub: &str) -> Option<Value> {
    c.check(
        "CallUserInfoEndpointWithBearerToken",
        res.status == 200,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    if res.status != 200 {
        return None;
    }
    let ct = res.header("content-type").unwrap_or("");
    c.check(
        "EnsureUserInfoContentTypeIsJson",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    let body = res.json();
    c.check(
        "ValidateUserInfoResponseIsObject",
        body.is_object(),
        Status::Fail,
        "not a JSON object",
    );
    standard_claim_types(c, "ValidateUserInfoStandardClaims", &body);
    c.check(
        "EnsureUserInfoContainsSub",
        body["sub"].is_string(),
        Status::Fail,
        "no sub",
    );
    c.check(
        "ValidateUserInfoSubMatchesIdToken",
        body["sub"] == sub,
        Status::Fail,
        format!("sub {} differs from the ID token's {sub}", body["sub"]),
    );
    Some(body)
}
