//! Sign-in analytics (issue 17) on PostgreSQL, two instances on one
//! database: sign-ins on A (written behind by A's flush), the roll-up run
//! by whichever instance holds its lease, under the tenants' row-level
//! security; the series read through B.

use super::*;
use reqwest::StatusCode;
use serde_json::Value;
use std::time::{Duration, Instant};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_ins_on_one_instance_are_served_by_the_other() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [
        ("RATE_LIMIT_ADMIN_API", "0"),
        ("ANALYTICS_ROLLUP_INTERVAL_SECONDS", "1"),
    ];
    let a = instance(dir.path(), &db, &env);
    let b = instance(
        dir.path(),
        &db,
        &[
            ("BASE_URL", &a.base_url),
            ("RATE_LIMIT_ADMIN_API", "0"),
            ("ANALYTICS_ROLLUP_INTERVAL_SECONDS", "1"),
        ],
    );
    let tenant = a.create_tenant("acme");
    let client = a.create_client("acme", &ClientSpec::confidential("Shared App"));
    let ada = a.create_user("acme", "ada@example.com", "Ada", PASSWORD);
    let rp = Rp::discover(&tenant.issuer, &client).await;
    rp.assert_signs_in(&ada).await;
    rp.assert_signs_in(&ada).await;
    let key = a.cli_json(&["api-key", "create", "--name", "ci", "--json"], None)["key"]
        .as_str()
        .expect("key")
        .to_owned();

    // A flushes within five seconds, the roll-up follows within one.
    let url = format!("http://localhost:{}/api/v1/tenants/acme/analytics", b.port);
    let deadline = Instant::now() + Duration::from_secs(30);
    let today = loop {
        let res = reqwest::Client::new()
            .get(&url)
            .bearer_auth(&key)
            .send()
            .await
            .expect("the admin API answers");
        assert_eq!(res.status(), StatusCode::OK);
        let v: Value = res.json().await.expect("JSON");
        let today = v["days"][29].clone();
        if today["logins"] == 2 || Instant::now() > deadline {
            break today;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    assert_eq!(today["logins"], 2, "{today}");
    assert_eq!(today["active_users"], 1, "{today}");
    assert_eq!(today["signups"], 1, "{today}");
}
