//! Runs `oidcc-discovery-endpoint-verification` against a real server on
//! 127.0.0.1:0. The server speaks plain http here, so the suite's https-only
//! rules must fail and every other rule must pass (https in-process comes
//! with the conformance issue).

use conformance::Status;
use idp_server::config::Config;

const HTTPS_RULES: [&str; 6] = [
    "CheckDiscEndpointDiscoveryUrl",
    "CheckDiscEndpointIssuerIsValidUrl",
    "CheckDiscEndpointEndpoints",
    "CheckDiscEndpointUserinfoEndpoint",
    "CheckDiscEndpointAllEndpointsAreHttps",
    "GetDynamicServerConfiguration",
];

#[tokio::test]
async fn oidcc_discovery_endpoint_verification() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let db = format!("sqlite:{}", dir.path().join("idp.db").display());
    let server = idp_server::server::start(Config::for_tests(db.clone(), "cd".repeat(32))).await?;
    let cfg = Config {
        base_url: Some(server.base_url.clone()),
        ..Config::for_tests(db, "cd".repeat(32))
    };
    let provider = idp_server::cli::provider_for(&cfg)?;
    provider.create_tenant("conf", "Conformance").await?;

    let http = reqwest::Client::new();
    let issuer = format!("{}/t/conf", server.base_url);
    let report = conformance::modules::discovery::run(&http, &issuer).await;
    for o in &report.outcomes {
        if HTTPS_RULES.contains(&o.check) {
            if o.check != "GetDynamicServerConfiguration" {
                assert_eq!(o.status, Status::Fail, "{} should fail on http", o.check);
            }
        } else {
            assert_eq!(o.status, Status::Pass, "{}: {}", o.check, o.detail);
        }
    }
    assert!(
        report
            .outcomes
            .iter()
            .any(|o| o.check == "CheckDistinctKeyIdValueInServerJWKs")
    );
    server.shutdown().await;
    Ok(())
}
