//! The embedded provider's discovery document through real HTTP: every
//! endpoint it publishes is answered by the application (issue 13: an
//! embedder that serves no logout or device page must not advertise them).

use embedded_example::{Settings, start};
use reqwest::StatusCode;
use serde_json::Value;
use std::net::{Ipv4Addr, SocketAddr};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn discovery_names_no_url_that_answers_404() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let app = start(Settings {
        listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
        data_dir: dir.path().to_path_buf(),
        public_url: None,
    })
    .await?;
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let discovery: Value = http
        .get(format!("{}/.well-known/openid-configuration", app.issuer))
        .send()
        .await?
        .error_for_status()?
        .json()
        .await?;
    let members = discovery
        .as_object()
        .ok_or_else(|| anyhow::anyhow!("discovery is not an object: {discovery}"))?;
    // `issuer` is an identifier, not an endpoint; every other URL is one.
    let urls: Vec<(&String, &str)> = members
        .iter()
        .filter(|(name, _)| name.ends_with("_endpoint") || name.ends_with("_uri"))
        .filter_map(|(name, v)| Some((name, v.as_str()?)))
        .collect();
    assert!(urls.len() >= 6, "{discovery}");
    for (name, url) in urls {
        assert!(url.starts_with(&app.issuer), "{name}: {url}");
        // GET is enough to tell "no such endpoint" (404) from "this
        // endpoint, another method" (405) or "a request is missing" (400).
        let status = http.get(url).send().await?.status();
        assert_ne!(status, StatusCode::NOT_FOUND, "{name}: {url}");
        assert!(!status.is_server_error(), "{name}: {url} answered {status}");
    }
    // This application renders no logout or device page: not offered.
    for absent in [
        "end_session_endpoint",
        "frontchannel_logout_supported",
        "device_authorization_endpoint",
    ] {
        assert!(discovery.get(absent).is_none(), "{absent}: {discovery}");
    }
    let grants = discovery["grant_types_supported"].to_string();
    assert!(!grants.contains("device_code"), "{grants}");
    // Not offered is not served: its answer would name a missing page.
    let device = http
        .post(format!("{}/device_authorization", app.issuer))
        .form(&[("client_id", "anyone")])
        .send()
        .await?;
    assert_eq!(device.status(), StatusCode::NOT_FOUND);
    app.shutdown().await;
    Ok(())
}
