//! Organisation sign-up (issue 17) on PostgreSQL, two instances on one
//! database: the form opened on A is taken by B (the proof-of-work
//! challenge is sealed under the shared ENCRYPTION_KEY and bound to the
//! browser's CSRF cookie, not kept in A's memory); the tenant, its admin
//! and the audit event are in the one database; the sign-up setting changed
//! with the CLI closes `/signup` on both at once.

use super::*;
use crate::signup::{Signup, person};
use reqwest::StatusCode;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_form_opened_on_one_instance_signs_up_on_another() {
    let Some(db) = scratch().await else { return };
    let dir = tempfile::tempdir().expect("temp dir");
    let env = [("SIGNUP_POW_BITS", "8")];
    let a = instance(dir.path(), &db, &env);
    let b = instance(
        dir.path(),
        &db,
        &[("SIGNUP_POW_BITS", "8"), ("BASE_URL", &a.base_url)],
    );
    let on_b = format!("http://localhost:{}", b.port);

    let browser = Browser::new();
    let mut form = Signup::open(&browser, &a.base_url).await;
    let moved = form.form.action.as_str().replacen(&a.base_url, &on_b, 1);
    form.form.action = url::Url::parse(&moved).expect("action on B");
    let nonce = form.solve();
    let res = form
        .send(&browser, &nonce, &person("acme", "ada@acme.example"))
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.body);
    assert!(res.body.contains("waiting for approval"), "{}", res.body);

    let tenants = a.cli_json(&["tenant", "list", "--json"], None);
    let acme = tenants["items"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|t| t["slug"] == "acme")
        .cloned()
        .unwrap_or_else(|| panic!("no acme: {tenants}"));
    assert_eq!(acme["state"], "pending", "{acme}");
    let events = a.cli_json(
        &["audit", "list", "--action", "tenant.signup", "--json"],
        None,
    );
    assert_eq!(events["items"][0]["actor"]["kind"], "signup", "{events}");
    let users = a.cli_json(&["user", "list", "--tenant", "platform", "--json"], None);
    assert!(users.to_string().contains("ada@acme.example"), "{users}");

    a.cli_json(
        &["platform", "settings", "--signup", "closed", "--json"],
        None,
    );
    for base in [&a.base_url, &on_b] {
        let res = Browser::new().get(&format!("{base}/signup")).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{base}: {}", res.body);
    }
}
