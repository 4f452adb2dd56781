//! A valid key is never refused because the machine is busy: 8 clients
//! send 300 requests each with the full key, every one must be 200.
//! With `idp_core::api_key::verify::LIMITS.max_time` at 5 ms of
//! wall-clock time, a preempted authorizer run ended in
//! `RunLimit(Timeout)` and a valid key got 401 "invalid key" (4 of 2400
//! requests on 2 cores during builds).

use super::{Api, Req, api_server};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_valid_key_is_never_refused_under_load() {
    let server = api_server().await;
    let api = std::sync::Arc::new(Api::new(&server));
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let api = api.clone();
        tasks.push(tokio::spawn(async move {
            let mut refused = Vec::new();
            for _ in 0..300 {
                let res = api.send(Req::get("/api/v1/tenants")).await;
                if res.status != StatusCode::OK {
                    refused.push(format!("{} {}", res.status, res.body));
                }
            }
            refused
        }));
    }
    let mut refused = Vec::new();
    for t in tasks {
        refused.extend(t.await.unwrap_or_else(|e| vec![e.to_string()]));
    }
    assert!(
        refused.is_empty(),
        "{} of 2400 refused, e.g. {:?}",
        refused.len(),
        refused.first()
    );
}
