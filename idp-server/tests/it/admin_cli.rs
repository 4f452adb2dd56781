//! The administration commands of the admin service through the real
//! binary: `tenant get|update|delete|keys`, `client list|get|update|delete|
//! rotate-secret`, `user list|get|update|disable|enable|set-password|delete`,
//! each with `--json`, and their exit statuses (2 invalid, 3 not found,
//! 4 conflict).

use crate::cli::Cli;
use serde_json::Value;

fn s(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `tenant rotate-keys --key-publication-seconds N`: the new keys are
/// pending for N seconds, the old ones active until then.
#[test]
fn rotate_keys_takes_its_publication_period() {
    let cli = Cli::new();
    cli.expect(&["tenant", "create", "acme"], 0);
    let before = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    let rotated = cli.json(&[
        "tenant",
        "rotate-keys",
        "acme",
        "--key-publication-seconds",
        "120",
        "--json",
    ]);
    let activates_at = rotated["activates_at"].as_i64().expect("activates_at");
    assert!(
        (before + 120..=before + 125).contains(&activates_at),
        "{activates_at} is not 120 s after {before}"
    );
    let keys = cli.json(&["tenant", "keys", "acme", "--json"]);
    let keys = keys["keys"].as_array().expect("keys");
    let new_kids = rotated["new_kids"].as_array().expect("new_kids");
    for k in keys {
        let want = if new_kids.contains(&k["kid"]) {
            "pending"
        } else {
            "active"
        };
        assert_eq!(k["state"], want, "{k}");
    }
    for bad in [
        &["--key-publication-seconds", "soon"][..],
        &["--key-publication-seconds", "60", "--immediately"],
    ] {
        let mut args = vec!["tenant", "rotate-keys", "acme"];
        args.extend_from_slice(bad);
        cli.expect(&args, 2);
    }
}

#[test]
fn tenant_commands() {
    let cli = Cli::new();
    for slug in ["acme", "beta", "gamma"] {
        cli.expect(&["tenant", "create", slug], 0);
    }
    let page = cli.json(&["tenant", "list", "--limit", "2", "--json"]);
    let items = page["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["slug"], "acme");
    let cursor = s(&page["next_cursor"]).to_owned();
    let rest = cli.json(&["tenant", "list", "--cursor", &cursor, "--json"]);
    assert_eq!(rest["items"][0]["slug"], "gamma");
    assert!(rest["next_cursor"].is_null());

    let t = cli.json(&[
        "tenant",
        "update",
        "acme",
        "--name",
        "Acme Corp",
        "--dynamic-registration",
        "on",
        "--json",
    ]);
    assert_eq!(
        (&t["name"], &t["dynamic_registration"]),
        (&"Acme Corp".into(), &true.into())
    );
    let got = cli.json(&["tenant", "get", "acme", "--json"]);
    assert_eq!(got["name"], "Acme Corp");
    let keys = cli.json(&["tenant", "keys", "acme", "--json"]);
    assert!(
        keys["keys"]
            .as_array()
            .is_some_and(|k| !k.is_empty() && k.iter().all(|k| k["state"] == "active"))
    );

    cli.expect(&["tenant", "update", "acme", "--name", &"x".repeat(101)], 2);
    cli.expect(&["tenant", "get", "nope"], 3);
    cli.expect(&["tenant", "create", "beta"], 4);
    let deleted = cli.json(&["tenant", "delete", "beta", "--json"]);
    assert_eq!(deleted["deleted"], true);
    cli.expect(&["tenant", "get", "beta"], 3);
    cli.expect(&["tenant", "list", "--limit", "0"], 2);
}

#[test]
fn client_commands() {
    let cli = Cli::new();
    cli.expect(&["tenant", "create", "acme"], 0);
    let created = cli.json(&[
        "client",
        "create",
        "--tenant",
        "acme",
        "--name",
        "Web",
        "--redirect-uri",
        "https://rp.example/cb",
        "--json",
    ]);
    let id = s(&created["client_id"]).to_owned();
    let secret = s(&created["client_secret"]).to_owned();
    let listed = cli.json(&["client", "list", "--tenant", "acme", "--json"]);
    assert_eq!(listed["items"][0]["client_id"], id.as_str());
    assert!(listed["items"][0].get("client_secret").is_none());
    let got = cli.json(&["client", "get", "--tenant", "acme", &id, "--json"]);
    assert_eq!(got["name"], "Web");

    let updated = cli.json(&[
        "client",
        "update",
        "--tenant",
        "acme",
        &id,
        "--name",
        "Web 2",
        "--redirect-uri",
        "https://rp.example/callback",
        "--post-logout-redirect-uri",
        "https://rp.example/bye",
        "--json",
    ]);
    assert_eq!(updated["name"], "Web 2");
    assert_eq!(updated["redirect_uris"][0], "https://rp.example/callback");
    assert_eq!(
        updated["post_logout_redirect_uris"][0],
        "https://rp.example/bye"
    );
    // The rules of creation: a redirect URI browsers run is refused.
    let bad = cli.expect(
        &[
            "client",
            "update",
            "--tenant",
            "acme",
            &id,
            "--redirect-uri",
            "javascript:x",
        ],
        2,
    );
    assert!(bad.stderr.starts_with("error: "), "{}", bad.stderr);

    let rotated = cli.json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &id,
        "--grace-seconds",
        "3600",
        "--json",
    ]);
    assert_ne!(s(&rotated["client_secret"]), secret);
    assert!(rotated["previous_secret_expires_at"].is_i64());
    let now = cli.json(&[
        "client",
        "rotate-secret",
        "--tenant",
        "acme",
        &id,
        "--grace-seconds",
        "0",
        "--json",
    ]);
    assert!(now["previous_secret_expires_at"].is_null());

    cli.json(&["client", "delete", "--tenant", "acme", &id, "--json"]);
    cli.expect(&["client", "get", "--tenant", "acme", &id], 3);
    cli.expect(&["client", "delete", "--tenant", "acme", &id], 3);
    cli.expect(&["client", "list", "--tenant", "nope"], 3);
}

#[test]
fn user_commands() {
    let cli = Cli::new();
    cli.expect(&["tenant", "create", "acme"], 0);
    let out = cli.run_with(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "Ada@Example.com",
            "--name",
            "Ada",
            "--password-stdin",
            "--json",
        ],
        "first password\n",
    );
    assert!(out.success, "{}", out.stderr);
    let created: Value = serde_json::from_str(&out.stdout).expect("json");
    let id = s(&created["id"]).to_owned();
    assert_eq!(created["email"], "ada@example.com");

    let page = cli.json(&["user", "list", "--tenant", "acme", "--json"]);
    assert_eq!(page["items"][0]["id"], id.as_str());
    assert!(page["items"][0].get("password_hash").is_none());
    // Found by any spelling of the canonical email.
    let by_email = cli.json(&[
        "user",
        "get",
        "--tenant",
        "acme",
        "--email",
        "ADA@example.COM",
        "--json",
    ]);
    assert_eq!(by_email["id"], id.as_str());

    let updated = cli.json(&[
        "user",
        "update",
        "--tenant",
        "acme",
        &id,
        "--name",
        "Ada L.",
        "--new-email",
        "ada.l@example.com",
        "--json",
    ]);
    assert_eq!(
        (&updated["name"], &updated["email"]),
        (&"Ada L.".into(), &"ada.l@example.com".into())
    );

    let disabled = cli.json(&["user", "disable", "--tenant", "acme", &id, "--json"]);
    assert_eq!(disabled["disabled"], true);
    let enabled = cli.json(&["user", "enable", "--tenant", "acme", &id, "--json"]);
    assert_eq!(enabled["disabled"], false);

    let set = cli.run_with(
        &["user", "set-password", "--tenant", "acme", &id, "--json"],
        "second password\n",
    );
    assert!(set.success, "{}", set.stderr);
    let empty = cli.run_with(&["user", "set-password", "--tenant", "acme", &id], "\n");
    assert_eq!(empty.code, Some(2), "{}", empty.stderr);

    cli.run_with(
        &[
            "user",
            "create",
            "--tenant",
            "acme",
            "--email",
            "bob@example.com",
        ],
        "",
    );
    cli.expect(
        &[
            "user",
            "update",
            "--tenant",
            "acme",
            &id,
            "--new-email",
            "bob@example.com",
        ],
        4,
    );
    cli.json(&["user", "delete", "--tenant", "acme", &id, "--json"]);
    cli.expect(&["user", "get", "--tenant", "acme", &id], 3);
    cli.expect(
        &[
            "user",
            "get",
            "--tenant",
            "acme",
            "--email",
            "ada.l@example.com",
        ],
        3,
    );
}
