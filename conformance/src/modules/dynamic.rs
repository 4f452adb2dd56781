//! Dynamic OP (`oidcc-dynamic-certification-test-plan`, §6 of the digest):
//! every module registers its own client at `registration_endpoint` (RFC
//! 7591), authenticating with `private_key_jwt` and an RS256 key without a
//! `kid`, as the suite does, and deletes it at the end (RFC 7592).
//! Documents the OP must fetch (a `jwks_uri`, request objects) are served by
//! the runner's [`Host`](crate::rp::host::Host).

use super::basic::{AuthRequest, Env};
use crate::report::{Checks, Report, Status};
use crate::rp::agent::Arrival;
use crate::rp::checks;
use crate::rp::jose::{Jws, b64e};
use crate::rp::key::RpKey;
use crate::rp::op::{ClientAuth, Op, random_alnum};
use crate::rp::target::StaticClient;
use serde_json::{Value, json};
use std::sync::Arc;

/// The plan's modules for the `code` response type, and
/// [`CLIENT_UPDATE`], which the OpenID Foundation's plan does not have.
pub const MODULES: [&str; 24] = [
    "oidcc-discovery-endpoint-verification",
    "oidcc-server",
    "oidcc-idtoken-rs256",
    "oidcc-idtoken-signature",
    "oidcc-idtoken-unsigned",
    "oidcc-userinfo-rs256",
    "oidcc-ensure-redirect-uri-in-authorization-request",
    "oidcc-redirect-uri-query-OK",
    "oidcc-redirect-uri-query-mismatch",
    "oidcc-redirect-uri-query-added",
    "oidcc-redirect-uri-regfrag",
    "oidcc-registration-logo-uri",
    "oidcc-registration-policy-uri",
    "oidcc-registration-tos-uri",
    "oidcc-registration-jwks-uri",
    "oidcc-registration-sector-uri",
    "oidcc-registration-sector-bad",
    "oidcc-request-uri-unsigned",
    "oidcc-request-uri-signed-rs256",
    "oidcc-ensure-client-assertion-with-iss-aud-succeeds",
    "oidcc-refresh-token",
    "oidcc-refresh-token-rp-key-rotation",
    "oidcc-server-rotate-keys",
    CLIENT_UPDATE,
];

/// RFC 7592 §2.2 client update, which no OIDF module exercises (the
/// suite only reads and deletes): a registered client replaces its
/// redirect URI with `PUT registration_client_uri` and signs in with the
/// new one; the old one is refused, as are a wrong token (401) and another
/// client's `client_id` (400).
pub const CLIENT_UPDATE: &str = "rfc7592-client-update";

/// A client this module registered.
struct Registered {
    client: StaticClient,
    token: Option<String>,
    uri: Option<String>,
}

fn merge(base: &mut Value, extra: &Value) {
    if let (Some(b), Some(e)) = (base.as_object_mut(), extra.as_object()) {
        for (k, v) in e {
            b.insert(k.clone(), v.clone());
        }
    }
}

/// The registration request every module starts from.
fn registration_body(env: &Env<'_>, key: &RpKey) -> Value {
    json!({
        "client_name": "idp conformance dynamic client",
        "grant_types": ["authorization_code"],
        "jwks": key.jwks(),
        "token_endpoint_auth_method": "private_key_jwt",
        "response_types": ["code"],
        "redirect_uris": [env.op.target.redirect_uri],
        "contacts": ["certification@example.com"],
    })
}

/// `CallDynamicRegistrationEndpointAndVerifySuccessfulResponse`.
async fn register(env: &mut Env<'_>, extra: Value, key: Arc<RpKey>) -> Option<Registered> {
    let mut body = registration_body(env, &key);
    merge(&mut body, &extra);
    if body.get("jwks_uri").is_some()
        && let Some(b) = body.as_object_mut()
    {
        b.remove("jwks");
    }
    let res = env.op.register(&body).await;
    let ct = res.header("content-type").unwrap_or("").to_owned();
    env.c.check(
        "CheckRegistrationResponseIsJson",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    env.c.check(
        "EnsureHttpStatusCodeIs201",
        res.status == 201,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    let doc = res.json();
    env.c.check(
        "CheckNoErrorFromDynamicRegistrationEndpoint",
        doc.get("error").is_none(),
        Status::Fail,
        res.body.clone(),
    );
    let id = doc["client_id"].as_str()?.to_owned();
    let token = doc["registration_access_token"].as_str().map(str::to_owned);
    let uri = doc["registration_client_uri"].as_str().map(str::to_owned);
    env.c.check(
        "VerifyRegistrationAccessTokenAndClientUri",
        token.is_some() == uri.is_some(),
        Status::Fail,
        "only one of registration_access_token and registration_client_uri",
    );
    if let Some(u) = &uri {
        env.c.check(
            "EnsureRegistrationClientUriIsHttps",
            u.starts_with("https://"),
            Status::Fail,
            format!("registration_client_uri {u}"),
        );
    }
    if doc.get("client_secret").is_some() {
        env.c.check(
            "EnsureClientSecretExpiresAtIsPresent",
            doc.get("client_secret_expires_at").is_some(),
            Status::Fail,
            "client_secret without client_secret_expires_at",
        );
    }
    Some(Registered {
        client: StaticClient {
            id,
            secret: doc["client_secret"].as_str().unwrap_or("").to_owned(),
            key: Some(key),
        },
        token,
        uri,
    })
}

/// Deletes the client (RFC 7592 §2.3): 204, else a warning.
async fn unregister(env: &mut Env<'_>, reg: &Registered) {
    if let (Some(uri), Some(token)) = (&reg.uri, &reg.token) {
        let res = env.op.unregister(uri, token).await;
        env.c.check(
            "UnregisterDynamicallyRegisteredClient",
            res.status == 204,
            Status::Warning,
            format!("DELETE answered {}", res.status),
        );
    }
}

fn new_key(env: &mut Env<'_>, kid: Option<&str>) -> Option<Arc<RpKey>> {
    match RpKey::generate(kid) {
        Ok(k) => Some(Arc::new(k)),
        Err(e) => {
            env.c.check("GenerateClientKey", false, Status::Fail, e);
            None
        }
    }
}

/// Registers with `extra`, logs in with `req_for(client)`, deletes the client.
async fn registered_login(
    env: &mut Env<'_>,
    extra: Value,
) -> Option<(Registered, super::basic::Login)> {
    let key = new_key(env, None)?;
    let reg = register(env, extra, key).await?;
    env.client = reg.client.clone();
    env.auth = ClientAuth::PrivateKeyJwt;
    let agent = env.agent()?;
    let login = env
        .login(&agent, &AuthRequest::standard(env.op, &env.client))
        .await;
    unregister(env, &reg).await;
    Some((reg, login?))
}

/// Runs module `id`.
pub async fn run(id: &'static str, op: &Op) -> Report {
    let mut c = Checks::default();
    if op.endpoint("registration_endpoint").is_empty() {
        return Report::skipped(
            id,
            "discovery has no registration_endpoint: dynamic registration is off for this issuer",
        );
    }
    if op.target.user.is_none() {
        return Report::skipped(id, "no test user configured (--username, --password)");
    }
    let mut env = Env {
        op,
        client: StaticClient::default(),
        c: &mut c,
        auth: ClientAuth::PrivateKeyJwt,
    };
    let skipped = module(&mut env, id).await;
    match skipped {
        Some(reason) if c.0.iter().all(|o| o.status == Status::Pass) => {
            Report::skipped(id, &reason)
        }
        _ => Report {
            plan: "",
            module: id,
            outcomes: c.0,
        },
    }
}

async fn module(env: &mut Env<'_>, id: &str) -> Option<String> {
    let op = env.op;
    let cb = op.target.redirect_uri.clone();
    match id {
        "oidcc-server" => {
            registered_login(env, json!({})).await;
        }
        "oidcc-idtoken-rs256" | "oidcc-idtoken-signature" => {
            let extra = if id == "oidcc-idtoken-rs256" {
                json!({"id_token_signed_response_alg": "RS256"})
            } else {
                json!({})
            };
            let (_, login) = registered_login(env, extra).await?;
            let header = Jws::parse(&login.id_token)
                .map(|j| j.header)
                .unwrap_or(Value::Null);
            env.c.check(
                "CheckIdTokenSignedUsingRS256",
                header["alg"] == "RS256",
                Status::Fail,
                format!("alg {}", header["alg"]),
            );
            env.c.check(
                "CheckIdTokenHasKid",
                header["kid"].as_str().is_some_and(|k| !k.is_empty()),
                Status::Fail,
                "no kid in the ID token header (OIDCC-10.1)",
            );
        }
        "oidcc-idtoken-unsigned" => {
            if !op.supports("id_token_signing_alg_values_supported", "none") {
                return Some("id_token_signing_alg_values_supported does not list 'none'".into());
            }
        }
        "oidcc-userinfo-rs256" => {
            env.c.check(
                "CheckDiscEndpointUserinfoSigningAlgValuesSupportedContainsRS256",
                op.supports("userinfo_signing_alg_values_supported", "RS256"),
                Status::Fail,
                "userinfo_signing_alg_values_supported lacks RS256",
            );
            let key = new_key(env, None)?;
            let reg = register(env, json!({"userinfo_signed_response_alg": "RS256"}), key).await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            let login = env
                .login(&agent, &AuthRequest::standard(op, &env.client))
                .await;
            if let Some(login) = login {
                let res = op
                    .userinfo(&login.access_token, crate::rp::op::UserinfoCall::Get)
                    .await;
                let ct = res.header("content-type").unwrap_or("").to_owned();
                env.c.check(
                    "EnsureUserInfoContentTypeIsJwt",
                    ct.split(';').next() == Some("application/jwt"),
                    Status::Fail,
                    format!("content type '{ct}'"),
                );
                match Jws::parse(res.body.trim()) {
                    Some(jws) => {
                        let v = jws.verify(&op.jwks);
                        env.c.check(
                            "ValidateUserInfoResponseSignature",
                            v.is_ok(),
                            Status::Fail,
                            v.err().unwrap_or_default(),
                        );
                        env.c.check(
                            "CheckUserInfoSignedUsingRS256",
                            jws.alg() == "RS256",
                            Status::Fail,
                            format!("alg {}", jws.alg()),
                        );
                        let cl = &jws.claims;
                        env.c.check(
                            "ValidateUserInfoIssAud",
                            cl["iss"] == op.issuer()
                                && (cl["aud"] == env.client.id.as_str()
                                    || cl["aud"].as_array().is_some_and(|a| {
                                        a.iter().any(|x| x == env.client.id.as_str())
                                    })),
                            Status::Warning,
                            format!("iss {} aud {}", cl["iss"], cl["aud"]),
                        );
                        env.c.check(
                            "EnsureUserInfoDoesNotContainNonce",
                            cl.get("nonce").is_none(),
                            Status::Fail,
                            "nonce in userinfo",
                        );
                        env.c.check(
                            "ValidateUserInfoSubMatchesIdToken",
                            cl["sub"] == login.claims["sub"],
                            Status::Fail,
                            "sub differs",
                        );
                    }
                    None => env.c.check(
                        "ValidateUserInfoResponseSignature",
                        false,
                        Status::Fail,
                        "userinfo is not a JWS",
                    ),
                }
            }
            unregister(env, &reg).await;
        }
        "oidcc-ensure-redirect-uri-in-authorization-request" => {
            let key = new_key(env, None)?;
            let reg = register(
                env,
                json!({"redirect_uris": [cb, "https://example.org/redirect"]}),
                key,
            )
            .await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            let req = AuthRequest::standard(op, &env.client).without("redirect_uri");
            expect_error_page(env, agent.navigate(&op.auth_url(&req.params)).await);
            unregister(env, &reg).await;
        }
        "oidcc-redirect-uri-query-OK" => {
            let with_query = format!("{cb}?bar=foo");
            let key = new_key(env, None)?;
            let reg = register(env, json!({"redirect_uris": [with_query]}), key).await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            let req = AuthRequest::standard(op, &env.client).set("redirect_uri", &with_query);
            if let Some(callback) = env.authorize(&agent, &req).await {
                env.c.check(
                    "CheckMatchingCallbackParameters",
                    callback.get("bar") == Some("foo"),
                    Status::Fail,
                    "the registered query bar=foo was not preserved",
                );
                let code = checks::authorization_response(env.c, op, &callback, req.get("state"));
                if let Some(code) = code {
                    let res = op
                        .token(
                            &env.client,
                            ClientAuth::PrivateKeyJwt,
                            &[
                                ("grant_type", "authorization_code"),
                                ("code", &code),
                                ("redirect_uri", &with_query),
                            ],
                        )
                        .await;
                    checks::token_response(env.c, &res, Status::Warning);
                }
            }
            unregister(env, &reg).await;
        }
        "oidcc-redirect-uri-query-mismatch" | "oidcc-redirect-uri-query-added" => {
            let (registered, requested) = if id.ends_with("mismatch") {
                (format!("{cb}?bar=foo"), format!("{cb}?foo=bar"))
            } else {
                (cb.clone(), format!("{cb}?foo=bar"))
            };
            let key = new_key(env, None)?;
            let reg = register(env, json!({"redirect_uris": [registered]}), key).await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            let req = AuthRequest::standard(op, &env.client).set("redirect_uri", &requested);
            expect_error_page(env, agent.navigate(&op.auth_url(&req.params)).await);
            unregister(env, &reg).await;
        }
        "oidcc-redirect-uri-regfrag" => {
            let key = new_key(env, None)?;
            let body = json!({
                "client_name": "fragment", "grant_types": ["authorization_code"], "jwks": key.jwks(),
                "token_endpoint_auth_method": "private_key_jwt", "response_types": ["code"],
                "redirect_uris": [format!("{cb}#foobar")],
            });
            let res = op.register(&body).await;
            env.c.check(
                "EnsureHttpStatusCodeIs400",
                res.status == 400,
                Status::Fail,
                format!("status {}", res.status),
            );
            let ct = res.header("content-type").unwrap_or("").to_owned();
            env.c.check(
                "CheckRegistrationErrorIsJson",
                ct.split(';').next() == Some("application/json"),
                Status::Fail,
                format!("content type '{ct}'"),
            );
            let error = res.json()["error"].as_str().unwrap_or("").to_owned();
            env.c.check("CheckErrorFromDynamicRegistrationEndpointIsInvalidRedirectUriOrInvalidClientMetadata", error == "invalid_redirect_uri" || error == "invalid_client_metadata", Status::Warning, format!("error '{error}'"));
        }
        "oidcc-registration-logo-uri"
        | "oidcc-registration-policy-uri"
        | "oidcc-registration-tos-uri" => {
            let field = id
                .trim_start_matches("oidcc-registration-")
                .replace('-', "_");
            let extra = json!({ field: "https://example.com/idp-conformance" });
            registered_login(env, extra).await;
        }
        "oidcc-registration-jwks-uri" => {
            let Some(host) = op.host.clone() else {
                return Some("needs --rp-host-bind: the OP must fetch the RP's jwks_uri".into());
            };
            let key = new_key(env, Some("rp-key-1"))?;
            let uri = host.put(
                &format!("/jwks/{}", random_alnum(12)),
                "application/json",
                key.jwks().to_string(),
            );
            let reg = register(env, json!({"jwks_uri": uri}), key).await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            env.login(&agent, &AuthRequest::standard(op, &env.client))
                .await;
            unregister(env, &reg).await;
        }
        "oidcc-registration-sector-uri" | "oidcc-registration-sector-bad" => {
            if !op.supports("subject_types_supported", "pairwise") {
                return Some("subject_types_supported does not list 'pairwise'".into());
            }
            let Some(host) = op.host.clone() else {
                return Some(
                    "needs --rp-host-bind: the OP must fetch the sector_identifier_uri".into(),
                );
            };
            let bad = id.ends_with("bad");
            // The bad document lists only another URI, as the suite's does.
            let listed = if bad {
                json!(["https://example.com/op"])
            } else {
                json!([cb])
            };
            let uri = host.put(
                &format!("/sector/{}", random_alnum(12)),
                "application/json",
                listed.to_string(),
            );
            let extra = json!({"subject_type": "pairwise", "sector_identifier_uri": uri});
            if bad {
                let key = new_key(env, None)?;
                let mut body = registration_body(env, &key);
                merge(&mut body, &extra);
                let res = op.register(&body).await;
                let ct = res.header("content-type").unwrap_or("").to_owned();
                env.c.check(
                    "CheckRegistrationResponseIsJson",
                    ct.split(';').next() == Some("application/json"),
                    Status::Fail,
                    format!("content type '{ct}'"),
                );
                env.c.check(
                    "EnsureHttpStatusCodeIs400",
                    res.status == 400,
                    Status::Fail,
                    format!("status {}: {}", res.status, res.body),
                );
                let error = res.json()["error"].as_str().unwrap_or("").to_owned();
                env.c.check(
                    "EnsureErrorIsInvalidClientMetadata",
                    error == "invalid_client_metadata",
                    Status::Warning,
                    format!("error '{error}'"),
                );
            } else {
                let (_, login) = registered_login(env, extra).await?;
                env.c.check(
                    "CheckForSubjectInIdToken",
                    login.claims["sub"].as_str().is_some_and(|s| !s.is_empty()),
                    Status::Fail,
                    "no sub in the ID token",
                );
            }
        }
        "oidcc-request-uri-unsigned" | "oidcc-request-uri-signed-rs256" => {
            let signed = id.ends_with("rs256");
            env.c.check(
                "CheckDiscEndpointRequestUriParameterSupported",
                op.meta["request_uri_parameter_supported"] != false,
                Status::Fail,
                "request_uri_parameter_supported is false",
            );
            let algs = op.meta["request_object_signing_alg_values_supported"].as_array();
            if signed {
                env.c.check(
                    "CheckDiscEndpointRequestObjectSigningAlgValuesSupportedContainsRS256",
                    op.supports("request_object_signing_alg_values_supported", "RS256"),
                    Status::Fail,
                    "RS256 not listed",
                );
            } else if algs.is_some_and(|a| !a.iter().any(|v| v == "none")) {
                return Some("request_object_signing_alg_values_supported lacks 'none'".into());
            }
            let Some(host) = op.host.clone() else {
                return Some("needs --rp-host-bind: the OP must fetch the request_uri".into());
            };
            let key = new_key(env, None)?;
            let path = format!("/request/{}", random_alnum(12));
            let url = format!("{}{path}", host.public_url);
            let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, url.as_bytes());
            let registered_uri = format!("{url}#{}", b64e(digest.as_ref()));
            let mut extra = json!({"request_uris": [registered_uri]});
            if signed {
                extra["request_object_signing_alg"] = json!("RS256");
            }
            let reg = register(env, extra, Arc::clone(&key)).await?;
            env.client = reg.client.clone();
            let (state, nonce) = (random_alnum(10), random_alnum(10));
            let claims = json!({
                "iss": env.client.id, "aud": op.issuer(), "client_id": env.client.id,
                "response_type": "code", "scope": "openid", "redirect_uri": cb,
                "state": state, "nonce": nonce,
            });
            let object = if signed {
                key.sign(&claims).unwrap_or_default()
            } else {
                format!(
                    "{}.{}.",
                    b64e(br#"{"alg":"none"}"#),
                    b64e(claims.to_string().as_bytes())
                )
            };
            host.put(&path, "application/jwt", object);
            let agent = env.agent()?;
            let req = AuthRequest::standard(op, &env.client)
                .without("state")
                .without("nonce")
                .set("request_uri", &registered_uri);
            if let Some(callback) = env.authorize(&agent, &req).await {
                let expected = req.clone().set("state", &state).set("nonce", &nonce);
                env.finish(&expected, callback, ClientAuth::PrivateKeyJwt, &[])
                    .await;
            }
            unregister(env, &reg).await;
        }
        "oidcc-ensure-client-assertion-with-iss-aud-succeeds" => {
            let key = new_key(env, None)?;
            let reg = register(env, json!({}), key).await?;
            env.client = reg.client.clone();
            let agent = env.agent()?;
            let req = AuthRequest::standard(op, &env.client);
            if let Some(callback) = env.authorize(&agent, &req).await
                && let Some(code) =
                    checks::authorization_response(env.c, op, &callback, req.get("state"))
            {
                let res = op
                    .token(
                        &env.client,
                        ClientAuth::PrivateKeyJwtIssuerAud,
                        &[
                            ("grant_type", "authorization_code"),
                            ("code", &code),
                            ("redirect_uri", &cb),
                        ],
                    )
                    .await;
                if res.status == 200 {
                    checks::token_response(env.c, &res, Status::Warning);
                } else {
                    let ok_refusal =
                        matches!(res.status, 400 | 401) && res.json()["error"] == "invalid_client";
                    env.c.check(
                        "EnsureClientAssertionWithIssuerAudAccepted",
                        false,
                        if ok_refusal {
                            Status::Warning
                        } else {
                            Status::Fail
                        },
                        format!("status {}: {}", res.status, res.body),
                    );
                }
            }
            unregister(env, &reg).await;
        }
        "oidcc-refresh-token" => refresh(env, false).await,
        CLIENT_UPDATE => client_update(env).await?,
        "oidcc-refresh-token-rp-key-rotation" => {
            if op.host.is_none() {
                return Some("needs --rp-host-bind: the OP must fetch the RP's jwks_uri".into());
            }
            refresh(env, true).await;
        }
        "oidcc-server-rotate-keys" => {
            let Some(previous) = op.target.previous_jwks.clone() else {
                return Some(
                    "manual module: rotate the OP's signing keys, then run it with --previous-jwks"
                        .into(),
                );
            };
            let kids = |jwks: &Value| -> Vec<String> {
                jwks["keys"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter_map(|k| k["kid"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default()
            };
            let (old, now) = (kids(&previous), kids(&op.jwks));
            let fresh: Vec<&String> = now.iter().filter(|k| !old.contains(k)).collect();
            env.c.check(
                "CheckServerKeysRotated",
                !fresh.is_empty(),
                Status::Fail,
                "the JWKS has no new key",
            );
            env.c.check(
                "CheckServerKeysKeepOldKeys",
                old.iter().all(|k| now.contains(k)),
                Status::Warning,
                "old keys were dropped at once",
            );
            let (_, login) = registered_login(env, json!({})).await?;
            let kid = Jws::parse(&login.id_token)
                .and_then(|j| j.header["kid"].as_str().map(str::to_owned))
                .unwrap_or_default();
            env.c.check(
                "CheckIdTokenSignedWithNewKey",
                fresh.iter().any(|k| **k == kid),
                Status::Fail,
                format!("the ID token is signed with {kid}, not a new key"),
            );
        }
        "oidcc-discovery-endpoint-verification" => {
            // Run by the Config plan's module; here only the dynamic extras.
            env.c.check(
                "CheckDiscEndpointRegistrationEndpoint",
                op.endpoint("registration_endpoint").starts_with("https://"),
                Status::Fail,
                "registration_endpoint is not https",
            );
        }
        other => env
            .c
            .check("UnknownModule", false, Status::Fail, other.to_owned()),
    }
    None
}

/// [`CLIENT_UPDATE`].
async fn client_update(env: &mut Env<'_>) -> Option<()> {
    let op = env.op;
    let cb = op.target.redirect_uri.clone();
    let updated_cb = format!("{cb}?updated=1");
    let key = new_key(env, None)?;
    let reg = register(env, json!({}), key.clone()).await?;
    env.client = reg.client.clone();
    let (Some(uri), Some(token)) = (reg.uri.clone(), reg.token.clone()) else {
        env.c.check(
            "VerifyRegistrationAccessTokenAndClientUri",
            false,
            Status::Fail,
            "no registration_client_uri or registration_access_token to update with",
        );
        return None;
    };
    let metadata = json!({
        "client_id": reg.client.id,
        "client_name": "idp conformance dynamic client (updated)",
        "grant_types": ["authorization_code"],
        "jwks": key.jwks(),
        "token_endpoint_auth_method": "private_key_jwt",
        "response_types": ["code"],
        "redirect_uris": [updated_cb],
        "contacts": ["certification@example.com"],
    });
    let res = op
        .update_registration(&uri, "not-the-token", &metadata)
        .await;
    env.c.check(
        "EnsureUpdateWithWrongTokenIs401",
        res.status == 401,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    let mut other = metadata.clone();
    other["client_id"] = json!(format!("{}-other", reg.client.id));
    let res = op.update_registration(&uri, &token, &other).await;
    env.c.check(
        "EnsureUpdateOfAnotherClientIdIs400",
        res.status == 400 && res.json()["error"] == "invalid_client_metadata",
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    let res = op.update_registration(&uri, &token, &metadata).await;
    let ct = res.header("content-type").unwrap_or("").to_owned();
    env.c.check(
        "CheckClientUpdateResponseIsJson",
        ct.split(';').next() == Some("application/json"),
        Status::Fail,
        format!("content type '{ct}'"),
    );
    env.c.check(
        "EnsureHttpStatusCodeIs200",
        res.status == 200,
        Status::Fail,
        format!("status {}: {}", res.status, res.body),
    );
    let doc = res.json();
    env.c.check(
        "CheckClientUpdateResponse",
        doc["client_id"] == json!(reg.client.id)
            && doc["redirect_uris"] == json!([updated_cb])
            && doc["client_name"] == metadata["client_name"],
        Status::Fail,
        res.body.clone(),
    );
    // The old redirect URI is refused at once.
    let agent = env.agent()?;
    let old = AuthRequest::standard(op, &env.client);
    expect_error_page(env, agent.navigate(&op.auth_url(&old.params)).await);
    // The new one signs in.
    let agent = env.agent()?;
    let req = AuthRequest::standard(op, &env.client).set("redirect_uri", &updated_cb);
    if let Some(callback) = env.authorize(&agent, &req).await {
        env.c.check(
            "CheckMatchingCallbackParameters",
            callback.get("updated") == Some("1"),
            Status::Fail,
            "the updated redirect URI was not used",
        );
        if let Some(code) = checks::authorization_response(env.c, op, &callback, req.get("state")) {
            let res = op
                .token(
                    &env.client,
                    ClientAuth::PrivateKeyJwt,
                    &[
                        ("grant_type", "authorization_code"),
                        ("code", &code),
                        ("redirect_uri", &updated_cb),
                    ],
                )
                .await;
            checks::token_response(env.c, &res, Status::Warning);
        }
    }
    unregister(env, &reg).await;
    Some(())
}

fn expect_error_page(env: &mut Env<'_>, arrival: Arrival) {
    match arrival {
        Arrival::Page { status, seen, .. } => env.c.check(
            "ExpectRedirectUriErrorPage",
            seen.is_empty() && status >= 400,
            Status::Fail,
            format!("status {status} after {seen:?}"),
        ),
        Arrival::Callback(cb) => env.c.check(
            "ExpectRedirectUriErrorPage",
            false,
            Status::Fail,
            format!("the OP redirected to {}", cb.url),
        ),
        Arrival::Failed(e) => env
            .c
            .check("ExpectRedirectUriErrorPage", false, Status::Fail, e),
    }
}

/// `oidcc-refresh-token` with dynamic clients, or, with `rotate`, the RP
/// rotates its `jwks_uri` key between the login and the refresh.
async fn refresh(env: &mut Env<'_>, rotate: bool) {
    let op = env.op;
    let scope = if op.supports("scopes_supported", "offline_access") {
        "openid offline_access"
    } else {
        "openid"
    };
    let extra = json!({"grant_types": ["authorization_code", "refresh_token"]});
    let mut clients = Vec::new();
    let mut jwks_path = None;
    for _ in 0..if rotate { 1 } else { 2 } {
        let Some(key) = new_key(env, rotate.then_some("rp-key-1")) else {
            return;
        };
        let mut extra = extra.clone();
        if rotate && let Some(host) = &op.host {
            let path = format!("/jwks/{}", random_alnum(12));
            extra["jwks_uri"] = json!(host.put(&path, "application/json", key.jwks().to_string()));
            jwks_path = Some(path);
        }
        let Some(reg) = register(env, extra, key).await else {
            return;
        };
        clients.push(reg);
    }
    let mut tokens = Vec::new();
    for reg in &clients {
        env.client = reg.client.clone();
        let Some(agent) = env.agent() else { return };
        let req = AuthRequest::standard(op, &env.client)
            .set("scope", scope)
            .set("prompt", "consent");
        let Some(login) = env.login(&agent, &req).await else {
            return;
        };
        let Some(rt) = login.tokens["refresh_token"].as_str().map(str::to_owned) else {
            env.c.check(
                "EnsureRefreshTokenIssued",
                false,
                Status::Fail,
                "no refresh token (required in the Dynamic plan)",
            );
            return;
        };
        tokens.push((reg.client.clone(), rt, login.claims));
    }
    let (mut client1, rt1, claims1) = tokens[0].clone();
    if rotate && let (Some(host), Some(path)) = (&op.host, &jwks_path) {
        let Some(new_key) = new_key(env, Some("rp-key-2")) else {
            return;
        };
        host.put(path, "application/json", new_key.jwks().to_string());
        client1.key = Some(new_key);
        tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    }
    // As the suite: the refresh comes at least a second after the code
    // exchange, so a new ID token must have a later `iat`.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let res = op
        .token(
            &client1,
            ClientAuth::PrivateKeyJwt,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &rt1),
                ("scope", scope),
            ],
        )
        .await;
    super::basic::refresh::refreshed(env.c, op, &client1.id, &res, &claims1);
    if let Some((_, rt2, _)) = tokens.get(1) {
        let res = op
            .token(
                &client1,
                ClientAuth::PrivateKeyJwt,
                &[("grant_type", "refresh_token"), ("refresh_token", rt2)],
            )
            .await;
        checks::token_error(env.c, &res, "invalid_grant");
    }
    for reg in &clients {
        unregister(env, reg).await;
    }
}
