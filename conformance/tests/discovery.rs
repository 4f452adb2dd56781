//! Runs `oidcc-discovery-endpoint-verification` against a real server on
//! 127.0.0.1:0. Over https (a throwaway CA, see `common::tls`) every check
//! must pass, as in a certification run. Over plain http the suite's
//! https-only rules must fail: that keeps those rules honest.

mod common;

use common::tls::TestPki;
use conformance::{Report, Status};
use idp_server::config::{Config, TlsConfig};
use idp_server::server::RunningServer;

type Error = Box<dyn std::error::Error>;

/// Rules that only an https issuer can pass.
const HTTPS_RULES: [&str; 5] = [
    "CheckDiscEndpointDiscoveryUrl",
    "CheckDiscEndpointIssuerIsValidUrl",
    "CheckDiscEndpointEndpoints",
    "CheckDiscEndpointUserinfoEndpoint",
    "CheckDiscEndpointAllEndpointsAreHttps",
];

/// A server with tenant `conf`, over https when `tls` is given.
async fn server(tls: Option<TlsConfig>) -> Result<(tempfile::TempDir, RunningServer), Error> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("idp.db").display());
    let mut config = Config::for_tests(db.clone(), "cd".repeat(32));
    config.tls = tls;
    let server = idp_server::server::start(config).await?;
    let cfg = Config {
        base_url: Some(server.base_url.clone()),
        ..Config::for_tests(db, "cd".repeat(32))
    };
    let provider = idp_server::cli::provider_for(&cfg)?;
    provider
        .admin()
        .create_tenant(
            &idp_core::AuditContext::cli("test"),
            idp_core::admin::NewTenant::new("conf", "Conformance"),
        )
        .await?;
    Ok((dir, server))
}

fn has(report: &Report, check: &str) -> bool {
    report.outcomes.iter().any(|o| o.check == check)
}

#[tokio::test]
async fn oidcc_discovery_endpoint_verification_passes_every_check_over_https() -> Result<(), Error>
{
    let pki = TestPki::generate()?;
    let (_dir, server) = server(Some(pki.server_tls())).await?;
    assert!(
        server.base_url.starts_with("https://localhost:"),
        "{}",
        server.base_url
    );
    let http = pki.client()?;
    let issuer = format!("{}/t/conf", server.base_url);
    let report = conformance::modules::discovery::run(&http, &issuer).await;
    for o in &report.outcomes {
        assert_eq!(o.status, Status::Pass, "{}: {}", o.check, o.detail);
    }
    assert_eq!(report.status(), Status::Pass);
    // The https rules and the JWKS checks ran, not just the first few.
    for check in HTTPS_RULES.iter().chain(&[
        "ValidateJwksSequence",
        "CheckDistinctKeyIdValueInServerJWKs",
    ]) {
        assert!(has(&report, check), "{check} did not run: {report:?}");
    }
    server.shutdown().await;
    Ok(())
}

#[tokio::test]
async fn over_plain_http_only_the_https_rules_fail() -> Result<(), Error> {
    let (_dir, server) = server(None).await?;
    let issuer = format!("{}/t/conf", server.base_url);
    let report = conformance::modules::discovery::run(&reqwest::Client::new(), &issuer).await;
    for o in &report.outcomes {
        let expected = if HTTPS_RULES.contains(&o.check) {
            Status::Fail
        } else {
            Status::Pass
        };
        assert_eq!(o.status, expected, "{}: {}", o.check, o.detail);
    }
    for check in HTTPS_RULES {
        assert!(has(&report, check), "{check} did not run");
    }
    assert!(has(&report, "CheckDistinctKeyIdValueInServerJWKs"));
    server.shutdown().await;
    Ok(())
}

#[test]
fn every_plan_is_listed_and_parses_by_its_short_name() {
    use conformance::Plan;
    let ids: Vec<&str> = Plan::ALL.iter().map(|p| p.id()).collect();
    for short in [
        "config",
        "basic",
        "formpost",
        "dynamic",
        "rp-initiated-logout",
        "frontchannel-rp-initiated-logout",
        "backchannel-rp-initiated-logout",
    ] {
        let plan = Plan::parse(short);
        assert!(plan.is_some(), "{short} does not parse");
        assert!(plan.is_some_and(|p| ids.contains(&p.id())));
    }
    assert_eq!(Plan::ALL.len(), 7);
    assert_eq!(
        conformance::all_runs().len(),
        Plan::ALL.iter().map(|p| p.modules().len()).sum::<usize>()
    );
}
