//! The Basic OP plan (`oidcc-basic-certification-test-plan`, static
//! clients) against a real server on 127.0.0.1:0: one test per module.
//!
//! One server serves every test of this binary: it runs on a thread of its
//! own (each test has its own runtime) and is provisioned once, as an
//! operator would before a certification run: tenant `conf`, clients
//! `client` and `client2` (client_secret_basic) and a client_secret_post
//! client, all registered without the PKCE requirement (the plan's requests
//! carry no PKCE), and the test user.

mod common;

use common::tls::TestPki;
use conformance::{Plan, StaticClient, Status, Target, TestUser};
use idp_core::NewClient;
use idp_core::store::TokenEndpointAuthMethod;
use idp_server::config::Config;
use std::sync::OnceLock;

const REDIRECT_URI: &str = "https://rp.conformance.invalid/callback";
const POST_LOGOUT: &str = "https://rp.conformance.invalid/post_logout_redirect";

/// The provisioned target and the test CA its certificate chains to.
fn target() -> &'static (Target, String) {
    static TARGET: OnceLock<(Target, String)> = OnceLock::new();
    TARGET.get_or_init(|| {
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let Ok(rt) = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            else {
                return;
            };
            rt.block_on(async move {
                match provision().await {
                    Ok((target, _dir, _server)) => {
                        let _ = tx.send(Ok(target));
                        // Serve until the test binary exits.
                        std::future::pending::<()>().await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e.to_string()));
                    }
                }
            });
        });
        match rx.recv() {
            Ok(Ok(t)) => t,
            Ok(Err(e)) => panic!("the conformance server did not start: {e}"),
            Err(e) => panic!("the conformance server thread died: {e}"),
        }
    })
}

/// The configuration the rotation test uses to rotate tenant `rotate`'s keys.
static ROTATION: OnceLock<Config> = OnceLock::new();

type Provisioned = (
    (Target, String),
    tempfile::TempDir,
    idp_server::server::RunningServer,
);

/// Starts the server over https with a throwaway CA, as the suite reaches
/// every endpoint over https.
async fn provision() -> Result<Provisioned, Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("idp.db").display());
    let key = "cd".repeat(32);
    let pki = TestPki::generate()?;
    let mut config = Config::for_tests(db.clone(), key.clone());
    config.tls = Some(pki.server_tls());
    // The relying party's jwks_uri, request_uri and back-channel endpoints
    // listen on loopback over http (ADR 0019).
    config.outbound = idp_server::outbound::loopback_policy();
    // A rotation by another process shows within a second.
    config.lifetimes.tenant_cache = 1;
    let server = idp_server::server::start(config).await?;
    assert!(
        server.base_url.starts_with("https://"),
        "{}",
        server.base_url
    );
    let cfg = Config {
        base_url: Some(server.base_url.clone()),
        outbound: idp_server::outbound::loopback_policy(),
        ..Config::for_tests(db, key)
    };
    let provider = idp_server::cli::provider_for(&cfg)?;
    provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            idp_core::admin::NewTenant {
                dynamic_registration: true,
                ..idp_core::admin::NewTenant::new("conf", "Conformance")
            },
        )
        .await?;
    let mut clients = Vec::new();
    for (name, method) in [
        ("client", TokenEndpointAuthMethod::ClientSecretBasic),
        ("client2", TokenEndpointAuthMethod::ClientSecretBasic),
        (
            "client_secret_post",
            TokenEndpointAuthMethod::ClientSecretPost,
        ),
    ] {
        let created = provider
            .admin()
            .create_client(
                &idp_core::AuditContext::cli("test"),
                "conf",
                NewClient {
                    require_pkce: false,
                    auth_method: Some(method),
                    post_logout_redirect_uris: vec![POST_LOGOUT.to_owned()],
                    ..NewClient::new(name, vec![REDIRECT_URI.to_owned()])
                },
            )
            .await?;
        clients.push(StaticClient {
            id: created.client.id.as_str().to_owned(),
            secret: created.secret.ok_or("no secret")?,
            key: None,
        });
    }
    let user = TestUser {
        username: "buffy@example.com".into(),
        password: "conformance password 1".into(),
    };
    provider
        .admin()
        .create_user(
            &idp_core::AuditContext::cli("test"),
            "conf",
            idp_core::NewUser {
                email: user.username.clone(),
                name: Some("Buffy Summers".into()),
                email_verified: true,
                password: Some(user.password.clone()),
            },
        )
        .await?;
    let mut clients = clients.into_iter();
    let target = Target {
        issuer: format!("{}/t/conf", server.base_url),
        client: clients.next(),
        client2: clients.next(),
        client_post: clients.next(),
        redirect_uri: REDIRECT_URI.into(),
        user: Some(user),
        post_logout_redirect_uri: Some(POST_LOGOUT.into()),
        rp_host: Some(("127.0.0.1:0".into(), None)),
        previous_jwks: None,
    };
    // A tenant of its own for oidcc-server-rotate-keys, so that rotating its
    // keys cannot disturb the modules running meanwhile.
    provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            idp_core::admin::NewTenant {
                dynamic_registration: true,
                ..idp_core::admin::NewTenant::new("rotate", "Rotation")
            },
        )
        .await?;
    provider
        .admin()
        .create_user(
            &idp_core::AuditContext::cli("test"),
            "rotate",
            idp_core::NewUser {
                email: "buffy@example.com".into(),
                name: Some("Buffy Summers".into()),
                email_verified: true,
                password: Some("conformance password 1".into()),
            },
        )
        .await?;
    if ROTATION.set(cfg).is_err() {
        return Err("provisioned twice".into());
    }
    Ok(((target, pki.ca_pem), dir, server))
}

/// Runs `id` of `plan` and holds it to what certification accepts: never
/// FAIL; SKIPPED or WARNING only where listed, for the reason given there.
async fn module(plan: Plan, id: &'static str) {
    let (target, ca_pem) = target();
    let root = reqwest::Certificate::from_pem(ca_pem.as_bytes()).ok();
    assert!(root.is_some(), "the test CA parses");
    let report = conformance::run_module(plan, id, target, root).await;
    let status = report.status();
    let reason = report.reason().unwrap_or_default();
    let accepted: &[(Status, &str)] = match id {
        // Scopes this provider does not offer: the suite skips them too.
        "oidcc-scope-address" | "oidcc-scope-phone" | "oidcc-scope-all" => {
            &[(Status::Skipped, "scopes_supported does not list")]
        }
        // Users have only a name and an email: the other profile claims are absent.
        "oidcc-scope-profile" => &[(Status::Warning, "userinfo lacks")],
        // Unsigned ID tokens are not offered (the plan skips them too).
        "oidcc-idtoken-unsigned" => &[(Status::Skipped, "does not list 'none'")],

        _ => &[],
    };
    let ok = status == Status::Pass
        || accepted
            .iter()
            .any(|(s, why)| *s == status && reason.contains(why));
    assert!(ok, "{id}: {status:?}: {reason}\n{:#?}", report.outcomes);
}

macro_rules! modules {
    ($($name:ident => $id:literal,)*) => {
        /// `oidcc-basic-certification-test-plan`.
        mod basic {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    module(Plan::Basic, $id).await;
                }
            )*
        }

        /// `oidcc-formpost-basic-certification-test-plan`.
        mod form_post {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    module(Plan::FormPost, $id).await;
                }
            )*
        }

        #[test]
        fn every_module_of_the_plan_has_a_test() {
            let tested = [$($id),*];
            for id in conformance::modules::basic::MODULES {
                assert!(tested.contains(&id), "no test for {id}");
            }
        }
    };
}

modules! {
    oidcc_server => "oidcc-server",
    oidcc_response_type_missing => "oidcc-response-type-missing",
    oidcc_userinfo_get => "oidcc-userinfo-get",
    oidcc_userinfo_post_header => "oidcc-userinfo-post-header",
    oidcc_userinfo_post_body => "oidcc-userinfo-post-body",
    oidcc_ensure_request_without_nonce_succeeds_for_code_flow => "oidcc-ensure-request-without-nonce-succeeds-for-code-flow",
    oidcc_scope_profile => "oidcc-scope-profile",
    oidcc_scope_email => "oidcc-scope-email",
    oidcc_scope_address => "oidcc-scope-address",
    oidcc_scope_phone => "oidcc-scope-phone",
    oidcc_scope_all => "oidcc-scope-all",
    oidcc_alternate_happy_flow => "oidcc-alternate-happy-flow",
    oidcc_display_page => "oidcc-display-page",
    oidcc_display_popup => "oidcc-display-popup",
    oidcc_prompt_login => "oidcc-prompt-login",
    oidcc_prompt_none_not_logged_in => "oidcc-prompt-none-not-logged-in",
    oidcc_prompt_none_logged_in => "oidcc-prompt-none-logged-in",
    oidcc_max_age_1 => "oidcc-max-age-1",
    oidcc_max_age_10000 => "oidcc-max-age-10000",
    oidcc_ensure_request_with_unknown_parameter_succeeds => "oidcc-ensure-request-with-unknown-parameter-succeeds",
    oidcc_id_token_hint => "oidcc-id-token-hint",
    oidcc_login_hint => "oidcc-login-hint",
    oidcc_ui_locales => "oidcc-ui-locales",
    oidcc_claims_locales => "oidcc-claims-locales",
    oidcc_ensure_request_with_acr_values_succeeds => "oidcc-ensure-request-with-acr-values-succeeds",
    oidcc_codereuse => "oidcc-codereuse",
    oidcc_codereuse_30seconds => "oidcc-codereuse-30seconds",
    oidcc_ensure_registered_redirect_uri => "oidcc-ensure-registered-redirect-uri",
    oidcc_ensure_post_request_succeeds => "oidcc-ensure-post-request-succeeds",
    oidcc_server_client_secret_post => "oidcc-server-client-secret-post",
    oidcc_unsigned_request_object_supported_correctly_or_rejected_as_unsupported => "oidcc-unsigned-request-object-supported-correctly-or-rejected-as-unsupported",
    oidcc_claims_essential => "oidcc-claims-essential",
    oidcc_ensure_request_object_with_redirect_uri => "oidcc-ensure-request-object-with-redirect-uri",
    oidcc_refresh_token => "oidcc-refresh-token",
    oidcc_ensure_request_with_valid_pkce_succeeds => "oidcc-ensure-request-with-valid-pkce-succeeds",
}

macro_rules! logout_modules {
    ($($name:ident => $id:literal,)*) => {
        /// `oidcc-rp-initiated-logout-certification-test-plan`.
        mod rp_initiated_logout {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    module(Plan::RpInitiatedLogout, $id).await;
                }
            )*

            #[test]
            fn every_module_of_the_plan_has_a_test() {
                let tested = [$($id),*];
                for id in conformance::modules::logout::MODULES {
                    assert!(tested.contains(&id), "no test for {id}");
                }
            }
        }
    };
}

logout_modules! {
    discovery_endpoint_verification => "oidcc-rp-initiated-logout-discovery-endpoint-verification",
    logout => "oidcc-rp-initiated-logout",
    bad_post_logout_redirect_uri => "oidcc-rp-initiated-logout-bad-post-logout-redirect-uri",
    query_added_to_post_logout_redirect_uri => "oidcc-rp-initiated-logout-query-added-to-post-logout-redirect-uri",
    modified_id_token_hint => "oidcc-rp-initiated-logout-modified-id-token-hint",
    bad_id_token_hint => "oidcc-rp-initiated-logout-bad-id-token-hint",
    no_id_token_hint => "oidcc-rp-initiated-logout-no-id-token-hint",
    no_params => "oidcc-rp-initiated-logout-no-params",
    no_post_logout_redirect_uri => "oidcc-rp-initiated-logout-no-post-logout-redirect-uri",
    only_state => "oidcc-rp-initiated-logout-only-state",
    no_state => "oidcc-rp-initiated-logout-no-state",
}

macro_rules! dynamic_modules {
    ($($name:ident => $id:literal,)*) => {
        /// `oidcc-dynamic-certification-test-plan` (response type `code`).
        mod dynamic {
            use super::*;
            $(
                #[tokio::test]
                async fn $name() {
                    module(Plan::Dynamic, $id).await;
                }
            )*

            #[test]
            fn every_module_of_the_plan_has_a_test() {
                let tested = [$($id,)* "oidcc-server-rotate-keys"];
                for id in conformance::modules::dynamic::MODULES {
                    assert!(tested.contains(&id), "no test for {id}");
                }
            }
        }
    };
}

dynamic_modules! {
    discovery_endpoint_verification => "oidcc-discovery-endpoint-verification",
    server => "oidcc-server",
    idtoken_rs256 => "oidcc-idtoken-rs256",
    idtoken_signature => "oidcc-idtoken-signature",
    idtoken_unsigned => "oidcc-idtoken-unsigned",
    userinfo_rs256 => "oidcc-userinfo-rs256",
    ensure_redirect_uri_in_authorization_request => "oidcc-ensure-redirect-uri-in-authorization-request",
    redirect_uri_query_ok => "oidcc-redirect-uri-query-OK",
    redirect_uri_query_mismatch => "oidcc-redirect-uri-query-mismatch",
    redirect_uri_query_added => "oidcc-redirect-uri-query-added",
    redirect_uri_regfrag => "oidcc-redirect-uri-regfrag",
    registration_logo_uri => "oidcc-registration-logo-uri",
    registration_policy_uri => "oidcc-registration-policy-uri",
    registration_tos_uri => "oidcc-registration-tos-uri",
    registration_jwks_uri => "oidcc-registration-jwks-uri",
    registration_sector_uri => "oidcc-registration-sector-uri",
    registration_sector_bad => "oidcc-registration-sector-bad",
    request_uri_unsigned => "oidcc-request-uri-unsigned",
    request_uri_signed_rs256 => "oidcc-request-uri-signed-rs256",
    ensure_client_assertion_with_iss_aud_succeeds => "oidcc-ensure-client-assertion-with-iss-aud-succeeds",
    refresh_token => "oidcc-refresh-token",
    refresh_token_rp_key_rotation => "oidcc-refresh-token-rp-key-rotation",
    rfc7592_client_update => "rfc7592-client-update",
}

/// `oidcc-server-rotate-keys`: rotate tenant `rotate`'s keys as the tester
/// would, then run the module with the JWKS from before.
#[tokio::test]
async fn dynamic_server_rotate_keys() -> Result<(), Box<dyn std::error::Error>> {
    let (target, ca_pem) = target();
    let issuer = target.issuer.replace("/t/conf", "/t/rotate");
    let root = reqwest::Certificate::from_pem(ca_pem.as_bytes())?;
    let http = reqwest::Client::builder()
        .add_root_certificate(root.clone())
        .build()?;
    let discovery: serde_json::Value = http
        .get(format!("{issuer}/.well-known/openid-configuration"))
        .send()
        .await?
        .json()
        .await?;
    let jwks_uri = discovery["jwks_uri"].as_str().ok_or("no jwks_uri")?;
    let previous: serde_json::Value = http.get(jwks_uri).send().await?.json().await?;
    let cfg = ROTATION.get().ok_or("not provisioned")?;
    let provider = idp_server::cli::provider_for(cfg)?;
    provider
        .admin()
        .rotate_keys(
            &idp_core::AuditContext::cli("test"),
            "rotate",
            idp_core::key_rotation::Activation::Immediately,
        )
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    let target = Target {
        issuer,
        previous_jwks: Some(previous),
        ..target.clone()
    };
    let report = conformance::run_module(
        Plan::Dynamic,
        "oidcc-server-rotate-keys",
        &target,
        Some(root),
    )
    .await;
    assert_eq!(report.status(), Status::Pass, "{:#?}", report.outcomes);
    Ok(())
}

/// `oidcc-frontchannel-rp-initiated-logout-certification-test-plan`.
#[tokio::test]
async fn frontchannel_rp_initiated_logout() {
    module(
        Plan::FrontChannelLogout,
        "oidcc-frontchannel-rp-initiated-logout",
    )
    .await;
}

/// `oidcc-backchannel-rp-initiated-logout-certification-test-plan`.
#[tokio::test]
async fn backchannel_rp_initiated_logout() {
    module(
        Plan::BackChannelLogout,
        "oidcc-backchannel-rp-initiated-logout",
    )
    .await;
}
